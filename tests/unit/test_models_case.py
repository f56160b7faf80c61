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
        case.event_study(case_panel(), "wgi_cc_estimate", donor_pool=["ARM", "GEO"])
