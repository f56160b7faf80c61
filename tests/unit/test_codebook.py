"""The codebook on the demo build and on inline frames: statistics, coverage, releases,
breaks, warnings, citations, and a codebook made with no raw folder at all."""

from __future__ import annotations

import json
import os
import shutil
import warnings

import bibtexparser
import jsonschema
import numpy as np
import pandas as pd
import pytest

from divides import config, provenance
from divides.build import assemble, capture, panel, rules
from divides.report import codebook

pytestmark = pytest.mark.unit

#: The keys a CSL-JSON item must have here (a subset of the CSL data schema, stricter
#: on what a dataset citation needs).
CSL_SCHEMA = {
    "type": "array", "minItems": 1,
    "items": {
        "type": "object",
        "required": ["id", "type", "title", "author", "issued", "publisher", "URL"],
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "type": {"enum": ["dataset"]},
            "title": {"type": "string", "minLength": 1},
            "author": {"type": "array", "minItems": 1, "items": {
                "anyOf": [{"required": ["family", "given"]}, {"required": ["literal"]}]}},
            "issued": {"type": "object", "required": ["date-parts"], "properties": {
                "date-parts": {"type": "array", "items": {"type": "array", "items": {
                    "type": "integer"}, "minItems": 1}}}},
            "accessed": {"type": "object", "required": ["date-parts"]},
            "URL": {"type": "string", "pattern": "^https?://"},
        },
    },
}


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed") / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel.build("demo", out_dir=out, progress=False)
    return out


@pytest.fixture(scope="module")
def outputs(demo_build):
    return codebook.load_build(demo_build)


@pytest.fixture(scope="module")
def table(outputs):
    return codebook.codebook_table(outputs.panel, outputs.gaps, outputs.cell_sources,
                                   outputs.manifest, outputs.definitions, outputs.input_files)


def _row(table, variable):
    hit = table[table["variable"] == variable]
    assert len(hit) == 1, variable
    return hit.iloc[0]


def test_build_captures_definitions_and_input_files(demo_build):
    defs = pd.read_csv(demo_build / capture.DEFINITIONS_CSV, keep_default_na=False)
    assert set(defs["source"]) == {"wdi", "findex", "itu"}
    wdi = defs[(defs.source == "wdi") & (defs.publisher_code == "IT.NET.USER.ZS")]
    assert len(wdi) == 1 and wdi["definition"].iloc[0]
    files = pd.read_csv(demo_build / capture.INPUT_FILES_CSV, keep_default_na=False)
    api = files[files.path.str.startswith("wb_wdi/api_csv/API_IT.NET.USER.ZS")]
    assert len(api) == 1 and api["publisher_stamp"].iloc[0][:2] in ("19", "20")


def test_publisher_stamp(tmp_path):
    api = tmp_path / "API_X.csv"
    api.write_text('\ufeff"Data Source","World Development Indicators",\n\n'
                   '"Last Updated Date","2025-04-15",\n\n"Country Name"\n', encoding="utf-8")
    bank = tmp_path / "bank.csv"
    bank.write_text("a,b\n1,2\n,,\nData from database: WDI,,\nLast Updated: 05/25/2022,,\n")
    none = tmp_path / "none.csv"
    none.write_text("a,b\n1,2\n")
    assert capture.publisher_stamp(api) == "2025-04-15"
    assert capture.publisher_stamp(bank) == "2022-05-25"
    assert capture.publisher_stamp(none) == ""


def test_every_variable_and_definition_from_publisher(table, outputs):
    assert set(outputs.panel.columns) <= set(table.loc[table.table == "panel", "variable"])
    assert table["definition"].str.len().gt(0).all()
    internet = _row(table, "internet_users_pct")
    defs = outputs.definitions
    note = defs.loc[(defs.source == "wdi") & (defs.publisher_code == "IT.NET.USER.ZS"),
                    "definition"].iloc[0]
    assert internet["definition"] == note
    assert internet["definition_source"].startswith("publisher metadata: Metadata_Indicator_")
    assert internet["publisher_code"].startswith("wdi:IT.NET.USER.ZS")
    cpi = _row(table, "cpi_score")
    assert cpi["definition_source"].startswith("catalogue") and "ships no metadata" in \
        cpi["definition_source"]


def test_summary_stats_equal_pandas(table, outputs):
    for col in ("cpi_score", "internet_users_pct", "egdi", "log_gdp_pc_ppp"):
        s = outputs.panel[col].dropna()
        r = _row(table, col)
        assert r["n"] == len(s)
        assert r["mean"] == pytest.approx(s.mean())
        assert r["sd"] == pytest.approx(s.std(ddof=1))
        assert r["min"] == s.min() and r["max"] == s.max()
        assert r["p25"] == pytest.approx(s.quantile(0.25))
        assert r["median"] == pytest.approx(s.median())
        assert r["p75"] == pytest.approx(s.quantile(0.75))
    gap = outputs.gaps
    first = table[(table.table == "gaps") & table.variable.str.contains(":")].iloc[0]
    dim, ind = first["variable"].split(":")
    sub = gap[(gap.dimension == dim) & (gap.indicator == ind)]["gap_pp"].dropna()
    assert first["n"] == len(sub) and first["mean"] == pytest.approx(sub.mean())


def test_summary_and_coverage_on_inline_values():
    s = codebook.summary_stats(pd.Series([1.0, 2.0, None, 3.0, 10.0]))
    assert s["n"] == 4 and s["mean"] == 4.0 and s["median"] == 2.5 and s["max"] == 10.0
    assert codebook.summary_stats(pd.Series([], dtype=float))["n"] == 0
    counts = pd.Series([5, 5, 6, 6, 7], index=[2010, 2011, 2012, 2014, 2015])
    assert codebook.compact_coverage(counts) == "2010-2011:5 2012:6 2014:6 2015:7"
    spark = codebook.sparkline(counts)
    assert len(spark) == 6 and spark[3] == " " and spark[-1] == "█"


def test_coverage_column_and_full_table_agree(table, outputs):
    cov = codebook.coverage_table(outputs.panel, outputs.gaps)
    part = cov[(cov.table == "panel") & (cov.variable == "cpi_score")]
    p = outputs.panel
    assert part.set_index("year")["n_countries"].to_dict() == \
        p[p.cpi_score.notna()].groupby("year").iso3.nunique().to_dict()
    assert _row(table, "cpi_score")["coverage"] == codebook.compact_coverage(
        part.set_index("year")["n_countries"])


def _recomputed_winners(obs: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    """The attribution as the codebook recomputed it from the observations before the build
    wrote ``cell_sources.parquet``, with the file rule spelled out here: year limits, one
    release per series, then per key the better channel, the newer release found in the
    content, the file name; then the series priority."""
    releases = {tuple(k.split("/", 1)): v for k, v in manifest["file_releases"].items()}
    cand = rules.panel_candidates()
    t = obs.merge(cand[["indicator", "breakdown", "group", "panel_column", "priority",
                        "year_min", "year_max"]], on=["indicator", "breakdown", "group"])
    t = t[~((t["year"] < t["year_min"]) | (t["year"] > t["year_max"]))]
    aside, _ = assemble.choose_releases(t, releases)
    t = t.loc[~aside]
    pairs = set(zip(t["source"], t["file"]))
    channel = {p: rules.file_rule(*p)["priority"] for p in pairs}
    t = t.assign(channel=[channel[p] for p in zip(t["source"], t["file"])],
                 found=[releases.get(p, "") for p in zip(t["source"], t["file"])])
    key = ["iso3", "year", "indicator", "breakdown", "group"]
    t = t.sort_values(key + ["channel", "found", "file"],
                      ascending=[True] * len(key) + [True, False, True], kind="mergesort")
    t = t.drop_duplicates(key, keep="first")
    t = t.sort_values(["iso3", "year", "panel_column", "priority"], kind="mergesort")
    t = t.drop_duplicates(["iso3", "year", "panel_column"], keep="first")
    return t[codebook.WINNER_COLUMNS]


def test_cell_sources_give_the_winners_the_codebook_recomputed(outputs, demo_build):
    obs = pd.read_parquet(demo_build / "observations.parquet")
    cells = outputs.cell_sources
    new = codebook.panel_winners(cells).sort_values(["iso3", "year", "panel_column"])
    old = _recomputed_winners(obs, outputs.manifest).sort_values(
        ["iso3", "year", "panel_column"])
    assert len(new) > 1000
    pd.testing.assert_frame_equal(new.reset_index(drop=True), old.reset_index(drop=True),
                                  check_dtype=False)
    # the edition of each cell is the one its reader found (the manifest's file_releases)
    found = outputs.manifest["file_releases"]
    assert (cells["release"] == [found.get(f"{s}/{f}", "")
                                 for s, f in zip(cells["source"], cells["file"])]).all()
    assert {"2023", "2025-04-15"} <= set(cells["release"])
    # the codebook's per-column editions are those the build recorded in its manifest
    for col, entries in outputs.manifest["column_editions"].items():
        counts = new[new["panel_column"] == col].groupby(["source", "file"]).size()
        assert {(e["source"], e["file"]): e["values"] for e in entries} == counts.to_dict()


def test_cell_sources_one_row_per_panel_cell(outputs, demo_build):
    cells = outputs.cell_sources
    assert not cells.duplicated(["iso3", "year", "panel_column"]).any()
    long = outputs.panel.melt(id_vars=["iso3", "year"], value_vars=rules.panel_columns(),
                              var_name="panel_column").dropna(subset=["value"])
    merged = long.merge(cells, on=["iso3", "year", "panel_column"], how="outer",
                        suffixes=("", "_cell"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert len(cells) == len(long)
    assert (merged["value"] - merged["value_cell"]).abs().max() < 1e-12
    # a read cell's value is the observation of the file it names
    obs = pd.read_parquet(demo_build / "observations.parquet")
    read = cells[cells["derived_from"] == ""]
    hit = read.merge(obs, on=["iso3", "year", "indicator", "breakdown", "group", "source",
                              "file"], how="left", suffixes=("", "_obs"))
    assert len(hit) == len(read) and hit["value_obs"].notna().all()
    assert (hit["value"] - hit["value_obs"]).abs().max() < 1e-12
    # a derived cell names the file of the cell it is computed from
    derived = cells[cells["derived_from"] != ""]
    assert set(derived["panel_column"]) == set(rules.DERIVED_COLUMNS) and len(derived)
    base = derived.merge(read, left_on=["iso3", "year", "derived_from"],
                         right_on=["iso3", "year", "panel_column"], suffixes=("", "_base"))
    assert len(base) == len(derived)
    assert (base["file"] == base["file_base"]).all()
    assert np.allclose(base["value"], np.log(base["value_base"]))


def test_cell_sources_loader(outputs, demo_build, tmp_path, monkeypatch):
    """divides.load_cell_sources reads the table of the current build, which the manifest
    lists with its sha256 (checked before every load) and which carries the build key."""
    import divides
    from divides.build import store

    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path)
    os.symlink(demo_build, tmp_path / "demo")
    cells = divides.load_cell_sources("demo", build=False)
    assert provenance.data_kind(cells) == "demo"
    pd.testing.assert_frame_equal(cells, outputs.cell_sources)
    current = store.current_dir(demo_build)
    assert "cell_sources.parquet" in outputs.manifest["outputs"]
    assert store.parquet_build_key(current / "cell_sources.parquet") == \
        outputs.manifest["build_key"]


def test_release_fallback_names_files_and_editions(table):
    cpi = _row(table, "cpi_score")
    assert "CPI2023_GlobalResultsTrends.xlsx (edition 2023)" in cpi["release"]
    internet = _row(table, "internet_users_pct")
    # WDI revises history (data/build/releases.csv): its release comes from the manifest's record
    assert internet["release"].startswith("wdi 2025-04-15 (")
    assert "[API_IT.NET.USER.ZS" in internet["release"] and "set aside: wdi 2022-05-25" \
        in internet["release"]
    assert internet["retrieved"][:2] == "20"


def test_release_from_manifest_releases(outputs):
    manifest = dict(outputs.manifest, releases=[
        {"source": "wgi", "indicator": "wgi_*", "release": "2024 update", "status": "used",
         "files": ["wgidataset.xlsx"], "years": [1996, 2023]},
        {"source": "wgi", "indicator": "wgi_cc_estimate", "release": "2025 release",
         "status": "set_aside", "files": ["CC.EST.json"], "years": [2015]},
        {"source": "cpi", "indicator": "cpi_score", "release": "CPI 2025", "status": "used",
         "files": ["CPI2025_Results.xlsx"], "years": [2012, 2025], "retrieved": "2026-02-11"},
    ])
    t = codebook.codebook_table(outputs.panel, outputs.gaps, outputs.cell_sources, manifest,
                                outputs.definitions, outputs.input_files)
    cc = _row(t, "wgi_cc_estimate")["release"]
    assert cc == ("wgi 2024 update (1996-2023) [wgidataset.xlsx]; set aside: wgi 2025 release "
                  "(2015) [CC.EST.json]")
    assert _row(t, "wgi_ge_estimate")["release"] == "wgi 2024 update (1996-2023) [wgidataset.xlsx]"
    assert _row(t, "cpi_score")["release"] == "cpi CPI 2025 (2012-2025) [CPI2025_Results.xlsx]"
    assert "edition" not in _row(t, "cpi_score")["release"]
    assert _row(t, "cpi_score")["retrieved"] == "2026-02-11"
    # entries without a retrieval date leave the file dates
    assert _row(t, "wgi_cc_estimate")["retrieved"] == _row(
        codebook.codebook_table(outputs.panel, outputs.gaps, outputs.cell_sources,
                                outputs.manifest, outputs.definitions, outputs.input_files),
        "wgi_cc_estimate")["retrieved"]
    # an entry of another source or indicator does not apply
    legacy = _row(t, "cpi_score_0_10_legacy")["release"]
    assert "CPI 2025" not in legacy and "cpi.csv (edition datahub)" in legacy


def test_breaks_are_data_and_shown(table):
    breaks = codebook.comparability_breaks()
    assert {"cpi", "egov", "wgi", "itu"} <= set(breaks["source"])
    assert "2012 (scale)" in _row(table, "cpi_score")["breaks"]
    egdi = _row(table, "egdi")["breaks"]
    assert all(f"{y} (methodology)" in egdi for y in (2008, 2010, 2012, 2014))
    assert "(release)" in _row(table, "wgi_cc_estimate")["breaks"]
    assert "(edition)" in _row(table, "internet_users_pct")["breaks"]
    assert _row(table, "population")["breaks"] == ""


def test_modified_copy_warning(outputs, table):
    # the demo set has no modified copy: no EGOV warning
    assert _row(table, "egdi")["warnings"] == ""
    # a build whose 2024 EGOV values come from un_egov/modified/ gets the warning
    cells = outputs.cell_sources
    egov = cells[(cells.source == "egov") & (cells.year == 2022)].assign(
        year=2024, file="EGOV_DATA_2024.csv")
    p = outputs.panel.copy()
    manifest = dict(outputs.manifest, input_sha256=dict(
        outputs.manifest["input_sha256"], **{"un_egov/modified/EGOV_DATA_2024.csv": "0" * 64}))
    t = codebook.codebook_table(p, outputs.gaps, pd.concat([cells, egov]), manifest,
                                outputs.definitions, outputs.input_files)
    w = _row(t, "egdi")["warnings"]
    assert w.startswith("un_egov/modified/EGOV_DATA_2024.csv (2024, ")
    assert "modified by its owner" in w
    assert _row(t, "cpi_score")["warnings"] == ""


def test_citations_bibtex_and_csl(table, tmp_path):
    sources = codebook.cited_sources(table)
    assert {"wdi", "wgi", "cpi", "itu", "egov", "findex", "sdg", "unesco"} <= set(sources)
    bib = codebook.render_bibtex(sources)
    db = bibtexparser.loads(bib)
    keys = {e["ID"] for e in db.entries}
    cites = codebook.citations_table().set_index("source")
    assert keys == {cites.loc[s, "key"] for s in sources}
    for e in db.entries:
        assert e["ENTRYTYPE"] == "misc"
        assert {"author", "title", "year", "publisher", "url"} <= set(e), e["ID"]
    wgi = next(e for e in db.entries if e["ID"] == cites.loc["wgi", "key"])
    assert wgi["author"] == "Kaufmann, Daniel and Kraay, Aart"
    csl = codebook.render_csl_json(sources)
    jsonschema.validate(csl, CSL_SCHEMA)
    assert {i["id"] for i in csl} == keys
    # the schema is a real check: an item without a title fails it
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{k: v for k, v in csl[0].items() if k != "title"}], CSL_SCHEMA)


def test_every_column_of_the_demo_build_has_a_registry_row(outputs):
    """The column registry (data/build/columns.csv) describes each column the build writes,
    with a label and a unit; the codebook takes its units from there."""
    from divides import catalogue

    for table, frame in (("panel", outputs.panel), ("gaps", outputs.gaps)):
        listed = catalogue.column_names(table)
        missing = [c for c in frame.columns if c not in listed]
        assert not missing, f"{table} columns without a row in columns.csv: {missing}"
        for col in frame.columns:
            row = catalogue.column_row(col, table)
            assert row["label"].strip() and row["unit"].strip(), (table, col)
    assert list(outputs.panel.columns) == rules.PANEL_ID_COLUMNS + rules.panel_columns()


def test_sources_csv_has_bibtex_fields():
    cites = codebook.citations_table()
    keyed = cites[cites["key"] != ""]
    assert not keyed["key"].duplicated().any()
    for col in ("year", "title", "publisher", "url", "edition"):
        assert (keyed[col] != "").all(), col
    assert ((keyed["authors"] != "") | (keyed["organisation"] != "")).all()
    assert keyed["year"].str.fullmatch(r"\d{4}").all()


def test_codebook_needs_no_raw_folder(demo_build, tmp_path, monkeypatch):
    processed = tmp_path / "processed"
    shutil.copytree(demo_build, processed / "demo", ignore=shutil.ignore_patterns("cache"))
    monkeypatch.setattr(config, "PROCESSED_DIR", processed)
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(config, "DEMO_RAW_DIR", tmp_path / "no-raw-here")
    empty = tmp_path / "empty-real"
    empty.mkdir()
    monkeypatch.setenv(config.REAL_DIR_ENV, str(empty))
    paths = codebook.write_codebook("demo", build=False)
    assert not (tmp_path / "no-raw-here").exists()
    names = {p.name for p in paths}
    assert names == {"codebook.md", "codebook.csv", "codebook.json", "codebook_coverage.csv",
                     "citations.bib", "citations.json"}
    out = tmp_path / "reports" / "demo"
    md = (out / "codebook.md").read_text(encoding="utf-8")
    assert "synthetic demo data" in md and "publisher metadata: Metadata_Indicator_" in md
    csv = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    assert list(csv.columns) == codebook.CODEBOOK_COLUMNS
    doc = json.loads((out / "codebook.json").read_text(encoding="utf-8"))
    cpi = next(v for v in doc["variables"] if v["variable"] == "cpi_score")
    assert sum(cpi["coverage_by_year"].values()) == cpi["n_values"]
    full = pd.read_csv(out / "codebook_coverage.csv")
    assert full.loc[full.variable == "cpi_score", "n_countries"].sum() == cpi["n_values"]
    assert bibtexparser.loads((out / "citations.bib").read_text(encoding="utf-8")).entries
    jsonschema.validate(json.loads((out / "citations.json").read_text()), CSL_SCHEMA)
    # without definitions.csv (an older build) it still writes, with catalogue definitions
    (processed / "demo" / "definitions.csv").unlink()
    with pytest.warns(UserWarning, match="no definitions.csv"):
        codebook.write_codebook("demo", build=False)
    csv = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    assert not csv["definition_source"].str.startswith("publisher metadata").any()
