"""World Bank Worldwide Governance Indicators: the long ``wgidataset.xlsx`` (2024 release).

Layout: one sheet, header ``codeindyr, code, countryname, year, indicator, estimate,
stddev, nsource, pctrank, pctranklower, pctrankupper``; one row per economy x year x
dimension (``cc ge pv rl rq va``). Quirks handled:

* missing values are the string ``..`` (counted as ``missing``);
* World Bank legacy codes (``ADO ZAR ROM TMP KSV WBG``) are mapped through
  ``data/build/countries/wgi.csv``; ``JEY`` is ISO3 already;
* ``ANT`` Netherlands Antilles (former) has no current ISO3; it is in ``aggregates.csv``
  as ``not_a_country`` (it still carries values for 2004-2013, contrary to "all missing");
* ``stddev`` is kept as ``wgi_<dim>_stderr`` (the standard error of the estimate);
  ``pctranklower``/``pctrankupper`` are not in the catalogue and counted as such.

The ledger unit is one value cell (row x value column), as in the other readers; the
cells of a row dropped for its economy (ANT) all count under that reason. The
workbook (32,100 rows) is read with the calamine engine: about 0.6 s instead of 3.9 s with
openpyxl on this machine, with identical cell values.

Two more layouts, told by content (never by file name):

* the 2025 workbook (``wgidataset_with_sourcedata-2025.xlsx``): one long sheet per
  dimension (``va pv ge rq rl cc``) with ``Economy (code)``, ``Economy (name)``, ``Year``,
  ``Governance estimate (approx. -2.5 to +2.5)``, ``Governance score (0-100)`` and further
  columns (standard error, number of sources, score bounds; recognised by their words,
  others counted as ``not_in_catalogue``);
* World Bank API v2 JSON of the ``GOV_WGI_*`` codes (the 2025 release; see
  :mod:`divides.sources._wbapi`).

Releases: the World Bank re-estimated all history back to 1996 in 2025, so values of the
2024 and 2025 releases must never meet in one series. Each file reports its release in
``report.release``: for a workbook the year after its last data year (the 2024 update
covers 1996-2023), for an API response its ``lastupdated`` date. The panel then takes
each series from one release (:func:`divides.build.panel.choose_releases`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from divides import catalogue
from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport
from divides.sources import _common as c
from divides.sources import _wbapi

SOURCE = "wgi"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("wb_wgi/wgidataset*.xlsx", "wb_wgi/api_v2_json/*.json")
OTHER_PATTERNS: dict[str, str] = {}

ENGINE = "calamine"
ID_COLUMNS = ["code", "countryname", "year", "indicator"]
VALUE_COLUMNS = ["estimate", "stddev", "nsource", "pctrank", "pctranklower", "pctrankupper"]


def _series_map() -> dict[str, str]:
    """Publisher code ``<dim>.<measure>`` (e.g. ``cc.stddev``) -> catalogue indicator."""
    cat = catalogue.for_source(SOURCE)
    return dict(zip(cat["publisher_code"], cat["indicator"]))


#: Sheets of the 2025 workbook, one per dimension.
DIMENSION_SHEETS = ("va", "pv", "ge", "rq", "rl", "cc")
#: 2025 workbook: column label (case-folded) -> API code suffix, tried in order.
WORKBOOK_2025_MEASURES = (
    ("governance estimate", "EST"),
    ("standard error", "SE"),
    ("number of sources", "SR"),
    ("lower bound", "SC_LB"),
    ("upper bound", "SC_UB"),
    ("governance score", "SC"),
)
WORKBOOK_2025_IDS = {"economy (code)": "code", "economy (name)": "countryname", "year": "year"}


def _api_series_map() -> dict[str, str]:
    """API code (``GOV_WGI_CC.EST``, case-folded) -> catalogue indicator."""
    cat = catalogue.for_source(SOURCE)
    api = cat[cat["publisher_code"].str.startswith("GOV_WGI_")]
    return dict(zip(api["publisher_code"].str.casefold(), api["indicator"]))


def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read a WGI file (legacy or 2025 workbook, API JSON) into observations."""
    path = Path(path)
    if path.suffix.casefold() == ".json":
        return _read_api(path)
    sheets = c.sheet_names(path, engine=ENGINE)
    if {s.strip().casefold() for s in sheets} >= set(DIMENSION_SHEETS):
        return _read_workbook_2025(path, sheets)
    return _read_legacy(path)


def _read_legacy(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """``wgidataset.xlsx`` up to the 2024 update: one long sheet of all dimensions."""
    raw = c.read_excel_checked(path, 0, engine=ENGINE)
    h = c.find_header_row(raw, ID_COLUMNS + ["estimate"], path)
    frame = raw.iloc[h + 1:].copy()
    frame.columns = [str(v).strip().casefold() for v in raw.iloc[h].tolist()]
    c.require_columns(frame, ID_COLUMNS + VALUE_COLUMNS, path, where=f"row {h + 1}")
    frame["row"] = frame.index + 1  # Excel row number

    report = ReadReport(SOURCE, path.name)
    blank = frame[ID_COLUMNS + VALUE_COLUMNS].isna().all(axis=1)
    report.rows_read += int(blank.sum())
    report.drop("footer", int(blank.sum()))
    frame = frame.loc[~blank]

    frame["year"] = c.parse_years(frame["year"], path,
                                  "row " + frame["row"].astype(str) + " column 'year'")

    # Countries are resolved per row (32k) rather than per cell (193k): a dropped row
    # counts all its value cells under the row's reason.
    report.rows_read += len(frame) * len(VALUE_COLUMNS)
    per_row = ReadReport(SOURCE, path.name)
    frame = c.resolve_countries(frame, Harmoniser(SOURCE), per_row, path, code_col="code")
    for reason, n in per_row.dropped.items():
        report.drop(reason, n * len(VALUE_COLUMNS))
    report.unmapped_names = per_row.unmapped_names
    report.aliases_used = per_row.aliases_used

    long = frame.melt(id_vars=ID_COLUMNS + ["row", "iso3"], value_vars=VALUE_COLUMNS,
                      var_name="measure", value_name="raw")
    series = _series_map()
    long["publisher_code"] = (long["indicator"].astype(str).str.strip().str.casefold() + "."
                              + long["measure"])
    in_cat = long["publisher_code"].isin(series)
    report.drop_not_in_catalogue(long.loc[~in_cat, "publisher_code"])
    long = long.loc[in_cat]

    values, missing = c.parse_values(long["raw"], path, column_of=long["measure"],
                                     row_of=long["row"])
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing].assign(value=values[~missing])
    obs = pd.DataFrame({"iso3": long["iso3"], "year": long["year"],
                        "indicator": long["publisher_code"].map(series),
                        "breakdown": "total", "group": "all", "value": long["value"]})
    report.rows_kept += len(obs)
    report.release = str(int(obs["year"].max()) + 1) if len(obs) else ""
    report.notes.append(f"release: WGI {report.release} update (legacy workbook layout, "
                        f"data {int(obs['year'].min()) if len(obs) else '-'}-"
                        f"{int(obs['year'].max()) if len(obs) else '-'})")
    return c.finish(obs, report, path)


def _read_api(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """A World Bank API v2 response for ``GOV_WGI_*`` codes (the 2025 release on).

    The old codes (``CC.EST``) answer 404 since 2025; a saved response of an old code
    would carry them in ``indicator.id`` and is counted as ``not_in_catalogue``.
    """
    report = ReadReport(SOURCE, path.name)
    series = {code: (ind, "total", "all") for code, ind in _api_series_map().items()}
    obs = _wbapi.to_observations(path, SOURCE, series, report)
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def _workbook_2025_measure(label: str) -> str | None:
    for words, suffix in WORKBOOK_2025_MEASURES:
        if words in label:
            return suffix
    return None


def _read_workbook_2025(path: Path, sheets: list[str]) -> tuple[pd.DataFrame, ReadReport]:
    """The 2025 workbook: sheets ``va pv ge rq rl cc``, one row per economy and year.

    Value columns are matched by their words (``Governance estimate``, ``Governance
    score (0-100)``, ``standard error``, ``number of sources``, ``lower``/``upper bound``)
    to the API's code suffixes, so both channels share one catalogue; other columns count
    as ``not_in_catalogue``. Other sheets (source data, notes) are not read.
    """
    report = ReadReport(SOURCE, path.name)
    series = _api_series_map()
    frames = []
    by_dim = {s.strip().casefold(): s for s in sheets}
    for dim in DIMENSION_SHEETS:
        sheet = by_dim[dim]
        raw = c.read_excel_checked(path, sheet, engine=ENGINE)
        h = c.find_header_row(raw, list(WORKBOOK_2025_IDS), path)
        labels = [" ".join(str(v).split()).casefold() if pd.notna(v) else ""
                  for v in raw.iloc[h].tolist()]
        frame = raw.iloc[h + 1:].copy()
        frame.columns = labels
        where = f"sheet {sheet!r} row {h + 1}"
        c.require_columns(frame, list(WORKBOOK_2025_IDS), path, where=where)
        if not any(_workbook_2025_measure(lab) == "EST" for lab in labels):
            raise SourceFormatError(path, where, "a 'Governance estimate' column",
                                    found=f"columns {labels}")
        frame = frame.rename(columns=WORKBOOK_2025_IDS)
        frame["row"] = [f"sheet {sheet!r} row {i + 1}" for i in frame.index]
        value_cols = [lab for lab in labels if lab and lab not in WORKBOOK_2025_IDS]
        blank = frame[["code", "countryname", "year"] + value_cols].isna().all(axis=1)
        report.rows_read += int(blank.sum())
        report.drop("footer", int(blank.sum()))
        frame = frame.loc[~blank]
        frame["year"] = c.parse_years(frame["year"], path,
                                      frame["row"].astype(str) + " column 'Year'")
        long = frame.melt(id_vars=["code", "countryname", "year", "row"], value_vars=value_cols,
                          var_name="measure", value_name="raw")
        suffix = long["measure"].map(_workbook_2025_measure).astype("string").fillna("")
        long["indicator"] = ("gov_wgi_" + dim + "." + suffix.str.casefold()).map(series)
        long["row"] = long["row"].astype(str) + " column " + long["measure"].map(repr).astype(str)
        frames.append(long)
    long = pd.concat(frames, ignore_index=True)
    report.rows_read += len(long)
    long = c.resolve_countries(long, Harmoniser(SOURCE), report, path, code_col="code",
                               name_col="countryname")
    known = long["indicator"].notna()
    report.drop("not_in_catalogue", int((~known).sum()))
    long = long.loc[known]
    values, missing = c.parse_values(long["raw"], path, row_of=long["row"])
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing].assign(value=values[~missing])
    obs = pd.DataFrame({"iso3": long["iso3"], "year": long["year"],
                        "indicator": long["indicator"], "breakdown": "total", "group": "all",
                        "value": long["value"]})
    report.rows_kept += len(obs)
    report.release = str(int(obs["year"].max()) + 1) if len(obs) else ""
    report.notes.append(f"release: WGI {report.release} (2025 workbook layout, one sheet per "
                        "dimension)")
    return c.finish(obs, report, path)
