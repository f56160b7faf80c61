"""Wild cluster bootstrap of one OLS coefficient, fast enough for a whole curve.

Why not a loop over wildboottest or pyfixest: a specification curve has about 1,500
specifications and 999 draws; per draw the bootstrap coefficient and its clustered
standard error are linear and quadratic forms in the G cluster weights, so one G x G
matrix per specification gives all draws at once (Roodman, MacKinnon, Nielsen and Webb
2019, "Fast and wild"). Tests compare the p-values with the wildboottest package.

The design may have been demeaned by country and year (two-way fixed effects,
:class:`FixedEffects`); the bootstrap then re-demeans the resampled outcome exactly (the
year projection of the weighted residuals is kept, not ignored), which is what
re-running the fixed-effects regression on each draw would give.

* :func:`cluster_weights`: Rademacher or Webb weights, one per cluster and draw, or
  every sign pattern (full enumeration) when 2^G <= draws.
* :func:`draws`: bootstrap coefficients and CR1 standard errors of one design for
  given residuals (restricted residuals: the null imposed).
* :func:`wild_p`: the single-specification p-value of "coefficient = 0" (WCR, the
  null-imposed restricted bootstrap with symmetric t-statistics; wildboottest's default).
* :func:`romano_wolf`: family-wise adjusted p-values from bootstrap statistics.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

WEIGHT_KINDS = ("rademacher", "webb")
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def cluster_weights(n_draws: int, n_clusters: int, seed: int, kind: str = "rademacher",
                    enumerate_small: bool = False) -> np.ndarray:
    """(n_draws, n_clusters) weights; every sign pattern when ``enumerate_small`` and
    2^G <= n_draws (Rademacher only; the rows are then all 2^G patterns)."""
    if kind not in WEIGHT_KINDS:
        raise ValueError(f"bootstrap weights: expected one of {WEIGHT_KINDS}, found {kind!r}")
    if enumerate_small and kind == "rademacher" and 2 ** n_clusters <= n_draws:
        return np.array(list(itertools.product((1.0, -1.0), repeat=n_clusters)))
    rng = np.random.default_rng(seed)
    if kind == "rademacher":
        return rng.integers(0, 2, size=(n_draws, n_clusters)).astype(float) * 2 - 1
    return _WEBB[rng.integers(0, 6, size=(n_draws, n_clusters))]


@dataclass
class FixedEffects:
    """The country and year effects a design was demeaned by (see speccurve's engine).

    ``g``/``t``: country and year code of each row; ``A_pinv``: pseudo-inverse of
    D'M_country D (D the year dummies), the matrix that partials the year effects out
    after the country demeaning.
    """

    g: np.ndarray
    t: np.ndarray
    A_pinv: np.ndarray
    n_groups: int
    n_times: int


def draws(X: np.ndarray, pos: int, groups: np.ndarray, n_groups: int, resid: np.ndarray,
          W: np.ndarray, xtx_inv: np.ndarray | None = None,
          fe: FixedEffects | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap coefficient deviations and CR1 standard errors of column ``pos``.

    The bootstrap outcome is ``fitted + w_g * resid`` (w one weight per cluster, a row of
    ``W``); its coefficient on ``pos`` minus the fitted coefficient is returned with its
    clustered standard error (CR1: G/(G-1) (n-1)/(n-k)), for every row of ``W`` at once.
    ``groups``: cluster code 0..G-1 per row; with ``fe`` the clusters must be the
    countries of the fixed effects (then the country demeaning leaves the weighted
    residuals unchanged and only the year projection needs to be carried).
    """
    n, k = X.shape
    if xtx_inv is None:
        xtx_inv = np.linalg.inv(X.T @ X)
    a = X @ xtx_inv[pos]  # b = a'y
    s = np.bincount(groups, weights=a * resid, minlength=n_groups)  # (G,)
    ag = np.stack([np.bincount(groups, weights=a * X[:, j], minlength=n_groups)
                   for j in range(k)], axis=1)  # (G, k) sum_g a_i x_i
    xe = np.stack([np.bincount(groups, weights=X[:, j] * resid, minlength=n_groups)
                   for j in range(k)], axis=1)  # (G, k) sum_g x_i e_i
    C = np.diag(s) - ag @ xtx_inv @ xe.T
    if fe is not None:
        if fe.n_groups != n_groups:
            raise ValueError("bootstrap: fixed effects and clusters: expected the same "
                             f"countries, found {fe.n_groups} and {n_groups} groups")
        # year projection of sum_g' w_g' e 1_g': row g' of E is e by year in country g'
        E = np.zeros((n_groups, fe.n_times))
        np.add.at(E, (fe.g, fe.t), resid)
        alpha = np.zeros((n_groups, fe.n_times))
        np.add.at(alpha, (fe.g, fe.t), a)
        C = C - alpha @ fe.A_pinv @ E.T
    dev = W @ s
    scores = W @ C.T
    scale = (n_groups / (n_groups - 1)) * ((n - 1) / (n - k))
    se = np.sqrt(scale * np.einsum("dg,dg->d", scores, scores))
    return dev, se


def wild_p(y: np.ndarray, X: np.ndarray, pos: int, groups: np.ndarray, n_draws: int = 9999,
           seed: int = 0, kind: str = "rademacher", fe: FixedEffects | None = None
           ) -> tuple[float, float]:
    """(t, p): WCR wild cluster bootstrap p-value of "coefficient ``pos`` = 0".

    Restricted residuals (the regression without column ``pos``) are resampled; p is the
    share of draws with |t*| > |t| (wildboottest's convention). With ``fe``, ``y`` and
    ``X`` are already demeaned. Full enumeration when 2^G <= ``n_draws``.
    """
    groups = np.unique(groups, return_inverse=True)[1]
    G = int(groups.max() + 1)
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ (X.T @ y)
    resid_u = y - X @ beta
    n, k = X.shape
    a = X @ xtx_inv[pos]
    score = np.bincount(groups, weights=a * resid_u, minlength=G)
    se = np.sqrt((G / (G - 1)) * ((n - 1) / (n - k)) * np.sum(score ** 2))
    t = beta[pos] / se
    Z = np.delete(X, pos, axis=1)
    resid_r = y - Z @ np.linalg.lstsq(Z, y, rcond=None)[0] if Z.shape[1] else y.copy()
    W = cluster_weights(n_draws, G, seed, kind, enumerate_small=True)
    dev, se_b = draws(X, pos, groups, G, resid_r, W, xtx_inv, fe)
    # restricted fit: the coefficient of the bootstrap DGP is 0, so dev is the estimate
    t_b = dev / se_b
    return float(t), float(np.mean(np.abs(t_b) > abs(t)))


def romano_wolf(stat: np.ndarray, boot: np.ndarray) -> np.ndarray:
    """Romano-Wolf step-down adjusted p-values of |stat| (S,) given |boot| (B, S).

    p_(1) from the max over all hypotheses, then each next-largest from the max over
    those not yet rejected, made monotone; (1 + #) / (1 + B), as pyfixest's rwolf (a
    test compares). NaN statistics (a family with no estimable specification) get NaN.
    """
    stat = np.abs(np.asarray(stat, float))
    boot = np.abs(np.asarray(boot, float))
    out = np.full(stat.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(stat))
    if ok.size == 0:
        return out
    s, b = stat[ok], np.where(np.isfinite(boot[:, ok]), boot[:, ok], 0.0)
    order = np.argsort(-s, kind="stable")
    p = np.empty(ok.size)
    for step, j in enumerate(order):
        max_stat = b[:, order[step:]].max(axis=1)
        p[step] = min(1.0, (np.sum(max_stat >= s[j]) + 1) / (b.shape[0] + 1))
    p = np.maximum.accumulate(p)
    adj = np.empty(ok.size)
    adj[order] = p
    out[ok] = adj
    return out
