"""Which decisions move the curve: a Shapley decomposition of the estimates' variance.

Each specification is a combination of decisions (outcome, controls, estimator, lag,
sample, key-regressor family). Regressing the standardised estimates on the decisions'
dummies (main effects) gives an R-squared; its Shapley (LMG) split gives each decision
the average gain in R-squared from adding it, over every order in which the decisions can
enter (Lindeman, Merenda and Gold 1980; Groemping 2006). The shares add up to the main
effects' R-squared; what is left (1 - R-squared) is what the decisions do only together:
with one specification per combination of decisions (the project's grid) it is exactly
the interactions between decisions. In a balanced design with additive effects each decision's share is its
exact share of the variance, whatever the order.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

#: Decision -> the curve table's column that holds it.
DECISIONS = {"outcome": "outcome", "controls": "controls", "estimator": "estimator",
             "lag": "lag", "sample": "sample", "family": "key_regressor"}
#: The row for what no single decision explains.
REST = "interactions between decisions"


def _r2(y: np.ndarray, blocks: list[np.ndarray]) -> float:
    """R-squared of y on an intercept and the given dummy blocks."""
    tss = float(np.sum((y - y.mean()) ** 2))
    if not blocks:
        return 0.0
    X = np.column_stack([np.ones(y.size), *blocks])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    rss = float(np.sum((y - X @ beta) ** 2))
    return max(0.0, 1.0 - rss / tss)


def decompose(table: pd.DataFrame, value: str = "coef_std",
              decisions: dict[str, str] | None = None) -> pd.DataFrame:
    """Shapley R-squared of the curve's estimates by decision.

    ``table``: the curve table (``speccurve.run(...).table``); the estimable specs
    (``status == "ok"``, finite ``value``) are used. One row per decision: ``levels``
    (distinct values among those specs), ``r2_alone`` (the decision's dummies alone),
    ``r2_shapley`` (its Shapley share of the main-effects R-squared), ``r2_last`` (the
    gain when it enters last), ``share_of_variance`` (= ``r2_shapley``), then a row
    :data:`REST` with 1 - R-squared. Sorted by ``r2_shapley``, largest first; ``n_specs``
    on every row. A decision with one level explains nothing (0).
    """
    decisions = dict(DECISIONS if decisions is None else decisions)
    needed = [value, "status", *decisions.values()]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"speccurve decomposition: columns {missing} missing from the curve "
                         f"table: expected {needed}")
    ok = table.loc[(table["status"] == "ok") & np.isfinite(table[value].astype(float))]
    if len(ok) < 3:
        raise ValueError(f"speccurve decomposition: {len(ok)} estimable specs with a finite "
                         f"{value!r}: expected at least 3")
    y = ok[value].to_numpy(dtype=float)
    if float(np.var(y)) == 0.0:
        raise ValueError(f"speccurve decomposition: {value!r} is the same in every spec: "
                         "nothing to decompose")
    names = list(decisions)
    blocks = {}
    for name, col in decisions.items():
        codes = pd.factorize(ok[col].astype(str), sort=True)[0]
        dummies = np.eye(codes.max() + 1)[codes][:, 1:]
        blocks[name] = dummies
    r2: dict[frozenset, float] = {}
    for k in range(len(names) + 1):
        for subset in combinations(names, k):
            r2[frozenset(subset)] = _r2(y, [blocks[n] for n in subset])
    p = len(names)
    full = r2[frozenset(names)]
    rows = []
    for name in names:
        others = [n for n in names if n != name]
        phi = 0.0
        for k in range(p):
            w = factorial(k) * factorial(p - k - 1) / factorial(p)
            for subset in combinations(others, k):
                s = frozenset(subset)
                phi += w * (r2[s | {name}] - r2[s])
        rows.append({"decision": name, "column": decisions[name],
                     "levels": int(ok[decisions[name]].nunique()),
                     "r2_alone": r2[frozenset([name])], "r2_shapley": phi,
                     "r2_last": full - r2[frozenset(others)]})
    out = pd.DataFrame(rows).sort_values("r2_shapley", ascending=False, kind="mergesort")
    rest = {"decision": REST, "column": "", "levels": 0, "r2_alone": np.nan,
            "r2_shapley": 1.0 - full, "r2_last": np.nan}
    out = pd.concat([out, pd.DataFrame([rest])], ignore_index=True)
    out["share_of_variance"] = out["r2_shapley"]
    out["n_specs"] = len(ok)
    out.attrs["value"] = value
    out.attrs["r2_main_effects"] = full
    return out
