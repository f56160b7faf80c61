"""The codebook (QoG style), generated from the catalogue and the built tables.

``write_codebook(data)`` writes ``reports/<data>/codebook.md`` and ``codebook.csv``:
every panel column and every gap series with its definition, unit, source(s) and
citation, the years covered and the number of countries. Never edit the output by hand:
definitions live in ``data/indicators.csv``, ``data/panel_columns.csv`` (identifiers,
derived and gap columns), ``data/panel_rules.csv``, ``data/gap_definitions.csv`` and
``data/citations.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from divides import catalogue, config, provenance

CODEBOOK_COLUMNS = ["table", "variable", "definition", "unit", "source", "citation",
                    "first_year", "last_year", "n_countries", "n_values"]


def _citations() -> dict[str, str]:
    table = pd.read_csv(config.PACKAGE_DATA_DIR / "citations.csv", dtype=str,
                        keep_default_na=False)
    return {s: f"{c} {u}".strip() + (f" Licence: {lic}." if lic else "")
            for s, c, u, lic in zip(table["source"], table["citation"], table["url"],
                                    table["licence"])}


def _extent(frame: pd.DataFrame, col: str | None = None) -> dict:
    sub = frame if col is None else frame[frame[col].notna()]
    if sub.empty:
        return {"first_year": pd.NA, "last_year": pd.NA, "n_countries": 0, "n_values": 0}
    return {"first_year": int(sub["year"].min()), "last_year": int(sub["year"].max()),
            "n_countries": int(sub["iso3"].nunique()), "n_values": len(sub)}


def codebook_table(panel: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """One row per panel column, gaps column and gap series."""
    from divides import gaps as gaps_mod
    from divides import panel as panel_mod

    cat = catalogue.indicators().drop_duplicates(["indicator", "breakdown", "group"])
    cite = _citations()
    extra = pd.read_csv(config.PACKAGE_DATA_DIR / "panel_columns.csv", dtype=str,
                        keep_default_na=False)
    cand = panel_mod.panel_candidates().merge(
        cat[["indicator", "breakdown", "group", "source", "name", "unit"]],
        on=["indicator", "breakdown", "group"], how="left")
    rows = []
    for col in panel.columns:
        ext = _extent(panel, col)
        described = extra[(extra["table"] == "panel") & (extra["variable"] == col)]
        if len(described):
            d = described.iloc[0]
            rows.append({"table": "panel", "variable": col, "definition": d["definition"],
                         "unit": d["unit"], "source": d["source"],
                         "citation": cite.get(d["source"], ""), **ext})
            continue
        c = cand[cand["panel_column"] == col].sort_values("priority")
        if c.empty:
            raise ValueError(f"codebook: panel column {col!r} has no definition in "
                             "indicators.csv or panel_columns.csv")
        first = c.iloc[0]
        srcs = "; ".join(f"{r.source} {r.indicator}"
                         + (f" {r.breakdown}/{r.group}" if r.breakdown != "total" else "")
                         + f" (priority {r.priority})" for r in c.itertuples())
        years = []
        if pd.notna(first["year_min"]):
            years.append(f"from {int(first['year_min'])}")
        if pd.notna(first["year_max"]):
            years.append(f"to {int(first['year_max'])}")
        note = f" Years {' '.join(years)} only." if years else ""
        fill = (" Where the priority-1 series has no value, the next one fills the "
                "country-year (data/panel_rules.csv; disagreements in overlaps.csv).") \
            if len(c) > 1 else ""
        rows.append({"table": "panel", "variable": col,
                     "definition": f"{first['name']}.{note}{fill}", "unit": first["unit"],
                     "source": srcs,
                     "citation": " | ".join(dict.fromkeys(cite.get(s, "") for s in c["source"])),
                     **ext})
    for r in extra[extra["table"] == "gaps"].itertuples():
        rows.append({"table": "gaps", "variable": r.variable, "definition": r.definition,
                     "unit": r.unit, "source": r.source, "citation": "", **_extent(gaps)})
    defs = gaps_mod.definitions()
    names = cat.drop_duplicates("indicator").set_index("indicator")
    series = gaps[["dimension", "indicator", "source", "advantaged_group",
                   "disadvantaged_group"]].drop_duplicates()
    for r in series.itertuples():
        sub = gaps[(gaps["dimension"] == r.dimension) & (gaps["indicator"] == r.indicator)
                   & (gaps["source"] == r.source)]
        name = (names.loc[r.indicator, "name"] if r.indicator in names.index
                else r.indicator.replace("_", " "))
        d = defs[(defs["dimension"] == r.dimension) & (defs["source"] == r.source)]
        note = d["note"].iloc[0] if len(d) else ""
        rows.append({"table": "gaps", "variable": f"{r.dimension}:{r.indicator}",
                     "definition": f"{r.dimension} gap in '{name}': {r.advantaged_group} (a) vs "
                                   f"{r.disadvantaged_group} (d). {note}".strip(),
                     "unit": "gap_pp in percentage points; parity_ratio and relative_gap ratios",
                     "source": r.source, "citation": cite.get(r.source, ""), **_extent(sub)})
    out = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
    out["first_year"] = out["first_year"].astype("Int64")
    out["last_year"] = out["last_year"].astype("Int64")
    return out


def _md_cell(value: object) -> str:
    return "" if pd.isna(value) else str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(table: pd.DataFrame, data: str, manifest: dict) -> str:
    kind = provenance.DEMO_LABEL if data == "demo" else "real published files"
    lines = [f"# divides codebook ({kind})", "",
             "Generated by `divides codebook --data " + data + "` from the indicator catalogue "
             "and the built tables; do not edit by hand.", "",
             f"Panel: {manifest.get('panel_shape', ['?', '?'])[0]} country-years, "
             f"{manifest.get('panel_countries', '?')} countries; gaps: "
             f"{manifest.get('gaps_rows', '?')} rows. Package {manifest.get('package_version')}.",
             ""]
    for tab, title in (("panel", "Panel (`panel.parquet`, one row per iso3 and year)"),
                       ("gaps", "Gaps (`gaps.parquet`)")):
        lines += [f"## {title}", ""]
        for r in table[table["table"] == tab].itertuples():
            years = (f"{r.first_year}-{r.last_year}" if pd.notna(r.first_year) else "no data")
            lines += [f"### `{r.variable}`", "",
                      f"* Definition: {_md_cell(r.definition)}",
                      f"* Unit: {_md_cell(r.unit)}",
                      f"* Source: {_md_cell(r.source)}",
                      f"* Years: {years}; countries: {r.n_countries}; values: {r.n_values}"]
            if r.citation:
                lines.append(f"* Citation: {_md_cell(r.citation)}")
            lines.append("")
    return "\n".join(lines)


def write_codebook(data: str = "demo") -> list[Path]:
    """Build if needed, then write ``reports/<data>/codebook.md`` and ``.csv``."""
    from divides import api

    panel = api.load_panel(data=data)
    gaps = api.load_gaps(data=data, build=False)
    manifest = api.load_manifest(data=data, build=False)
    table = codebook_table(panel, gaps)
    out = config.reports_dir(data)
    out.mkdir(parents=True, exist_ok=True)
    md, csv = out / "codebook.md", out / "codebook.csv"
    md.write_text(render_markdown(table, data, manifest) + "\n", encoding="utf-8")
    table.to_csv(csv, index=False, lineterminator="\n")
    return [md, csv]
