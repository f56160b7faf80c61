"""The spec-curve engine reproduces the reference estimators; backends agree."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from divides.models import Spec, fit
from divides.models import speccurve as sc
from divides.models.fixtures import fixture_panel

pytestmark = pytest.mark.unit


def small_grid(**inference):
    grid = copy.deepcopy(sc.load_grid())
    grid["grid"].update(outcomes=["wgi_cc_estimate"], key_regressors=["egdi", "osi"],
                        lags=[0, 1], samples=["all", "income_group"], min_countries=8)
    grid["gap_families"] = {k: v for k, v in grid["gap_families"].items()
                            if k == "gap_sex_internet_pp"}
    grid["controls"] = {"none": [], "income": ["log_gdp_pc_ppp"]}
    grid["inference"].update(inference)
    return grid


@pytest.fixture(scope="module")
def panel():
    return fixture_panel(n_countries=60, seed=11, keep_share=0.8, biennial_egdi=True)


@pytest.fixture(scope="module")
def curve(panel):
    return sc.run(panel, None, grid=small_grid(), draws=0)


def test_engine_matches_linearmodels_reference(panel, curve):
    table = curve.table.set_index("spec_id")
    checked = 0
    for _, row in table[table["status"] == "ok"].iloc[::7].iterrows():
        sample = None if row["sample"] == "all" else "income_group == '{}'".format(
            row["sample"].split("=", 1)[1])
        controls = {"none": (), "income": ("log_gdp_pc_ppp",)}[row["controls"]]
        spec = Spec(row["outcome"], (row["key_regressor"],), controls, estimator=row["estimator"],
                    lag=int(row["lag"]), sample=sample, min_countries=8)
        if row["n_singletons"] > 0:
            continue  # fixest's convention (singletons out): test_absorbed_..._singletons
        ref = fit(panel, spec)[row["term"]]
        assert row["coef"] == pytest.approx(ref["coef"], rel=1e-8, abs=1e-10)
        assert row["stderr"] == pytest.approx(ref["stderr"], rel=1e-8)
        assert row["p"] == pytest.approx(ref["p"], rel=1e-6, abs=1e-12)
        assert row["ci_low"] == pytest.approx(ref["ci_low"], rel=1e-8, abs=1e-10)
        checked += 1
    assert checked >= 5


def test_numpy_linearmodels_and_pyfixest_engines_agree(panel):
    grid = small_grid()
    frame = sc.analysis_frame(panel, None, grid)
    rows = [r for r in sc.enumerate_specs(frame, grid) if r.sample == "all"][:8]
    payload = sc.make_payload(frame, grid)
    eng = sc.CurveEngine(payload)
    for row in rows:
        ours = eng.estimate(row)
        lm = sc.estimate_with_library(frame, row, "linearmodels", payload.masks, min_countries=8)
        pf = sc.estimate_with_library(frame, row, "pyfixest", payload.masks, min_countries=8)
        assert ours["status"] == lm["status"] == pf["status"] == "ok"
        assert ours["coef"] == pytest.approx(lm["coef"], rel=1e-8)
        assert pf["coef"] == pytest.approx(lm["coef"], rel=1e-8)
        assert ours["stderr"] == pytest.approx(lm["stderr"], rel=1e-8)
        # pyfixest's ssc(k_adj, k_fixef="none", G_adj) is the same CR1
        assert pf["stderr"] == pytest.approx(lm["stderr"], rel=1e-6)


def test_grid_dimensions_and_honest_statuses(curve):
    table = curve.table
    # 1 outcome x 2 keys x 2 controls x 2 estimators x 2 lags x (all + 4 income groups);
    # no gaps table: the gap family is absent, and reported as such
    assert len(table) == 1 * 2 * 2 * 2 * 2 * 5
    assert "gap_sex_internet_pp" in curve_missing(curve)
    assert table["spec_id"].tolist() == list(range(len(table)))
    assert set(table["data_kind"]) == {"demo"}
    bad = table[table["status"] != "ok"]
    assert bad["coef"].isna().all()
    assert (table.loc[table["status"] == "ok", "n_countries"] >= 8).all()


def curve_missing(curve):
    return curve.notes["gap_missing"]


def test_demeaning_cache_is_shared_by_specs_with_the_same_rows(panel):
    grid = small_grid()
    frame = sc.analysis_frame(panel, None, grid)
    payload = sc.make_payload(frame, grid)
    eng = sc.CurveEngine(payload)
    rows = [r for r in sc.enumerate_specs(frame, grid) if r.estimator == "twfe"]
    for r in rows:
        eng.estimate(r)
    # egdi and osi are observed in the same (survey) years: their samples coincide
    assert eng.hits > 0 and eng.misses < len(rows)


def test_serial_and_process_backends_give_the_same_table(panel, curve):
    other = sc.run(panel, None, grid=small_grid(), backend="processes", workers=2,
                   draws=19)
    pd.testing.assert_frame_equal(other.table, curve.table)


def test_dask_backend_gives_the_same_table_and_inference(panel):
    from dask.distributed import Client, LocalCluster

    grid = small_grid()
    serial = sc.run(panel, None, grid=grid, draws=19)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = sc.run(panel, None, grid=grid, backend="dask", client=client, draws=19)
    pd.testing.assert_frame_equal(dask.table, serial.table)
    pd.testing.assert_frame_equal(dask.inference, serial.inference)


def test_null_imposed_inference_finds_a_strong_effect_and_keeps_samples(panel):
    strong = fixture_panel(n_countries=60, seed=5, within_effect=3.0, keep_share=0.9)
    grid = small_grid()
    grid["grid"].update(key_regressors=["egdi"], samples=["all"], lags=[0])
    grid["gap_families"] = {}
    grid["controls"] = {"none": []}
    curve = sc.run(strong, None, grid=grid, draws=99)
    inf = curve.inference.set_index(["key_regressor", "estimator"])
    assert inf.loc[("egdi", "twfe"), "p_median_t"] == pytest.approx(1 / 100)
    assert inf.loc[("egdi", "twfe"), "p_share"] == pytest.approx(1 / 100)
    assert inf.loc[("egdi", "twfe"), "n_draws"] == 99
    # every draw re-estimates the same specs on the same rows: no spec lost, none added
    frame = sc.analysis_frame(strong, None, grid)
    payload = sc.make_payload(frame, grid)
    eng = sc.CurveEngine(payload)
    rows = sc.enumerate_specs(frame, grid)
    draws = [eng.null_draws(r, 50, 1) for r in rows]
    assert all(d is not None and np.isfinite(d[0]).all() for d in draws)
    # under the imposed null the draws' t centre on zero (the observed t is far away)
    obs = curve.table.set_index("spec_id")["t"]
    for r, (t, _) in zip(rows, draws):
        assert abs(np.median(t)) < abs(obs[r.spec_id]) / 3


def test_gap_families_are_named_and_never_picked_by_rule():
    gaps = pd.DataFrame({
        "iso3": ["A", "A", "A", "B"], "year": [2020, 2020, 2020, 2021],
        "dimension": ["sex"] * 4,
        "indicator": ["itu_internet_users_pct", "itu_internet_users_pct", "findex_x",
                      "itu_internet_users_pct"],
        "source": ["itu", "other", "findex", "itu"], "gap_pp": [5.0, 6.0, 9.0, 2.0],
        "advantaged_group": "male", "disadvantaged_group": "female"})
    fams = {"gap_sex_internet_pp": {"dimension": "sex", "source": "itu", "groups": "m - f",
                                    "indicators": ["itu_internet_daily_users_pct",
                                                   "itu_internet_users_pct"]},
            "gap_sex_bought_online_pp": {"dimension": "sex", "source": "findex",
                                         "groups": "m - f",
                                         "indicators": ["findex_bought_online_pct"]}}
    wide = sc.gap_columns(gaps, fams)
    assert wide.set_index("iso3")["gap_sex_internet_pp"].to_dict() == {"A": 5.0, "B": 2.0}
    assert wide.attrs["gap_choice"]["gap_sex_internet_pp"] == (
        "gap_pp of itu_internet_users_pct (itu): male - female")
    # findex_x is not findex_bought_online_pct: the family is absent, and said so
    assert "gap_sex_bought_online_pp" not in wide.columns
    assert "findex_bought_online_pct" in wide.attrs["gap_missing"]["gap_sex_bought_online_pp"]


def test_grid_errors_list_the_known_choices(panel):
    grid = small_grid()
    grid["grid"]["estimators"] = ["pooled", "between"]
    with pytest.raises(ValueError, match=r"between.*known estimators \['pooled', 'twfe'\]"):
        sc.run(panel, None, grid=grid, draws=0)
    grid = small_grid()
    grid["gap_families"]["gap_x_pp"] = {"dimension": "sex", "source": "itu"}
    with pytest.raises(ValueError, match="gap_x_pp.*missing"):
        sc.validate_grid(grid)
    grid = small_grid()
    grid["grid"]["samples"] = ["all", "regio"]
    with pytest.raises(ValueError, match=r"known: \[.*income_group.*found 'regio'"):
        sc.run(panel, None, grid=grid, draws=0)
    grid = small_grid()
    grid["sample_values"]["income_group"] = ["High incme"]
    with pytest.raises(ValueError, match="High incme.*known"):
        sc.run(panel, None, grid=grid, draws=0)


def test_absorbed_regressor_and_singletons_have_their_own_status_and_counts(panel):
    p = panel.copy()
    # a regressor constant within country (a one-year gap carried to all years)
    first = p.groupby("iso3")["egdi"].transform("first")
    p["egdi"] = first
    # one country observed in one year only: a singleton under two-way FE
    lone = p["iso3"].unique()[0]
    p.loc[(p["iso3"] == lone) & (p["year"] != p["year"].max()), "osi"] = np.nan
    grid = small_grid()
    grid["grid"].update(samples=["all"], lags=[0])
    grid["gap_families"] = {}
    grid["controls"] = {"none": []}
    table = sc.run(p, None, grid=grid, draws=0).table.set_index(["key_regressor", "estimator"])
    assert table.loc[("egdi", "twfe"), "status"] == sc.ABSORBED
    assert table.loc[("egdi", "pooled"), "status"] == "ok"
    osi = table.loc[("osi", "twfe")]
    assert osi["status"] == "ok" and osi["n_singletons"] >= 1
    pooled = table.loc[("osi", "pooled")]
    assert osi["n_countries"] == pooled["n_countries"] - 1
    assert osi["n_obs"] == pooled["n_obs"] - osi["n_singletons"]
    import pyfixest as pf

    frame = p[["iso3", "year", "wgi_cc_estimate", "osi"]].dropna()
    ref = pf.feols("wgi_cc_estimate ~ osi | iso3 + year", data=frame, vcov={"CRV1": "iso3"},
                   fixef_rm="singleton")
    assert osi["n_obs"] == ref._N and osi["coef"] == pytest.approx(float(ref.coef()["osi"]))


def test_written_tables_are_byte_identical(tmp_path, curve):
    a = sc.write(curve, tmp_path / "a")
    b = sc.write(curve, tmp_path / "b")
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()


def test_library_engines_give_the_numpy_table(panel, curve):
    grid = small_grid()
    grid["grid"].update(key_regressors=["egdi"], samples=["all"])
    ours = sc.run(panel, None, grid=grid, draws=0).table
    lm = sc.run(panel, None, grid=grid, engine="linearmodels").table
    cols = ["coef", "stderr", "p", "ci_low", "ci_high", "coef_std", "p_wild", "p_spec"]
    # leverage is the numpy engine's own (the libraries do not give the weights)
    ours = ours.drop(columns=["max_country_weight_share", "max_weight_country"])
    lm = lm.drop(columns=["max_country_weight_share", "max_weight_country"])
    pd.testing.assert_frame_equal(ours[cols], lm[cols], rtol=1e-7)
    pd.testing.assert_frame_equal(ours.drop(columns=cols), lm.drop(columns=cols))


def test_curve_inference_counts_extreme_draws_by_hand():
    observed = pd.DataFrame({"spec_id": [0, 1, 2], "key_regressor": "egdi",
                             "estimator": "pooled", "status": "ok",
                             "coef_std": [0.5, 0.3, 0.1], "t": [3.0, 2.0, 1.0],
                             "p": [0.01, 0.04, 0.3], "p_spec": [0.01, 0.3, 0.3]})
    # median t 2.0; spec 1 has p 0.04 but its wild bootstrap p_spec is 0.3: not
    # significant, so one of three specs is significant and positive
    null = [(0, np.array([0.5, -3.5, 3.0]), np.array([0, -1, 1], np.int8)),
            (1, np.array([0.4, -2.5, 2.5]), np.array([0, -1, 0], np.int8)),
            (2, np.array([0.1, -1.0, 0.2]), np.array([0, 0, 0], np.int8))]
    inf = sc.curve_inference(observed, null).set_index(["key_regressor", "estimator"])
    for est in ("all", "pooled"):
        row = inf.loc[("egdi", est)]
        assert row["median_t"] == pytest.approx(2.0)
        assert row["share_sig_pos"] == pytest.approx(1 / 3)
        assert row["n_draws"] == 3
        # draw medians 0.4, -2.5, 2.5: |-2.5| and |2.5| >= 2.0
        assert row["p_median_t"] == pytest.approx((1 + 2) / (1 + 3))
        # direction-free: draw 2 has 2/3 negative, draw 3 1/3 positive (a tie, broken by
        # |median t| 2.5 >= 2.0): both count; the directional positive share only draw 3
        assert row["p_share"] == pytest.approx((1 + 2) / (1 + 3))
        assert row["p_share_pos"] == pytest.approx((1 + 1) / (1 + 3))
        assert row["p_share_neg"] == 1.0  # no negative significant spec: never evidence
        # one key regressor: Romano-Wolf is the unadjusted p-value
        assert row["p_median_t_rw"] == pytest.approx(row["p_median_t"])
    with pytest.raises(ValueError, match="estimable specs"):
        sc.curve_inference(observed, null[:1])


def test_null_draws_are_the_restricted_wild_bootstrap_of_each_spec(panel):
    """With the same weights, a spec's curve draws give its WCR p-value (bootstrap.wild_p):
    the curve test resamples each spec's restricted residuals, not the unrestricted."""
    from divides.models import bootstrap

    grid = small_grid()
    grid["grid"].update(samples=["all"], key_regressors=["egdi"])
    frame = sc.analysis_frame(panel, None, grid)
    eng = sc.CurveEngine(sc.make_payload(frame, grid))
    n_all = eng.p.lookup.shape[0]
    checked = 0
    for row in sc.enumerate_specs(frame, grid):
        d = eng.design(row)
        if d["status"] != "ok" or d["n_groups"] != n_all:
            continue
        t_obs, p_ref = bootstrap.wild_p(d["y"], d["X"], d["pos"], d["groups"], 199, 3,
                                        fe=d["fe"])
        t_star, _ = eng.null_draws(row, 199, 3)
        assert np.mean(np.abs(t_star) > abs(t_obs)) == pytest.approx(p_ref)
        checked += 1
    assert checked >= 4


def test_leverage_is_the_largest_country_share_of_the_coefficient_weight():
    p = fixture_panel(n_countries=30, seed=2)
    big = p["iso3"] == "C03"
    # one country's egdi spread far wider than the others': it carries the estimate
    p.loc[big, "egdi"] = p.loc[big, "egdi"] * 10 - p.loc[big, "egdi"].mean() * 9
    grid = small_grid()
    grid["grid"].update(samples=["all"], key_regressors=["egdi"], lags=[0])
    grid["controls"] = {"none": []}
    grid["gap_families"] = {}
    table = sc.run(p, None, grid=grid, draws=0).table.set_index("estimator")
    for est in ("pooled", "twfe"):
        assert table.loc[est, "max_weight_country"] == "C03"
        assert table.loc[est, "max_country_weight_share"] > 0.5
    # by hand for pooled: share of sum (x - mean x)^2
    sub = p[["iso3", "egdi", "wgi_cc_estimate"]].dropna()
    dev2 = (sub["egdi"] - sub["egdi"].mean()) ** 2
    share = dev2[sub["iso3"] == "C03"].sum() / dev2.sum()
    assert table.loc["pooled", "max_country_weight_share"] == pytest.approx(share)


def test_few_countries_are_judged_by_the_wild_bootstrap_with_more_draws_near_alpha(panel):
    grid = small_grid(wild_draws=99, wild_draws_max=999)
    table = sc.run(panel, None, grid=grid, draws=0).table
    ok = table[table["status"] == "ok"]
    few = ok[ok["n_countries"] < 30]
    many = ok[ok["n_countries"] >= 30]
    assert len(few) and len(many)
    assert few["wild_draws"].isin([99, 999]).all() and (many["wild_draws"] == 0).all()
    pd.testing.assert_series_equal(few["p_spec"], few["p_wild"], check_names=False)
    pd.testing.assert_series_equal(many["p_spec"], many["p"], check_names=False)
    # redrawn with 999 exactly where 99 draws left p within 2 Monte Carlo SEs of 0.05
    near = (few["p_wild"] - 0.05).abs() <= 2 * np.sqrt(0.05 * 0.95 / 999)
    assert (few.loc[few["wild_draws"] == 99, "p_wild"].sub(0.05).abs()
            > 2 * np.sqrt(0.05 * 0.95 / 99)).all()
    assert (few.loc[near, "wild_draws"] == 999).all()


def test_tables_and_figures_say_what_each_gap_family_is(panel):
    from divides.figures import speccurve as speccurve_figures

    p = panel.copy()
    gaps = pd.DataFrame({"iso3": p["iso3"], "year": p["year"], "dimension": "sex",
                         "indicator": "itu_internet_users_pct", "source": "itu",
                         "gap_pp": p["gap_sex_pp"], "advantaged_group": "male",
                         "disadvantaged_group": "female"}).dropna()
    grid = small_grid()
    grid["grid"].update(key_regressors=["egdi"], samples=["all"], lags=[0])
    curve = sc.run(p, gaps, grid=grid, draws=0)
    fam = curve.table[curve.table["key_regressor"] == "gap_sex_internet_pp"]
    assert len(fam) and (fam["key_definition"] == (
        "gap_pp of itu_internet_users_pct (itu): male - female")).all()
    # the family's publisher, not the project's gaps table, is its source
    assert fam["sources"].str.split(";").map(lambda s: "itu" in s and "gaps" not in s).all()
    assert sc.publisher_sources("cpi;gaps;wdi", "gap_pp of x (findex): a - b") == "cpi;findex;wdi"
    assert sc.publisher_sources("cpi;gaps", "no definition") == "cpi;gaps"
    inputs = {name: frame for name, frame, _ in speccurve_figures.figure_inputs(curve)}
    term = inputs["speccurve_gap_sex_internet_pp"]["term"].iloc[0]
    assert term.startswith("Gap by sex: Individuals using the Internet, male - female")
