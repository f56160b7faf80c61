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
