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


def null_panel(seed: int, n_countries: int = 40, n_years: int = 8, rho: float = 0.0,
               dominant: float = 0.0, unbalanced: bool = False,
               hetero: tuple[float, float] = (0.5, 2.0)) -> pd.DataFrame:
    """A panel where the key regressor ``x`` has no effect given the control ``z``.

    ``x`` is correlated with ``z`` (the case where permuting x alone over-rejects);
    ``y1`` and ``y2`` depend on ``z`` (and ``z2``) and on country effects with
    country-level heteroskedasticity (error SD scaled by a country factor drawn from
    ``hetero``), never on ``x``: b = 0 in every spec that controls for ``z``, pooled or
    two-way FE. For the size tests of the curve inference. Adverse designs:

    * ``rho``: AR(1) coefficient of the within-country parts of x and of the errors;
    * ``dominant``: about this share of x's variation (pooled and within) in country 0,
      whose errors are also the largest;
    * ``unbalanced``: each country keeps a random run of 3 to ``n_years`` years, and
      drops a random tenth of the rest.
    """
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_countries), n_years)
    t = np.tile(np.arange(2010, 2010 + n_years), n_countries)

    def ar1(size_scale=1.0):
        e = rng.normal(size=(n_countries, n_years))
        out = np.empty_like(e)
        out[:, 0] = e[:, 0]
        for k in range(1, n_years):
            out[:, k] = rho * out[:, k - 1] + np.sqrt(1 - rho ** 2) * e[:, k]
        return out.ravel() * size_scale

    c = rng.normal(size=n_countries)
    z = c[g] + 0.5 * rng.normal(size=g.size)
    x_scale = np.ones(n_countries)
    scale = rng.uniform(*hetero, n_countries)
    if dominant:
        # country 0's variance factor v with v / (v + G - 1) = dominant
        x_scale[0] = np.sqrt(dominant * (n_countries - 1) / (1 - dominant))
        scale[0] = hetero[1]
    x = 0.8 * z + x_scale[g] * (0.5 * rng.normal(size=n_countries)[g] + ar1())
    z2 = rng.normal(size=g.size)
    noise = rng.normal(size=n_countries)[g] + ar1()
    y1 = 1.0 * z + 0.3 * z2 + scale[g] * noise
    y2 = 0.5 * z + scale[g] * (0.6 * noise + 0.8 * ar1())
    frame = pd.DataFrame({"iso3": [f"C{i:02d}" for i in g], "year": t, "x": x, "z": z,
                          "z2": z2, "y1": y1, "y2": y2})
    if unbalanced:
        length = rng.integers(3, n_years + 1, n_countries)
        start = rng.integers(0, n_years - length + 1)
        k = t - 2010
        keep = (k >= start[g]) & (k < start[g] + length[g]) & (rng.random(g.size) >= 0.1)
        frame = frame.loc[keep].reset_index(drop=True)
    return provenance.tag(frame, "demo", sources={c: "simulated" for c in frame.columns})


#: Adverse null designs of the size tests (tests/unit and benchmarks/speccurve_size.py).
ADVERSE_DESIGNS = {
    "15 countries": {"n_countries": 15},
    "20 countries, AR(1) 0.8": {"n_countries": 20, "rho": 0.8, "n_years": 10},
    "one country ~40 % of the weight": {"n_countries": 20, "dominant": 0.52},
    "unbalanced, uneven years": {"n_countries": 20, "unbalanced": True, "n_years": 10},
    "heteroskedastic clusters (SD x 0.2-5)": {"n_countries": 20, "hetero": (0.2, 5.0)},
}


def null_grid(draws: int = 199, wild_below: int = 0, wild_draws: int = 199,
              wild_draws_max: int = 999) -> dict:
    """The spec-curve grid of the size test: 2 outcomes x 2 control sets x 2 estimators x
    2 lags, every spec controlling for ``z``; specs with fewer than ``wild_below``
    countries are judged significant by their wild bootstrap p-value."""
    return {"grid": {"outcomes": ["y1", "y2"], "key_regressors": ["x"],
                     "estimators": ["pooled", "twfe"], "lags": [0, 1], "samples": ["all"],
                     "lag_rule": "exact", "min_countries": 10},
            "controls": {"z": ["z"], "z_z2": ["z", "z2"]},
            "inference": {"draws": draws, "seed": 7, "alpha": 0.05, "wild_below": wild_below,
                          "wild_draws": wild_draws, "wild_draws_max": wild_draws_max}}
