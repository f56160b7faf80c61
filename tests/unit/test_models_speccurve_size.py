"""Size of the null-imposed curve test: seeded panels with a true null rejected about 5 %.

The key regressor is correlated with a control (the case where the old country-block
permutation of x alone rejected 17-29 % of the time); every specification controls for
it, so b = 0 holds in every spec (models.fixtures.null_panel). benchmarks/speccurve_size.py
runs a larger simulation.
"""

from __future__ import annotations

import pytest

from divides.models import speccurve as sc
from divides.models.fixtures import null_grid, null_panel

pytestmark = pytest.mark.unit


def test_curve_test_holds_its_size_under_a_true_null():
    n_sim = 300
    reject = {("pooled", "p_median"): 0, ("twfe", "p_median"): 0,
              ("pooled", "p_share_sig"): 0, ("twfe", "p_share_sig"): 0}
    for s in range(n_sim):
        curve = sc.run(null_panel(1000 + s), None, grid=null_grid(), draws=199, seed=s)
        inf = curve.inference.set_index("estimator")
        for est, stat in reject:
            reject[(est, stat)] += bool(inf.loc[est, stat] <= 0.05)
    rates = {k: v / n_sim for k, v in reject.items()}
    for key, rate in rates.items():
        assert 0.02 <= rate <= 0.08, (key, rates)
