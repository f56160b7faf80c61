"""Estimators agree with statsmodels/linearmodels/pyfixest; lags and errors are explicit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from divides import provenance
from divides.models import ModelError, Spec, fit, lagged, prepare
from divides.models.fixtures import fixture_panel

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def panel():
    return fixture_panel(n_countries=40, seed=3, keep_share=0.8)


def test_fixture_is_unbalanced(panel):
    per_country = panel.groupby("iso3").size()
    assert per_country.nunique() > 1


def test_twfe_equals_ols_with_country_and_year_dummies(panel):
    spec = Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="twfe")
    res = fit(panel, spec)
    sub = panel.dropna(subset=["wgi_cc_estimate", "egdi", "log_gdp_pc_ppp"])
    ols = smf.ols("wgi_cc_estimate ~ egdi + log_gdp_pc_ppp + C(iso3) + C(year)", sub).fit()
    for term in ("egdi", "log_gdp_pc_ppp"):
        assert res[term]["coef"] == pytest.approx(ols.params[term], abs=1e-8)
    assert res.n_obs == len(sub)
    assert res.n_countries == sub["iso3"].nunique()


def test_twfe_cluster_convention_matches_formula(panel):
    """CR1 G/(G-1)*(N-1)/(N-K) on the dummy regression's residuals gives the same errors."""
    spec = Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="twfe")
    res = fit(panel, spec)
    sub = panel.dropna(subset=["wgi_cc_estimate", "egdi", "log_gdp_pc_ppp"])
    ols = smf.ols("wgi_cc_estimate ~ egdi + log_gdp_pc_ppp + C(iso3) + C(year)", sub).fit()
    X = ols.model.exog
    e = ols.resid.to_numpy()
    xtx_inv = np.linalg.pinv(X.T @ X)
    g = pd.factorize(sub["iso3"])[0]
    scores = np.zeros((g.max() + 1, X.shape[1]))
    np.add.at(scores, g, X * e[:, None])
    G, n, k = g.max() + 1, len(sub), 2
    cov = xtx_inv @ scores.T @ scores @ xtx_inv * G / (G - 1) * (n - 1) / (n - k)
    names = ols.model.exog_names
    se = np.sqrt(np.diag(cov))[[names.index("egdi"), names.index("log_gdp_pc_ppp")]]
    np.testing.assert_allclose(res.stderr, se, rtol=1e-8)


def test_cross_section_hc3_equals_statsmodels(panel):
    spec = Spec("wgi_cc_estimate", ("egdi", "urban_pct"), estimator="cross_section", year=2015)
    res = fit(panel, spec)
    sub = panel[panel["year"] == 2015].dropna(subset=["wgi_cc_estimate", "egdi", "urban_pct"])
    X = sm.add_constant(sub[["egdi", "urban_pct"]])
    ref = sm.OLS(sub["wgi_cc_estimate"], X).fit(cov_type="HC3")
    np.testing.assert_allclose(res.coef, ref.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.stderr, ref.bse.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.pvalue, ref.pvalues.to_numpy(), rtol=1e-8)
    assert res.spec.cov_type == "HC3" and res.n_obs == len(sub)


def test_pooled_clustered_and_between_and_dk_run(panel):
    pooled = fit(panel, Spec("wgi_cc_estimate", ("egdi",), estimator="pooled"))
    dk = fit(panel, Spec("wgi_cc_estimate", ("egdi",), estimator="pooled",
                         cov_type="driscoll_kraay", dk_bandwidth=2))
    between = fit(panel, Spec("wgi_cc_estimate", ("egdi",), estimator="between"))
    assert pooled["egdi"]["coef"] == pytest.approx(dk["egdi"]["coef"], abs=1e-12)
    assert pooled["egdi"]["stderr"] != pytest.approx(dk["egdi"]["stderr"], rel=1e-3)
    means = panel.dropna(subset=["wgi_cc_estimate", "egdi"]).groupby("iso3")[
        ["wgi_cc_estimate", "egdi"]].mean()
    ref = sm.OLS(means["wgi_cc_estimate"], sm.add_constant(means["egdi"])).fit()
    assert between["egdi"]["coef"] == pytest.approx(ref.params["egdi"], abs=1e-10)
    assert "Driscoll-Kraay" in dk.cov_detail


def test_too_few_countries_raises_clear_error(panel):
    few = panel[panel["iso3"].isin(["C00", "C01", "C02"])]
    with pytest.raises(ModelError, match=r"expected at least 10 countries, found 3"):
        fit(few, Spec("wgi_cc_estimate", ("egdi",), estimator="twfe"))


def test_untagged_panel_is_refused(panel):
    bare = pd.DataFrame(panel)
    bare.attrs = {}
    with pytest.raises(ValueError, match="provenance"):
        fit(bare, Spec("wgi_cc_estimate", ("egdi",), estimator="pooled"))


def test_exact_lag_never_crosses_a_missing_year():
    p = pd.DataFrame({"iso3": ["A"] * 4 + ["B"] * 2, "year": [2010, 2012, 2013, 2014, 2013, 2014],
                      "x": [1.0, 2.0, 3.0, 4.0, 10.0, 11.0]})
    assert lagged(p, "x", 1).tolist()[:4] == pytest.approx([np.nan, np.nan, 2.0, 3.0],
                                                          nan_ok=True)
    assert lagged(p, "x", 1).tolist()[4:] == pytest.approx([np.nan, 10.0], nan_ok=True)
    assert lagged(p, "x", 2).tolist()[:4] == pytest.approx([np.nan, 1.0, np.nan, 2.0],
                                                          nan_ok=True)
    latest = lagged(p, "x", 1, rule="latest", max_lookback_years=2).tolist()
    assert latest[:4] == pytest.approx([np.nan, 1.0, 2.0, 3.0], nan_ok=True)
    # B is missing from the 2012 survey: its 2013 lag stays missing (no older survey)
    assert latest[4:] == pytest.approx([np.nan, 10.0], nan_ok=True)
    tight = lagged(p, "x", 1, rule="latest", max_lookback_years=0).tolist()
    assert tight[:4] == pytest.approx([np.nan, np.nan, 2.0, 3.0], nan_ok=True)


def test_lag_drops_are_counted_by_reason():
    panel = fixture_panel(n_countries=30, seed=1, biennial_egdi=True, keep_share=1.0)
    design = prepare(panel, Spec("wgi_cc_estimate", ("egdi",), estimator="twfe", lag=1))
    # even years: egdi observed at t but not at t-1 (odd years carry none): counted as
    # lag_unavailable, never filled from t-2
    even = int((panel["year"] % 2 == 0).sum())
    assert design.drops == {"lag_unavailable:egdi": even}
    assert design.rows_in == design.n_obs + sum(design.drops.values())
    assert (design.frame["year"] % 2 == 1).all()


def test_interaction_and_standardised_coefficients(panel):
    raw = fit(panel, Spec("wgi_cc_estimate", ("egdi",), estimator="pooled"))
    std = fit(panel, Spec("wgi_cc_estimate", ("egdi",), estimator="pooled", standardise=True))
    sub = panel.dropna(subset=["wgi_cc_estimate", "egdi"])
    expect = raw["egdi"]["coef"] * sub["egdi"].std() / sub["wgi_cc_estimate"].std()
    assert std["egdi"]["coef"] == pytest.approx(expect, rel=1e-10)
    inter = fit(panel, Spec("wgi_cc_estimate", ("egdi", "gap_sex_pp"), estimator="twfe",
                            interactions=(("egdi", "gap_sex_pp"),), min_countries=5))
    assert "egdi_x_gap_sex_pp" in inter.terms
    # a moderator that does not enter alone (time-invariant under country effects)
    frame = panel.assign(region_gap=panel["iso3"].map(
        panel.groupby("iso3")["gap_sex_pp"].mean()))
    frame.attrs = dict(panel.attrs)
    mod = fit(frame, Spec("wgi_cc_estimate", ("egdi",), estimator="twfe", lag=1,
                          interactions=(("egdi", "region_gap"),)))
    assert mod.terms == ("egdi_lag1", "egdi_lag1_x_region_gap")
    sub = frame.assign(x=lagged(frame, "egdi", 1)).dropna(
        subset=["wgi_cc_estimate", "x", "region_gap"])
    ols = smf.ols("wgi_cc_estimate ~ x + x:region_gap + C(iso3) + C(year)", sub).fit()
    assert mod["egdi_lag1_x_region_gap"]["coef"] == pytest.approx(ols.params["x:region_gap"],
                                                                  abs=1e-8)
    with pytest.raises(ModelError, match="interaction"):
        Spec("y", ("a",), interactions=(("b", "a"),))


def test_bad_estimator_and_column_are_named():
    with pytest.raises(ModelError, match="estimator"):
        Spec("y", ("x",), estimator="ivreg")
    panel = provenance.tag(pd.DataFrame({"iso3": ["A"], "year": [2010], "y": [1.0]}), data="demo")
    with pytest.raises(ModelError, match=r"\['x'\]"):
        prepare(panel, Spec("y", ("x",), estimator="pooled"))


def test_p_value_conventions_side_by_side():
    """Dummy-variable CR1 = within CR1 x sqrt((N-K)/(N-K-absorbed)); DK flagged; wild p in (0,1]."""
    from divides.models.estimators import p_value_conventions
    from divides.models.fixtures import fixture_panel

    panel = fixture_panel(n_countries=40, seed=3, keep_share=0.9, within_effect=0.0)
    spec = Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="twfe")
    table = p_value_conventions(panel, spec, draws=199).set_index("convention")
    within = table.iloc[0]
    dv = table.iloc[1]
    n, k = int(within["n_obs"]), 2
    absorbed = int(within["n_countries"]) + int(within["n_periods"]) - 1
    assert dv["stderr"] == pytest.approx(within["stderr"] * np.sqrt((n - k) / (n - k - absorbed)),
                                         rel=1e-6)
    assert dv["p"] > within["p"]
    # no within effect: the bootstrap p-value is far from 0 (and on the grid of 1/199)
    assert 0.01 < table.iloc[2]["p"] <= 1
    assert table.iloc[3]["note"].startswith("unreliable")
    with pytest.raises(ModelError, match="twfe"):
        p_value_conventions(panel, Spec("wgi_cc_estimate", ("egdi",), estimator="pooled"))
