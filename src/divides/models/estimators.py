"""Estimators behind one interface: ``fit(panel, spec) -> Result``.

=============  ==========================================  ===============================
estimator      what                                        errors (``cov_type``)
=============  ==========================================  ===============================
cross_section  OLS on one year (``spec.year``)             HC3 (statsmodels), default
pooled         OLS on all country-years (linearmodels      clustered by country (default);
               PooledOLS)                                  Driscoll-Kraay
between        OLS on country means (linearmodels          robust (HC0 x N/(N-K)), default
               BetweenOLS)
twfe           country and year fixed effects              clustered by country (default);
               (linearmodels PanelOLS)                     Driscoll-Kraay
=============  ==========================================  ===============================

Clustered errors use one convention for pooled and TWFE, so their tables compare: CR1
with G/(G-1) x (N-1)/(N-K) (what linearmodels 7.1 ``debiased=True, group_debias=True``
computes, measured in tests; Stata's ``regress, vce(cluster)``; pyfixest
``ssc(k_adj=True, k_fixef="none", G_adj=True)``), K = slope regressors (plus the constant
in pooled), the absorbed fixed effects not counted in the scale. p-values and confidence intervals use
t(df_resid) with df_resid = N - K - (number of absorbed effects), as linearmodels does.
Driscoll-Kraay: Bartlett kernel, bandwidth ``spec.dk_bandwidth`` or linearmodels'
automatic choice. The fast spec-curve engine (speccurve.py) reproduces pooled and TWFE
with these conventions exactly (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from divides import catalogue, provenance
from divides.models.spec import ENTITY, TIME, Design, ModelError, Spec, prepare

COV_LABELS = {
    "HC3": "HC3",
    "HC1": "HC1",
    "nonrobust": "classical",
    "clustered": "clustered by country (CR1)",
    "driscoll_kraay": "Driscoll-Kraay (Bartlett)",
    "robust": "robust on country means",
    "unadjusted": "classical on country means",
}
#: What the R² of each estimator measures (the two-way FE one: after removing both effects).
R2_KINDS = {
    "cross_section": "R²",
    "pooled": "R²",
    "between": "R² of country means",
    "twfe": "within R² (net of country and year effects)",
}
ESTIMATOR_LABELS = {
    "cross_section": "cross-section OLS",
    "pooled": "pooled OLS",
    "between": "between (country means)",
    "twfe": "two-way FE (country, year)",
}


@dataclass
class Result:
    """Estimates of one spec plus everything a table needs to be honest about them."""

    spec: Spec
    terms: tuple[str, ...]
    coef: np.ndarray
    stderr: np.ndarray
    tstat: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_obs: int
    n_countries: int
    years: tuple[int, int]
    n_years: int
    df_resid: float
    data_kind: str
    sources: str
    cov_detail: str
    drops: dict[str, int] = field(default_factory=dict)
    rows_in: int = 0
    #: Share of the outcome's variance the model explains, in the estimator's own sense
    #: (:data:`R2_KINDS`); NaN when not computed.
    r2: float = float("nan")

    @property
    def params(self) -> pd.Series:
        return pd.Series(self.coef, index=list(self.terms), name="coef")

    def __getitem__(self, term: str) -> dict:
        i = list(self.terms).index(term)
        return {"coef": self.coef[i], "stderr": self.stderr[i], "t": self.tstat[i],
                "p": self.pvalue[i], "ci_low": self.ci_low[i], "ci_high": self.ci_high[i]}


def sources_for(frame: pd.DataFrame, columns) -> str:
    """Publishers behind ``columns`` (``;``-joined): the column registry's first-priority
    source of each (``catalogue.column_sources``), kept only where the panel's provenance
    lists it. ``_lagN`` suffixes and a ``log_`` prefix name the column they transform;
    ``gap_<dimension>_<source>_...`` (models.frames) names its source; anything else is
    ``derived``."""
    meta = frame.attrs.get(provenance.META_KEY, {})
    given = meta.get("sources") if isinstance(meta, dict) else None
    known = set(catalogue.sources()["source"])
    found = set()
    for col in columns:
        base = col.split("_lag")[0]
        if isinstance(given, dict) and base in given:
            found.add(str(given[base]))
        elif catalogue.has_column(base, "panel"):
            found.add(catalogue.column_sources(base, "panel")[0])
        elif base.startswith("log_") and catalogue.has_column(base[4:], "panel"):
            found.add(catalogue.column_sources(base[4:], "panel")[0])
        elif base.startswith("gap_"):
            parts = base.split("_")
            found.add(parts[2] if len(parts) > 3 and parts[2] in known else "gaps")
        else:
            found.add("derived")
    if isinstance(given, (list, tuple)):
        found = {s for s in found if s in set(given) or s in ("derived", "gaps")}
    return ";".join(sorted(found))


def _lm_frame(design: Design) -> tuple[pd.Series, pd.DataFrame]:
    frame = design.frame.set_index([ENTITY, TIME])
    return frame[design.spec.outcome], frame[list(design.terms)]


def _dk_config(spec: Spec) -> dict:
    config = {"kernel": "bartlett"}
    if spec.dk_bandwidth is not None:
        config["bandwidth"] = spec.dk_bandwidth
    return config


def _from_linearmodels(res, design: Design, drop_const: bool = True):
    names = [n for n in res.params.index if not (drop_const and n == "const")]
    ci = res.conf_int()
    return (names, res.params[names].to_numpy(), res.std_errors[names].to_numpy(),
            res.tstats[names].to_numpy(), res.pvalues[names].to_numpy(),
            ci.loc[names].iloc[:, 0].to_numpy(), ci.loc[names].iloc[:, 1].to_numpy(),
            float(res.df_resid), float(res.rsquared))


def _fit_cross_section(design: Design):
    import statsmodels.api as sm

    X = sm.add_constant(pd.DataFrame(design.X, columns=list(design.terms)), has_constant="add")
    res = sm.OLS(design.y, X).fit(cov_type=design.spec.cov_type)
    ci = res.conf_int()
    names = ["const", *design.terms]
    return (names, res.params[names].to_numpy(), res.bse[names].to_numpy(),
            res.tvalues[names].to_numpy(), res.pvalues[names].to_numpy(),
            ci.loc[names, 0].to_numpy(), ci.loc[names, 1].to_numpy(), float(res.df_resid),
            float(res.rsquared))


def _fit_pooled(design: Design):
    from linearmodels import PooledOLS

    y, X = _lm_frame(design)
    X = X.assign(const=1.0)[["const", *design.terms]]
    model = PooledOLS(y, X)
    if design.spec.cov_type == "clustered":
        res = model.fit(cov_type="clustered", cluster_entity=True, debiased=True,
                        group_debias=True)
    else:
        res = model.fit(cov_type="kernel", debiased=True, **_dk_config(design.spec))
    return _from_linearmodels(res, design, drop_const=False)


def _fit_between(design: Design):
    from linearmodels import BetweenOLS

    y, X = _lm_frame(design)
    X = X.assign(const=1.0)[["const", *design.terms]]
    res = BetweenOLS(y, X).fit(cov_type=design.spec.cov_type, debiased=True)
    return _from_linearmodels(res, design, drop_const=False)


def _fit_twfe(design: Design):
    from linearmodels import PanelOLS

    y, X = _lm_frame(design)
    model = PanelOLS(y, X, entity_effects=True, time_effects=True, drop_absorbed=False)
    common = {"debiased": True, "auto_df": False, "count_effects": False}
    try:
        if design.spec.cov_type == "clustered":
            res = model.fit(cov_type="clustered", cluster_entity=True, group_debias=True,
                            **common)
        else:
            res = model.fit(cov_type="kernel", **common, **_dk_config(design.spec))
    except Exception as exc:  # noqa: BLE001 - absorbed regressors, rank: say which spec
        raise ModelError(f"spec {design.spec.label}: two-way FE: expected estimable "
                         f"within-country variation, found error: {exc}") from None
    return _from_linearmodels(res, design)


_FITTERS = {"cross_section": _fit_cross_section, "pooled": _fit_pooled,
            "between": _fit_between, "twfe": _fit_twfe}


def cov_detail(spec: Spec) -> str:
    """One-line statement of the error convention used by ``spec``."""
    if spec.cov_type == "clustered":
        return "clustered by country, CR1 G/(G-1)*(N-1)/(N-K), t(df_resid)"
    if spec.cov_type == "driscoll_kraay":
        bw = spec.dk_bandwidth if spec.dk_bandwidth is not None else "auto"
        return f"Driscoll-Kraay, Bartlett kernel, bandwidth {bw}, N/(N-K)"
    if spec.cov_type == "HC3":
        return "HC3 heteroskedasticity-robust (statsmodels)"
    if spec.cov_type == "robust":
        return "heteroskedasticity-robust on country means, N/(N-K)"
    return COV_LABELS.get(spec.cov_type, spec.cov_type)


def fit(panel: pd.DataFrame, spec: Spec) -> Result:
    """Estimate ``spec`` on ``panel`` (a tagged country-year frame; see provenance.py).

    Raises :class:`ModelError` when the sample has fewer than ``spec.min_countries``
    countries, a column is missing, or the estimator cannot identify a term.
    """
    kind = provenance.data_kind(panel)
    design = prepare(panel, spec)
    if spec.estimator == "twfe" and design.n_years < 2:
        raise ModelError(f"spec {spec.label}: two-way FE: expected at least 2 years, found "
                         f"{design.n_years}")
    names, coef, se, t, p, lo, hi, df, r2 = _FITTERS[spec.estimator](design)
    return Result(spec=spec, terms=tuple(names), coef=np.asarray(coef, float),
                  stderr=np.asarray(se, float), tstat=np.asarray(t, float),
                  pvalue=np.asarray(p, float), ci_low=np.asarray(lo, float),
                  ci_high=np.asarray(hi, float), n_obs=design.n_obs,
                  n_countries=design.n_countries, years=design.years,
                  n_years=design.n_years, df_resid=df, data_kind=kind,
                  sources=sources_for(panel, [spec.outcome, *spec.regressors,
                                              *spec.controls]),
                  cov_detail=cov_detail(spec), drops=design.drops, rows_in=design.rows_in,
                  r2=r2)


#: Driscoll-Kraay errors need many periods; fewer than this is flagged as unreliable.
DK_MIN_PERIODS = 20


def p_value_conventions(panel: pd.DataFrame, spec: Spec, draws: int = 999,
                        seed: int = 2020) -> pd.DataFrame:
    """The p-value of the first regressor of a two-way FE ``spec`` under four conventions.

    * clustered, within convention (this project's default): CR1 with K = slopes only,
      t(N - K - absorbed effects);
    * clustered, dummy-variable convention (Stata ``areg``, fixest ``ssc(k_fixef="full")``):
      the absorbed effects counted in K of the CR1 factor;
    * wild cluster bootstrap (WCR, Rademacher, restricted residuals; country and year
      dummies in the design);
    * Driscoll-Kraay, flagged unreliable below :data:`DK_MIN_PERIODS` periods (biased
      downwards with few, unevenly spaced periods).
    """
    import pyfixest as pf
    from scipy import stats

    from divides.models import bootstrap

    if spec.estimator != "twfe":
        raise ModelError(f"spec {spec.label}: p-value conventions: expected estimator twfe, "
                         f"found {spec.estimator!r}")
    term = spec.terms[0]
    base = fit(panel, Spec(**{**_spec_fields(spec), "cov_type": "clustered"}))
    dk = fit(panel, Spec(**{**_spec_fields(spec), "cov_type": "driscoll_kraay"}))
    design = prepare(panel, spec)
    frame = design.frame
    rhs = " + ".join(f"Q('{t}')" if not t.isidentifier() else t for t in design.terms)
    dv = pf.feols(f"{spec.outcome} ~ {rhs} | {ENTITY} + {TIME}", data=frame,
                  vcov={"CRV1": ENTITY}, fixef_rm="none",
                  ssc=pf.ssc(k_adj=True, k_fixef="full", G_adj=True))
    se_dv = float(dv.se().iloc[0])
    b = float(base.coef[0])
    p_dv = float(2 * stats.t.sf(abs(b / se_dv), base.df_resid))
    g = pd.factorize(frame[ENTITY], sort=True)[0]
    t = pd.factorize(frame[TIME], sort=True)[0]
    X = np.column_stack([design.X, np.eye(g.max() + 1)[g], np.eye(t.max() + 1)[t][:, 1:]])
    _, p_wild = bootstrap.wild_p(design.y, X, 0, g, draws, seed)
    n_periods = design.n_years
    dk_note = (f"unreliable: {n_periods} periods (< {DK_MIN_PERIODS}); biased downwards"
               if n_periods < DK_MIN_PERIODS else "")
    rows = [("clustered CR1, within convention (K = slopes)", base.stderr[0], base.pvalue[0],
             f"t({base.df_resid:.0f})"),
            ("clustered CR1, dummy-variable convention (K counts the effects)", se_dv, p_dv,
             f"t({base.df_resid:.0f})"),
            ("wild cluster bootstrap (WCR, Rademacher)", np.nan, p_wild,
             f"{draws} draws, seed {seed}"),
            ("Driscoll-Kraay (Bartlett)", dk.stderr[0], dk.pvalue[0], dk_note)]
    out = pd.DataFrame(rows, columns=["convention", "stderr", "p", "note"])
    out.insert(0, "coef", b)
    out.insert(0, "term", term)
    out["n_obs"], out["n_countries"], out["n_periods"] = design.n_obs, design.n_countries, \
        n_periods
    return out


def _spec_fields(spec: Spec) -> dict:
    from dataclasses import fields

    return {f.name: getattr(spec, f.name) for f in fields(spec)}
