"""Curve-level statistics and their null-imposed bootstrap p-values (Romano-Wolf adjusted)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from divides.models import bootstrap


def curve_summary(table: pd.DataFrame, alpha: float = 0.05, by: tuple[str, ...] = ()
                  ) -> pd.DataFrame:
    """Curve-level statistics per key regressor and estimator (and 'all' estimators).

    median_coef_std (descriptive); median_t, the median of the specs' t-statistics (the
    tested, studentised statistic); share of estimable specs significant and positive,
    significant and negative, significance being ``p_spec < alpha`` (the wild bootstrap
    p-value where a spec has few countries, see run.P_SPEC_NOTE; ``p`` when the table has
    no ``p_spec``). ``by``: further grouping columns (e.g. ``permutation``), placed first.
    """
    p_col = "p_spec" if "p_spec" in table.columns else "p"
    ok = table.loc[table["status"] == "ok", [*by, "key_regressor", "estimator", "coef_std",
                                             "t", p_col]]
    sig = ok[p_col] < alpha
    ok = ok.assign(sig_pos=sig & (ok["t"] > 0), sig_neg=sig & (ok["t"] < 0))
    stats_ = {"n_specs": ("coef_std", "size"), "median_coef_std": ("coef_std", "median"),
              "median_t": ("t", "median"),
              "share_sig_pos": ("sig_pos", "mean"), "share_sig_neg": ("sig_neg", "mean")}
    per_estimator = ok.groupby([*by, "key_regressor", "estimator"], sort=False).agg(**stats_)
    overall = ok.groupby([*by, "key_regressor"], sort=False).agg(**stats_)
    overall = overall.assign(estimator="all").set_index("estimator", append=True)
    out = pd.concat([overall, per_estimator]).reset_index()
    # "all" sorts before the estimator names, as the tables have always listed it
    out = out.sort_values([*by, "key_regressor", "estimator"], kind="mergesort")
    out["n_specs"] = out["n_specs"].astype("int64")
    for c in ("median_coef_std", "median_t", "share_sig_pos", "share_sig_neg"):
        out[c] = out[c].astype(float)
    return out.reset_index(drop=True)


#: The p-value columns of :func:`curve_inference`, with what each tests.
P_COLUMNS = {
    "p_median_t": "median of the specs' t-statistics, two-sided",
    "p_median_t_rw": "the same, Romano-Wolf adjusted across key regressors",
    "p_share": "share significant in either direction (max of positive and negative "
               "against the bootstrap max of both; ties by |median t|): direction-free",
    "p_share_rw": "the same, Romano-Wolf adjusted across key regressors",
    "p_share_pos": "share significant and positive, one-sided (ties by median t): "
                   "directional, declared positive in advance",
    "p_share_neg": "share significant and negative, one-sided (ties by -median t): "
                   "directional, declared negative in advance",
}


def _p(boot: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """(1 + #draws at least as large as the observed) / (1 + D), per column."""
    return (1 + np.sum(boot >= obs - 1e-12, axis=0)) / (1 + boot.shape[0])


def _p_share(boot: np.ndarray, obs: np.ndarray, boot_tie: np.ndarray, obs_tie: np.ndarray
             ) -> np.ndarray:
    """p of a share of significant specs, ties broken by a continuous statistic.

    A share over a few correlated specs takes few values, so "at least as large" counts
    many ties and the test rejects far less often than alpha (1-2 % at 5 % with 8 specs).
    Ordering draws by (share, then ``*_tie``) keeps the test exact and its size near
    alpha. A share of 0 is never evidence: p = 1.
    """
    above = boot > obs + 1e-12
    tied = (np.abs(boot - obs) <= 1e-12) & (boot_tie >= obs_tie - 1e-12)
    p = (1 + np.sum(above | tied, axis=0)) / (1 + boot.shape[0])
    return np.where(obs > 0, p, 1.0)


def curve_inference(observed: pd.DataFrame, null_draws: list[tuple[int, np.ndarray, np.ndarray]],
                    alpha: float = 0.05, n_draws: int = 0) -> pd.DataFrame:
    """Null-imposed bootstrap p-values of the curve statistics (Simonsohn et al. 2020).

    ``null_draws``: (spec_id, t (D,), sign (D,)) of every estimable spec, from
    :meth:`CurveEngine.null_draws` (each spec's restricted model, one weight per country
    and draw in all specs), so a draw is a whole curve under the null. The statistics
    are studentised: the median of the specs' t-statistics (|median t| against the
    draws' |median t*|), and the share of significant specs, direction-free (the larger
    of the positive and negative shares against the draws' larger share) and, labelled
    as directional, each direction one-sided (:data:`P_COLUMNS`). p = (1 + #draws at
    least as extreme) / (1 + D); shares tied with the observed one are ordered by the
    median t (:func:`_p_share`). ``*_rw``: Romano-Wolf family-wise adjusted p-values
    across the key regressors, per estimator row (all, pooled, twfe), on statistics
    studentised by each family's bootstrap SD (shares also centred on their bootstrap
    mean). A family whose draws do not vary (SD 0) gets no adjusted p-value.
    """
    obs = curve_summary(observed, alpha)
    out = obs.copy()
    for c in P_COLUMNS:
        out[c] = np.nan
    out["n_draws"] = 0
    if not null_draws:
        return out
    ok = observed.loc[observed["status"] == "ok", ["spec_id", "key_regressor", "estimator"]]
    got = {sid: (t, s) for sid, t, s in null_draws}
    if set(got) != set(ok["spec_id"]):
        raise ValueError(f"speccurve inference: null draws for {len(got)} specs: expected "
                         f"the {len(ok)} estimable specs of the observed curve")
    tstar = np.column_stack([got[s][0] for s in ok["spec_id"]])
    sign = np.column_stack([got[s][1] for s in ok["spec_id"]])
    D = tstar.shape[0]
    keys, ests = ok["key_regressor"].to_numpy(), ok["estimator"].to_numpy()
    boot_med = np.full((D, len(out)), np.nan)
    boot_pos = np.full((D, len(out)), np.nan)
    boot_neg = np.full((D, len(out)), np.nan)
    for i, row in out.iterrows():
        cols = (keys == row["key_regressor"]) & ((ests == row["estimator"])
                                                  | (row["estimator"] == "all"))
        boot_med[:, i] = np.median(tstar[:, cols], axis=1)
        boot_pos[:, i] = np.mean(sign[:, cols] == 1, axis=1)
        boot_neg[:, i] = np.mean(sign[:, cols] == -1, axis=1)
    med = out["median_t"].to_numpy()
    share_pos, share_neg = out["share_sig_pos"].to_numpy(), out["share_sig_neg"].to_numpy()
    share = np.maximum(share_pos, share_neg)
    boot_share = np.maximum(boot_pos, boot_neg)
    out["p_median_t"] = _p(np.abs(boot_med), np.abs(med))
    # ties in a share are broken by the median t (its absolute value, direction-free)
    out["p_share"] = _p_share(boot_share, share, np.abs(boot_med), np.abs(med))
    out["p_share_pos"] = _p_share(boot_pos, share_pos, boot_med, med)
    out["p_share_neg"] = _p_share(boot_neg, share_neg, -boot_med, -med)
    # Romano-Wolf on studentised statistics (each family's bootstrap SD), so that a family
    # with a wide null distribution (few specs, small samples) does not dominate the max
    with np.errstate(divide="ignore", invalid="ignore"):
        sd_med = boot_med.std(axis=0, ddof=1)
        z_med, zb_med = med / sd_med, boot_med / sd_med
        mean_share, sd_share = boot_share.mean(axis=0), boot_share.std(axis=0, ddof=1)
        z_share = np.maximum((share - mean_share) / sd_share, 0)
        zb_share = np.maximum((boot_share - mean_share) / sd_share, 0)
    for est in out["estimator"].unique():
        rows = np.flatnonzero(out["estimator"].to_numpy() == est)
        out.loc[rows, "p_median_t_rw"] = bootstrap.romano_wolf(z_med[rows], zb_med[:, rows])
        out.loc[rows, "p_share_rw"] = bootstrap.romano_wolf(z_share[rows], zb_share[:, rows])
    out["n_draws"] = D
    return out
