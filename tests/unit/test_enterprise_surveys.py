"""The Enterprise Surveys bribe series (WDI IC.FRM.BRIB.ZS, IC.FRM.CORR.ZS, IC.TAX.GIFT.ZS):
catalogue, registry, publishers endpoints, the World Bank API JSON the demo writes and the
readers read, the panel's survey waves (never filled between waves), the planted effect of
e-government recovered by divides.models on the demo build, and the codebook's citation."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from divides import catalogue, demo
from divides.acquire import publishers
from divides.build import panel as panel_build
from divides.models import Spec, fit, tidy_many
from divides.report import codebook
from divides.run import cli
from divides.sources import wdi

pytestmark = pytest.mark.unit

SERIES = {"IC.FRM.BRIB.ZS": ("wdi_bribery_incidence_pct", "bribery_incidence_pct"),
          "IC.FRM.CORR.ZS": ("wdi_informal_payments_pct", "informal_payments_pct"),
          "IC.TAX.GIFT.ZS": ("wdi_tax_gift_expected_pct", "tax_gift_expected_pct")}


# ---------------------------------------------------------------------- catalogues

def test_catalogue_rows_name_unit_range_and_panel_column():
    cat = catalogue.for_source("wdi").set_index("publisher_code")
    for code, (indicator, column) in SERIES.items():
        row = cat.loc[code]
        assert (row["indicator"], row["panel_column"]) == (indicator, column)
        assert row["name"].endswith("(% of firms)") or "% of firms" in row["name"]
        assert row["unit"] == "% of firms"
        assert (row["min_value"], row["max_value"]) == (0.0, 100.0)
    assert cat.loc["IC.FRM.BRIB.ZS", "name"] == ("Bribery incidence (% of firms experiencing "
                                                  "at least one bribe payment request)")


def test_registry_rows_record_the_survey_waves_and_the_origin():
    for _, column in SERIES.values():
        row = catalogue.column_row(column, "panel")
        assert row["role"] == "value" and row["unit"] == "% of firms"
        assert catalogue.column_sources(column) == ["wdi"]
        assert "irregular years" in row["definition"]
        assert "never interpolates" in row["definition"]
    # the publisher's own definition (World Bank API metadata) opens the text
    assert catalogue.column_row("bribery_incidence_pct")["definition"].startswith(
        "Bribery incidence is the percentage of firms experiencing at least one bribe payment "
        "request across 6 public transactions")
    origins = codebook.series_origins()
    assert set(origins.loc[origins["origin"] == "enterprise_surveys", "publisher_code"]) \
        == set(SERIES)
    es = catalogue.source_row("enterprise_surveys")
    assert es["licence"] == "CC BY 4.0" and es["key"] == "worldbank_enterprise_surveys"
    assert "Enterprise Surveys" in es["citation"]


def test_publishers_catalogue_lists_the_three_api_endpoints(capsys):
    lines = publishers.list_endpoints(["wdi"])
    listed = {line.split("\t")[2]: line.split("\t") for line in lines}
    for code in SERIES:
        source, path, _, kind, url = listed[code]
        assert (source, path, kind) == ("wdi", f"wb_wdi/api_v2_json/{code}.json", "wb_api_json")
        assert url == (f"https://api.worldbank.org/v2/country/all/indicator/{code}"
                       "?source=2&format=json&per_page=20000")
    assert all(line.split("\t")[0] == "wdi" for line in lines)
    assert cli.main(["fetch", "--from", "publishers", "--list"]) == 0
    out = capsys.readouterr().out
    for code in SERIES:
        assert f"wb_wdi/api_v2_json/{code}.json\t{code}\twb_api_json" in out
    assert f"{len(publishers.list_endpoints())} endpoints listed (nothing downloaded)" in out
    assert cli.main(["fetch", "--list"]) == 2
    assert "use it with --from publishers" in capsys.readouterr().err


def test_reader_maps_the_api_json_and_drops_nulls_and_aggregates(tmp_path):
    rec = lambda iso3, year, value: {
        "indicator": {"id": "IC.FRM.BRIB.ZS", "value": "Bribery incidence"},
        "country": {"id": "AZ", "value": "Azerbaijan"}, "countryiso3code": iso3,
        "date": str(year), "value": value, "unit": "", "obs_status": "", "decimal": 1}
    records = [rec("WLD", 2019, 15.0), rec("AZE", 2019, 0.7), rec("AZE", 2018, None),
               rec("AZE", 2013, 15.9)]
    meta = {"page": 1, "pages": 1, "per_page": 20000, "total": 4, "sourceid": "2",
            "lastupdated": "2025-07-01"}
    path = tmp_path / "IC.FRM.BRIB.ZS.json"
    path.write_text(json.dumps([meta, records]), encoding="utf-8")
    obs, report = wdi.read(path)
    assert obs[["iso3", "year", "indicator", "value"]].values.tolist() == [
        ["AZE", 2013, "wdi_bribery_incidence_pct", 15.9],
        ["AZE", 2019, "wdi_bribery_incidence_pct", 0.7]]
    assert report.dropped == {"missing": 1, "aggregate": 1}
    assert report.release == "2025-07-01"


# ---------------------------------------------------------------------- demo set

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return demo.generate(tmp_path_factory.mktemp("es_demo") / "demo")


@pytest.fixture(scope="module")
def built(generated, tmp_path_factory):
    out = tmp_path_factory.mktemp("es_processed") / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel_build.build("demo", raw_dir=generated.root, out_dir=out, progress=False)
    return out


@pytest.fixture(scope="module")
def outputs(built):
    return codebook.load_build(built)


def test_demo_waves_are_irregular_two_to_four_per_country(generated):
    waves = generated.world.es_waves
    p = demo.load_params()["bribery"]
    per_country = waves.groupby("iso3")["year"].agg(list)
    assert per_country.map(len).between(p["waves_min"], p["waves_max"]).all()
    assert set(per_country.map(len)) == {2, 3, 4}
    assert (per_country.map(lambda ys: np.diff(ys).min()) >= p["min_gap_years"]).all()
    # irregular: many different wave calendars, not one shared schedule
    assert per_country.map(tuple).nunique() > 0.8 * len(per_country)
    assert per_country["AZE"] == p["case_waves"]
    assert min(p["case_waves"]) < p["case_break_year"] < max(p["case_waves"])


def test_demo_api_json_is_read_back_exactly(generated):
    root = generated.root / "wb_wdi" / "api_v2_json"
    truth = generated.truth[generated.truth["file"].str.endswith(".json")]
    doc = json.loads((root / "IC.FRM.BRIB.ZS.json").read_text(encoding="utf-8"))
    assert len(doc) == 2 and all(page[0]["pages"] == 2 for page in doc)  # saved as its pages
    for code, (indicator, _) in SERIES.items():
        obs, report = wdi.read(root / f"{code}.json")
        want = truth[truth["file"] == f"{code}.json"]
        got = obs.sort_values(["iso3", "year"])[["iso3", "year", "value"]].values.tolist()
        assert got == want.sort_values(["iso3", "year"])[["iso3", "year", "value"]].values.tolist()
        assert set(obs["indicator"]) == {indicator}
        assert report.dropped["aggregate"] > 0 and report.dropped["missing"] > 0


def test_panel_has_values_only_in_wave_years(generated, outputs):
    """Nothing in the build fills the years between waves."""
    panel = outputs.panel
    waves = generated.world.es_waves
    wave_keys = set(zip(waves["iso3"], waves["year"]))
    for _, column in SERIES.values():
        have = panel.loc[panel[column].notna(), ["iso3", "year"]]
        keys = set(zip(have["iso3"], have["year"]))
        if column == "tax_gift_expected_pct":
            asked = waves[waves["tax_question"]]
            assert keys == set(zip(asked["iso3"], asked["year"]))
        else:
            assert keys == wave_keys


def test_twfe_recovers_the_planted_effect_of_egdi_on_bribe_requests(outputs):
    """Planted: -40 pp of firms per unit EGDI (latest EGOV survey before the wave year)."""
    panel = outputs.panel
    beta = demo.load_params()["bribery"]["beta_egdi"]
    spec = Spec("bribery_incidence_pct", ("egdi",), (), estimator="twfe", lag=1,
                lag_rule="latest")
    row = tidy_many([fit(panel, spec)]).set_index("term").loc["egdi_lag1"]
    assert row["ci_high"] < 0 and row["p"] < 0.001
    assert abs(row["coef"] - beta) < 0.25 * abs(beta), row["coef"]
    assert row["n_countries"] >= 100
    # the related series move with bribery incidence (scales 1.3 and 0.7 in the DGP)
    p = demo.load_params()["bribery"]
    for column, scale in (("informal_payments_pct", p["informal_scale"]),
                          ("tax_gift_expected_pct", p["tax_gift_scale"])):
        r = tidy_many([fit(panel, Spec(column, ("egdi",), (), estimator="twfe", lag=1,
                                       lag_rule="latest"))]).set_index("term").loc["egdi_lag1"]
        assert r["ci_high"] < 0
        assert abs(r["coef"] - scale * beta) < 0.4 * abs(scale * beta), (column, r["coef"])


def test_codebook_cites_the_enterprise_surveys(outputs):
    table = codebook.codebook_table(outputs.panel, outputs.gaps, outputs.cell_sources,
                                    outputs.manifest, outputs.definitions, outputs.input_files)
    row = table[table["variable"] == "bribery_incidence_pct"].iloc[0]
    assert row["citation_keys"].split("; ") == ["worldbank_wdi", "worldbank_enterprise_surveys"]
    assert "Enterprise Surveys" in row["citation"]
    sources = codebook.cited_sources(table)
    assert "enterprise_surveys" in sources
    assert "@misc{worldbank_enterprise_surveys," in codebook.render_bibtex(sources)
    # a column without the registry's second source cites only its reader's source
    cpi = table[table["variable"] == "cpi_score"].iloc[0]
    assert "worldbank_enterprise_surveys" not in cpi["citation_keys"]


def test_report_sources_page_cites_the_enterprise_surveys():
    from divides.report import site

    page = site.sources_page()
    assert ("**World Bank** (enterprise\\_surveys): World Bank \\(2025\\). Enterprise "
            "Surveys.") in page
    assert "<https://www.enterprisesurveys.org> Licence: CC BY 4.0." in page


def test_an_origin_without_a_sources_row_is_refused(tmp_path, monkeypatch):
    from divides import config

    bad = tmp_path / "series_origins.csv"
    bad.write_text("source,publisher_code,origin,note\nwdi,IC.FRM.BRIB.ZS,nowhere,x\n",
                   encoding="utf-8")
    monkeypatch.setattr(config, "SERIES_ORIGINS_CSV", bad)
    with pytest.raises(ValueError, match="series_origins.csv row 2: origin 'nowhere' has no "
                                         "row in sources.csv"):
        codebook.series_origins()


# ---------------------------------------------------------------------- case study waves

def _case_panel():
    from divides import provenance

    rows = [("AZE", 2009, 24.8), ("AZE", 2013, 19.4), ("AZE", 2019, 7.4),
            ("GEO", 2008, 20.0), ("GEO", 2019, 10.0),   # both sides: change -10
            ("ARM", 2009, 15.0), ("ARM", 2012, 13.0),   # before only
            ("KAZ", 2014, 9.0),                         # after only
            ("UKR", 2013, None),                        # no wave
            ("MDA", 2010, 10.0), ("MDA", 2016, 12.0)]   # both sides: change +2
    f = pd.DataFrame(rows, columns=["iso3", "year", "bribery_incidence_pct"])
    return provenance.tag(f, "demo")


def test_wave_changes_use_only_observed_waves_on_each_side():
    from divides.models import case

    donors = ["GEO", "ARM", "KAZ", "UKR", "MDA"]
    waves = case.survey_waves(_case_panel(), "bribery_incidence_pct", "AZE", donors, 2013)
    assert len(waves) == 10 and waves["value"].notna().all()   # UKR's empty year is no wave
    assert waves.loc[waves["iso3"] == "AZE", "side"].tolist() == ["before", "after", "after"]
    ch = case.wave_changes(waves, "AZE", donors).set_index("iso3")
    assert ch.loc["AZE", "years_after"] == "2013, 2019"
    assert ch.loc["AZE", "change"] == pytest.approx((19.4 + 7.4) / 2 - 24.8)
    assert ch["status"].to_dict() == {"AZE": "ok", "GEO": "ok", "ARM": "no wave after",
                                      "KAZ": "no wave before", "UKR": "no wave", "MDA": "ok"}
    text = case.waves_sentence(ch.reset_index(), "bribery incidence", "Azerbaijan", 2013)
    assert text.startswith("Azerbaijan's bribery incidence: waves 2009 before 2013 (mean "
                           "24.8) and 2013, 2019 from it on (mean 13.4), a change of -11.4.")
    assert ("2 of 5 donors have waves on both sides; their changes run from -10.0 to +2.0 "
            "(median -4.0), and 0 of them changed by less than Azerbaijan") in text


def test_without_waves_on_both_sides_the_text_says_so_and_compares_nothing():
    from divides.models import case

    panel = _case_panel()
    donors = ["GEO", "MDA"]
    late = case.wave_changes(case.survey_waves(panel, "bribery_incidence_pct", "AZE", donors,
                                               2008), "AZE", donors)
    assert case.waves_sentence(late, "bribery incidence", "Azerbaijan", 2008) == (
        "This build has no wave of bribery incidence for Azerbaijan before 2008 (its waves: "
        "2009, 2013, 2019): no before/after comparison is made; 0 of 2 donors have waves on "
        "both sides of 2008.")
    absent = panel.drop(columns="bribery_incidence_pct")   # a build without the ES files
    waves = case.survey_waves(absent, "bribery_incidence_pct", "AZE", donors, 2013)
    assert waves.empty
    text = case.waves_sentence(case.wave_changes(waves, "AZE", donors), "bribery incidence",
                               "Azerbaijan", 2013)
    assert text.startswith("This build has no wave of bribery incidence for Azerbaijan in any "
                           "year: no before/after comparison is made")
    with pytest.raises(Exception, match="not a panel column of the column registry"):
        case.survey_waves(panel, "bribery", "AZE", donors, 2013)


def test_survey_waves_figure_marks_the_treated_waves(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from divides.figures import registry
    from divides.models import case

    donors = ["GEO", "ARM", "KAZ", "MDA"]
    waves = case.survey_waves(_case_panel(), "bribery_incidence_pct", "AZE", donors, 2013)
    fig = registry.draw("case_survey_waves", {"waves": waves}, treated="AZE",
                        treatment_year=2013)
    ax = fig.axes[0]
    treated = [line for line in ax.get_lines() if line.get_label() == "Azerbaijan"]
    assert len(treated) == 1 and list(treated[0].get_xdata()) == [2009, 2013, 2019]
    assert treated[0].get_linestyle() == ":"   # joined, not drawn as observed between waves
    assert fig._divides_footer.data_kind == "demo"
    assert [line.get_label() for line in ax.get_lines()].count(
        "donors (each country's waves)") == 1   # one legend entry for all donors
