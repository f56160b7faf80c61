"""Sentences from results say what the numbers say: direction, size and sign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from divides.models import narrative

pytestmark = pytest.mark.unit


def table(rows):
    return pd.DataFrame(rows, columns=["model", "term", "coef", "ci_low", "ci_high"])


@pytest.mark.parametrize("before, after, says", [
    (3.315, -0.248, "changes sign"),           # the demo case the issue reported
    (2.0, 0.5, "shrinks by 75 % in size"),
    (-2.0, -3.0, "grows by 50 % in size"),
    (1.0, 1.0, "stays the same"),
])
def test_coefficient_change_states_what_the_numbers_do(before, after, says):
    t = table([("no controls", "egdi", before, 0, 0), ("controls", "egdi", after, 0, 0)])
    text = narrative.coefficient_change(t, "egdi", "no controls", "controls",
                                        "once income is controlled")
    assert text.endswith(f"it {says}.")
    assert f"{before:.3f}" in text and f"{after:.3f}" in text
    assert "shrinks" not in text or abs(after) < abs(before)


@pytest.mark.parametrize("pooled, within, lo, hi, size, ci", [
    (4.0, 0.4, -0.1, 0.9, "far smaller in size than", "includes"),
    (4.0, 2.0, 1.0, 3.0, "smaller in size than", "excludes"),
    (1.0, -3.0, -4.0, -2.0, "larger in size than", "excludes"),
])
def test_within_vs_pooled(pooled, within, lo, hi, size, ci):
    t = table([("pooled", "egdi", pooled, 0, 0), ("two-way FE", "egdi", within, lo, hi)])
    text = narrative.within_vs_pooled(t, "egdi", "pooled", "two-way FE")
    assert size in text and f"{ci} zero" in text
    assert ("opposite sign" in text) == (np.sign(pooled) != np.sign(within))
    assert f"= {abs(within) / abs(pooled):.2f}" in text


def test_missing_model_is_named():
    t = table([("pooled", "egdi", 1.0, 0, 0)])
    with pytest.raises(ValueError, match="two-way FE"):
        narrative.within_vs_pooled(t, "egdi", "pooled", "two-way FE")


def test_association_matches_pandas_and_reads_its_direction():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 80)
    frame = pd.DataFrame({"x": x, "up": x + rng.normal(0, 20, 80),
                          "down": -x + rng.normal(0, 20, 80), "none": rng.normal(0, 1, 80)})
    for col, direction in (("up", "rises"), ("down", "falls")):
        a = narrative.association(frame, "x", col)
        assert a.rho == pytest.approx(frame["x"].corr(frame[col], method="spearman"))
        assert a.direction == direction and a.n == 80
    text = narrative.association_sentence(frame, "x", "down", "access", "parity")
    assert text.startswith("Across 80 countries, parity falls as access rises")


def test_no_relation_is_called_unclear_about_as_often_as_alpha_allows():
    """Simulation: with independent x and y, a direction is claimed in about 5 % of samples."""
    rng = np.random.default_rng(1)
    claimed = 0
    runs = 400
    for _ in range(runs):
        frame = pd.DataFrame({"x": rng.normal(size=40), "y": rng.normal(size=40)})
        claimed += narrative.association(frame, "x", "y").direction != "unclear"
    assert 0.02 <= claimed / runs <= 0.09, claimed / runs


def test_too_few_rows_state_no_association():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [2.0, 1.0]})
    assert "no association is stated" in narrative.association_sentence(frame, "x", "y", "a", "b")


def test_curve_tests_sentence_names_each_test_and_its_direction():
    inf = pd.DataFrame({"key_regressor": ["egdi"], "estimator": ["twfe"], "n_specs": [40],
                        "median_coef_std": [0.08], "median_t": [1.9], "share_sig_pos": [0.3],
                        "share_sig_neg": [0.05], "p_median_t": [0.04], "p_median_t_rw": [0.1],
                        "p_share": [0.114], "p_share_pos": [0.043], "p_share_neg": [1.0],
                        "n_draws": [999]})
    text = narrative.curve_tests(inf, "egdi", "twfe")
    assert "median t +1.90" in text and "p = 0.040 (two-sided" in text
    assert "larger share (positive) tested without choosing its direction: p = 0.114" in text
    assert "positive p = 0.043, negative p = 1.000" in text
    inf.loc[0, ["share_sig_pos", "share_sig_neg"]] = [0.0, 0.2]
    assert "larger share (negative)" in narrative.curve_tests(inf, "egdi", "twfe")
    assert "no estimable" in narrative.curve_tests(inf, "osi", "twfe")
    inf["n_draws"] = 0
    assert "no curve-level test" in narrative.curve_tests(inf, "egdi", "twfe")


def test_dominated_families_flag_where_one_country_carries_the_estimate():
    table = pd.DataFrame({
        "status": "ok", "key_regressor": ["gap"] * 4 + ["egdi"] * 4,
        "estimator": "twfe",
        "max_country_weight_share": [0.5, 0.3, 0.1, 0.1, 0.1, 0.26, 0.1, 0.1],
        "max_weight_country": ["AZE", "AZE", "GEO", "ARM", "X", "Y", "Z", "W"]})
    fams = narrative.dominated_families(table).set_index("key_regressor")
    assert fams.loc["gap", "share_dominated"] == 0.5 and fams.loc["gap", "flagged"]
    assert fams.loc["gap", "most_often_dominant"] == "AZE"
    assert fams.loc["egdi", "share_dominated"] == 0.25 and fams.loc["egdi", "flagged"]
    text = narrative.dominance_sentence(fams.reset_index(), flag=0.3)
    assert "gap (twfe: 50% of 4 specs, most often AZE)" in text and "egdi" not in text
    assert "No family" in narrative.dominance_sentence(fams.reset_index(), flag=0.6)


def test_within_vs_pooled_states_the_convention_of_its_interval():
    t = pd.DataFrame([
        {"model": "pooled", "term": "egdi", "coef": 2.0, "ci_low": 1.0, "ci_high": 3.0},
        {"model": "two-way FE", "term": "egdi", "coef": 0.5, "ci_low": 0.001,
         "ci_high": 0.999, "p": 0.0499, "cov_type": "clustered",
         "cov_detail": "clustered by country (CR1), t(G-1)", "year_first": 2003,
         "year_last": 2022, "n_countries": 180}])
    text = narrative.within_vs_pooled(t, "egdi", "pooled", "two-way FE")
    assert text.endswith("excludes zero under this convention only (clustered by country "
                         "(CR1), t(G-1), 2003-2022, 180 countries, p = 0.050).")


def _waves_panel():
    """Three countries: A and B in irregular waves, C every year 2010-2014."""
    rows = [("A", 2010, 30.0, 0.1), ("A", 2014, 20.0, 0.3), ("B", 2011, 10.0, 0.5),
            ("B", 2013, 12.0, 0.6), ("B", 2018, 5.0, 0.9)]
    rows += [("C", y, None, 0.4 + 0.01 * k) for k, y in enumerate(range(2010, 2015))]
    rows += [("A", 2012, None, 0.2)]
    return pd.DataFrame(rows, columns=["iso3", "year", "bribes", "wgi"])


def test_observed_counts_waves_calendars_and_unfilled_years():
    o = narrative.observed(_waves_panel(), "bribes")
    assert (o.n_values, o.n_countries, o.per_country_min, o.per_country_max) == (5, 2, 2, 3)
    assert (o.first_year, o.last_year, o.n_calendars) == (2010, 2018, 2)
    # A: 2010-2014 has 5 years, 2 observed -> 3; B: 2011-2018 has 8, 3 observed -> 5
    assert o.n_gaps == 8 and o.irregular
    every_year = narrative.observed(_waves_panel(), "wgi")
    # A 2010/2012/2014 leaves 2 years, B 2011/2013/2018 leaves 5, C none
    assert every_year.n_gaps == 7 and every_year.n_calendars == 3
    annual = narrative.observed(_waves_panel().query("iso3 == 'C'"), "wgi")
    assert (annual.n_gaps, annual.n_calendars, annual.irregular) == (0, 1, False)


def test_measurement_sentence_states_definition_waves_and_the_comparison():
    f = _waves_panel()
    text = narrative.measurement_sentence(f, "bribes", "Bribery incidence",
                                          "Share of firms asked for a bribe",
                                          {"wgi": "WGI", "bribes": "itself", "cpi": "absent"})
    rho = narrative.association(f, "bribes", "wgi")
    assert text.startswith("**Bribery incidence.** Share of firms asked for a bribe. It is "
                           "observed in 5 country-years of 2 countries, 2 to 3 years per "
                           "country (median 2.5) between 2010 and 2018, in 2 different sets "
                           "of years; the 8 country-years")
    assert f"WGI, observed in 11 country-years, has Spearman rho = {rho.rho:.2f}" in text
    assert "over the 5 country-years having both" in text
    assert "itself" not in text and "absent" not in text  # the outcome and absent columns
    empty = narrative.measurement_sentence(f.assign(bribes=np.nan), "bribes", "B", "Def.", {})
    assert empty == "B: Def. This build has no value of it."


@pytest.mark.parametrize("lo, hi, says", [
    (-3.0, -1.0, "y falls as x rises"), (1.0, 3.0, "y rises with x"),
    (-1.0, 1.0, "the direction is not established (the interval includes zero)")])
def test_estimate_sentence_reads_the_interval(lo, hi, says):
    t = pd.DataFrame([{"model": "m", "term": "x", "coef": (lo + hi) / 2, "ci_low": lo,
                       "ci_high": hi, "p": 0.01, "n_obs": 40, "n_countries": 12}])
    text = narrative.estimate_sentence(t, "m", "x", "x", "y")
    assert text.endswith(f"40 country-years of 12 countries): {says}.")
    assert f"interval {lo:.3f} to {hi:.3f}, p = 0.010" in text


def test_rows_used_sentence_names_each_models_rows_and_refuses_unknown_models():
    t = pd.DataFrame([{"model": "a", "term": "x", "n_obs": 10},
                      {"model": "a", "term": "c", "n_obs": 10},
                      {"model": "b", "term": "x_lag1", "n_obs": 25}])
    text = narrative.rows_used_sentence(t, 30, "Bribes", ["a", "b"])
    assert text.startswith("Bribes has 30 country-years with a value; the models use: *a* 10, "
                           "*b* 25 (")
    with pytest.raises(ValueError, match="no model 'z'"):
        narrative.rows_used_sentence(t, 30, "Bribes", ["z"])


def test_decomposition_sentence_states_the_shares_it_is_given():
    from divides.models import speccurve as sc

    dec = pd.DataFrame({"decision": ["estimator", "family", "lag", "sample", sc.REST],
                        "r2_shapley": [0.4, 0.25, 0.01, 0.02, 0.32], "n_specs": 1200})
    text = narrative.decomposition_sentence(dec)
    assert text.startswith("Of the variance of the 1,200 standardised estimates, "
                           "estimator 40%, family 25%; sample, lag together 3%; 32% is "
                           "interactions")
    assert text.endswith("On its own, the estimator moves the curve most.")
    flipped = narrative.decomposition_sentence(dec.assign(
        r2_shapley=[0.1, 0.5, 0.01, 0.02, 0.37]))
    assert "family 50%, estimator 10%" in flipped and "the family moves" in flipped
    assert "More than half" not in flipped
    none = narrative.decomposition_sentence(dec.assign(r2_shapley=[0.01] * 4 + [0.96]))
    assert "no decision explains 5% or more" in none and "On its own" not in none
    assert none.endswith("More than half of the variance is in the interactions: what one "
                         "decision does depends on the others.")


def _conventions(ps, notes, n_periods=11, coef=-0.25):
    return pd.DataFrame({"term": "egdi", "coef": coef,
                         "convention": [f"c{i}" for i in range(len(ps))], "stderr": 0.1,
                         "p": ps, "note": notes, "n_periods": n_periods})


def test_p_conventions_sentence_states_the_range_of_the_usable_conventions_only():
    c = _conventions([0.03, 0.2, 0.11, 0.0001], ["t(10)", "t(10)", "999 draws",
                                                "unreliable: 11 periods (< 20)"])
    text = narrative.p_conventions_sentence(c, 20)
    # the unreliable Driscoll-Kraay p (0.0001) is not the low end: 0.030 is
    assert text.startswith("p-values from 0.030 to 0.200 for one estimate (-0.250) under "
                           "the usable conventions")
    assert "not reliable here: 11 unevenly spaced periods, fewer than 20" in text
    reliable = narrative.p_conventions_sentence(c.assign(note="", n_periods=25), 20)
    assert reliable.startswith("p-values from 0.000 to 0.200")
    assert reliable.endswith("Driscoll-Kraay uses 25 periods")
    assert "(0.250)" in narrative.p_conventions_sentence(c.assign(coef=0.25), 20)


def _loo(gaps, ps, dropped=("(none)", "GEO", "ARM", "KAZ")):
    return pd.DataFrame({"dropped": list(dropped), "post_gap_mean": gaps, "placebo_p": ps,
                         "weight": [np.nan, 0.6, 0.3, 0.1], "top_donor": "GEO",
                         "top_weight": 0.6})


def test_leave_one_out_sentence_states_the_range_and_the_donor_that_moves_it_most():
    text = narrative.leave_one_out_sentence(_loo([-0.2, 0.05, -0.25, -0.18],
                                                 [0.1, 0.8, 0.2, 0.1]))
    assert text == ("All donors: post-treatment gap -0.200 (placebo p = 0.10), GEO carrying "
                    "60% of the weight. Leaving one donor out, the gap ranges from -0.250 to "
                    "+0.050; without GEO it is +0.050 (placebo p = 0.80).")
    flipped = narrative.leave_one_out_sentence(_loo([0.2, -0.05, 0.25, 0.18],
                                                    [0.1, 0.8, 0.2, 0.1]))
    assert "gap +0.200" in flipped and "from -0.050 to +0.250" in flipped
    with pytest.raises(ValueError, match="dropped '\\(none\\)'"):
        narrative.leave_one_out_sentence(_loo([0.1] * 4, [0.1] * 4, ("A", "B", "C", "D")))


def test_screened_sentence_names_the_donors_put_back_or_says_there_are_none():
    assert narrative.screened_sentence(["GEO"], "post_soviet", -0.1234, 0.25) == (
        "With the screened donors put back (GEO): gap -0.123, placebo p = 0.25.")
    assert narrative.screened_sentence([], "post_soviet") == (
        "No donor of post_soviet is screened out: nothing to put back.")
    with pytest.raises(ValueError, match="GEO"):
        narrative.screened_sentence(["GEO"], "post_soviet")


def test_event_window_sentence_says_whether_the_window_reaches_the_newest_edition():
    panel = pd.DataFrame({"iso3": ["AZE"] * 3 + ["ARM"], "year": [2008, 2020, 2022, 2024],
                          "wgi": [0.1, 0.2, np.nan, 0.3]})
    es = pd.DataFrame({"outcome": ["wgi"], "years": ["2008-2020"]})
    assert narrative.event_window_sentence(es, panel, "AZE") == (
        "wgi: 2008-2020, to the newest edition with AZE (2020)")
    short = narrative.event_window_sentence(es.assign(years="2008-2018"), panel, "AZE")
    assert short == "wgi: 2008-2018, ending 2 years before the newest edition with AZE (2020)"


def test_curve_count_sentence_reads_the_notes():
    assert narrative.curve_count_sentence({"n_ok": 1150, "n_specs": 1296, "draws": 199}) == (
        "1150 of 1296 specifications estimated; 199 null-imposed bootstrap draws")
