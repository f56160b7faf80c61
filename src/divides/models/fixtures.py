"""Small seeded synthetic panels for tests and benchmarks of the models layer.

Not the project's demo data (demo.py): a minimal country-year frame with the panel's
column names, an unbalanced pattern, biennial e-government scores and a planted
structure: a within-country effect ``within_effect`` of EGDI on the outcome, and a much
larger between-country association through a shared country factor (income and
institutions), the pattern RESEARCH.md expects on real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from divides import provenance

INCOME_GROUPS = ("Low income", "Lower middle income", "Upper middle income", "High income")


def fixture_panel(n_countries: int = 60, years: tuple[int, int] = (2008, 2022), seed: int = 0,
                  within_effect: float = 0.5, between_effect: float = 3.0,
                  keep_share: float = 0.85, biennial_egdi: bool = False) -> pd.DataFrame:
    """A tagged (``demo``) synthetic panel; rows are dropped at random to unbalance it.

    ``wgi_cc_estimate = within_effect * egdi + between_effect * quality_i + year effect
    + controls + noise`` where ``egdi`` itself rises with ``quality_i``.
    """
    rng = np.random.default_rng(seed)
    iso3 = [f"C{i:02d}" for i in range(n_countries)]
    yrs = np.arange(years[0], years[1] + 1)
    quality = rng.normal(size=n_countries)
    income = np.clip(np.digitize(quality + rng.normal(scale=0.5, size=n_countries),
                                 [-0.7, 0.0, 0.7]), 0, 3)
    rows = []
    for i, code in enumerate(iso3):
        trend = rng.normal(0.02, 0.01)
        for t, year in enumerate(yrs):
            egdi = np.clip(0.45 + 0.15 * quality[i] + trend * t + rng.normal(scale=0.05), 0, 1)
            rows.append((code, int(year), egdi, quality[i], t))
    frame = pd.DataFrame(rows, columns=["iso3", "year", "egdi", "_quality", "_t"])
    n = len(frame)
    year_effect = dict(zip(yrs, rng.normal(scale=0.3, size=len(yrs))))
    frame["log_gdp_pc_ppp"] = 9 + 1.0 * frame["_quality"] + 0.02 * frame["_t"] + rng.normal(
        scale=0.2, size=n)
    frame["urban_pct"] = np.clip(55 + 10 * frame["_quality"] + rng.normal(scale=5, size=n),
                                 5, 100)
    frame["internet_users_pct"] = np.clip(
        30 + 15 * frame["_quality"] + 3 * frame["_t"] + rng.normal(scale=4, size=n), 0, 100)
    frame["osi"] = np.clip(frame["egdi"] + rng.normal(scale=0.05, size=n), 0, 1)
    frame["wgi_cc_estimate"] = (within_effect * frame["egdi"] + between_effect * frame["_quality"]
                                + frame["year"].map(year_effect)
                                + 0.05 * frame["log_gdp_pc_ppp"]
                                + rng.normal(scale=0.15, size=n))
    frame["cpi_score"] = np.where(frame["year"] >= 2012,
                                  50 + 15 * frame["wgi_cc_estimate"]
                                  + rng.normal(scale=3, size=n), np.nan)
    frame["income_group"] = [INCOME_GROUPS[income[int(c[1:])]] for c in frame["iso3"]]
    frame["region"] = ["R" + str(int(c[1:]) % 4) for c in frame["iso3"]]
    frame["gap_sex_pp"] = np.where(rng.random(n) < 0.5,
                                   np.clip(8 - 4 * frame["_quality"] + rng.normal(size=n), -5,
                                           40), np.nan)
    if biennial_egdi:
        odd = frame["year"] % 2 == 1
        frame.loc[odd, ["egdi", "osi"]] = np.nan
    keep = rng.random(n) < keep_share
    frame = frame.loc[keep].drop(columns=["_quality", "_t"]).reset_index(drop=True)
    return provenance.tag(frame, data="demo", generator="models.fixtures")


def null_panel(seed: int, n_countries: int = 40, n_years: int = 8) -> pd.DataFrame:
    """A panel where the key regressor ``x`` has no effect given the control ``z``.

    ``x`` is correlated with ``z`` (the case where permuting x alone over-rejects);
    ``y1`` and ``y2`` depend on ``z`` (and ``z2``) and on country effects with
    country-level heteroskedasticity, never on ``x``: b = 0 in every spec that controls
    for ``z``, pooled or two-way FE. For the size test of the curve inference.
    """
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_countries), n_years)
    t = np.tile(np.arange(2010, 2010 + n_years), n_countries)
    c = rng.normal(size=n_countries)
    z = c[g] + 0.5 * rng.normal(size=g.size)
    x = 0.8 * z + 0.5 * rng.normal(size=n_countries)[g] + rng.normal(size=g.size)
    z2 = rng.normal(size=g.size)
    noise = rng.normal(size=n_countries)[g] + rng.normal(size=g.size)
    scale = rng.uniform(0.5, 2.0, n_countries)[g]
    y1 = 1.0 * z + 0.3 * z2 + scale * noise
    y2 = 0.5 * z + scale * (0.6 * noise + 0.8 * rng.normal(size=g.size))
    frame = pd.DataFrame({"iso3": [f"C{i:02d}" for i in g], "year": t, "x": x, "z": z,
                          "z2": z2, "y1": y1, "y2": y2})
    return provenance.tag(frame, "demo", sources={c: "simulated" for c in frame.columns})


def null_grid(draws: int = 199) -> dict:
    """The spec-curve grid of the size test: 2 outcomes x 2 control sets x 2 estimators x
    2 lags, every spec controlling for ``z``."""
    return {"grid": {"outcomes": ["y1", "y2"], "key_regressors": ["x"],
                     "estimators": ["pooled", "twfe"], "lags": [0, 1], "samples": ["all"],
                     "lag_rule": "exact", "min_countries": 10},
            "controls": {"z": ["z"], "z_z2": ["z", "z2"]},
            "inference": {"draws": draws, "seed": 7, "alpha": 0.05, "wild_below": 0}}
