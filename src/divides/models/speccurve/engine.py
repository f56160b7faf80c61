"""The curve engine: specs and their null-imposed draws in numpy, on serial, process or
dask backends (FWL demeaning cached per estimation sample)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from divides.models import bootstrap
from divides.models.spec import ENTITY, TIME
from divides.models.speccurve.grid import CURVE_ESTIMATORS, SpecRow, key_regressors, sample_masks


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
    wild_draws_max: int = 9999
    country_names: tuple[str, ...] = ()


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
                   weights=str(inf.get("weights", "rademacher")),
                   wild_draws_max=int(inf.get("wild_draws_max", 9999)),
                   country_names=tuple(str(c) for c in pd.factorize(frame[ENTITY],
                                                                    sort=True)[1]))


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
        p_wild, wild_draws = np.nan, 0
        if d["n_groups"] < self.p.wild_below:
            p_wild, wild_draws = self.wild(d)
        # leverage: b = a'y, so country g's share of sum a^2 is its share of the weight
        # (of the partialled-out key regressor's variation) behind the estimate
        weight = np.bincount(d["groups"], weights=a * a, minlength=G)
        top = int(np.argmax(weight))
        return {**out, "p_wild": p_wild, "wild_draws": wild_draws,
                "p_spec": p_wild if wild_draws else p,
                "max_country_weight_share": float(weight[top] / weight.sum()),
                "max_weight_country": self.p.country_names[int(d["countries"][top])]
                if self.p.country_names else str(int(d["countries"][top])),
                "coef": b, "stderr": se, "t": tval, "p": p,
                "ci_low": b - q * se, "ci_high": b + q * se, "coef_std": b * ratio,
                "ci_low_std": (b - q * se) * ratio, "ci_high_std": (b + q * se) * ratio}

    def wild(self, d: dict) -> tuple[float, int]:
        """(p, draws): the spec's WCR wild bootstrap p-value; redrawn with
        ``wild_draws_max`` draws when the first p is within 2 Monte Carlo SEs of alpha
        (there a redraw with another seed could move it across alpha)."""
        n_draws = self.p.wild_draws
        y, X, pos = d["y"], d["X"], d["pos"]
        p = bootstrap.wild_p(y, X, pos, d["groups"], n_draws, self.p.wild_seed,
                             self.p.weights, d["fe"])[1]
        mc_se = np.sqrt(self.p.alpha * (1 - self.p.alpha) / n_draws)
        if abs(p - self.p.alpha) <= 2 * mc_se and self.p.wild_draws_max > n_draws:
            n_draws = self.p.wild_draws_max
            p = bootstrap.wild_p(y, X, pos, d["groups"], n_draws, self.p.wild_seed,
                                 self.p.weights, d["fe"])[1]
        return float(p), int(n_draws)

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
        """Bootstrap t-statistics and significance signs of the spec under its null.

        The null b = 0 is imposed in the spec's own restricted model: the regression without
        the key regressor gives fitted values and residuals, y* = fitted_r + w_country e_r
        is re-estimated for every draw (the WCR of :func:`bootstrap.wild_p`, whose size
        holds with few or dominant countries), with the weight of each country the same in
        every spec of a draw, so a draw is a whole curve under the null. The spec's sample
        and design stay fixed. Significance in a draw follows the spec's own rule: the
        t(df_resid) critical value, or where the spec has fewer than ``wild_below``
        countries the (1 - alpha) quantile of its bootstrap |t|. Returns (t (D,), sign
        (D,) int8: +1/-1 significant positive/negative at alpha, 0 not), or None when not
        estimable.
        """
        d = self.design(row)
        if d["status"] != "ok":
            return None
        X, y, pos = d["X"], d["y"], d["pos"]
        xtx_inv = np.linalg.inv(X.T @ X)
        Z = np.delete(X, pos, axis=1)
        resid_r = y - Z @ np.linalg.lstsq(Z, y, rcond=None)[0] if Z.shape[1] else y.copy()
        W = self.weights(n_draws, seed, kind)[:, d["countries"]]
        # the restricted DGP has coefficient 0: the bootstrap estimate is the deviation
        dev, se = bootstrap.draws(X, pos, d["groups"], d["n_groups"], resid_r, W, xtx_inv,
                                  d["fe"])
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, dev / se, 0.0)
        if d["n_groups"] < self.p.wild_below:
            q = float(np.quantile(np.abs(t), 1 - self.p.alpha))
        else:
            q = float(special.stdtrit(d["df_resid"], 1 - self.p.alpha / 2))
        sign = (np.sign(t) * (np.abs(t) > q)).astype(np.int8)
        return t, sign


ABSORBED = "absorbed by the country and year fixed effects"
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

ENGINES: dict[str, CurveEngine] = {}


def _engine_for(payload: Payload) -> CurveEngine:
    eng = ENGINES.get(payload.token)
    if eng is None:
        ENGINES.clear()
        eng = ENGINES[payload.token] = CurveEngine(payload)
    return eng


def run_chunk(payload: Payload, rows: list[SpecRow]) -> list[dict]:
    """Estimate a list of specs (a worker task)."""
    eng = _engine_for(payload)
    return [eng.estimate(r) for r in rows]


def run_null_chunk(payload: Payload, rows: list[SpecRow], n_draws: int, seed: int,
                   kind: str = "rademacher") -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Null-imposed bootstrap draws of a list of specs (a worker task): (spec_id,
    t (D,), sign (D,)) per estimable spec. Every worker makes the same weights
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
        self._remote = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._remote = None
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
        if self._remote is None or self._remote[0] is not payload:
            # scattered once per backend and kept referenced: a second scatter of the same
            # payload would share its key and can lose it when the first is released
            [remote] = client.scatter([payload], broadcast=True, hash=False)
            self._remote = (payload, remote)
        remote = self._remote[1]
        futures = client.map(task, [remote] * len(parts), parts,
                             *[[e] * len(parts) for e in extra], pure=False)
        return client.gather(futures)
