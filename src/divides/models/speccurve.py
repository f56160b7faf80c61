"""Specification curve (Simonsohn, Simmons and Nelson 2020) that scales out on dask.

The grid (``data/speccurve_grid.toml``): outcome (TI CPI score or WGI control of
corruption: the data source is a specification choice) x key regressor (internet use,
EGDI, OSI, each gap measure) x controls set x estimator (pooled, two-way FE) x lag
(0, 1, 2 years, exact rule of spec.py) x sample (all, each income group). Each spec
is estimated by listwise deletion on its own variables.

What this adds to R specr / speccurvieR and Python specification_curve / robustipy:

* two-way fixed effects (country and year) inside the grid, with clustered errors of
  the same convention as the reference estimator (estimators.py);
* inference on the whole curve with the null imposed (Simonsohn et al. 2020: y* = y -
  b x in every spec), by a wild cluster bootstrap whose country weights are shared by all
  specs of a draw, so the dependence between specs is kept while each spec's sample and
  design stay fixed (:func:`curve_inference`); Romano-Wolf adjusted p-values across the
  key regressors; a per-spec WCR wild bootstrap p-value where countries are few. The
  earlier country-block permutation of the key regressor alone is gone: it tested
  "x independent of (y, controls)", not "b = 0 given the controls", and over-rejected
  when x is correlated with a control;
* data choices as dimensions: the outcome source (TI CPI vs WGI) in the grid, and the
  ASAN treatment year (2012 vs 2013) x outcome in ``case_specs.csv`` (models/case.py),
  which ``divides specs`` writes beside the curve;
* demeaning cached across specifications that share an estimation sample (same rows):
  the country-demeaned year-dummy basis and every demeaned column are computed once
  per sample (:class:`CurveEngine`), and reused by every bootstrap draw.

Engine. Pooled and TWFE are computed in numpy: TWFE by Frisch-Waugh-Lovell (demean by
country, then project out the country-demeaned year dummies), which is exact on
unbalanced panels, with the CR1 clustered errors and t(df_resid) of estimators.py; the
tests check it against linearmodels PanelOLS / PooledOLS and pyfixest. ``engine=
"pyfixest"`` or ``"linearmodels"`` route the same grid through those libraries instead
(benchmarks/specs_bench.py times all three).

Backends: ``serial``, ``processes`` (a local process pool) or ``dask`` (a
dask.distributed client at ``scheduler``, or a LocalCluster). Every backend gives the
same table (specs are sorted by ``spec_id``; results do not depend on the order in
which specs are computed).
"""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from divides import config, provenance
from divides.models import bootstrap
from divides.models.estimators import sources_for
from divides.models.spec import ENTITY, TIME, as_long, lagged

GRID_TOML = config.PACKAGE_DATA_DIR / "speccurve_grid.toml"
TABLE_COLUMNS = ("spec_id", "outcome", "key_regressor", "term", "controls", "estimator",
                 "lag", "lag_rule", "sample", "status", "coef", "stderr", "t", "p", "p_wild",
                 "ci_low", "ci_high", "coef_std", "ci_low_std", "ci_high_std", "n_obs",
                 "n_countries", "n_singletons", "year_first", "year_last", "rank_in_family",
                 "key_definition", "data_kind", "sources")
STD_NOTE = ("coef_std = coef x SD(regressor) / SD(outcome), pooled SDs over the spec's "
            "estimation sample")


# --------------------------------------------------------------------------- grid

def load_grid(path: str | Path = GRID_TOML) -> dict:
    with open(path, "rb") as fh:
        return validate_grid(tomllib.load(fh), str(path))


GAP_FAMILY_FIELDS = ("dimension", "source", "indicators", "groups")


def validate_grid(grid: dict, where: str = "speccurve grid") -> dict:
    """The grid, checked: known estimators and weights, complete gap families.

    An unknown estimator would otherwise be estimated as something else under its name;
    samples are checked against the panel in :func:`sample_masks`.
    """
    g = grid.get("grid", {})
    for name in ("outcomes", "key_regressors", "estimators", "lags", "samples"):
        if name not in g:
            raise ValueError(f"{where}: [grid] {name}: expected a list, found none")
    unknown = [e for e in g["estimators"] if e not in CURVE_ESTIMATORS]
    if unknown:
        raise ValueError(f"{where}: [grid] estimators {unknown}: expected among the known "
                         f"estimators {list(CURVE_ESTIMATORS)}")
    for name, fam in grid.get("gap_families", {}).items():
        missing = [f for f in GAP_FAMILY_FIELDS if not fam.get(f)]
        if missing or not name.startswith("gap_"):
            raise ValueError(f"{where}: [gap_families.{name}]: expected a name gap_... and "
                             f"fields {list(GAP_FAMILY_FIELDS)}, missing {missing}")
    kind = grid.get("inference", {}).get("weights", "rademacher")
    if kind not in bootstrap.WEIGHT_KINDS:
        raise ValueError(f"{where}: [inference] weights: expected one of "
                         f"{list(bootstrap.WEIGHT_KINDS)}, found {kind!r}")
    return grid


def gap_family_labels(grid: dict) -> dict[str, str]:
    """What each gap family of the grid is, in words (for tables and figures)."""
    return {name: f"gap_pp of {' or '.join(f['indicators'])} ({f['source']}), {f['groups']}"
            for name, f in grid.get("gap_families", {}).items()}


def gap_columns(gaps: pd.DataFrame | None, families: dict[str, dict],
                measure: str = "gap_pp") -> pd.DataFrame:
    """Wide gap columns, one per family of the grid, keyed by iso3, year.

    A family is one dimension, source and indicator (the first of its ``indicators`` the
    gaps table has): nothing is picked by rule. ``attrs["gap_choice"]``: per column, the
    indicator, source and groups used; ``attrs["gap_missing"]``: families whose data is
    absent, with the reason.
    """
    out = pd.DataFrame(columns=[ENTITY, TIME])
    choice, missing = {}, {}
    for name, fam in families.items():
        if gaps is None or len(gaps) == 0:
            missing[name] = "no gaps table"
            continue
        sub = gaps[(gaps["dimension"] == fam["dimension"]) & (gaps["source"] == fam["source"])
                   & gaps[measure].notna()]
        present = [i for i in fam["indicators"] if (sub["indicator"] == i).any()]
        if not present:
            missing[name] = (f"none of {fam['indicators']} in the gaps table for "
                             f"{fam['dimension']} ({fam['source']})")
            continue
        sub = sub[sub["indicator"] == present[0]]
        groups = sorted(set(zip(sub["advantaged_group"], sub["disadvantaged_group"])))
        if len(groups) != 1:
            raise ValueError(f"speccurve: gap family {name}: expected one pair of groups in "
                             f"{present[0]} ({fam['source']}), found {groups}")
        wide = sub.groupby([ENTITY, TIME])[measure].mean().rename(name).reset_index()
        choice[name] = (f"gap_pp of {present[0]} ({fam['source']}): {groups[0][0]} - "
                        f"{groups[0][1]}")
        out = wide if out.empty and len(out.columns) == 2 else out.merge(
            wide, on=[ENTITY, TIME], how="outer")
    out.attrs["gap_choice"] = choice
    out.attrs["gap_missing"] = missing
    return out


@dataclass(frozen=True)
class SpecRow:
    spec_id: int
    outcome: str
    key: str
    controls_label: str
    controls: tuple[str, ...]
    estimator: str
    lag: int
    sample: str


def analysis_frame(panel: pd.DataFrame, gaps: pd.DataFrame | None, grid: dict) -> pd.DataFrame:
    """Panel + gap columns + lagged key regressors (``<x>_lag<k>``), tagged like the panel."""
    g = grid["grid"]
    frame = as_long(panel).copy()
    wide = gap_columns(gaps, grid.get("gap_families", {}), g.get("gap_measure", "gap_pp"))
    if len(wide.columns) > 2:
        frame = frame.merge(wide, on=[ENTITY, TIME], how="left")
    keys = [k for k in key_regressors(frame, grid)]
    for key in keys:
        for lag in g["lags"]:
            if lag:
                frame[f"{key}_lag{lag}"] = lagged(frame, key, lag, g.get("lag_rule", "exact"))
    frame = frame.sort_values([ENTITY, TIME], kind="mergesort").reset_index(drop=True)
    frame.attrs = dict(panel.attrs)
    frame.attrs["gap_choice"] = dict(wide.attrs.get("gap_choice", {}))
    frame.attrs["gap_missing"] = dict(wide.attrs.get("gap_missing", {}))
    return frame


def key_regressors(frame: pd.DataFrame, grid: dict) -> list[str]:
    g = grid["grid"]
    keys = list(g["key_regressors"])
    return keys + [name for name in grid.get("gap_families", {}) if name in frame.columns]


def sample_masks(frame: pd.DataFrame, grid: dict) -> dict[str, np.ndarray]:
    masks = {}
    for choice in grid["grid"]["samples"]:
        if choice == "all":
            masks["all"] = np.ones(len(frame), bool)
        elif choice in frame.columns:
            values = grid.get("sample_values", {}).get(choice)
            known = sorted(frame[choice].dropna().unique())
            unknown = [v for v in values or [] if v not in known]
            if unknown:
                raise ValueError(f"speccurve grid: sample_values.{choice} {unknown}: expected "
                                 f"values of the panel's {choice}, known: {known}")
            for value in values or known:
                masks[f"{choice}={value}"] = (frame[choice] == value).to_numpy()
        else:
            raise ValueError(f"speccurve grid: samples: expected 'all' or a panel column "
                             f"(known: {sorted(c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and c != ENTITY)}"
                             f"), found {choice!r}")
    return masks


def enumerate_specs(frame: pd.DataFrame, grid: dict) -> list[SpecRow]:
    """Every specification of the grid, numbered in a fixed order."""
    g = grid["grid"]
    controls = grid["controls"]
    rows = []
    combos = itertools.product(g["outcomes"], key_regressors(frame, grid), controls.items(),
                               g["estimators"], g["lags"], sample_masks(frame, grid))
    for i, (y, key, (clabel, cvars), est, lag, sample) in enumerate(combos):
        rows.append(SpecRow(i, y, key, clabel, tuple(cvars), est, int(lag), sample))
    return rows


# --------------------------------------------------------------------------- engine

@dataclass
class Payload:
    """What a worker needs: columns as float arrays, ids, masks (pickled once per worker)."""

    columns: dict[str, np.ndarray]
    country: np.ndarray  # int codes
    year: np.ndarray  # int codes
    masks: dict[str, np.ndarray]
    min_countries: int
    alpha: float
    key_columns: tuple[str, ...]
    lookup: np.ndarray  # (n_countries, n_years) -> row or -1
    token: str = ""
    wild_below: int = 30
    wild_draws: int = 999
    wild_seed: int = 2020
    weights: str = "rademacher"


def make_payload(frame: pd.DataFrame, grid: dict) -> Payload:
    g = grid["grid"]
    inf = grid.get("inference", {})
    keys = key_regressors(frame, grid)
    key_cols = tuple(c for c in frame.columns
                     if c in keys or any(c == f"{k}_lag{lag}" for k in keys for lag in g["lags"]))
    needed = set(g["outcomes"]) | set(key_cols) | {c for v in grid["controls"].values()
                                                   for c in v}
    missing = sorted(c for c in needed if c not in frame.columns)
    if missing:
        raise ValueError(f"speccurve: panel columns {missing}: expected present")
    country = pd.factorize(frame[ENTITY], sort=True)[0]
    year = pd.factorize(frame[TIME], sort=True)[0]
    lookup = np.full((country.max() + 1, year.max() + 1), -1, dtype=np.int64)
    lookup[country, year] = np.arange(len(frame))
    columns = {c: frame[c].to_numpy(dtype=float) for c in sorted(needed)}
    digest = hashlib.blake2b(digest_size=8)
    for c in sorted(columns):
        digest.update(c.encode())
        digest.update(np.ascontiguousarray(columns[c]).tobytes())
    return Payload(columns=columns, country=country, year=year,
                   masks=sample_masks(frame, grid), min_countries=int(g.get("min_countries", 10)),
                   alpha=float(grid.get("inference", {}).get("alpha", 0.05)),
                   key_columns=key_cols, lookup=lookup, token=digest.hexdigest(),
                   wild_below=int(inf.get("wild_below", 30)),
                   wild_draws=int(inf.get("wild_draws", 999)),
                   wild_seed=int(inf.get("seed", 2020)),
                   weights=str(inf.get("weights", "rademacher")))


@dataclass
class _FE:
    idx: np.ndarray
    g: np.ndarray  # country code 0..G-1 of each sample row
    t: np.ndarray  # year code 0..T-1
    counts: np.ndarray  # rows per country
    N: np.ndarray  # (G, T) country-year counts
    A_pinv: np.ndarray  # pseudo-inverse of D'M_country D (T x T)
    n_groups: int
    n_times: int


class CurveEngine:
    """Estimates specs on a payload; caches fixed-effect structures and demeaned columns.

    The cache key of a sample is a hash of its row mask: specifications with the same
    rows (e.g. EGDI and OSI, which come from the same survey) share the work. The
    year effects are partialled out after the country demeaning through the T x T matrix
    D'M D (D year dummies, M the country-demeaning projection), never an n x T matrix.
    Two-way FE drop singletons first (a country or year with one row, repeatedly, as
    fixest does): they are fitted exactly and carry no information, so they leave the
    estimate and the counts of rows and countries (``n_singletons``).
    """

    def __init__(self, payload: Payload, max_masks: int = 512):
        self.p = payload
        self.max_masks = max_masks
        self._fe: dict[bytes, _FE] = {}
        self._demeaned: dict[tuple[bytes, str], np.ndarray] = {}
        self._weights: dict[tuple, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def _fe_for(self, key: bytes, idx: np.ndarray) -> _FE:
        fe = self._fe.get(key)
        if fe is not None:
            self.hits += 1
            return fe
        self.misses += 1
        g = np.unique(self.p.country[idx], return_inverse=True)[1]
        t = np.unique(self.p.year[idx], return_inverse=True)[1]
        counts = np.bincount(g).astype(float)
        n_groups, n_times = int(counts.size), int(t.max() + 1)
        N = np.zeros((n_groups, n_times))
        np.add.at(N, (g, t), 1.0)
        A = np.diag(N.sum(axis=0)) - N.T @ (N / counts[:, None])
        A_pinv = np.linalg.pinv(A, rcond=1e-10, hermitian=True)
        fe = _FE(idx, g, t, counts, N, A_pinv, n_groups, n_times)
        if len(self._fe) >= self.max_masks:
            self._fe.clear()
            self._demeaned.clear()
        self._fe[key] = fe
        return fe

    def _within(self, key: bytes, fe: _FE, name: str, values: np.ndarray) -> np.ndarray:
        ck = (key, name)
        got = self._demeaned.get(ck)
        if got is not None:
            return got
        v = values[fe.idx]
        vc = v - (np.bincount(fe.g, weights=v) / fe.counts)[fe.g]
        a = fe.A_pinv @ np.bincount(fe.t, weights=vc, minlength=fe.n_times)
        out = vc - (a[fe.t] - ((fe.N @ a) / fe.counts)[fe.g])
        self._demeaned[ck] = out
        return out

    def _drop_singletons(self, mask: np.ndarray) -> tuple[np.ndarray, int]:
        """Mask without singleton countries and years (repeated until none is left)."""
        mask = mask.copy()
        dropped = 0
        while True:
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                return mask, dropped
            c_counts = np.bincount(self.p.country[idx], minlength=self.p.lookup.shape[0])
            y_counts = np.bincount(self.p.year[idx], minlength=self.p.lookup.shape[1])
            single = (c_counts[self.p.country[idx]] == 1) | (y_counts[self.p.year[idx]] == 1)
            if not single.any():
                return mask, dropped
            mask[idx[single]] = False
            dropped += int(single.sum())

    def design(self, row: SpecRow) -> dict:
        """The spec's estimation sample and (demeaned) design, or its status if none."""
        cols = self.p.columns
        key_col = row.key if row.lag == 0 else f"{row.key}_lag{row.lag}"
        yv, xv = cols[row.outcome], cols[key_col]
        ctrl = [(cols[c], c) for c in row.controls]
        mask = self.p.masks[row.sample] & np.isfinite(yv) & np.isfinite(xv)
        for v, _ in ctrl:
            mask &= np.isfinite(v)
        n_singletons = 0
        if row.estimator == "twfe":
            mask, n_singletons = self._drop_singletons(mask)
        idx = np.flatnonzero(mask)
        out = {"spec_id": row.spec_id, "n_obs": int(idx.size), "term": key_col,
               "n_singletons": n_singletons}
        n_countries = int(np.unique(self.p.country[idx]).size) if idx.size else 0
        out["n_countries"] = n_countries
        if n_countries < self.p.min_countries:
            return {**out, "status": f"too few countries ({n_countries} < "
                                     f"{self.p.min_countries})"}
        yr = self.p.year[idx]
        out["year_first_code"], out["year_last_code"] = int(yr.min()), int(yr.max())
        k = 1 + len(ctrl)
        fe = None
        if row.estimator == "twfe":
            key = hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).digest()
            fe = self._fe_for(key, idx)
            y = self._within(key, fe, row.outcome, yv)
            X = np.column_stack([self._within(key, fe, key_col, xv)]
                                + [self._within(key, fe, n, v) for v, n in ctrl])
            groups, n_groups = fe.g, fe.n_groups
            df_resid = idx.size - k - (fe.n_groups + fe.n_times - 1)
            pos = 0
        elif row.estimator == "pooled":
            y = yv[idx]
            X = np.column_stack([np.ones(idx.size), xv[idx]] + [v[idx] for v, _ in ctrl])
            groups = np.unique(self.p.country[idx], return_inverse=True)[1]
            n_groups = n_countries
            k += 1
            df_resid = idx.size - k
            pos = 1
        else:
            raise ValueError(f"speccurve: spec {row.spec_id}: estimator: expected one of "
                             f"{CURVE_ESTIMATORS}, found {row.estimator!r}")
        norm_x = np.sqrt(np.sum(X[:, pos] ** 2))
        if norm_x <= 1e-10 * max(np.sqrt(np.sum(xv[idx] ** 2)), 1e-300):
            return {**out, "status": ABSORBED if fe is not None else "key regressor constant"}
        if df_resid <= 0:
            return {**out, "status": "no residual degrees of freedom"}
        xtx = X.T @ X
        scale_x = np.sqrt(np.diag(xtx))
        if np.linalg.cond(xtx / np.outer(scale_x, scale_x)) > 1e12:
            return {**out, "status": "collinear regressors"}
        sd_x = float(np.std(xv[idx], ddof=1))
        sd_y = float(np.std(yv[idx], ddof=1))
        return {**out, "status": "ok", "X": X, "y": y, "pos": pos, "k": k,
                "groups": groups, "n_groups": n_groups, "df_resid": df_resid,
                "countries": np.unique(self.p.country[idx]),
                "fe": None if fe is None else bootstrap.FixedEffects(
                    fe.g, fe.t, fe.A_pinv, fe.n_groups, fe.n_times),
                "ratio": sd_x / sd_y if sd_y > 0 else np.nan}

    def estimate(self, row: SpecRow) -> dict:
        d = self.design(row)
        out = {k: v for k, v in d.items() if k in _RESULT_KEYS}
        if d["status"] != "ok":
            return out
        X, y, pos, k = d["X"], d["y"], d["pos"], d["k"]
        xtx_inv = np.linalg.inv(X.T @ X)
        beta = xtx_inv @ (X.T @ y)
        resid = y - X @ beta
        a = X @ xtx_inv[pos]
        score = np.bincount(d["groups"], weights=a * resid, minlength=d["n_groups"])
        n, G = y.size, d["n_groups"]
        se = float(np.sqrt((G / (G - 1)) * ((n - 1) / (n - k)) * np.sum(score ** 2)))
        b = float(beta[pos])
        tval = b / se if se > 0 else np.nan
        df_resid = d["df_resid"]
        p = float(2 * special.stdtr(df_resid, -abs(tval)))
        q = float(special.stdtrit(df_resid, 1 - self.p.alpha / 2))
        ratio = d["ratio"]
        p_wild = np.nan
        if d["n_groups"] < self.p.wild_below:
            p_wild = bootstrap.wild_p(y, X, pos, d["groups"], self.p.wild_draws,
                                      self.p.wild_seed, self.p.weights, d["fe"])[1]
        return {**out, "p_wild": p_wild, "coef": b, "stderr": se, "t": tval, "p": p,
                "ci_low": b - q * se, "ci_high": b + q * se, "coef_std": b * ratio,
                "ci_low_std": (b - q * se) * ratio, "ci_high_std": (b + q * se) * ratio}

    def weights(self, n_draws: int, seed: int, kind: str) -> np.ndarray:
        """One weight per country of the panel and draw, shared by every spec."""
        key = (n_draws, seed, kind)
        if key not in self._weights:
            self._weights.clear()
            self._weights[key] = bootstrap.cluster_weights(
                n_draws, self.p.lookup.shape[0], seed, kind)
        return self._weights[key]

    def null_draws(self, row: SpecRow, n_draws: int, seed: int, kind: str = "rademacher"
                   ) -> tuple[np.ndarray, np.ndarray] | None:
        """Standardised estimates and significance signs of the spec under the null.

        The null is imposed as in Simonsohn, Simmons and Nelson (2020): y* = y - b x makes
        the spec's estimate exactly 0 (then the fits with and without x coincide, so the
        residuals are the restricted ones); y** = fitted* + w_country e is re-estimated for
        every draw, with the weight of each country the same in every spec of a draw. The
        spec's sample and design stay fixed. Returns (coef_std (D,), sign (D,) int8:
        +1/-1 significant positive/negative at alpha, 0 not), or None when not estimable.
        """
        d = self.design(row)
        if d["status"] != "ok":
            return None
        X, y, pos = d["X"], d["y"], d["pos"]
        xtx_inv = np.linalg.inv(X.T @ X)
        resid = y - X @ (xtx_inv @ (X.T @ y))
        # fitted residuals are too small (leverage); scaled by the CR1 factor, the spread
        # of the bootstrap coefficient matches the CR1 variance (t* is unaffected)
        n, G = y.size, d["n_groups"]
        resid = resid * np.sqrt((G / (G - 1)) * ((n - 1) / (n - d["k"])))
        W = self.weights(n_draws, seed, kind)[:, d["countries"]]
        dev, se = bootstrap.draws(X, pos, d["groups"], d["n_groups"], resid, W, xtx_inv,
                                  d["fe"])
        q = float(special.stdtrit(d["df_resid"], 1 - self.p.alpha / 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = dev / se
        sign = (np.sign(dev) * (np.abs(t) > q)).astype(np.int8)
        return dev * d["ratio"], sign


ABSORBED = "absorbed by the country and year fixed effects"
CURVE_ESTIMATORS = ("pooled", "twfe")
_RESULT_KEYS = ("spec_id", "n_obs", "term", "n_singletons", "n_countries", "status",
                "year_first_code", "year_last_code")


# --------------------------------------------------------------------------- library engines

def estimate_with_library(frame: pd.DataFrame, row: SpecRow, engine: str,
                          masks: dict[str, np.ndarray], alpha: float = 0.05,
                          min_countries: int = 10) -> dict:
    """One spec through linearmodels or pyfixest (same conventions as CurveEngine)."""
    key_col = row.key if row.lag == 0 else f"{row.key}_lag{row.lag}"
    cols = [row.outcome, key_col, *row.controls]
    sub = frame.loc[masks[row.sample], [ENTITY, TIME, *cols]].dropna()
    n_singletons = 0
    while row.estimator == "twfe" and len(sub):
        single = ((sub.groupby(ENTITY)[TIME].transform("size") == 1)
                  | (sub.groupby(TIME)[ENTITY].transform("size") == 1))
        if not single.any():
            break
        n_singletons += int(single.sum())
        sub = sub[~single]
    out = {"spec_id": row.spec_id, "n_obs": len(sub), "term": key_col,
           "n_countries": int(sub[ENTITY].nunique()), "n_singletons": n_singletons}
    if out["n_countries"] < min_countries:
        return {**out, "status": f"too few countries ({out['n_countries']} < {min_countries})"}
    years = np.sort(frame[TIME].unique())
    out["year_first_code"] = int(np.searchsorted(years, sub[TIME].min()))
    out["year_last_code"] = int(np.searchsorted(years, sub[TIME].max()))
    try:
        if engine == "linearmodels":
            from linearmodels import PanelOLS, PooledOLS

            data = sub.set_index([ENTITY, TIME])
            X = data[[key_col, *row.controls]]
            if row.estimator == "twfe":
                res = PanelOLS(data[row.outcome], X, entity_effects=True, time_effects=True,
                               drop_absorbed=False).fit(
                    cov_type="clustered", cluster_entity=True, group_debias=True,
                    debiased=True, auto_df=False, count_effects=False)
            else:
                res = PooledOLS(data[row.outcome], X.assign(const=1.0)).fit(
                    cov_type="clustered", cluster_entity=True, group_debias=True,
                    debiased=True)
            b, se = float(res.params[key_col]), float(res.std_errors[key_col])
            df = float(res.df_resid)
        elif engine == "pyfixest":
            import pyfixest as pf

            rhs = " + ".join([key_col, *row.controls])
            fml = f"{row.outcome} ~ {rhs}" + (f" | {ENTITY} + {TIME}"
                                                if row.estimator == "twfe" else "")
            fit = pf.feols(fml, data=sub, vcov={"CRV1": ENTITY}, fixef_rm="none",
                           ssc=pf.ssc(k_adj=True, k_fixef="none", G_adj=True),
                           demeaner=pf.MapDemeaner(fixef_tol=1e-10), lean=True,
                           copy_data=False, store_data=False)
            n = len(sub)
            k = 1 + len(row.controls) + (0 if row.estimator == "twfe" else 1)
            # ssc(k_adj, k_fixef="none", G_adj) is the CR1 G/(G-1)*(N-1)/(N-K) of estimators.py
            se = float(fit.se()[key_col])
            b = float(fit.coef()[key_col])
            neff = (out["n_countries"] + sub[TIME].nunique() - 1) if row.estimator == "twfe" else 0
            df = n - k - neff
        else:
            raise ValueError(f"engine: expected numpy, linearmodels or pyfixest, found {engine!r}")
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded in the table, per spec
        return {**out, "status": f"error: {type(exc).__name__}"}
    q = float(special.stdtrit(df, 1 - alpha / 2))
    tval = b / se
    sd_x, sd_y = float(sub[key_col].std(ddof=1)), float(sub[row.outcome].std(ddof=1))
    ratio = sd_x / sd_y
    return {**out, "status": "ok", "coef": b, "stderr": se, "t": tval,
            "p": float(2 * special.stdtr(df, -abs(tval))), "ci_low": b - q * se,
            "ci_high": b + q * se, "coef_std": b * ratio, "ci_low_std": (b - q * se) * ratio,
            "ci_high_std": (b + q * se) * ratio}


# --------------------------------------------------------------------------- tasks

_ENGINES: dict[str, CurveEngine] = {}


def _engine_for(payload: Payload) -> CurveEngine:
    eng = _ENGINES.get(payload.token)
    if eng is None:
        _ENGINES.clear()
        eng = _ENGINES[payload.token] = CurveEngine(payload)
    return eng


def run_chunk(payload: Payload, rows: list[SpecRow]) -> list[dict]:
    """Estimate a list of specs (a worker task)."""
    eng = _engine_for(payload)
    return [eng.estimate(r) for r in rows]


def run_null_chunk(payload: Payload, rows: list[SpecRow], n_draws: int, seed: int,
                   kind: str = "rademacher") -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Null-imposed bootstrap draws of a list of specs (a worker task): (spec_id,
    coef_std (D,), sign (D,)) per estimable spec. Every worker makes the same weights
    from ``seed``, so a draw gives each country one weight across all specs."""
    eng = _engine_for(payload)
    out = []
    for r in rows:
        got = eng.null_draws(r, n_draws, seed, kind)
        if got is not None:
            out.append((r.spec_id, got[0].astype(np.float64), got[1]))
    return out


_WORKER_PAYLOAD: Payload | None = None


def _init_worker(payload: Payload) -> None:
    global _WORKER_PAYLOAD
    _WORKER_PAYLOAD = payload


def _chunk_in_worker(rows):
    return run_chunk(_WORKER_PAYLOAD, rows)


def _null_in_worker(args):
    rows, n_draws, seed, kind = args
    return run_null_chunk(_WORKER_PAYLOAD, rows, n_draws, seed, kind)


def chunks(rows: list[SpecRow], n_chunks: int) -> list[list[SpecRow]]:
    """Contiguous chunks of specs sorted so that specs sharing a sample stay together."""
    order = sorted(rows, key=lambda r: (r.outcome, r.sample, r.key, r.controls_label, r.lag,
                                        r.estimator, r.spec_id))
    size = max(1, -(-len(order) // max(1, n_chunks)))
    return [order[i:i + size] for i in range(0, len(order), size)]


class Backend:
    """Runs tasks serially, in a process pool or on a dask.distributed client."""

    def __init__(self, kind: str = "serial", workers: int = 2, scheduler: str | None = None,
                 client=None):
        if kind not in ("serial", "processes", "dask"):
            raise ValueError(f"backend: expected serial, processes or dask, found {kind!r}")
        self.kind, self.workers, self.scheduler = kind, workers, scheduler
        self._client, self._own_client, self._cluster, self._pool = client, False, None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._own_client and self._client is not None:
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None

    def client(self):
        if self._client is None:
            from dask.distributed import Client, LocalCluster

            if self.scheduler:
                self._client = Client(self.scheduler)
            else:
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None)
                self._client = Client(self._cluster)
            self._own_client = True
        return self._client

    def map_specs(self, payload: Payload, rows: list[SpecRow]) -> list:
        """Spec results, in the order of ``rows``."""
        parts = chunks(rows, 4 * self.workers) if self.kind != "serial" else [rows]
        got = self._map(payload, run_chunk, _chunk_in_worker, parts, ())
        by_id = {r["spec_id"]: r for part in got for r in part}
        return [by_id[r.spec_id] for r in rows]

    def map_null(self, payload: Payload, rows: list[SpecRow], n_draws: int, seed: int,
                 kind: str) -> list:
        """Null-imposed draws of every estimable spec (chunks keep shared samples together)."""
        parts = chunks(rows, 4 * self.workers) if self.kind != "serial" else [rows]
        got = self._map(payload, run_null_chunk, _null_in_worker, parts, (n_draws, seed, kind))
        return [r for part in got for r in part]

    def _map(self, payload, task, worker_task, parts, extra):
        if self.kind == "serial":
            return [task(payload, part, *extra) for part in parts]
        if self.kind == "processes":
            from concurrent.futures import ProcessPoolExecutor

            if self._pool is None:
                import multiprocessing as mp

                self._pool = ProcessPoolExecutor(self.workers, mp.get_context("spawn"),
                                                 initializer=_init_worker, initargs=(payload,))
            args = parts if not extra else [(part, *extra) for part in parts]
            return list(self._pool.map(worker_task, args))
        client = self.client()
        [remote] = client.scatter([payload], broadcast=True)
        futures = client.map(task, [remote] * len(parts), parts,
                             *[[e] * len(parts) for e in extra], pure=False)
        return client.gather(futures)


# --------------------------------------------------------------------------- run

@dataclass
class SpecCurve:
    table: pd.DataFrame
    inference: pd.DataFrame
    data_kind: str
    notes: dict = field(default_factory=dict)


def _assemble(frame: pd.DataFrame, rows: list[SpecRow], results: list[dict],
              grid: dict) -> pd.DataFrame:
    years = np.sort(frame[TIME].unique())
    by_id = {r["spec_id"]: r for r in results}
    kind = provenance.data_kind(frame)
    definitions = frame.attrs.get("gap_choice", {})
    recs = []
    sources: dict[tuple, str] = {}
    for row in rows:
        res = by_id[row.spec_id]
        skey = (row.outcome, row.key, *row.controls)
        if skey not in sources:
            sources[skey] = sources_for(frame, list(skey))
        ok = res.get("status") == "ok"
        rec = {"spec_id": row.spec_id, "outcome": row.outcome, "key_regressor": row.key,
               "term": res.get("term"), "controls": row.controls_label,
               "estimator": row.estimator, "lag": row.lag,
               "lag_rule": grid["grid"].get("lag_rule", "exact"), "sample": row.sample,
               "status": res.get("status")}
        for c in ("coef", "stderr", "t", "p", "p_wild", "ci_low", "ci_high", "coef_std",
                  "ci_low_std", "ci_high_std"):
            rec[c] = res.get(c, np.nan) if ok else np.nan
        rec["n_obs"] = res.get("n_obs", 0)
        rec["n_countries"] = res.get("n_countries", 0)
        rec["n_singletons"] = res.get("n_singletons", 0)
        rec["key_definition"] = definitions.get(row.key, row.key)
        rec["year_first"] = int(years[res["year_first_code"]]) if "year_first_code" in res else pd.NA
        rec["year_last"] = int(years[res["year_last_code"]]) if "year_last_code" in res else pd.NA
        rec["data_kind"] = kind
        rec["sources"] = sources[skey]
        recs.append(rec)
    table = pd.DataFrame(recs)
    table["year_first"] = table["year_first"].astype("Int64")
    table["year_last"] = table["year_last"].astype("Int64")
    ranks = table.groupby("key_regressor")["coef_std"].rank(method="first")
    table["rank_in_family"] = ranks.astype("Int64")
    return table[list(TABLE_COLUMNS)]


def curve_summary(table: pd.DataFrame, alpha: float = 0.05, by: tuple[str, ...] = ()
                  ) -> pd.DataFrame:
    """Curve-level statistics per key regressor and estimator (and 'all' estimators).

    median_coef_std; share of estimable specs significant (p < alpha) and positive,
    significant and negative. ``by``: further grouping columns (e.g. ``permutation``),
    placed first.
    """
    ok = table.loc[table["status"] == "ok", [*by, "key_regressor", "estimator", "coef_std", "p"]]
    sig = ok["p"] < alpha
    ok = ok.assign(sig_pos=sig & (ok["coef_std"] > 0), sig_neg=sig & (ok["coef_std"] < 0))
    stats_ = {"n_specs": ("coef_std", "size"), "median_coef_std": ("coef_std", "median"),
              "share_sig_pos": ("sig_pos", "mean"), "share_sig_neg": ("sig_neg", "mean")}
    per_estimator = ok.groupby([*by, "key_regressor", "estimator"], sort=False).agg(**stats_)
    overall = ok.groupby([*by, "key_regressor"], sort=False).agg(**stats_)
    overall = overall.assign(estimator="all").set_index("estimator", append=True)
    out = pd.concat([overall, per_estimator]).reset_index()
    # "all" sorts before the estimator names, as the tables have always listed it
    out = out.sort_values([*by, "key_regressor", "estimator"], kind="mergesort")
    out["n_specs"] = out["n_specs"].astype("int64")
    for c in ("median_coef_std", "share_sig_pos", "share_sig_neg"):
        out[c] = out[c].astype(float)
    return out.reset_index(drop=True)


def curve_inference(observed: pd.DataFrame, null_draws: list[tuple[int, np.ndarray, np.ndarray]],
                    alpha: float = 0.05, n_draws: int = 0) -> pd.DataFrame:
    """Null-imposed bootstrap p-values of the curve statistics (Simonsohn et al. 2020).

    ``null_draws``: (spec_id, coef_std (D,), sign (D,)) of every estimable spec, from
    :meth:`CurveEngine.null_draws` with one weight per country and draw in all specs, so a
    draw is a whole curve under the null. p = (1 + #draws at least as extreme) / (1 + D):
    for the median by absolute value, for the share of significant specs by the share
    in the observed dominant direction. ``*_rw``: Romano-Wolf family-wise adjusted
    p-values across the key regressors, per estimator row (all, pooled, twfe), on
    statistics studentised by each family's bootstrap SD (shares also centred on their
    bootstrap mean). A family whose draws do not vary (SD 0) gets no adjusted p-value.
    """
    obs = curve_summary(observed, alpha)
    out = obs.copy()
    for c in ("p_median", "p_share_sig", "p_median_rw", "p_share_sig_rw"):
        out[c] = np.nan
    out["n_draws"] = 0
    if not null_draws:
        return out
    ok = observed.loc[observed["status"] == "ok", ["spec_id", "key_regressor", "estimator"]]
    got = {sid: (c, s) for sid, c, s in null_draws}
    if set(got) != set(ok["spec_id"]):
        raise ValueError(f"speccurve inference: null draws for {len(got)} specs: expected "
                         f"the {len(ok)} estimable specs of the observed curve")
    coef = np.column_stack([got[s][0] for s in ok["spec_id"]])
    sign = np.column_stack([got[s][1] for s in ok["spec_id"]])
    D = coef.shape[0]
    keys, ests = ok["key_regressor"].to_numpy(), ok["estimator"].to_numpy()
    boot_med = np.full((D, len(out)), np.nan)
    boot_share = np.full((D, len(out)), np.nan)
    obs_share = np.full(len(out), np.nan)
    for i, row in out.iterrows():
        cols = (keys == row["key_regressor"]) & ((ests == row["estimator"])
                                                  | (row["estimator"] == "all"))
        pos = row["share_sig_pos"] >= row["share_sig_neg"]
        boot_med[:, i] = np.median(coef[:, cols], axis=1)
        boot_share[:, i] = np.mean(sign[:, cols] == (1 if pos else -1), axis=1)
        obs_share[i] = row["share_sig_pos"] if pos else row["share_sig_neg"]
    med = out["median_coef_std"].to_numpy()
    out["p_median"] = (1 + np.sum(np.abs(boot_med) >= np.abs(med) - 1e-12, axis=0)) / (1 + D)
    out["p_share_sig"] = (1 + np.sum(boot_share >= obs_share - 1e-12, axis=0)) / (1 + D)
    # Romano-Wolf on studentised statistics (each family's bootstrap SD), so that a family
    # with a wide null distribution (few specs, small samples) does not dominate the max
    with np.errstate(divide="ignore", invalid="ignore"):
        sd_med = boot_med.std(axis=0, ddof=1)
        z_med, zb_med = med / sd_med, boot_med / sd_med
        mean_share, sd_share = boot_share.mean(axis=0), boot_share.std(axis=0, ddof=1)
        z_share = np.maximum((obs_share - mean_share) / sd_share, 0)
        zb_share = np.maximum((boot_share - mean_share) / sd_share, 0)
    for est in out["estimator"].unique():
        rows = np.flatnonzero(out["estimator"].to_numpy() == est)
        out.loc[rows, "p_median_rw"] = bootstrap.romano_wolf(z_med[rows], zb_med[:, rows])
        out.loc[rows, "p_share_sig_rw"] = bootstrap.romano_wolf(z_share[rows],
                                                                zb_share[:, rows])
    out["n_draws"] = D
    return out


def run(panel: pd.DataFrame, gaps: pd.DataFrame | None = None, backend: str = "serial",
        scheduler: str | None = None, workers: int = 2, draws: int | None = None,
        grid: dict | None = None, client=None, seed: int | None = None,
        engine: str = "numpy") -> SpecCurve:
    """Estimate the whole grid and its null-imposed curve inference on one backend.

    ``engine="numpy"`` (default) uses :class:`CurveEngine` on any backend; ``"pyfixest"``
    or ``"linearmodels"`` estimate each spec with that library, serially, without the
    curve inference (a cross-check; benchmarks/RESULTS.md has the timings). ``draws``:
    bootstrap draws of the whole curve (grid ``[inference] draws``, 999 by default; 0
    skips the inference).
    """
    grid = validate_grid(grid or load_grid())
    frame = analysis_frame(panel, gaps, grid)
    rows = enumerate_specs(frame, grid)
    payload = make_payload(frame, grid)
    inf = grid.get("inference", {})
    n_draws = int(inf.get("draws", 999) if draws is None else draws)
    base_seed = int(inf.get("seed", 2020) if seed is None else seed)
    kind = str(inf.get("weights", "rademacher"))
    alpha = float(inf.get("alpha", 0.05))
    kind_data = provenance.data_kind(frame)
    if engine != "numpy":
        results = [estimate_with_library(frame, r, engine, payload.masks, alpha,
                                         payload.min_countries) for r in rows]
        table = _assemble(frame, rows, results, grid)
        inference = curve_inference(table, [], alpha)
        inference.insert(0, "data_kind", kind_data)
        return SpecCurve(table=table, inference=inference, data_kind=kind_data,
                         notes={"n_specs": len(rows), "engine": engine, "draws": 0,
                                "n_ok": int((table["status"] == "ok").sum())})
    with Backend(backend, workers, scheduler, client) as be:
        results = be.map_specs(payload, rows)
        table = _assemble(frame, rows, results, grid)
        null = be.map_null(payload, rows, n_draws, base_seed, kind) if n_draws else []
    inference = curve_inference(table, null, alpha)
    inference.insert(0, "data_kind", kind_data)
    notes = {"n_specs": len(rows), "n_ok": int((table["status"] == "ok").sum()),
             "gap_columns": frame.attrs.get("gap_choice", {}),
             "gap_families": gap_family_labels(grid),
             "gap_missing": frame.attrs.get("gap_missing", {}),
             "draws": n_draws, "standardised": STD_NOTE,
             "inference": (f"null imposed per spec (y* = y - b x), wild cluster bootstrap by "
                           f"country, {kind} weights shared by all specs of a draw, "
                           f"{n_draws} draws, seed {base_seed}"),
             "wild_p": f"p_wild: WCR wild cluster bootstrap (restricted residuals, {kind}, "
                       f"{payload.wild_draws} draws) for specs with fewer than "
                       f"{payload.wild_below} countries"}
    return SpecCurve(table=table, inference=inference, data_kind=kind_data, notes=notes)


def write(curve: SpecCurve, out_dir: str | Path) -> list[Path]:
    """``speccurve.csv`` and ``speccurve_inference.csv`` (byte-identical for equal input)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (("speccurve.csv", curve.table),
                        ("speccurve_inference.csv", curve.inference)):
        path = out_dir / name
        path.write_bytes(frame.to_csv(index=False, float_format="%.10g",
                                      lineterminator="\n").encode("utf-8"))
        paths.append(path)
    return paths


FIGURE_CHOICES = ("outcome", "estimator", "controls", "lag", "sample")


def figure_inputs(curve: SpecCurve, keys=None):
    """(name, frame, kwargs) per key regressor for figures.charts.specification_curve.

    The frame carries standardised estimates in ``coef/ci_low/ci_high`` (CPI and WGI
    have different scales; see :data:`STD_NOTE`) and the choice columns as text.
    """
    table = curve.table[curve.table["status"] == "ok"]
    for key in keys or sorted(table["key_regressor"].unique()):
        sub = table[table["key_regressor"] == key]
        if sub.empty:
            continue
        frame = pd.DataFrame({
            "coef": sub["coef_std"], "ci_low": sub["ci_low_std"], "ci_high": sub["ci_high_std"],
            "n_countries": sub["n_countries"], "sources": sub["sources"],
            "data_kind": sub["data_kind"], "term": f"{key} (standardised)",
            **{c: sub[c].astype(str) for c in FIGURE_CHOICES}}).reset_index(drop=True)
        frame.attrs = {provenance.META_KEY: {"data": curve.data_kind}}
        years = f"{int(sub['year_first'].min())}-{int(sub['year_last'].max())}"
        yield f"speccurve_{key}", frame, {"choices": list(FIGURE_CHOICES), "years": years}


def _load(data: str):
    import divides

    loader = getattr(divides, "load_panel", None)
    gap_loader = getattr(divides, "load_gaps", None)
    if loader is None:
        from divides import api

        loader, gap_loader = api.load_panel, getattr(api, "load_gaps", None)
    return loader, gap_loader


def run_cli(data: str = "demo", backend: str = "serial", scheduler: str | None = None,
            workers: int = 2, draws: int | None = None) -> SpecCurve:
    """``divides specs``: load the panel and gaps, run the curve, write reports/<data>/tables."""
    load_panel, load_gaps = _load(data)
    panel = load_panel(data=data)
    try:
        gaps = load_gaps(data=data)
    except Exception as exc:  # noqa: BLE001 - the curve runs without gap regressors
        print(f"divides specs: gaps table unavailable ({exc}); running without gap measures")
        gaps = None
    curve = run(panel, gaps, backend=backend, scheduler=scheduler, workers=workers,
                draws=draws)
    paths = write(curve, config.reports_dir(data) / "tables")
    # the ASAN case's data choices (outcome source x treatment year 2012/2013), see case.py
    from divides.models import case

    case_table = case.case_specs(panel)
    case_path = config.reports_dir(data) / "tables" / "case_specs.csv"
    case_path.write_bytes(case_table.to_csv(index=False, float_format="%.10g",
                                            lineterminator="\n").encode("utf-8"))
    paths.append(case_path)
    curve.notes["paths"] = [str(p) for p in paths]
    print(f"divides specs: {curve.notes['n_ok']} of {curve.notes['n_specs']} specifications "
          f"estimated, {curve.notes['draws']} null-imposed bootstrap draws ({backend}); wrote "
          + ", ".join(str(p) for p in paths))
    for col, what in curve.notes.get("gap_columns", {}).items():
        print(f"divides specs: {col} = {what}")
    return curve
