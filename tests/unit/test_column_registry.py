"""The column registry (data/build/columns.csv) and the source table (data/sources.csv):
every column and source is described once, and the tables that name them agree."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from divides import catalogue, config
from divides.acquire import downloads, publishers
from divides.build import rules
from divides.figures import style
from divides.models import estimators

pytestmark = pytest.mark.unit


def test_every_series_feeds_a_registered_column():
    reg = set(catalogue.column_names("panel", roles=("value",)))
    cat = catalogue.indicators()
    fed = set(cat.loc[cat["panel_column"] != "", "panel_column"])
    assert fed, "indicators.csv names no panel column"
    assert not fed - reg, f"indicators.csv panel_column without a registry row: {fed - reg}"
    ruled = set(pd.read_csv(config.PANEL_RULES_CSV, dtype=str)["panel_column"])
    assert not ruled - reg, f"panel_rules.csv panel_column without a registry row: {ruled - reg}"


def test_registry_sources_are_the_series_sources_in_priority_order():
    cand = rules.panel_candidates()
    cat = catalogue.indicators().drop_duplicates(["indicator", "breakdown", "group"])
    cand = cand.merge(cat[["indicator", "breakdown", "group", "source"]],
                      on=["indicator", "breakdown", "group"])
    for col, part in cand.sort_values("priority").groupby("panel_column"):
        assert catalogue.column_sources(col, "panel") == list(dict.fromkeys(part["source"])), col
    assert catalogue.column_sources("internet_users_pct") == ["wdi", "itu"]
    assert catalogue.column_sources("log_gdp_pc_ppp") == ["wdi"]  # follows derived_from
    assert catalogue.column_sources("iso3") == ["derived"]


def test_every_source_named_anywhere_has_a_sources_row():
    known = set(catalogue.sources()["source"])
    named = (set(catalogue.indicators()["source"])
             | {s for cell in catalogue.columns()["source"] for s in cell.split(";")}
             | {e.source for e in downloads.load_catalogue()}
             | {e.source for e in publishers.load_endpoints()})
    assert not named - known, f"sources without a row in sources.csv: {named - known}"


def _use(path, value, monkeypatch, tmp_path, attr, reader):
    target = tmp_path / path.name
    target.write_text(value, encoding="utf-8")
    monkeypatch.setattr(config, attr, target)
    reader.cache_clear()


def test_registry_refuses_an_empty_label_and_a_duplicate(tmp_path, monkeypatch):
    text = config.COLUMNS_CSV.read_text(encoding="utf-8")
    first = text.splitlines()[1]
    blank = first.replace(",ISO3 code,", ",,", 1)
    assert blank != first
    try:
        _use(config.COLUMNS_CSV, text.replace(first, blank, 1), monkeypatch, tmp_path,
             "COLUMNS_CSV", catalogue.columns)
        with pytest.raises(ValueError, match=r"columns.csv row 2 \(panel.iso3\): empty label"):
            catalogue.columns()
        _use(config.COLUMNS_CSV, text + first + "\n", monkeypatch, tmp_path, "COLUMNS_CSV",
             catalogue.columns)
        with pytest.raises(ValueError, match="panel.iso3 listed twice"):
            catalogue.columns()
    finally:
        monkeypatch.undo()
        catalogue.columns.cache_clear()
    assert len(catalogue.columns())


def test_unknown_column_is_named():
    with pytest.raises(KeyError, match="no_such_column.*columns.csv"):
        catalogue.column_label("no_such_column")


def test_figures_and_models_read_the_registry():
    assert style.label("cpi_score") == "CPI score (0-100, 100 = very clean)"
    assert style.label("gap_pp") == "Access gap (advantaged - disadvantaged) (percentage points)"
    assert style.label("egdi_lag2") == "E-Government Development Index (EGDI), lagged 2 years (0-1)"
    with pytest.raises(ValueError, match="log_population.*columns.csv"):
        style.label("log_population")  # a figure never shows a name for want of words
    assert style.source_label("natural_earth") == "Natural Earth 1:110m (public domain)"
    assert style.sources_for_columns(["log_gdp_pc_ppp", "gap_pp", "egdi"]) == ["wdi", "egov"]
    empty = pd.DataFrame()
    assert estimators.sources_for(empty, ["log_gdp_pc_ppp_lag1", "egdi", "year"]) == \
        "derived;egov;wdi"


#: Per-file licences (downloads.csv, publishers.csv) that differ from their source's licence
#: in sources.csv, on purpose: (source, licence family of the file) -> why. Any other
#: difference fails, so the two never contradict silently.
LICENCE_DIFFERENCES = {
    ("cpi", "pddl"): "the datahub.io legacy 0-10 copy, as its packagers declare it",
    ("egov", "not stated"): "the UN files state none; sources.csv cites the UN terms of use",
    ("sdg", "not stated"): "the UN files state none; sources.csv cites the UN terms of use",
    ("unesco", "not stated"): "the 2019 extract states none; UIS terms usually apply",
    ("unesco", "cc by-sa 4.0"): "the current UIS export README says 4.0; sources.csv keeps "
                                "the 3.0 IGO of the 2019 extract the build reads",
}


def _family(licence: str) -> str:
    head = re.split(r"[(;]", licence, maxsplit=1)[0].strip().lower()
    return "not stated" if head in ("none stated", "not stated") else head


def test_file_licences_never_contradict_their_source_silently():
    by_source = {s: _family(lic) for s, lic in zip(catalogue.sources()["source"],
                                                    catalogue.sources()["licence"])}
    rows = ([(e.source, e.path, e.licence) for e in downloads.load_catalogue()]
            + [(e.source, e.path, e.licence) for e in publishers.load_endpoints()])
    assert rows
    unexplained = [(s, p, lic) for s, p, lic in rows
                   if _family(lic) != by_source[s] and (s, _family(lic)) not in LICENCE_DIFFERENCES]
    assert not unexplained, unexplained
    seen = {(s, _family(lic)) for s, _, lic in rows}
    stale = set(LICENCE_DIFFERENCES) - seen
    assert not stale, f"LICENCE_DIFFERENCES lists differences no file has: {stale}"
