"""The catalogues every layer reads: series, columns and sources, each in one table.

* ``data/build/indicators.csv``: every series the readers keep, one row per (source,
  publisher_code, breakdown, group): the project's ``indicator`` code, its name and unit,
  the valid range used by the schemas, and the panel column it feeds (empty when it feeds
  none). ``breakdown``/``group`` of ``*`` mean the reader derives them (e.g. Findex code
  suffixes).
* ``data/build/columns.csv``, the column registry: one row per column of the panel and of
  the gaps table (``table``, ``column``): its ``role`` (``id``, ``value``, ``derived``),
  whether the panel always has it (``required``), ``label``, ``unit``, the short
  ``figure_label``/``figure_unit`` for axes (an empty figure unit shows none), ``source``
  (publishers in priority order, ``;``-separated; ``derived`` = computed by divides),
  ``derived_from``/``transform`` of a derived column, and ``definition``. The build (rules),
  the codebook, the figure labels and the models' source notes all read it here.
* ``data/sources.csv``: one row per source: publisher, citation, url, licence, the
  BibTeX/CSL fields and the label of a figure footer.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from divides import config


@lru_cache(maxsize=1)
def indicators() -> pd.DataFrame:
    """The whole catalogue as a frame."""
    table = pd.read_csv(config.INDICATORS_CSV, dtype=str, keep_default_na=False)
    for col in ("min_value", "max_value"):
        table[col] = table[col].astype(float)
    return table


def for_source(source: str) -> pd.DataFrame:
    """Catalogue rows of one source."""
    table = indicators()
    return table[table["source"] == source].reset_index(drop=True)


def indicator_ranges() -> pd.DataFrame:
    """Valid [min, max] per indicator code (the widest over its rows)."""
    return indicators().groupby("indicator").agg(min_value=("min_value", "min"),
                                                  max_value=("max_value", "max"))


def indicator_codes() -> set[str]:
    return set(indicators()["indicator"])


# --------------------------------------------------------------------------- columns

COLUMN_FIELDS = ("table", "column", "role", "required", "label", "unit", "figure_label",
                 "figure_unit", "source", "derived_from", "transform", "definition")
COLUMN_TABLES = ("panel", "gaps")
COLUMN_ROLES = ("id", "value", "derived")
#: Fields every registry row must fill.
COLUMN_FILLED = ("table", "column", "role", "label", "unit", "figure_label", "source",
                 "definition")


@lru_cache(maxsize=1)
def columns() -> pd.DataFrame:
    """The column registry (``data/build/columns.csv``), checked: ``required`` as bool.

    Raises ValueError naming the row and field when a field is missing or empty, a role or
    table is unknown, a (table, column) pair repeats, or a derived column names no input.
    """
    path = config.COLUMNS_CSV
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [f for f in COLUMN_FIELDS if f not in table.columns]
    if missing:
        raise ValueError(f"{path.name}: missing fields {missing}; expected {list(COLUMN_FIELDS)}")
    problems = []
    for i, row in table.iterrows():
        where = f"{path.name} row {i + 2} ({row['table']}.{row['column']})"
        problems += [f"{where}: empty {f}" for f in COLUMN_FILLED if not row[f].strip()]
        if row["table"] not in COLUMN_TABLES:
            problems.append(f"{where}: table {row['table']!r} not in {COLUMN_TABLES}")
        if row["role"] not in COLUMN_ROLES:
            problems.append(f"{where}: role {row['role']!r} not in {COLUMN_ROLES}")
        if row["required"] not in ("0", "1"):
            problems.append(f"{where}: required {row['required']!r}, expected 0 or 1")
        if (row["role"] == "derived") != bool(row["derived_from"] and row["transform"]):
            problems.append(f"{where}: a derived column (and only one) names derived_from "
                            "and transform")
    dupes = table[table.duplicated(["table", "column"])]
    problems += [f"{path.name}: {t}.{c} listed twice" for t, c in zip(dupes["table"],
                                                                       dupes["column"])]
    if problems:
        raise ValueError("; ".join(problems))
    table["required"] = table["required"] == "1"
    return table


def column_names(table: str = "panel", roles: tuple[str, ...] = COLUMN_ROLES) -> list[str]:
    """Registered columns of ``table`` with one of ``roles``, in registry order."""
    reg = columns()
    return list(reg.loc[(reg["table"] == table) & reg["role"].isin(roles), "column"])


def has_column(col: str, table: str | None = None) -> bool:
    """Whether ``col`` has a registry row (in ``table``, or in any table)."""
    reg = columns()
    rows = reg[reg["column"] == col]
    return bool(len(rows if table is None else rows[rows["table"] == table]))


def column_row(col: str, table: str | None = None) -> pd.Series:
    """The registry row of ``col``: in ``table``, else the panel's row, else the gaps'.

    Raises KeyError naming the registry file when the column has none.
    """
    reg = columns()
    rows = reg[reg["column"] == col]
    if table is not None:
        rows = rows[rows["table"] == table]
    if rows.empty:
        where = f" in table {table!r}" if table else ""
        raise KeyError(f"column {col!r} has no row{where} in {config.COLUMNS_CSV.name} "
                       "(the column registry)")
    return rows.sort_values("table", key=lambda t: t.map(COLUMN_TABLES.index)).iloc[0]


def column_label(col: str, table: str | None = None) -> str:
    """The registry's label of a column (a name, without its unit)."""
    return column_row(col, table)["label"]


def column_unit(col: str, table: str | None = None) -> str:
    """The registry's unit of a column."""
    return column_row(col, table)["unit"]


def column_sources(col: str, table: str | None = None) -> list[str]:
    """Sources behind a column in priority order; a derived column gives its input's.

    ``derived`` (computed by divides from nothing a publisher ships, e.g. ``iso3`` or the
    gap rates) is returned as is.
    """
    row = column_row(col, table)
    if row["role"] == "derived":
        return column_sources(row["derived_from"], row["table"])
    return [s for s in row["source"].split(";") if s]


# --------------------------------------------------------------------------- sources

SOURCE_FIELDS = ("source", "publisher", "figure_label", "citation", "url", "licence", "key",
                 "authors", "organisation", "year", "title", "edition", "place")


@lru_cache(maxsize=1)
def sources() -> pd.DataFrame:
    """``data/sources.csv``: one row per source with its citation, licence, BibTeX
    fields and figure footer label; ValueError names missing fields or a repeated source."""
    path = config.SOURCES_CSV
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [f for f in SOURCE_FIELDS if f not in table.columns]
    if missing:
        raise ValueError(f"{path.name}: missing fields {missing}; expected {list(SOURCE_FIELDS)}")
    dupes = sorted(set(table.loc[table["source"].duplicated(), "source"]))
    if dupes:
        raise ValueError(f"{path.name}: sources listed twice: {dupes}")
    return table


def source_row(source: str) -> pd.Series:
    """The ``sources.csv`` row of ``source``; KeyError naming the file when it has none."""
    table = sources()
    rows = table[table["source"] == source]
    if rows.empty:
        raise KeyError(f"source {source!r} has no row in {config.SOURCES_CSV.name}")
    return rows.iloc[0]
