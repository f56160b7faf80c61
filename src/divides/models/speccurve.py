"""Specification curve (Simonsohn, Simmons and Nelson 2020) that scales out on dask.

The grid (``data/speccurve_grid.toml``): outcome (TI CPI score or WGI control of
corruption: the data source is a specification choice) x key regressor (internet use,
EGDI, OSI, each gap measure) x controls set x estimator (pooled, two-way FE) x lag
(0, 1, 2 years, exact rule of spec.py) x sample (all, each income group). Each spec
is estimated by listwise deletion on its own variables.

What this adds to R specr / speccurvieR and Python specification_curve / robustipy:

* two-way fixed effects (country and year) inside the grid, with clustered errors of
  the same convention as the reference estimator (estimators.py);
* inference on the whole curve by permutation *blocked by country*: each permutation
  gives every country the whole key-regressor trajectory of another country (years kept),
  so serial correlation within a trajectory is kept and only the link to the outcome
  is broken; the whole curve is re-estimated per permutation (:func:`curve_inference`);
* data choices as dimensions: the outcome source (TI CPI vs WGI) in the grid, and the
  ASAN treatment year (2012 vs 2013) x outcome in ``case_specs.csv`` (models/case.py),
  which ``divides specs`` writes beside the curve;
* demeaning cached across specifications that share an estimation sample (same rows):
  the country-demeaned year-dummy basis and every demeaned column are computed once
  per sample (:class:`CurveEngine`), and the cache survives permutations (only the
  permuted columns are new).

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
import os
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from divides import config, provenance
from divides.models.estimators import sources_for
from divides.models.spec import ENTITY, TIME, as_long, lagged

GRID_TOML = config.PACKAGE_DATA_DIR / "speccurve_grid.toml"
TABLE_COLUMNS = ("spec_id", "outcome", "key_regressor", "term", "controls", "estimator",
                 "lag", "lag_rule", "sample", "status", "coef", "stderr", "t", "p", "ci_low",
                 "ci_high", "coef_std", "ci_low_std", "ci_high_std", "n_obs", "n_countries",
                 "year_first", "year_last", "rank_in_family", "data_kind", "sources")
STD_NOTE = ("coef_std = coef x SD(regressor) / SD(outcome), pooled SDs over the spec's "
            "estimation sample")


# --------------------------------------------------------------------------- grid

def load_grid(path: str | Path = GRID_TOML) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def gap_columns(gaps: pd.DataFrame | None, dimensions, measure: str = "gap_pp",
                preference: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Wide gap columns ``gap_<dimension>_<measure>`` keyed by iso3, year.

    Per dimension one indicator and one source are used (a gap means something only
    within one survey and source): the first of ``preference[dimension]`` that the gaps
    table has (the grid's ``[gap_preference]``), else the indicator whose name mentions
    ``internet`` with most rows (else the one with most rows); then its source with most
    rows. The choice is in ``attrs["gap_choice"]``.
    """
    preference = preference or {}
    if gaps is None or len(gaps) == 0:
        return pd.DataFrame(columns=[ENTITY, TIME])
    out = None
    for dim in dimensions:
        sub = gaps[(gaps["dimension"] == dim) & gaps[measure].notna()]
        if sub.empty:
            continue
        counts = sub.groupby("indicator").size()
        preferred = [i for i in preference.get(dim, []) if i in counts.index]
        internet = counts[[("internet" in str(i)) for i in counts.index]]
        pick = (internet if len(internet) else counts).sort_index()
        indicator = preferred[0] if preferred else pick.idxmax()
        sub = sub[sub["indicator"] == indicator]
        src = sub.groupby("source").size().sort_index().idxmax()
        sub = sub[sub["source"] == src]
        col = f"gap_{dim}_{measure}".replace("_gap_pp", "_pp")
        wide = (sub.groupby([ENTITY, TIME])[measure].mean().rename(col).reset_index())
        wide.attrs["gap_choice"] = {col: f"{indicator} ({src})"}
        choice = {**(out.attrs.get("gap_choice", {}) if out is not None else {}),
                  **wide.attrs["gap_choice"]}
        out = wide if out is None else out.merge(wide, on=[ENTITY, TIME], how="outer")
        out.attrs["gap_choice"] = choice
    return out if out is not None else pd.DataFrame(columns=[ENTITY, TIME])


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
    wide = gap_columns(gaps, g.get("gap_dimensions", []), g.get("gap_measure", "gap_pp"),
                       grid.get("gap_preference", {}))
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
    return frame


def key_regressors(frame: pd.DataFrame, grid: dict) -> list[str]:
    g = grid["grid"]
    keys = list(g["key_regressors"])
    measure = g.get("gap_measure", "gap_pp")
    for dim in g.get("gap_dimensions", []):
        col = f"gap_{dim}_{measure}".replace("_gap_pp", "_pp")
        if col in frame.columns:
            keys.append(col)
    return keys


def sample_masks(frame: pd.DataFrame, grid: dict) -> dict[str, np.ndarray]:
    masks = {}
    for choice in grid["grid"]["samples"]:
        if choice == "all":
            masks["all"] = np.ones(len(frame), bool)
        elif choice in frame.columns:
            values = grid.get("sample_values", {}).get(choice)
            for value in values or sorted(frame[choice].dropna().unique()):
                masks[f"{choice}={value}"] = (frame[choice] == value).to_numpy()
        else:
            raise ValueError(f"speccurve grid: samples: expected 'all' or a panel column, "
                             f"found {choice!r}")
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


def make_payload(frame: pd.DataFrame, grid: dict) -> Payload:
    g = grid["grid"]
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
                   key_columns=key_cols, lookup=lookup, token=digest.hexdigest())


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
    """

    def __init__(self, payload: Payload, max_masks: int = 512):
        self.p = payload
        self.max_masks = max_masks
        self._fe: dict[bytes, _FE] = {}
        self._demeaned: dict[tuple[bytes, str], np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    # -- permutation: key columns taken from another country's row, same year
    def permuted_columns(self, seed: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        perm = rng.permutation(self.p.lookup.shape[0])
        rows = self.p.lookup[perm[self.p.country], self.p.year]
        out = {}
        for col in self.p.key_columns:
            src = self.p.columns[col]
            out[col] = np.where(rows >= 0, src[np.maximum(rows, 0)], np.nan)
        return out

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

    def estimate(self, row: SpecRow, override: dict[str, np.ndarray] | None = None,
                 tag: str = "") -> dict:
        cols = self.p.columns
        key_col = row.key if row.lag == 0 else f"{row.key}_lag{row.lag}"

        def get(name):
            if override is not None and name in override:
                return override[name], f"{name}@{tag}"
            return cols[name], name

        yv, yname = get(row.outcome)
        xv, xname = get(key_col)
        ctrl = [get(c) for c in row.controls]
        mask = self.p.masks[row.sample] & np.isfinite(yv) & np.isfinite(xv)
        for v, _ in ctrl:
            mask &= np.isfinite(v)
        idx = np.flatnonzero(mask)
        out = {"spec_id": row.spec_id, "n_obs": int(idx.size), "term": key_col}
        n_countries = int(np.unique(self.p.country[idx]).size) if idx.size else 0
        out["n_countries"] = n_countries
        if n_countries < self.p.min_countries:
            return {**out, "status": f"too few countries ({n_countries} < "
                                     f"{self.p.min_countries})"}
        yr = self.p.year[idx]
        out["year_first_code"], out["year_last_code"] = int(yr.min()), int(yr.max())
        k = 1 + len(ctrl)
        if row.estimator == "twfe":
            key = hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).digest()
            fe = self._fe_for(key, idx)
            y = self._within(key, fe, yname, yv)
            X = np.column_stack([self._within(key, fe, xname, xv)]
                                + [self._within(key, fe, n, v) for v, n in ctrl])
            groups, n_groups = fe.g, fe.n_groups
            df_resid = idx.size - k - (fe.n_groups + fe.n_times - 1)
            pos = 0
        else:
            y = yv[idx]
            X = np.column_stack([np.ones(idx.size), xv[idx]] + [v[idx] for v, _ in ctrl])
            groups = self.p.country[idx]
            n_groups = n_countries
            k += 1
            df_resid = idx.size - k
            pos = 1
        if df_resid <= 0:
            return {**out, "status": "no residual degrees of freedom"}
        xtx = X.T @ X
        scale_x = np.sqrt(np.diag(xtx))
        if scale_x[pos] <= 1e-10 * max(np.sqrt(np.sum(xv[idx] ** 2)), 1e-300):
            return {**out, "status": "no within-country variation in the key regressor"}
        if np.linalg.cond(xtx / np.outer(scale_x, scale_x)) > 1e12:
            return {**out, "status": "collinear regressors"}
        xtx_inv = np.linalg.inv(xtx)
        beta = xtx_inv @ (X.T @ y)
        resid = y - X @ beta
        xe = X * resid[:, None]
        scores = np.column_stack([np.bincount(groups, weights=xe[:, j])
                                  for j in range(X.shape[1])])
        n = idx.size
        cov = xtx_inv @ (scores.T @ scores) @ xtx_inv
        cov *= (n_groups / (n_groups - 1)) * ((n - 1) / (n - k))
        se = float(np.sqrt(cov[pos, pos]))
        b = float(beta[pos])
        tval = b / se if se > 0 else np.nan
        p = float(2 * special.stdtr(df_resid, -abs(tval)))
        q = float(special.stdtrit(df_resid, 1 - self.p.alpha / 2))
        sd_x = float(np.std(xv[idx], ddof=1))
        sd_y = float(np.std(yv[idx], ddof=1))
        ratio = sd_x / sd_y if sd_y > 0 else np.nan
        return {**out, "status": "ok", "coef": b, "stderr": se, "t": tval, "p": p,
                "ci_low": b - q * se, "ci_high": b + q * se, "coef_std": b * ratio,
                "ci_low_std": (b - q * se) * ratio, "ci_high_std": (b + q * se) * ratio}


# --------------------------------------------------------------------------- library engines

def estimate_with_library(frame: pd.DataFrame, row: SpecRow, engine: str,
                          masks: dict[str, np.ndarray], alpha: float = 0.05,
                          min_countries: int = 10) -> dict:
    """One spec through linearmodels or pyfixest (same conventions as CurveEngine)."""
    key_col = row.key if row.lag == 0 else f"{row.key}_lag{row.lag}"
    cols = [row.outcome, key_col, *row.controls]
    sub = frame.loc[masks[row.sample], [ENTITY, TIME, *cols]].dropna()
    out = {"spec_id": row.spec_id, "n_obs": len(sub), "term": key_col,
           "n_countries": int(sub[ENTITY].nunique())}
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


def run_permutation(payload: Payload, rows: list[SpecRow], seed: int) -> list[dict]:
    """The whole curve with the key regressors permuted by country blocks (a worker task)."""
    eng = _engine_for(payload)
    override = eng.permuted_columns(seed)
    out = []
    for r in rows:
        res = eng.estimate(r, override=override, tag=f"perm{seed}")
        out.append({k: res.get(k, np.nan) for k in ("spec_id", "status", "coef_std", "p")})
    return out


_WORKER_PAYLOAD: Payload | None = None


def _init_worker(payload: Payload) -> None:
    global _WORKER_PAYLOAD
    _WORKER_PAYLOAD = payload


def _chunk_in_worker(rows):
    return run_chunk(_WORKER_PAYLOAD, rows)


def _perm_in_worker(args):
    rows, seed = args
    return run_permutation(_WORKER_PAYLOAD, rows, seed)


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

    def map_specs(self, payload: Payload, rows: list[SpecRow], seeds=None) -> list:
        """Spec results (seeds None) or one list of results per permutation seed."""
        if self.kind == "serial":
            if seeds is None:
                return run_chunk(payload, rows)
            return [run_permutation(payload, rows, s) for s in seeds]
        if self.kind == "processes":
            from concurrent.futures import ProcessPoolExecutor

            if self._pool is None:
                import multiprocessing as mp

                self._pool = ProcessPoolExecutor(self.workers, mp.get_context("spawn"),
                                                 initializer=_init_worker, initargs=(payload,))
            if seeds is None:
                parts = self._pool.map(_chunk_in_worker, chunks(rows, 4 * self.workers))
                return [r for part in parts for r in part]
            return list(self._pool.map(_perm_in_worker, [(rows, s) for s in seeds]))
        client = self.client()
        [remote] = client.scatter([payload], broadcast=True)
        if seeds is None:
            parts = chunks(rows, 4 * self.workers)
            futures = client.map(run_chunk, [remote] * len(parts), parts, pure=False)
            return [r for part in client.gather(futures) for r in part]
        seeds = list(seeds)
        [remote_rows] = client.scatter([rows], broadcast=True)
        futures = client.map(run_permutation, [remote] * len(seeds),
                             [remote_rows] * len(seeds), seeds, pure=False)
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
        for c in ("coef", "stderr", "t", "p", "ci_low", "ci_high", "coef_std", "ci_low_std",
                  "ci_high_std"):
            rec[c] = res.get(c, np.nan) if ok else np.nan
        rec["n_obs"] = res.get("n_obs", 0)
        rec["n_countries"] = res.get("n_countries", 0)
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


def curve_inference(observed: pd.DataFrame, permuted: list[pd.DataFrame] | pd.DataFrame,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Permutation p-values of the curve statistics (Simonsohn et al. 2020, Table 2 style).

    p = (1 + #permutations at least as extreme) / (1 + #permutations): for the median
    by absolute value, for the shares of significant specs by the share in the observed
    dominant direction. ``permuted``: one table per permutation, or one long table with a
    ``permutation`` column. A family absent from a permutation (no estimable spec) counts
    as not extreme.
    """
    obs = curve_summary(observed, alpha).set_index(["key_regressor", "estimator"])
    if isinstance(permuted, pd.DataFrame):
        long = permuted
    else:
        long = pd.concat([t.assign(permutation=i) for i, t in enumerate(permuted)],
                         ignore_index=True) if len(permuted) else None
    n_perm = 0 if long is None or long.empty else int(long["permutation"].nunique())
    out = obs.copy()
    out["n_permutations"] = n_perm
    out["p_median"] = np.nan
    out["p_share_sig"] = np.nan
    if n_perm:
        perm = curve_summary(long, alpha, by=("permutation",))
        perm = perm.set_index(["key_regressor", "estimator", "permutation"])

        def wide(col):
            return perm[col].unstack("permutation").reindex(obs.index).to_numpy()

        med = wide("median_coef_std")
        pos = (obs["share_sig_pos"] >= obs["share_sig_neg"]).to_numpy()
        share = np.where(pos[:, None], wide("share_sig_pos"), wide("share_sig_neg"))
        obs_share = np.where(pos, obs["share_sig_pos"], obs["share_sig_neg"])
        with np.errstate(invalid="ignore"):
            out["p_median"] = (1 + np.sum(np.abs(med) >= np.abs(obs["median_coef_std"].to_numpy()
                                                                  )[:, None], axis=1)) / (1 + n_perm)
            out["p_share_sig"] = (1 + np.sum(share >= obs_share[:, None], axis=1)) / (1 + n_perm)
    return out.reset_index()


def run(panel: pd.DataFrame, gaps: pd.DataFrame | None = None, backend: str = "serial",
        scheduler: str | None = None, workers: int = 2, permutations: int | None = None,
        grid: dict | None = None, client=None, seed: int | None = None,
        engine: str = "numpy", cache_dir: str | Path | None = None) -> SpecCurve:
    """Estimate the whole grid (and the permutation inference) on one backend.

    ``engine="numpy"`` (default) uses :class:`CurveEngine` on any backend; ``"pyfixest"``
    or ``"linearmodels"`` estimate each spec with that library, serially, and no
    permutations (a cross-check; benchmarks/RESULTS.md has the timings).

    ``cache_dir``: keep the permuted curves there (``speccurve-perm-<key>.parquet``), keyed
    by the estimation inputs, the observed curve, the seeds, alpha and this module's code;
    the observed curve is always re-estimated (it is cheap), the permutations (one whole
    curve each) are read back when nothing they depend on changed. The backend is not part of
    the key: every backend gives the same table.
    """
    grid = grid or load_grid()
    frame = analysis_frame(panel, gaps, grid)
    rows = enumerate_specs(frame, grid)
    payload = make_payload(frame, grid)
    inf = grid.get("inference", {})
    n_perm = int(inf.get("permutations", 0) if permutations is None else permutations)
    base_seed = int(inf.get("seed", 2020) if seed is None else seed)
    alpha = float(inf.get("alpha", 0.05))
    if engine != "numpy":
        results = [estimate_with_library(frame, r, engine, payload.masks, alpha,
                                         payload.min_countries) for r in rows]
        table = _assemble(frame, rows, results, grid)
        inference = curve_inference(table, [], alpha)
        inference.insert(0, "data_kind", provenance.data_kind(frame))
        return SpecCurve(table=table, inference=inference,
                         data_kind=provenance.data_kind(frame),
                         notes={"n_specs": len(rows), "engine": engine, "permutations": 0,
                                "n_ok": int((table["status"] == "ok").sum())})
    seeds = [base_seed + i for i in range(n_perm)]
    cache_path = None
    with Backend(backend, workers, scheduler, client) as be:
        results = be.map_specs(payload, rows)
        table = _assemble(frame, rows, results, grid)
        if n_perm and cache_dir is not None:
            key = _perm_key(payload, table, seeds, alpha)
            cache_path = Path(cache_dir) / f"speccurve-perm-{key}.parquet"
        long = _read_perm_cache(cache_path) if cache_path is not None else None
        hit = long is not None
        if n_perm and not hit:
            long = pd.concat([pd.DataFrame(r).assign(permutation=i)
                              for i, r in enumerate(be.map_specs(payload, rows, seeds=seeds))],
                             ignore_index=True)
            if cache_path is not None:
                _write_perm_cache(long, cache_path)
    permuted = [] if long is None else long.merge(
        table[["spec_id", "key_regressor", "estimator"]], on="spec_id")
    inference = curve_inference(table, permuted, alpha)
    inference.insert(0, "data_kind", provenance.data_kind(frame))
    notes = {"n_specs": len(rows), "n_ok": int((table["status"] == "ok").sum()),
             "gap_columns": frame.attrs.get("gap_choice", {}),
             "permutations": n_perm, "standardised": STD_NOTE,
             "permutation": "country blocks: key regressors of country pi(i) at the same year",
             "permutations_cache": None if cache_path is None else
             ("hit" if hit else "written")}
    return SpecCurve(table=table, inference=inference, data_kind=provenance.data_kind(frame),
                     notes=notes)


_PERM_COLUMNS = ("permutation", "spec_id", "status", "coef_std", "p")
#: Permutation caches kept per folder (the most recently used; about 1 MB each on the demo).
KEEP_PERM_CACHES = 4


def _perm_key(payload: Payload, table: pd.DataFrame, seeds: list[int], alpha: float) -> str:
    """Hash of everything the permuted curves depend on."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(payload.token.encode())
    for name in sorted(payload.masks):
        digest.update(name.encode())
        digest.update(np.packbits(payload.masks[name]).tobytes())
    digest.update(np.ascontiguousarray(payload.lookup).tobytes())
    digest.update(table.to_csv(index=False, float_format="%.17g").encode())
    digest.update(repr((seeds, alpha, payload.min_countries, payload.key_columns,
                        np.__version__)).encode())
    digest.update((config.PACKAGE_DIR / "models" / "speccurve.py").read_bytes())
    return digest.hexdigest()


def _read_perm_cache(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    try:
        long = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - an unreadable cache is recomputed, not fatal
        warnings.warn(f"{path}: unreadable permutation cache ({type(exc).__name__}); "
                      "recomputing", stacklevel=3)
        return None
    if tuple(long.columns) != _PERM_COLUMNS:
        warnings.warn(f"{path}: columns {list(long.columns)}: expected {list(_PERM_COLUMNS)}; "
                      "recomputing", stacklevel=3)
        return None
    os.utime(path)  # most recently used: the last to be pruned
    return long


def _write_perm_cache(long: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    long[list(_PERM_COLUMNS)].to_parquet(tmp, index=False)
    tmp.replace(path)
    older = sorted(path.parent.glob("speccurve-perm-*.parquet"),
                   key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    for stale in older[KEEP_PERM_CACHES:]:
        stale.unlink()


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
            workers: int = 2, permutations: int | None = None) -> SpecCurve:
    """``divides specs``: load the panel and gaps, run the curve, write reports/<data>/tables."""
    load_panel, load_gaps = _load(data)
    panel = load_panel(data=data)
    try:
        gaps = load_gaps(data=data)
    except Exception as exc:  # noqa: BLE001 - the curve runs without gap regressors
        print(f"divides specs: gaps table unavailable ({exc}); running without gap measures")
        gaps = None
    curve = run(panel, gaps, backend=backend, scheduler=scheduler, workers=workers,
                permutations=permutations)
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
          f"estimated, {curve.notes['permutations']} permutations ({backend}); wrote "
          + ", ".join(str(p) for p in paths))
    for col, what in curve.notes.get("gap_columns", {}).items():
        print(f"divides specs: {col} = gap_pp of {what}")
    return curve
