"""Tidy tables carry provenance; exports are byte-identical and well formed."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from divides.models import Spec, fit, tables
from divides.models.fixtures import fixture_panel

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def results():
    panel = fixture_panel(n_countries=30, seed=7)
    pooled = fit(panel, Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="pooled"))
    twfe = fit(panel, Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="twfe",
                           lag=1, standardise=True))
    return [pooled, twfe]


def test_tidy_columns_and_values(results):
    frame = tables.tidy(results[1], model="twfe")
    assert tuple(frame.columns) == tables.TIDY_COLUMNS
    row = frame.set_index("term").loc["egdi_lag1"]
    assert row["estimator"] == "twfe" and row["cov_type"] == "clustered"
    assert row["data_kind"] == "demo" and row["n_countries"] == results[1].n_countries
    assert row["ci_low"] < row["coef"] < row["ci_high"]
    assert row["standardised"] == tables.STANDARDISED_NOTE
    assert row["sources"] == results[1].sources and "wgi" in row["sources"]
    assert (row["year_first"], row["year_last"]) == results[1].years


def test_side_by_side_exports_are_byte_identical(tmp_path, results):
    a = tables.write_tables(results, tmp_path / "a" / "egdi", names=["pooled", "twfe"],
                            caption="EGDI and control of corruption")
    b = tables.write_tables(results, tmp_path / "b" / "egdi", names=["pooled", "twfe"],
                            caption="EGDI and control of corruption")
    assert [p.suffix for p in a] == [".csv", ".md", ".tex"]
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()
    tex = a[2].read_text()
    for marker in (r"\toprule", r"\midrule", r"\bottomrule", "lagged 1 year"):
        assert marker in tex
    md = a[1].read_text()
    assert "| Countries |" in md and "synthetic demo data" in md and "| Constant |" in md
    assert "\r" not in md


def test_side_by_side_leaves_missing_terms_blank(results):
    table = tables.side_by_side(results, names=["pooled", "twfe"])
    assert table.loc["const", "twfe"] == ""
    assert table.loc["N obs"].tolist() == [str(r.n_obs) for r in results]


def test_a_query_sample_is_labelled_by_its_query_not_all():
    from divides.models import Spec

    spec = Spec("wgi_cc_estimate", ("egdi",), sample="region == 'Sub-Saharan Africa'")
    assert spec.sample_label == "region == 'Sub-Saharan Africa'"
    assert spec.label.endswith("|region == 'Sub-Saharan Africa'")
    assert Spec("wgi_cc_estimate", ("egdi",)).sample_label == "all"
    assert Spec("wgi_cc_estimate", ("egdi",), sample="x > 1", sample_label="rich").sample_label == "rich"


def test_a_coefficient_in_large_units_keeps_its_significant_digits():
    panel = fixture_panel(n_countries=30, seed=7)
    panel = panel.assign(gdp_pc_usd_x1e6=panel["log_gdp_pc_ppp"] * 1e6)  # large units
    result = fit(panel, Spec("wgi_cc_estimate", ("gdp_pc_usd_x1e6",), estimator="pooled"))
    coef, se = result["gdp_pc_usd_x1e6"]["coef"], result["gdp_pc_usd_x1e6"]["stderr"]
    assert abs(coef) < 1e-4  # what printed as 0.000 (0.000) with three fixed decimals
    table = tables.side_by_side([result], names=["pooled"])
    row = list(table.index).index("gdp_pc_usd_x1e6")
    shown_coef, shown_se = table["pooled"].iloc[row], table["pooled"].iloc[row + 1]
    assert float(shown_coef.rstrip("*")) == pytest.approx(coef, rel=5e-3)
    assert float(shown_se.strip("()")) == pytest.approx(se, rel=5e-3)
    assert tables.format_float(0.5) == "0.500" and tables.format_float(1234.5678) == "1234.568"


# -- journal-style regression tables ------------------------------------------------------


@pytest.fixture(scope="module")
def three():
    panel = fixture_panel(n_countries=30, seed=7)
    specs = [Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="pooled"),
             Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="between"),
             Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="twfe", lag=1)]
    return [fit(panel, s) for s in specs], ["pooled", "between", "two-way FE"]


def test_regression_table_cells_are_the_estimates_with_stars_and_errors_below(three):
    results, names = three
    reg = tables.regression_table(tables.tidy_many(results, names))
    body = reg.body
    # models named by an estimator's code are headed by its name in words
    shown_names = ["pooled OLS", "between (country means)", "two-way FE"]
    assert list(body.columns) == shown_names
    labels = list(body.index)
    for r, name in zip(results, shown_names):
        for term in r.terms:
            row = labels.index(tables.term_label(term))
            e = r[term]
            coef_cell, se_cell = body[name].iloc[row], body[name].iloc[row + 1]
            assert labels[row + 1] == ""
            shown = coef_cell.rstrip("*").replace("\u2212", "-")
            half = 0.5 * 10.0 ** -tables.decimals(e["stderr"])  # the error's precision
            assert float(shown) == pytest.approx(e["coef"], abs=half)
            assert coef_cell[len(coef_cell.rstrip("*")):] == tables.stars(e["p"])
            assert float(se_cell.strip("()")) == pytest.approx(e["stderr"], abs=half)
            assert len(shown.split(".")[1]) == len(se_cell.strip("()").split(".")[1])
    # the constant is the last coefficient; its error row closes the coefficient block
    assert labels[reg.n_coef_rows - 2] == "Constant"
    detail = body.iloc[reg.n_coef_rows:]
    assert detail.loc["Observations"].tolist() == [f"{r.n_obs:,}" for r in results]
    assert detail.loc["Countries"].tolist() == [str(r.n_countries) for r in results]
    assert detail.loc["Country fixed effects"].tolist() == ["no", "no", "yes"]
    assert detail.loc["Year fixed effects"].tolist() == ["no", "no", "yes"]
    assert detail.loc["Standard errors"].tolist() == [
        "clustered by country", "robust", "clustered by country"]
    assert detail.loc["R²"].tolist() == [f"{r.r2:.3f}" for r in results]
    assert all(0 < r.r2 <= 1 for r in results)
    assert detail.loc["Lag of regressors (years)"].tolist() == ["none", "none", "1 (exact)"]


def test_regression_table_rows_are_in_words_never_column_names(three):
    results, names = three
    reg = tables.regression_table(tables.tidy_many(results, names))
    for label in reg.body.index:
        assert "_" not in label, label
    assert "E-Government Development Index (EGDI), lagged 1 year" in reg.body.index
    for words in ("* p < 0.1", "** p < 0.05", "*** p < 0.01", "Standard errors in parentheses",
                  "clustered by country", "Outcome: WGI Control of Corruption",
                  "within, net of country and year effects"):
        assert words in reg.note, words


def test_term_labels_name_lags_interactions_gaps_and_ranks():
    assert tables.term_label("const") == "Constant"
    assert tables.term_label("osi_lag2").endswith(", lagged 2 years")
    assert " × " in tables.term_label("egdi_x_gap_sex_itu_internet_users_pp_latest")
    gap = tables.term_label("gap_sex_itu_internet_users_pp_latest")
    assert gap.startswith("Individuals using the Internet: gap")
    assert "men minus women" in gap and "pp" in gap and gap.endswith("latest survey")
    assert "richest 60% minus poorest 40%" in tables.term_label(
        "gap_income_findex_paid_bills_online_pp")
    assert tables.term_label("egdi_rank_pct").endswith("rank within year (percentile)")
    assert tables.in_words("egdi on cpi_score") == (
        f"{tables.term_label('egdi')} on {tables.term_label('cpi_score')}")


def test_a_regression_table_read_back_from_its_csv_is_the_same_table(tmp_path, three):
    results, names = three
    shown = tables.write_regression(results, tmp_path / "t", names=names,
                                    caption="egdi and wgi_cc_estimate")
    direct = tables.regression_table(tables.tidy_many(results, names))
    pd.testing.assert_frame_equal(shown.body, direct.body)
    assert shown.note == direct.note and shown.n_coef_rows == direct.n_coef_rows
    assert shown.caption == tables.table_caption(tmp_path / "t.csv") == (
        f"{tables.term_label('egdi')} and {tables.term_label('wgi_cc_estimate')}")
    assert shown.saved == "t.csv"
    html = shown.to_html()
    assert html == tables.read_regression(tmp_path / "t.csv").to_html()  # same bytes
    assert f'{tables.SAVED_ATTR}="t.csv"' in html and "class=\"table-note\"" in html
    assert html.count("<table") == 1 and "<caption>" in html


def test_regression_html_escapes_text_and_keeps_ids_apart(three):
    results, _ = three
    a = tables.regression_table(tables.tidy_many(results[:2], ["<b>x</b>", "y & z"]))
    b = tables.regression_table(tables.tidy_many(results[1:], ["one", "two"]))
    html = a.to_html(caption="<script>alert(1)</script>")
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<script>" not in html and "y &amp; z" in html
    id_a = re.search(r'<table id="(T_\w+)"', html).group(1)
    id_b = re.search(r'<table id="(T_\w+)"', b.to_html()).group(1)
    assert id_a != id_b  # each table's rule follows its own coefficient rows


def test_other_tables_have_headers_in_words_and_sensible_digits(tmp_path):
    frame = pd.DataFrame({"convention": ["a", "b", "c"], "coef": [0.123456789, -1.5, 2.25],
                          "p": [0.0000004, 0.0456, 0.5], "n_obs": [120, 130, 140],
                          "egdi": [0.51234, 0.6, 0.7], "data_kind": ["demo"] * 3})
    shown = tables.save_table(frame, tmp_path / "x.csv", caption="On egdi")
    body = shown.body
    assert list(body.columns) == ["Convention", "Coefficient", "p-value", "Observations",
                                  tables.header_words("egdi")]
    assert body["p-value"].tolist() == ["< 0.001", "0.046", "0.500"]
    # three significant digits at the column's median size (1.5): two decimals
    assert body["Coefficient"].tolist() == ["0.12", "\u22121.50", "2.25"]
    assert body["Observations"].tolist() == ["120", "130", "140"]
    assert shown.note == f"In every row, Data kind: {tables.DEMO_LABEL}."
    assert shown.caption == f"On {tables.term_label('egdi')}"
    assert tables.table_caption(tmp_path / "x.csv") == shown.caption
    assert pd.read_csv(tmp_path / "x.csv")["coef"].iloc[0] == 0.123456789  # data kept whole


def test_codes_in_table_cells_are_shown_in_words():
    frame = pd.DataFrame({
        "key_regressor": ["egdi", "internet_users_pct", "gap_sex_internet_pp"],
        "estimator": ["all", "pooled", "twfe"],
        "sample": ["all", "income_group=Low income", "all"],
        "controls": ["none", "income", "income_urban"],
        "sources": ["cpi;wdi", "wgi", "itu"],
        "data_kind": ["demo", "real", "demo"],
        "significant": [True, False, True],
        "n": [1, 2, 3]})
    body, _ = tables.display_frame(frame)
    assert body["Key regressor"].tolist() == [
        tables.term_label("egdi"), tables.term_label("internet_users_pct"),
        tables.term_label("gap_sex_internet_pp")]
    assert body["Estimator"].tolist() == [
        "all estimators", tables.ESTIMATOR_SHORT["pooled"], tables.ESTIMATOR_SHORT["twfe"]]
    assert body["Sample"].tolist() == [
        "all countries", f"{tables.header_words('income_group')}: Low income", "all countries"]
    gdp, urban = tables.term_label("log_gdp_pc_ppp"), tables.term_label("urban_pct")
    assert body["Controls"].tolist() == ["none", gdp, f"{gdp}, {urban}"]
    src = {s: tables.source_words(s) for s in ("cpi", "wdi", "wgi", "itu")}
    assert src["wdi"] == "World Bank WDI"  # data/sources.csv figure_label
    assert body["Sources"].tolist() == [f"{src['cpi']}; {src['wdi']}", src["wgi"], src["itu"]]
    assert body["Data kind"].tolist() == [tables.DEMO_LABEL, "published data", tables.DEMO_LABEL]
    assert body["Significant"].tolist() == ["yes", "no", "yes"]
    # a gap indicator that compares two indicators names both (gap_definitions.csv)
    young = tables.indicator_name("unesco_literacy_15_24")
    assert young and young in tables.cell_words("indicator",
                                                "unesco_literacy_15_24_vs_65plus_pct")
    # a constant column said in the note is in words too
    _, note = tables.display_frame(frame.assign(source="wdi"))
    assert note == "In every row, Source: World Bank WDI."


def test_an_estimate_its_interval_and_error_share_their_decimals():
    frame = pd.DataFrame({"term": ["a", "b"], "estimate": [0.1234, 0.4567],
                          "ci_low": [0.0123, 0.0456], "ci_high": [1.5123, 2.5345],
                          "stderr": [0.061, 0.07], "coef_std": [12.34, 15.67],
                          "ci_low_std": [0.123, 0.456], "ci_high_std": [20.1, 30.2],
                          "n_obs": [10, 20]})
    body, _ = tables.display_frame(frame)
    # one group: estimate, interval and error; the median size of all eight values (0.097)
    # sets 4 decimals for all (alone, the estimate would get 3 and the upper bound 2)
    assert body["Estimate"].tolist() == ["0.1234", "0.4567"]
    assert body["95% CI, low"].tolist() == ["0.0123", "0.0456"]
    assert body["95% CI, high"].tolist() == ["1.5123", "2.5345"]
    assert body["Standard error"].tolist() == ["0.0610", "0.0700"]
    # the standardised twin is its own group (median 14.0: 1 decimal)
    assert body["Standardised coefficient"].tolist() == ["12.3", "15.7"]
    assert body["95% CI, low (standardised)"].tolist() == ["0.1", "0.5"]
    assert body["95% CI, high (standardised)"].tolist() == ["20.1", "30.2"]
    assert body["Observations"].tolist() == ["10", "20"]
    assert tables.decimal_groups(frame.columns) == {
        "estimate": "_", "ci_low": "_", "ci_high": "_", "stderr": "_",
        "coef_std": "_std", "ci_low_std": "_std", "ci_high_std": "_std"}
