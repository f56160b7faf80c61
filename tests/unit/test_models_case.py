"""Event study and synthetic control: a planted break is found; placebos rank it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from divides import provenance
from divides.models import ModelError, case

pytestmark = pytest.mark.unit


def case_panel(break_size=1.0, seed=0):
    rng = np.random.default_rng(seed)
    units = ["AZE"] + case.donors()
    years = np.arange(2003, 2021)
    common = np.cumsum(rng.normal(0, 0.05, len(years)))
    rows = []
    for i, u in enumerate(units):
        level = rng.normal(0, 0.5)
        for t, y in enumerate(years):
            val = level + common[t] + rng.normal(0, 0.03)
            if u == "AZE" and y >= 2013:
                val += break_size
            rows.append((u, int(y), val))
    frame = pd.DataFrame(rows, columns=["iso3", "year", "wgi_cc_estimate"])
    frame["cpi_score"] = np.where(frame["year"] >= 2012, 50 + 10 * frame["wgi_cc_estimate"], np.nan)
    return provenance.tag(frame, data="demo")


def test_event_study_recovers_a_planted_break():
    es = case.event_study(case_panel(), "wgi_cc_estimate", treatment_year=2013)
    post = es[es["event_time"] >= 0]
    pre = es[(es["event_time"] < -1)]
    assert post["coef"].mean() == pytest.approx(1.0, abs=0.1)
    assert pre["coef"].abs().max() < 0.2
    assert (post["ci_low"] > 0).all()
    assert np.allclose(post["placebo_p"], 1 / (1 + len(case.donors())))
    assert es.loc[es["event_time"] == -1, "coef"].iloc[0] == 0


def test_synthetic_control_ranks_treated_first_only_with_a_break():
    with_break = case.synthetic_control(case_panel(1.0), "wgi_cc_estimate", treatment_year=2013)
    assert with_break.p_value == pytest.approx(1 / (1 + len(case.donors())))
    w = with_break.weights[with_break.weights["unit"] == "AZE"]["weight"]
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0)
    no_break = case.synthetic_control(case_panel(0.0), "wgi_cc_estimate", treatment_year=2013)
    assert no_break.p_value > 0.1
    assert set(with_break.paths["role"]) == {"treated", "placebo"}


def test_treatment_year_is_a_specification_choice():
    table = case.case_specs(case_panel(), treatment_years=(2012, 2013))
    assert len(table) == 4
    cpi = table[table["outcome"] == "cpi_score"]
    # CPI on the 0-100 scale starts in 2012: no pre-period, said so, not estimated
    assert cpi["status"].str.contains("pre-treatment years").all()
    ok = table[table["status"] == "ok"]
    assert set(ok["treatment_year"]) == {2012, 2013}


def test_too_few_donors_is_an_error():
    with pytest.raises(ModelError, match="at least 3"):
        case.event_study(case_panel(), "wgi_cc_estimate", donor_pool=["ARM", "BLR"])


def test_donor_screening_lists_reasons_and_keeps_georgia_only_on_request():
    screen = case.donor_screen()
    geo = screen.set_index("iso3").loc["GEO"]
    assert not geo["used"] and "Public Service Halls" in geo["reason"]
    assert "GEO" not in case.donors() and "GEO" in case.donors(keep=("GEO",))
    assert case.donor_screen(keep=("GEO",)).set_index("iso3").loc["GEO", "reason"].startswith(
        "kept on request")
    assert screen["used"].sum() == len(screen) - 1


def test_unknown_donor_group_or_country_is_an_error_listing_the_known_ones():
    with pytest.raises(ModelError, match=r"post-soviet.*\['post_soviet'\]"):
        case.donors("post-soviet")
    with pytest.raises(ModelError, match="keep"):
        case.donors(keep=("XXX",))
    panel = case_panel()
    with pytest.raises(ModelError, match=r"\['ZZZ'\].*known"):
        case.synthetic_control(panel, "wgi_cc_estimate", donor_pool=["ARM", "ZZZ", "KAZ"])
    with pytest.raises(ModelError, match="at least one"):
        case.synthetic_control(panel, "wgi_cc_estimate", donor_pool=[])


def test_leave_one_out_shows_a_claim_that_rests_on_one_donor():
    panel = case_panel(break_size=0.0, seed=3)
    # AZE tracks ARM exactly before 2013 and jumps with it: only ARM "explains" AZE
    frame = panel.copy()
    arm = frame[frame.iso3 == "ARM"].set_index("year")["wgi_cc_estimate"]
    is_aze = frame.iso3 == "AZE"
    frame.loc[is_aze, "wgi_cc_estimate"] = frame.loc[is_aze, "year"].map(arm).to_numpy() + 5.0
    frame.loc[(frame.iso3 == "ARM") & (frame.year >= 2013), "wgi_cc_estimate"] += 1.0
    loo = case.leave_one_out(provenance.tag(frame, data="demo"), "wgi_cc_estimate",
                             years=(2003, 2020)).set_index("dropped")
    assert loo.loc["(none)", "n_donors"] == len(case.donors()) - 0
    assert set(loo.index) - {"(none)"} <= set(case.donors())
    rows = loo.drop(index="(none)")
    assert len(rows) == (case.synthetic_control(frame, "wgi_cc_estimate").weights.query(
        "unit == 'AZE'")["weight"].size)
    assert (rows["n_donors"] == loo.loc["(none)", "n_donors"] - 1).all()


def test_placebo_in_time_finds_no_effect_before_a_late_break():
    panel = case_panel(break_size=1.0, seed=1)
    fake = case.placebo_in_time(panel, "wgi_cc_estimate", treatment_year=2013)
    ok = fake[fake["status"] == "ok"]
    assert len(ok) >= 3 and ok["fake_treatment_year"].max() == 2012
    assert ok["post_gap_mean"].abs().max() < 0.2  # the real break is 1.0


def test_conformal_interval_covers_the_planted_gap_and_excludes_zero():
    panel = case_panel(break_size=1.0, seed=2)
    ci = case.conformal_interval(panel, "wgi_cc_estimate", alpha=0.1,
                                 grid=np.linspace(-3, 3, 601))
    assert ci["ci_low"] <= 1.0 <= ci["ci_high"]
    assert ci["ci_low"] > 0 and ci["p_zero"] <= 0.1
    assert not ci["grid_edge_hit"]


def test_conformal_p_values_agree_with_scinference():
    from scinference import scinference

    panel = case_panel(break_size=0.4, seed=5)
    wide = panel.pivot(index="year", columns="iso3", values="wgi_cc_estimate")
    pool = case.donors()
    y, X = wide["AZE"].to_numpy(), wide[pool].to_numpy()
    post = np.asarray(wide.index >= 2013)
    for theta in (0.0, 0.2, 0.4, 0.8):
        ours = case.conformal_p(y, X, post, theta)
        ref = scinference(y, X, T1=int(post.sum()), T0=int((~post).sum()), theta0=theta,
                          estimation_method="sc", permutation_method="mb")["p_val"]
        # both enumerate the same T cyclic shifts (weights by different solvers)
        assert ours == pytest.approx(float(ref), abs=1e-9), theta


def test_conformal_grid_is_widened_until_p_crosses_alpha_and_the_words_follow():
    panel = case_panel(break_size=1.0, seed=2)
    narrow = case.conformal_interval(panel, "wgi_cc_estimate", alpha=0.1,
                                     grid=np.linspace(0.5, 1.2, 71))
    assert narrow["grid_edge_hit"]  # a given grid is searched as is
    wide = case.conformal_interval(panel, "wgi_cc_estimate", alpha=0.1)
    assert not wide["low_unbounded"] and not wide["high_unbounded"]
    # p crosses alpha just outside each end (the ends were refined by bisection)
    y, X, post = _conformal_inputs(panel)
    eps = 1e-2
    assert case.conformal_p(y, X, post, wide["ci_low"]) > 0.1
    assert case.conformal_p(y, X, post, wide["ci_low"] - eps) <= 0.1
    assert case.conformal_p(y, X, post, wide["ci_high"]) > 0.1
    assert case.conformal_p(y, X, post, wide["ci_high"] + eps) <= 0.1
    text = case.conformal_sentence(wide)
    assert f"from {wide['ci_low']:+.2f} to {wide['ci_high']:+.2f}" in text
    assert "unbounded" not in text
    # an alpha below the smallest p-value rejects nothing: unbounded on both sides, said so
    loose = case.conformal_interval(panel, "wgi_cc_estimate", alpha=0.01, max_widen=2)
    assert loose["low_unbounded"] and loose["high_unbounded"]
    text = case.conformal_sentence(loose)
    assert "unbounded below" in text and "unbounded above" in text
    assert f"below {loose['grid_low']:+.2f}" in text


def _conformal_inputs(panel):
    wide = panel.pivot(index="year", columns="iso3", values="wgi_cc_estimate")
    pool = case.donors()
    return (wide["AZE"].to_numpy(), wide[pool].to_numpy(),
            (wide.index >= 2013))


def test_event_study_runs_to_the_newest_edition_of_the_outcome():
    panel = case_panel()
    es = case.event_study(panel, "cpi_score", treatment_year=2013, window=(-1, None))
    assert es["event_time"].max() == panel.loc[panel["iso3"] == "AZE", "year"].max() - 2013
    assert es["years"].iloc[0].endswith(str(panel["year"].max()))


def test_placebo_years_only_where_the_outcome_has_data():
    panel = case_panel(break_size=1.0, seed=1)
    panel = panel[panel["year"] != 2007]  # a year without the outcome, as WGI 2001
    fake = case.placebo_in_time(panel, "wgi_cc_estimate", treatment_year=2013)
    assert 2007 not in set(fake["fake_treatment_year"])
    assert fake["fake_treatment_year"].is_unique
