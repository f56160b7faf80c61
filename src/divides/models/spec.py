"""Model specifications and the design (estimation sample) they select from a panel.

A :class:`Spec` says, like a small formula, what to regress on what::

    Spec(outcome="wgi_cc_estimate", regressors=("egdi",), controls=("log_gdp_pc_ppp",),
         estimator="twfe", lag=1, interactions=(("egdi", "gap_sex_pp"),))

:func:`prepare` turns a spec and a country-year panel into a :class:`Design`: the rows
used, the regressor matrix and a count of every dropped row by reason (nothing is dropped
silently).

Lag rule. EGOV is biennial, so a lag is counted in calendar years, within country:

* ``lag_rule="exact"`` (default): lag k at year t is the value observed at year t-k
  exactly; when that year is missing the row is dropped (counted as ``lag_unavailable``),
  never filled from an earlier observation.
* ``lag_rule="latest"``: the value of the latest *survey year* at or before t-k (a
  survey year is a year in which any country has a value; the survey must be at most
  ``max_lookback_years`` before t-k, default 2, one EGOV edition). A country missing from
  that survey (e.g. not assessed) gets no value: an older survey is never substituted.
  This is the lag of the biennial EGOV editions ("EGDI of the latest survey before t").

Standardised coefficients (``standardise=True``): the outcome and every regressor and
control are z-scored over the estimation sample (pooled mean and standard deviation
across all its country-years, ``ddof=1``) before fitting; an interaction is the product
of its z-scored components. A coefficient is then "standard deviations of the outcome per
standard deviation of the regressor", using pooled (not within-country) SDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from divides.errors import DividesError

ESTIMATORS = ("cross_section", "pooled", "between", "twfe")
#: Default covariance per estimator (see estimators.py for each one's convention).
DEFAULT_COV = {"cross_section": "HC3", "pooled": "clustered", "between": "robust",
               "twfe": "clustered"}
COV_TYPES = {"cross_section": ("HC3", "HC1", "nonrobust"),
             "pooled": ("clustered", "driscoll_kraay"),
             "between": ("robust", "unadjusted"),
             "twfe": ("clustered", "driscoll_kraay")}
LAG_RULES = ("exact", "latest")
#: Fewer countries than this in the estimation sample is an error (clustered errors by
#: country, and fixed effects, need many countries).
MIN_COUNTRIES = 10
ENTITY = "iso3"
TIME = "year"


class ModelError(DividesError):
    """A model cannot be estimated as specified (too few countries, bad column, ...)."""


@dataclass(frozen=True)
class Spec:
    """One model: outcome, regressors, controls, lag, interactions, sample, estimator.

    ``regressors`` are the terms of interest (lagged by ``lag`` years within country);
    ``controls`` are contemporaneous unless ``lag_controls``. ``interactions`` are pairs
    ``(a, b)``: ``a`` a regressor or control, ``b`` any panel column (a moderator that
    need not enter alone, e.g. a time-invariant gap under country fixed effects); the
    product enters as ``a_x_b``, each part lagged when it is a lagged term. ``sample`` is a ``DataFrame.query`` expression applied before
    anything else (e.g. ``"income_group == 'High income'"``); ``year`` selects the year of
    a cross-section.
    """

    outcome: str
    regressors: tuple[str, ...]
    controls: tuple[str, ...] = ()
    estimator: str = "twfe"
    cov_type: str | None = None
    lag: int = 0
    lag_controls: bool = False
    lag_rule: str = "exact"
    max_lookback_years: int = 2
    interactions: tuple[tuple[str, str], ...] = ()
    sample: str | None = None
    sample_label: str | None = None
    year: int | None = None
    standardise: bool = False
    min_countries: int = MIN_COUNTRIES
    dk_bandwidth: int | None = None
    name: str = ""

    def __post_init__(self):
        if self.sample_label is None:  # labelled by the actual sample, never "all" for a query
            object.__setattr__(self, "sample_label", self.sample or "all")
        object.__setattr__(self, "regressors", _as_tuple(self.regressors))
        object.__setattr__(self, "controls", _as_tuple(self.controls))
        object.__setattr__(self, "interactions",
                           tuple(tuple(p) for p in self.interactions))
        if self.estimator not in ESTIMATORS:
            raise ModelError(f"spec {self.label}: estimator: expected one of {ESTIMATORS}, "
                             f"found {self.estimator!r}")
        cov = self.cov_type or DEFAULT_COV[self.estimator]
        if cov not in COV_TYPES[self.estimator]:
            raise ModelError(f"spec {self.label}: cov_type for {self.estimator}: expected one "
                             f"of {COV_TYPES[self.estimator]}, found {cov!r}")
        object.__setattr__(self, "cov_type", cov)
        if self.lag_rule not in LAG_RULES:
            raise ModelError(f"spec {self.label}: lag_rule: expected one of {LAG_RULES}, "
                             f"found {self.lag_rule!r}")
        if self.lag < 0:
            raise ModelError(f"spec {self.label}: lag: expected >= 0 years, found {self.lag}")
        if self.estimator == "cross_section" and self.year is None:
            raise ModelError(f"spec {self.label}: cross_section needs year=<int>")
        for a, b in self.interactions:
            if a not in self.regressors + self.controls:
                raise ModelError(f"spec {self.label}: interaction ({a}, {b}): expected "
                                 f"{a!r} among regressors or controls")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        rhs = "+".join(self.regressors + self.controls)
        return f"{self.estimator}:{self.outcome}~{rhs}|lag{self.lag}|{self.sample_label}"

    def lagged_name(self, column: str) -> str:
        """Column name of a (possibly lagged) variable in the design."""
        lagged = column in self.regressors or (self.lag_controls and column in self.controls)
        return f"{column}_lag{self.lag}" if (lagged and self.lag) else column

    @property
    def terms(self) -> tuple[str, ...]:
        """Design column names, in order (regressors, interactions, controls)."""
        regs = tuple(self.lagged_name(c) for c in self.regressors)
        inter = tuple(f"{self.lagged_name(a)}_x_{self.lagged_name(b)}"
                      for a, b in self.interactions)
        ctrl = tuple(self.lagged_name(c) for c in self.controls)
        return regs + inter + ctrl


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@dataclass
class Design:
    """The estimation sample of one spec: ids, outcome, regressors and the drop count."""

    spec: Spec
    frame: pd.DataFrame  # iso3, year, outcome, terms (estimation rows only)
    y: np.ndarray
    X: np.ndarray
    terms: tuple[str, ...]
    rows_in: int
    drops: dict[str, int] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)  # SDs used to standardise

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def n_countries(self) -> int:
        return int(self.frame[ENTITY].nunique())

    @property
    def years(self) -> tuple[int, int]:
        return int(self.frame[TIME].min()), int(self.frame[TIME].max())

    @property
    def n_years(self) -> int:
        return int(self.frame[TIME].nunique())


def as_long(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with ``iso3`` and ``year`` as columns (accepts a MultiIndex), checked unique."""
    frame = panel
    if ENTITY not in frame.columns or TIME not in frame.columns:
        frame = frame.reset_index()
    for col in (ENTITY, TIME):
        if col not in frame.columns:
            raise ModelError(f"panel: column {col!r}: expected present, found columns "
                             f"{list(frame.columns)[:12]}...")
    dup = frame.duplicated([ENTITY, TIME])
    if dup.any():
        first = frame.loc[dup, [ENTITY, TIME]].iloc[0].tolist()
        raise ModelError(f"panel: rows (iso3, year): expected unique, found {int(dup.sum())} "
                         f"duplicates, first {first}")
    return frame


def lagged(panel: pd.DataFrame, column: str, lag_years: int, rule: str = "exact",
           max_lookback_years: int = 2) -> pd.Series:
    """``column`` lagged by ``lag_years`` calendar years within country (see module doc).

    >>> p = pd.DataFrame({"iso3": ["A"] * 3, "year": [2010, 2012, 2013], "x": [1., 2., 3.]})
    >>> lagged(p, "x", 1).tolist()     # 2011 missing: no value for 2012, never 2010's
    [nan, nan, 2.0]
    >>> lagged(p, "x", 1, rule="latest").tolist()   # survey years 2010, 2012, 2013
    [nan, 1.0, 2.0]
    """
    frame = as_long(panel)
    if column not in frame.columns:
        raise ModelError(f"panel: column {column!r}: expected present (for a lag)")
    if lag_years == 0:
        return frame[column].astype(float)
    years = frame[TIME].astype(int)
    if rule == "exact":
        source = frame.set_index([ENTITY, TIME])[column].astype(float)
        target = pd.MultiIndex.from_arrays([frame[ENTITY], years - lag_years])
        return pd.Series(source.reindex(target).to_numpy(), index=frame.index,
                         name=f"{column}_lag{lag_years}")
    if rule != "latest":
        raise ModelError(f"lag rule: expected one of {LAG_RULES}, found {rule!r}")
    survey_years = np.sort(frame.loc[frame[column].notna(), TIME].astype(int).unique())
    target = (years - lag_years).to_numpy()
    pos = np.searchsorted(survey_years, target, side="right") - 1
    found = pos >= 0
    survey = np.where(found, survey_years[np.maximum(pos, 0)], -10**6)
    found &= (target - survey) <= max_lookback_years
    source = frame.set_index([ENTITY, TIME])[column].astype(float)
    values = source.reindex(pd.MultiIndex.from_arrays([frame[ENTITY], survey])).to_numpy()
    return pd.Series(np.where(found, values, np.nan), index=frame.index,
                     name=f"{column}_lag{lag_years}")


def prepare(panel: pd.DataFrame, spec: Spec) -> Design:
    """The design of ``spec`` on ``panel``; raises :class:`ModelError` when not estimable."""
    frame = as_long(panel)
    rows_in = len(frame)
    drops: dict[str, int] = {}
    moderators = tuple(dict.fromkeys(b for _, b in spec.interactions
                                     if b not in spec.regressors + spec.controls))
    needed = {spec.outcome, *spec.regressors, *spec.controls, *moderators}
    missing_cols = sorted(c for c in needed if c not in frame.columns)
    if missing_cols:
        raise ModelError(f"spec {spec.label}: panel columns {missing_cols}: expected present")

    work = pd.DataFrame({ENTITY: frame[ENTITY].to_numpy(), TIME: frame[TIME].to_numpy()},
                        index=frame.index)
    work[spec.outcome] = frame[spec.outcome].astype(float)
    lag_cols = set(spec.regressors) | (set(spec.controls) if spec.lag_controls else set())
    for col in dict.fromkeys(spec.regressors + spec.controls + moderators):
        name = spec.lagged_name(col)
        if col in lag_cols and spec.lag:
            work[name] = lagged(frame, col, spec.lag, spec.lag_rule, spec.max_lookback_years)
        else:
            work[name] = frame[col].astype(float)

    keep = pd.Series(True, index=frame.index)
    if spec.sample:
        try:
            chosen = frame.index.isin(frame.query(spec.sample).index)
        except Exception as exc:  # noqa: BLE001 - any query error: name the spec
            raise ModelError(f"spec {spec.label}: sample {spec.sample!r}: expected a valid "
                             f"DataFrame.query expression, found error {exc}") from None
        drops["sample_filter"] = int((~chosen).sum())
        keep &= chosen
    if spec.year is not None:
        in_year = (frame[TIME] == spec.year).to_numpy()
        drops["other_year"] = int((keep & ~in_year).sum())
        keep &= in_year
    # attribute each dropped row to the first missing column, in design order
    design_cols = [spec.outcome] + [spec.lagged_name(c) for c in
                                    spec.regressors + spec.controls + moderators]
    for col in dict.fromkeys(design_cols):
        miss = keep & work[col].isna()
        if miss.any():
            lagged_col = col.endswith(f"_lag{spec.lag}") and spec.lag > 0
            base = col[: -len(f"_lag{spec.lag}")] if lagged_col else col
            if lagged_col:
                # present now but unavailable at t-lag, versus missing altogether
                unavailable = miss & frame[base].notna()
                if unavailable.any():
                    drops[f"lag_unavailable:{base}"] = int(unavailable.sum())
                rest = miss & ~unavailable
                if rest.any():
                    drops[f"missing:{col}"] = int(rest.sum())
            else:
                drops[f"missing:{col}"] = int(miss.sum())
        keep &= ~miss
    est = work.loc[keep].copy()
    n_countries = est[ENTITY].nunique()
    if n_countries < spec.min_countries:
        raise ModelError(
            f"spec {spec.label}: estimation sample: expected at least {spec.min_countries} "
            f"countries, found {n_countries} ({len(est)} rows of {rows_in}; drops {drops})")

    scales: dict[str, float] = {}
    if spec.standardise:
        for col in dict.fromkeys(design_cols):
            sd = float(est[col].std(ddof=1))
            if not np.isfinite(sd) or sd == 0:
                raise ModelError(f"spec {spec.label}: column {col!r}: expected variation to "
                                 f"standardise, found standard deviation {sd}")
            scales[col] = sd
            est[col] = (est[col] - est[col].mean()) / sd
    for a, b in spec.interactions:
        na, nb = spec.lagged_name(a), spec.lagged_name(b)
        est[f"{na}_x_{nb}"] = est[na] * est[nb]
    terms = spec.terms
    est = est.sort_values([ENTITY, TIME], kind="mergesort").reset_index(drop=True)
    return Design(spec=spec, frame=est[[ENTITY, TIME, spec.outcome, *dict.fromkeys(terms)]],
                  y=est[spec.outcome].to_numpy(float), X=est[list(terms)].to_numpy(float),
                  terms=terms, rows_in=rows_in, drops=drops, scales=scales)
