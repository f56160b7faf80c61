"""The Shapley decomposition of the curve by decision returns known shares."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from divides.models import speccurve as sc

pytestmark = pytest.mark.unit

# additive effects of each decision's levels on coef_std (balanced full factorial)
EFFECTS = {"outcome": {"cpi_score": 0.0, "wgi_cc_estimate": 0.2},
           "controls": {"none": 0.0, "income": -0.1, "income_urban": -0.1},
           "estimator": {"pooled": 0.3, "twfe": -0.3},
           "lag": {0: 0.0, 1: 0.0, 2: 0.0},
           "sample": {"all": 0.05, "High income": -0.05},
           "key_regressor": {"egdi": 0.1, "osi": 0.0}}


def curve(effects=EFFECTS, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rows = [dict(zip(effects, combo)) for combo in itertools.product(*effects.values())]
    table = pd.DataFrame(rows)
    table["coef_std"] = sum(table[c].map(e) for c, e in effects.items()).astype(float)
    table["coef_std"] += noise * np.random.default_rng(seed).normal(size=len(table))
    table["status"] = "ok"
    return table


def variance_share(effects: dict) -> dict[str, float]:
    """Each decision's exact share of the variance in the balanced additive curve."""
    var = {DEC: float(np.var(list(e.values()))) for DEC, e in effects.items()}
    total = sum(var.values())
    names = {v: k for k, v in sc.DECISIONS.items()}
    return {names[c]: v / total for c, v in var.items()}


def test_balanced_additive_curve_gives_each_decision_its_share_of_the_variance():
    out = sc.decompose(curve()).set_index("decision")
    expected = variance_share(EFFECTS)
    for decision, share in expected.items():
        assert out.loc[decision, "r2_shapley"] == pytest.approx(share, abs=1e-12), decision
        # orthogonal decisions: alone, last and Shapley agree
        assert out.loc[decision, "r2_alone"] == pytest.approx(share, abs=1e-12)
        assert out.loc[decision, "r2_last"] == pytest.approx(share, abs=1e-12)
    assert expected["estimator"] == pytest.approx(0.09 / (0.09 + 0.01 + 0.0022222222 + 0.0025
                                                          + 0.0025), rel=1e-6)
    assert out.loc["lag", "r2_shapley"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc[sc.REST, "r2_shapley"] == pytest.approx(0.0, abs=1e-12)
    assert out["n_specs"].iloc[0] == 2 * 3 * 2 * 3 * 2 * 2
    assert out.index[0] == "estimator"


def test_shares_and_rest_add_up_to_one_with_noise_and_imbalance():
    table = curve(noise=0.1, seed=3)
    # unbalance it: drop a third of the two-way FE specs, and mark some not estimable
    drop = table.index[(table["estimator"] == "twfe")][::3]
    table = table.drop(drop)
    table.loc[table.index[:5], "status"] = "too few countries (5 < 10)"
    table.loc[table.index[5], "coef_std"] = np.nan
    out = sc.decompose(table)
    assert out["r2_shapley"].sum() == pytest.approx(1.0, abs=1e-12)
    assert out.attrs["r2_main_effects"] == pytest.approx(1 - out.iloc[-1]["r2_shapley"])
    assert out["n_specs"].iloc[0] == len(table) - 6
    assert 0 < out.iloc[-1]["r2_shapley"] < 0.5
    # correlated decisions: Shapley lies between the decision entering last and alone
    est = out.set_index("decision").loc["estimator"]
    lo, hi = sorted([est["r2_alone"], est["r2_last"]])
    assert lo - 1e-12 <= est["r2_shapley"] <= hi + 1e-12


def test_a_decision_that_moves_nothing_gets_nothing_and_a_relabelled_one_does():
    flat = sc.decompose(curve()).set_index("decision")
    moved = dict(EFFECTS, lag={0: 0.0, 1: 0.2, 2: 0.4})
    out = sc.decompose(curve(moved)).set_index("decision")
    assert flat.loc["lag", "r2_shapley"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc["lag", "r2_shapley"] == pytest.approx(variance_share(moved)["lag"])
    assert out.loc["lag", "r2_shapley"] > 0.15


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"\['sample'\] missing"):
        sc.decompose(curve().drop(columns="sample"))
    with pytest.raises(ValueError, match="same in every spec"):
        sc.decompose(curve().assign(coef_std=1.0))
    with pytest.raises(ValueError, match="at least 3"):
        sc.decompose(curve().assign(status="failed"))
