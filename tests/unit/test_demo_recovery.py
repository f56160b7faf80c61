"""Models on the demo panel recover the planted effects (demo_params.toml, [corruption]).

The frame is built from the demo *observations* (read by the real readers), not from the
generator's latent values: WGI control of corruption in year t, EGDI of the latest EGOV
survey year s <= t - 1, the ITU latest-year internet gender gap (male - female, pp).
Later model code must keep this test passing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from linearmodels.panel import PanelOLS

from divides import demo
from divides.sources import read_all

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    root = demo.generate(tmp_path_factory.mktemp("demo_recovery") / "demo").root
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs, _ = read_all(root, ("wgi", "egov", "itu"))
    cc = (obs[obs["indicator"] == "wgi_cc_estimate"][["iso3", "year", "value"]]
          .rename(columns={"value": "cc"}))
    egdi = (obs[obs["indicator"] == "egov_egdi"][["iso3", "year", "value"]]
            .rename(columns={"year": "survey", "value": "egdi"}))
    surveys = np.sort(egdi["survey"].unique())
    # Lag on survey years: the latest survey strictly before the year of the CC value.
    cc["survey"] = [surveys[surveys <= y - 1].max() if (surveys <= y - 1).any() else -1
                    for y in cc["year"]]
    f = cc.merge(egdi, on=["iso3", "survey"], how="inner")
    by_sex = obs[(obs["indicator"] == "itu_internet_users_pct") & (obs["breakdown"] == "sex")]
    wide = by_sex.pivot_table(index="iso3", columns="group", values="value")
    f = f.merge((wide["male"] - wide["female"]).rename("gap_pp"), left_on="iso3",
                right_index=True, how="left")
    p = demo.load_params()
    f["egdi_x_gap"] = f["egdi"] * (f["gap_pp"] - p["corruption"]["gap_centre_pp"])
    f["case_post"] = ((f["iso3"] == p["case_iso3"])
                      & (f["year"] >= p["corruption"]["case_break_year"])).astype(float)
    return f


def _twfe(f: pd.DataFrame, columns: list[str]):
    panel = f.set_index(["iso3", "year"])
    return PanelOLS(panel["cc"], panel[columns], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)


def test_two_way_fe_recovers_the_within_effect(frame):
    beta = demo.load_params()["corruption"]["beta_within"]
    fit = _twfe(frame, ["egdi"])
    low, high = fit.conf_int().loc["egdi"]
    assert low <= beta <= high, f"planted {beta} outside 95% CI [{low:.3f}, {high:.3f}]"
    assert fit.pvalues["egdi"] < 0.01


def test_full_model_recovers_within_effect_interaction_sign_and_case_break(frame):
    p = demo.load_params()["corruption"]
    fit = _twfe(frame.dropna(subset=["gap_pp"]), ["egdi", "egdi_x_gap", "case_post"])
    ci = fit.conf_int()
    assert ci.loc["egdi", "lower"] <= p["beta_within"] <= ci.loc["egdi", "upper"]
    assert ci.loc["egdi_x_gap", "lower"] <= p["delta_egdi_x_gap"] <= ci.loc["egdi_x_gap", "upper"]
    assert np.sign(fit.params["egdi_x_gap"]) == np.sign(p["delta_egdi_x_gap"])
    # One country's break: its clustered CI means little; the estimate must be within
    # 4 noise standard errors (e_sd * sqrt(1/11 + 1/10), about 0.03) of the planted size.
    se = p["e_sd"] * np.sqrt(1 / 11 + 1 / 10)
    assert abs(fit.params["case_post"] - p["case_break"]) < 4 * se


def test_pooled_association_is_much_larger_than_within(frame):
    beta = demo.load_params()["corruption"]["beta_within"]
    ols = smf.ols("cc ~ egdi", frame).fit()
    assert ols.params["egdi"] > 3 * beta


def test_gaps_shrink_with_income_and_over_time():
    p = demo.load_params()
    world = demo.simulate(p, demo.load_countries(), p["seed"])
    for name in ("gap_sex_internet", "gap_area_internet", "gap_sex_literacy", "gap_age_literacy"):
        f = world.long(name, "z")
        fit = smf.ols(f"{name} ~ z + year", f).fit()
        assert fit.params["z"] < 0 and fit.params["year"] < 0, name
