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
