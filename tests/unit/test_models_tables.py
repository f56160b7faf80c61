"""Tidy tables carry provenance; exports are byte-identical and well formed."""

from __future__ import annotations

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
    for marker in (r"\toprule", r"\midrule", r"\bottomrule", r"egdi\_lag1"):
        assert marker in tex
    md = a[1].read_text()
    assert "| N countries |" in md and "synthetic demo data" in md
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
