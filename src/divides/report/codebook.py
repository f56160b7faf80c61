"""The codebook (QoG / Our World in Data style), generated from a build and the catalogue.

``write_codebook(data)`` writes into ``reports/<data>/``:

* ``codebook.md``, ``codebook.csv`` and ``codebook.json``: one entry per panel column,
  gaps column and gap series with the publisher's series code, the publisher's own
  definition (from the metadata files shipped with the downloads, captured at build time
  into ``data/processed/<data>/definitions.csv``; the catalogue's definition, said so,
  where the publisher ships none), unit, release / edition and retrieval date, coverage per
  year (compact ``years:n`` runs), summary statistics (n, mean, sd, min, p25, median, p75,
  max), comparability breaks, warnings on modified third-party copies, and citations;
* ``codebook_coverage.csv``: the full countries-per-year table of every variable;
* ``citations.bib`` (BibTeX) and ``citations.json`` (CSL-JSON), one entry per source.

It reads only the build's outputs (``panel.parquet``, ``gaps.parquet``,
``cell_sources.parquet``, ``manifest.json``, ``definitions.csv``, ``input_files.csv``) and
the package's data: never a raw file. Never edit the output by hand: the text lives in
``data/build/indicators.csv``, ``data/build/columns.csv`` (the column registry: unit, source
and definition of every column), ``data/build/panel_rules.csv``, ``data/build/gap_definitions.csv``,
``data/sources.csv`` (citations and licences), ``data/report/comparability_breaks.csv``,
``data/report/file_warnings.csv`` and ``data/report/series_origins.csv`` (the survey or
database a republished series comes from, cited beside the source it is read from).

Release and edition: when the build's ``manifest.json`` has a ``releases`` list
(``{"source", "indicator", "release", "status": "used" | "set_aside", "files", "years"}``)
the codebook shows it; otherwise it names the files whose values the variable holds, with
their edition from ``data/build/file_priority.csv`` and the publisher's "Last Updated" stamp.
"""

from __future__ import annotations

import fnmatch
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from divides import catalogue, config, fileio, provenance

CODEBOOK_COLUMNS = [
    "table", "variable", "publisher_code", "publisher_name", "definition", "definition_source",
    "notes", "unit", "source", "release", "retrieved", "first_year", "last_year",
    "n_countries", "n_values", "coverage", "n", "mean", "sd", "min", "p25", "median", "p75",
    "max", "breaks", "warnings", "citation", "citation_keys"]
STAT_COLUMNS = ["n", "mean", "sd", "min", "p25", "median", "p75", "max"]
COVERAGE_COLUMNS = ["table", "variable", "year", "n_countries"]
#: Panel columns that identify a row (no statistics).
ID_COLUMNS = ("iso3", "country_name", "region", "income_group", "year")
GAP_ID_COLUMNS = ("iso3", "year", "dimension", "indicator", "source", "advantaged_group",
                  "disadvantaged_group", "file")
#: Sources whose downloads come with a metadata file the build captures definitions from.
DEFINITION_SOURCES = ("wdi", "findex", "itu")
SPARK = "▁▂▃▄▅▆▇█"


# --------------------------------------------------------------------------- data files

def _package_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def citations_table() -> pd.DataFrame:
    """``data/sources.csv``: one row per source, with the fields BibTeX needs."""
    return catalogue.sources()


def comparability_breaks() -> pd.DataFrame:
    """``data/report/comparability_breaks.csv``: source, indicator (glob), year, kind, description."""
    return _package_csv(config.COMPARABILITY_BREAKS_CSV)


def series_origins() -> pd.DataFrame:
    """``data/report/series_origins.csv``: source, publisher_code, origin (a ``sources.csv``
    id cited beside ``source``), note. An origin without a ``sources.csv`` row is an error."""
    table = _package_csv(config.SERIES_ORIGINS_CSV)
    known = set(catalogue.sources()["source"])
    for line, origin in enumerate(table["origin"], start=2):
        if origin not in known:
            raise ValueError(f"{config.SERIES_ORIGINS_CSV.name} row {line}: origin {origin!r} "
                             f"has no row in {config.SOURCES_CSV.name}")
    return table


def file_warnings() -> pd.DataFrame:
    """``data/report/file_warnings.csv``: source, file_pattern (glob on the input path), warning."""
    return _package_csv(config.FILE_WARNINGS_CSV)


def _citations() -> dict[str, str]:
    table = citations_table()
    return {s: f"{c} {u}".strip() + (f" Licence: {lic}." if lic else "")
            for s, c, u, lic in zip(table["source"], table["citation"], table["url"],
                                    table["licence"])}


# --------------------------------------------------------------------------- build outputs

@dataclass
class BuildOutputs:
    """What the codebook reads from ``data/processed/<data>/`` (no raw file)."""

    panel: pd.DataFrame
    gaps: pd.DataFrame
    #: which file gave each panel cell (the build's ``cell_sources.parquet``)
    cell_sources: pd.DataFrame | None = None
    manifest: dict = field(default_factory=dict)
    definitions: pd.DataFrame | None = None
    input_files: pd.DataFrame | None = None


def load_build(processed: Path) -> BuildOutputs:
    """Read a build's outputs from ``processed`` (a ``data/processed/<data>`` folder)."""
    processed = Path(processed)
    if not (processed / "manifest.json").exists():
        raise FileNotFoundError(f"{processed} has no build (no manifest.json)")

    def csv(name: str) -> pd.DataFrame | None:
        path = processed / name
        return (pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists()
                else None)

    cells_path = processed / "cell_sources.parquet"
    return BuildOutputs(
        panel=fileio.read_parquet(processed / "panel.parquet"),
        gaps=fileio.read_parquet(processed / "gaps.parquet"),
        cell_sources=pd.read_parquet(cells_path) if cells_path.exists() else None,
        manifest=json.loads((processed / "manifest.json").read_text()),
        definitions=csv("definitions.csv"), input_files=csv("input_files.csv"))


#: Columns of the attribution the codebook uses (``cell_sources.parquet``, read cells only).
WINNER_COLUMNS = ["iso3", "year", "panel_column", "indicator", "source", "file", "value"]


def panel_winners(cell_sources: pd.DataFrame | None) -> pd.DataFrame:
    """The observation behind every read panel cell: iso3, year, panel_column, indicator,
    source, file, value, from the build's ``cell_sources.parquet`` (derived columns left
    out: the codebook names the files of the column they are computed from)."""
    if cell_sources is None:
        return pd.DataFrame(columns=WINNER_COLUMNS)
    read = cell_sources[cell_sources["derived_from"] == ""]
    return read[WINNER_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- pieces

def summary_stats(values: pd.Series) -> dict:
    """n, mean, sd (n - 1), min, p25, median, p75, max of the non-missing values."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return {"n": 0, **{k: np.nan for k in STAT_COLUMNS[1:]}}
    q = v.quantile([0.25, 0.5, 0.75])
    return {"n": len(v), "mean": v.mean(), "sd": v.std(), "min": v.min(), "p25": q[0.25],
            "median": q[0.5], "p75": q[0.75], "max": v.max()}


def per_year(frame: pd.DataFrame) -> pd.Series:
    """Countries with a value per year (index year, sorted)."""
    if frame.empty:
        return pd.Series(dtype="int64")
    return frame.groupby("year")["iso3"].nunique().sort_index().astype("int64")


def compact_coverage(counts: pd.Series) -> str:
    """``1996:190 1998:192 2000-2002:195``: runs of consecutive years with equal counts
    merged (a gap in the years starts a new run)."""
    parts, start, prev, n_prev = [], None, None, None
    for year, n in counts.items():
        year, n = int(year), int(n)
        if start is not None and year == prev + 1 and n == n_prev:
            prev = year
            continue
        if start is not None:
            parts.append(f"{start}-{prev}:{n_prev}" if prev != start else f"{start}:{n_prev}")
        start, prev, n_prev = year, year, n
    if start is not None:
        parts.append(f"{start}-{prev}:{n_prev}" if prev != start else f"{start}:{n_prev}")
    return " ".join(parts)


def sparkline(counts: pd.Series) -> str:
    """One character per year from the first to the last (a space for a year without data)."""
    if counts.empty:
        return ""
    years = range(int(counts.index.min()), int(counts.index.max()) + 1)
    top = max(int(counts.max()), 1)
    return "".join(SPARK[min(len(SPARK) - 1, int(counts[y] / top * (len(SPARK) - 1) + 0.5))]
                   if y in counts.index else " " for y in years)


def _extent(frame: pd.DataFrame) -> dict:
    if frame.empty:
        return {"first_year": pd.NA, "last_year": pd.NA, "n_countries": 0, "n_values": 0,
                "coverage": ""}
    return {"first_year": int(frame["year"].min()), "last_year": int(frame["year"].max()),
            "n_countries": int(frame["iso3"].nunique()), "n_values": len(frame),
            "coverage": compact_coverage(per_year(frame))}


def _input_paths(manifest: dict, input_files: pd.DataFrame | None) -> dict[str, list[str]]:
    """File name -> relative input paths (from the manifest, else input_files.csv)."""
    paths = list(manifest.get("input_sha256", {}))
    if not paths and input_files is not None:
        paths = input_files["path"].tolist()
    out: dict[str, list[str]] = {}
    for p in paths:
        out.setdefault(Path(p).name, []).append(p)
    return out


def _years(years: pd.Series) -> str:
    y0, y1 = int(years.min()), int(years.max())
    return f"{y0}" if y0 == y1 else f"{y0}-{y1}"


@dataclass
class _Context:
    manifest: dict
    definitions: pd.DataFrame
    input_files: pd.DataFrame
    paths: dict[str, list[str]]
    breaks: pd.DataFrame
    warns: pd.DataFrame
    cite: dict[str, str]
    keys: dict[str, str]
    origins: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def definition(self, source: str, code: str) -> dict | None:
        d = self.definitions
        hit = d[(d["source"] == source) & (d["publisher_code"] == code)]
        return None if hit.empty else hit.iloc[0].to_dict()

    def _release_entries(self, sources: list[str], indicators: list[str]) -> list[dict]:
        out = []
        for e in self.manifest.get("releases") or []:
            ind = str(e.get("indicator") or "*")
            if e.get("source") in sources and any(fnmatch.fnmatchcase(i, ind)
                                                  for i in indicators):
                out.append(e)
        return out

    def release_retrieved(self, sources: list[str], indicators: list[str]) -> str:
        """``retrieved`` dates of the used ``releases`` entries, when they carry one."""
        return "; ".join(sorted({str(e["retrieved"]) for e in self._release_entries(
            sources, indicators) if e.get("retrieved") and e.get("status") != "set_aside"}))

    def releases(self, sources: list[str], indicators: list[str]) -> str | None:
        """Text from the manifest's ``releases`` list, or None when no entry applies."""
        entries = self._release_entries(sources, indicators)
        if not entries:
            return None
        used, aside = [], []
        for e in entries:
            years = e.get("years")
            if isinstance(years, list | tuple) and years:
                years = (f"{min(years)}-{max(years)}" if len(years) > 1 else f"{years[0]}")
            files = e.get("files") or []
            files = ", ".join(files) if isinstance(files, list | tuple) else str(files)
            text = f"{e.get('source')} {e.get('release')}" + (f" ({years})" if years else "") \
                + (f" [{files}]" if files else "")
            (aside if e.get("status") == "set_aside" else used).append(text)
        out = "; ".join(dict.fromkeys(used))
        if aside:
            out += ("; " if out else "") + "set aside: " + "; ".join(dict.fromkeys(aside))
        return out

    def file_release(self, source: str, file: str, years: pd.Series) -> str:
        from divides import build

        rule = build.file_rule(source, file)
        stamp = self._stamp(file)
        # the release the reader found in the file's content wins over the name rule
        found = (self.manifest.get("file_releases") or {}).get(f"{source}/{file}", "")
        edition = found or rule["edition"]
        bits = [f"edition {edition}" if edition else "",
                f"last updated {stamp}" if stamp else ""]
        bits = ", ".join(b for b in bits if b)
        return f"{source} {file}" + (f" ({bits})" if bits else "") + f": {_years(years)}"

    def _files_row(self, file: str) -> pd.DataFrame:
        rel = self.paths.get(file, [])
        f = self.input_files
        return f[f["path"].isin(rel)] if len(f) else f

    def _stamp(self, file: str) -> str:
        rows = self._files_row(file)
        return "; ".join(sorted(set(rows["publisher_stamp"]) - {""})) if len(rows) else ""

    def retrieved(self, files: list[str]) -> str:
        dates = set()
        for file in files:
            rows = self._files_row(file)
            dates |= set(rows["modified"]) - {""} if len(rows) else set()
        return "; ".join(sorted(dates))

    def breaks_for(self, sources: list[str], indicators: list[str]) -> str:
        b = self.breaks
        hits = b[[s in sources and any(fnmatch.fnmatchcase(i, pat) for i in indicators)
                  for s, pat in zip(b["source"], b["indicator"])]]
        return " | ".join(f"{r.year or 'all years'} ({r.kind}): {r.description}"
                          for r in hits.itertuples())

    def warnings_for(self, used: pd.DataFrame) -> str:
        """``used``: rows with source, file, year of the values the variable holds."""
        out = []
        for (source, file), part in used.groupby(["source", "file"], sort=True):
            for path in self.paths.get(file, [file]):
                for w in self.warns[self.warns["source"] == source].itertuples():
                    if fnmatch.fnmatchcase(path, w.file_pattern):
                        out.append(f"{path} ({_years(part['year'])}, {len(part)} values): "
                                   f"{w.warning}")
        return " | ".join(dict.fromkeys(out))


def _context(manifest: dict, definitions: pd.DataFrame | None,
             input_files: pd.DataFrame | None) -> _Context:
    from divides import build

    cites = citations_table()
    origins: dict[tuple[str, str], list[str]] = {}
    for r in series_origins().itertuples():
        origins.setdefault((r.source, r.publisher_code), []).append(r.origin)
    defs = (definitions if definitions is not None
            else pd.DataFrame(columns=build.DEFINITION_COLUMNS))
    files = (input_files if input_files is not None
             else pd.DataFrame(columns=build.INPUT_FILE_COLUMNS))
    return _Context(manifest=manifest, definitions=defs.fillna(""), input_files=files.fillna(""),
                    paths=_input_paths(manifest, input_files), breaks=comparability_breaks(),
                    warns=file_warnings(), cite=_citations(),
                    keys=dict(zip(cites["source"], cites["key"])), origins=origins)


def _fallback_note(source: str, code: str) -> str:
    if source in DEFINITION_SOURCES:
        return (f"catalogue (data/build/indicators.csv): no publisher metadata for {source} "
                f"{code} was captured in this build")
    return (f"catalogue (data/build/indicators.csv): {source} ships no metadata file with its "
            "downloads")


def _release_and_files(ctx: _Context, used: pd.DataFrame, sources: list[str],
                       indicators: list[str]) -> dict:
    """release / retrieved / warnings from the values actually used (source, file, year)."""
    files = sorted(used["file"].unique()) if len(used) else []
    release = ctx.releases(sources, indicators)
    if release is None:
        release = "; ".join(ctx.file_release(s, f, part["year"])
                            for (s, f), part in used.groupby(["source", "file"], sort=True))
    return {"release": release,
            "retrieved": ctx.release_retrieved(sources, indicators) or ctx.retrieved(files),
            "warnings": ctx.warnings_for(used) if len(used) else ""}


# --------------------------------------------------------------------------- the table

def _bare(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def codebook_table(panel: pd.DataFrame, gaps: pd.DataFrame,
                   cell_sources: pd.DataFrame | None = None, manifest: dict | None = None,
                   definitions: pd.DataFrame | None = None,
                   input_files: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per panel column, gaps column and gap series (see CODEBOOK_COLUMNS).

    ``cell_sources`` is the build's ``cell_sources.parquet`` (which file gave each panel
    cell). Without it no file is attributed to a panel column (release, retrieved and
    warnings then come from the manifest's ``releases`` only); without ``definitions``
    every definition is the catalogue's.
    """
    from divides import build

    # The provenance in attrs (input sha256s) is deep-copied by every pandas operation:
    # the codebook works on shallow copies without it (10x faster on the real build).
    panel, gaps = _bare(panel), _bare(gaps)
    ctx = _context(manifest or {}, definitions, input_files)
    cat = catalogue.indicators().drop_duplicates(["indicator", "breakdown", "group"])
    registry = catalogue.columns()
    cand = build.panel_candidates().merge(
        cat[["indicator", "breakdown", "group", "source", "publisher_code", "name", "unit"]],
        on=["indicator", "breakdown", "group"], how="left")
    winners = panel_winners(_bare(cell_sources) if cell_sources is not None else None)
    by_column = {k: g for k, g in winners.groupby("panel_column", sort=False)}
    no_rows = winners.iloc[:0]
    rows = []
    for col in panel.columns:
        present = panel.loc[panel[col].notna(), ["iso3", "year"]]
        ext = _extent(present)
        stats = (summary_stats(panel[col]) if col not in ID_COLUMNS
                 and pd.api.types.is_numeric_dtype(panel[col]) else {})
        described = registry[(registry["table"] == "panel") & (registry["column"] == col)
                             & registry["role"].isin(["id", "derived"])]
        if len(described):
            d = described.iloc[0]
            base = build.DERIVED_COLUMNS.get(col, (None,))[0]
            used = by_column.get(base, no_rows) if base else no_rows
            info = (_release_and_files(ctx, used, sorted(used["source"].unique()),
                                       sorted(used["indicator"].unique()))
                    if len(used) else {"release": "", "retrieved": "", "warnings": ""})
            if col in ("region", "income_group"):
                meta = [p for p in ctx.manifest.get("input_sha256", {})
                        if Path(p).name.startswith("Metadata_Country")]
                info = {"release": "; ".join(f"wdi {p}" for p in meta),
                        "retrieved": ctx.retrieved([Path(p).name for p in meta]),
                        "warnings": ""}
            rows.append({"table": "panel", "variable": col, "publisher_code": "",
                         "publisher_name": "", "definition": d["definition"],
                         "definition_source": "data/build/columns.csv",
                         "notes": f"derived from {base}" if base else "",
                         "unit": d["unit"], "source": d["source"],
                         "citation": ctx.cite.get(d["source"], ""),
                         "citation_keys": ctx.keys.get(d["source"], ""),
                         "breaks": "", **info, **ext, **stats})
            continue
        c = cand[cand["panel_column"] == col].sort_values("priority")
        if c.empty or not catalogue.has_column(col, "panel"):
            raise ValueError(f"codebook: panel column {col!r} has no series in "
                             "indicators.csv or no row in columns.csv")
        first = c.iloc[0]
        registered = catalogue.column_row(col, "panel")
        pub = ctx.definition(first["source"], first["publisher_code"])
        srcs = "; ".join(f"{r.source} {r.indicator}"
                         + (f" {r.breakdown}/{r.group}" if r.breakdown != "total" else "")
                         + f" (priority {r.priority})" for r in c.itertuples())
        years = []
        if pd.notna(first["year_min"]):
            years.append(f"from {int(first['year_min'])}")
        if pd.notna(first["year_max"]):
            years.append(f"to {int(first['year_max'])}")
        notes = [f"{first['name']}." if pub else "", f"Years {' '.join(years)} only." if years else "",
                 "Where the priority-1 series has no value, the next one fills the "
                 "country-year (data/build/panel_rules.csv; disagreements in overlaps.csv)."
                 if len(c) > 1 else ""]
        used = by_column.get(col, no_rows)
        sources = list(dict.fromkeys(c["source"]))
        # a republished series also cites its origin (the Enterprise Surveys behind WDI's
        # IC.* series; data/report/series_origins.csv), when this build has values of it
        origins = [o for r in c.itertuples() for o in
                   ctx.origins.get((r.source, r.publisher_code), [])
                   ] if panel[col].notna().any() else []
        cited = list(dict.fromkeys([*sources, *origins]))
        rows.append({
            "table": "panel", "variable": col,
            "publisher_code": "; ".join(f"{r.source}:{r.publisher_code}" for r in c.itertuples()),
            "publisher_name": pub["publisher_name"] if pub else "",
            "definition": pub["definition"] if pub else registered["definition"],
            "definition_source": (f"publisher metadata: {pub['file']}"
                                  + (f" (source: {pub['source_organization']})"
                                     if pub.get("source_organization") else "")
                                  if pub else _fallback_note(first["source"],
                                                             first["publisher_code"])),
            "notes": " ".join(n for n in notes if n), "unit": registered["unit"],
            "source": srcs,
            **_release_and_files(ctx, used, sources, list(c["indicator"])),
            "breaks": ctx.breaks_for(sources, list(c["indicator"])),
            "citation": " | ".join(dict.fromkeys(ctx.cite.get(s, "") for s in cited)),
            "citation_keys": "; ".join(dict.fromkeys(ctx.keys.get(s, "") for s in cited)),
            **ext, **stats})
    gap_ext = _extent(gaps)
    for r in registry[registry["table"] == "gaps"].itertuples():
        stats = (summary_stats(gaps[r.column]) if r.column in gaps
                 and r.column not in GAP_ID_COLUMNS
                 and pd.api.types.is_numeric_dtype(gaps[r.column]) else {})
        rows.append({"table": "gaps", "variable": r.column, "publisher_code": "",
                     "publisher_name": "", "definition": r.definition,
                     "definition_source": "data/build/columns.csv", "notes": "",
                     "unit": r.unit, "source": r.source, "release": "", "retrieved": "",
                     "breaks": "", "warnings": "", "citation": "", "citation_keys": "",
                     **gap_ext, **stats})
    defs = build.gap_definitions()
    names = cat.drop_duplicates("indicator").set_index("indicator")
    order = gaps[["dimension", "indicator", "source"]].drop_duplicates()
    groups = {k: g for k, g in gaps.groupby(["dimension", "indicator", "source"], sort=False)}
    for key in order.itertuples(index=False):
        sub = groups[tuple(key)]
        r = sub.iloc[0]
        known = r.indicator in names.index
        name = names.loc[r.indicator, "name"] if known else r.indicator.replace("_", " ")
        code = names.loc[r.indicator, "publisher_code"] if known else ""
        pub = ctx.definition(r.source, code) if code else None
        d = defs[(defs["dimension"] == r.dimension) & (defs["source"] == r.source)]
        note = d["note"].iloc[0] if len(d) else ""
        used = sub[["source", "file", "year"]]
        rows.append({
            "table": "gaps", "variable": f"{r.dimension}:{r.indicator}",
            "publisher_code": f"{r.source}:{code}" if code else "",
            "publisher_name": pub["publisher_name"] if pub else "",
            "definition": pub["definition"] if pub else name,
            "definition_source": (f"publisher metadata: {pub['file']}" if pub
                                  else _fallback_note(r.source, code or r.indicator)),
            "notes": (f"{r.dimension} gap: {r.advantaged_group} (a) vs {r.disadvantaged_group} "
                      f"(d); statistics of gap_pp = a - d. {note}").strip(),
            "unit": "gap_pp in percentage points; parity_ratio and relative_gap ratios",
            "source": r.source,
            **_release_and_files(ctx, used, [r.source], [r.indicator]),
            "breaks": ctx.breaks_for([r.source], [r.indicator]),
            "citation": ctx.cite.get(r.source, ""), "citation_keys": ctx.keys.get(r.source, ""),
            **_extent(sub), **summary_stats(sub["gap_pp"])})
    out = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
    for col in ("first_year", "last_year", "n"):
        out[col] = out[col].astype("Int64")
    for col in STAT_COLUMNS[1:]:
        out[col] = out[col].astype("float64")
    text = [c for c in CODEBOOK_COLUMNS if c not in STAT_COLUMNS
            and c not in ("first_year", "last_year", "n_countries", "n_values")]
    out[text] = out[text].fillna("")
    return out


def coverage_table(panel: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Countries with a value per variable and year (the codebook's full coverage table)."""
    frames = []
    for col in panel.columns:
        if col in ID_COLUMNS:
            continue
        counts = per_year(panel.loc[panel[col].notna(), ["iso3", "year"]])
        frames.append(pd.DataFrame({"table": "panel", "variable": col, "year": counts.index,
                                    "n_countries": counts.to_numpy()}))
    for key, sub in gaps.groupby(["dimension", "indicator"], sort=True):
        counts = per_year(sub)
        frames.append(pd.DataFrame({"table": "gaps", "variable": f"{key[0]}:{key[1]}",
                                    "year": counts.index, "n_countries": counts.to_numpy()}))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"year": "int64", "n_countries": "int64"})[COVERAGE_COLUMNS]


# --------------------------------------------------------------------------- citations

def _bib_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"),
                 ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(a, b)
    return text


def _persons(authors: str) -> list[tuple[str, str]]:
    out = []
    for person in (a.strip() for a in authors.split(";") if a.strip()):
        family, _, given = person.partition(",")
        out.append((family.strip(), given.strip()))
    return out


def _accessed(ctx: _Context | None, source: str) -> str:
    if ctx is None or ctx.input_files.empty:
        return ""
    dates = ctx.input_files.loc[ctx.input_files["source"] == source, "modified"]
    dates = sorted(set(dates) - {""})
    return dates[-1] if dates else ""


def render_bibtex(sources: list[str], ctx: _Context | None = None) -> str:
    """BibTeX entries (``@misc``, UTF-8) for ``sources`` from ``data/sources.csv``."""
    table = citations_table().set_index("source")
    entries = []
    for s in sources:
        r = table.loc[s]
        if not r["key"]:
            continue
        author = (" and ".join(f"{_bib_escape(f)}, {_bib_escape(g)}" if g else _bib_escape(f)
                               for f, g in _persons(r["authors"]))
                  if r["authors"] else "{" + _bib_escape(r["organisation"]) + "}")
        fields = [("author", author), ("title", "{" + _bib_escape(r["title"]) + "}"),
                  ("year", r["year"]), ("edition", _bib_escape(r["edition"])),
                  ("publisher", _bib_escape(r["publisher"])),
                  ("address", _bib_escape(r["place"])), ("url", r["url"]),
                  ("urldate", _accessed(ctx, s)),
                  ("note", _bib_escape(f"Dataset. Licence: {r['licence']}" if r["licence"]
                                       else "Dataset"))]
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
        entries.append(f"@misc{{{r['key']},\n{body}\n}}\n")
    return "\n".join(entries)


def render_csl_json(sources: list[str], ctx: _Context | None = None) -> list[dict]:
    """CSL-JSON items (type ``dataset``) for ``sources`` from ``data/sources.csv``."""
    table = citations_table().set_index("source")
    items = []
    for s in sources:
        r = table.loc[s]
        if not r["key"]:
            continue
        authors = ([{"family": f, "given": g} for f, g in _persons(r["authors"])]
                   if r["authors"] else [{"literal": r["organisation"]}])
        item = {"id": r["key"], "type": "dataset", "title": r["title"], "author": authors,
                "issued": {"date-parts": [[int(r["year"])]]}, "publisher": r["publisher"],
                "publisher-place": r["place"], "edition": r["edition"], "URL": r["url"],
                "note": f"Licence: {r['licence']}" if r["licence"] else ""}
        accessed = _accessed(ctx, s)
        if accessed:
            item["accessed"] = {"date-parts": [[int(x) for x in accessed.split("-")]]}
        items.append({k: v for k, v in item.items() if v not in ("", None)})
    return items


def cited_sources(table: pd.DataFrame) -> list[str]:
    """Sources of ``sources.csv`` that a codebook names in its citation keys, in order."""
    keys = {k for cell in table["citation_keys"] for k in str(cell).split("; ") if k}
    cites = citations_table()
    return [s for s, k in zip(cites["source"], cites["key"]) if k and k in keys]


# --------------------------------------------------------------------------- rendering

def _md_cell(value: object) -> str:
    return "" if pd.isna(value) else str(value).replace("|", "\\|").replace("\n", " ")


def _fmt(x: float) -> str:
    if pd.isna(x):
        return ""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def render_markdown(table: pd.DataFrame, data: str, manifest: dict,
                    coverage: pd.DataFrame | None = None) -> str:
    kind = provenance.DEMO_LABEL if data == "demo" else "real published files"
    shape = manifest.get("panel_shape", ["?", "?"])
    lines = [f"# divides codebook ({kind})", "",
             (f"Generated by `divides codebook --data {data}` from the build in "
              f"`data/processed/{data}/` and the indicator catalogue; do not edit by hand. "
              "Also written: `codebook.csv`, `codebook.json`, `codebook_coverage.csv` "
              "(countries per variable and year), `citations.bib` and `citations.json` "
              "(CSL-JSON)."), "",
             (f"Panel: {shape[0]} country-years, {manifest.get('panel_countries', '?')} "
              f"countries; gaps: {manifest.get('gaps_rows', '?')} rows. Package "
              f"{manifest.get('package_version')}."), "",
             ("Definitions are the publishers' own where their downloads ship a metadata file "
              "(WDI `Metadata_Indicator`, Findex `Series - Metadata`, ITU `Definitions`); "
              "otherwise the catalogue's, as each entry says. *Retrieved* is the date each "
              "input file was written into the raw folder (the download date when `divides "
              "fetch` wrote it). Coverage lists countries per year, consecutive years with "
              "the same count merged (`2017-2023:180`)."), ""]
    spark = {}
    if coverage is not None and len(coverage):
        for (tab, var), part in coverage.groupby(["table", "variable"]):
            spark[(tab, var)] = sparkline(part.set_index("year")["n_countries"])
    for tab, title in (("panel", "Panel (`panel.parquet`, one row per iso3 and year)"),
                       ("gaps", "Gaps (`gaps.parquet`)")):
        lines += [f"## {title}", ""]
        for r in table[table["table"] == tab].itertuples():
            years = (f"{r.first_year}-{r.last_year}" if pd.notna(r.first_year) else "no data")
            lines += [f"### `{r.variable}`", ""]
            if r.warnings:
                lines += [f"> **Warning:** {_md_cell(r.warnings)}", ""]
            if r.publisher_code:
                lines.append(f"* Publisher code: {_md_cell(r.publisher_code)}"
                             + (f" ({_md_cell(r.publisher_name)})" if r.publisher_name else ""))
            lines += [f"* Definition: {_md_cell(r.definition)}",
                      f"* Definition from: {_md_cell(r.definition_source)}"]
            if r.notes:
                lines.append(f"* Notes: {_md_cell(r.notes)}")
            lines += [f"* Unit: {_md_cell(r.unit)}", f"* Source: {_md_cell(r.source)}"]
            if r.release:
                lines.append(f"* Release: {_md_cell(r.release)}")
            if r.retrieved:
                lines.append(f"* Retrieved: {_md_cell(r.retrieved)}")
            lines.append(f"* Years: {years}; countries: {r.n_countries}; values: {r.n_values}")
            if r.coverage:
                sp = spark.get((tab, r.variable), "")
                lines.append("* Coverage (countries per year): "
                             + (f"`{sp}` " if sp else "") + _md_cell(r.coverage))
            if pd.notna(r.n) and r.n:
                lines.append("* Summary: " + "; ".join(
                    f"{k} {_fmt(getattr(r, k)) if k != 'n' else f'{r.n:,}'}"
                    for k in STAT_COLUMNS))
            for b in [x for x in r.breaks.split(" | ") if x]:
                lines.append(f"* Comparability break: {_md_cell(b)}")
            if r.citation:
                lines.append(f"* Citation: {_md_cell(r.citation)}"
                             + (f" [{r.citation_keys}]" if r.citation_keys else ""))
            lines.append("")
    return "\n".join(lines)


def _json_value(v: object) -> object:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def render_json(table: pd.DataFrame, coverage: pd.DataFrame, data: str, manifest: dict) -> dict:
    by_var = {(t, v): {str(y): int(n) for y, n in zip(p["year"], p["n_countries"])}
              for (t, v), p in coverage.groupby(["table", "variable"])} if len(coverage) else {}
    variables = []
    for rec in table.to_dict("records"):
        item = {k: _json_value(v) for k, v in rec.items()}
        item["coverage_by_year"] = by_var.get((rec["table"], rec["variable"]), {})
        variables.append(item)
    return {"data": data, "label": provenance.DEMO_LABEL if data == "demo" else "real",
            "package_version": manifest.get("package_version"),
            "build_key": manifest.get("build_key"),
            "panel_shape": manifest.get("panel_shape"), "variables": variables}


# --------------------------------------------------------------------------- writing

OUTPUT_FILES = ("codebook.md", "codebook.csv", "codebook.json", "codebook_coverage.csv",
                "citations.bib", "citations.json")


def output_paths(out_dir: str | Path) -> list[Path]:
    """The files :func:`write_codebook` writes into ``out_dir``."""
    return [Path(out_dir) / name for name in OUTPUT_FILES]


def write_codebook(data: str = "demo", build: bool | None = None,
                   processed: str | Path | None = None,
                   out_dir: str | Path | None = None) -> list[Path]:
    """Write the codebook files into ``reports/<data>/`` (or ``out_dir``).

    ``build``: True builds first (the usual); False uses the existing build as it is;
    None (default) builds, but falls back to the existing build when the raw files are
    absent (a codebook needs only ``data/processed/<data>/``).
    """
    from divides import build as build_face

    src = Path(processed) if processed is not None else config.processed_dir(data)
    if build is not False and processed is None:
        try:
            build_face.build(data=data)
        except FileNotFoundError as exc:
            if build or not (src / "manifest.json").exists():
                raise
            warnings.warn(f"divides codebook: raw files unavailable ({exc}); using the "
                          f"existing build in {src}", stacklevel=2)
    outputs = load_build(src)
    if outputs.definitions is None:
        warnings.warn(f"divides codebook: {src} has no definitions.csv (built before the "
                      "codebook capture); catalogue definitions only. Rebuild with "
                      "`divides build --force`.", stacklevel=2)
    if outputs.cell_sources is None:
        warnings.warn(f"divides codebook: {src} has no cell_sources.parquet (built before "
                      "the build recorded which file gave each cell); no file is named per "
                      "panel column. Rebuild with `divides build --force`.", stacklevel=2)
    table = codebook_table(outputs.panel, outputs.gaps, outputs.cell_sources,
                           outputs.manifest, outputs.definitions, outputs.input_files)
    cov = coverage_table(_bare(outputs.panel), _bare(outputs.gaps))
    ctx = _context(outputs.manifest, outputs.definitions, outputs.input_files)
    out = Path(out_dir) if out_dir is not None else config.reports_dir(data)
    out.mkdir(parents=True, exist_ok=True)
    paths = {p.name: p for p in output_paths(out)}
    paths["codebook.md"].write_text(render_markdown(table, data, outputs.manifest, cov) + "\n",
                                    encoding="utf-8")
    table.to_csv(paths["codebook.csv"], index=False, lineterminator="\n")
    paths["codebook.json"].write_text(json.dumps(render_json(table, cov, data,
                                                             outputs.manifest),
                                                 indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    cov.to_csv(paths["codebook_coverage.csv"], index=False, lineterminator="\n")
    sources = cited_sources(table)
    paths["citations.bib"].write_text(render_bibtex(sources, ctx), encoding="utf-8")
    paths["citations.json"].write_text(json.dumps(render_csl_json(sources, ctx), indent=1,
                                                  ensure_ascii=False) + "\n", encoding="utf-8")
    return list(paths.values())
