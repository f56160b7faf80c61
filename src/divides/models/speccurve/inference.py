"""Curve-level statistics and their null-imposed bootstrap p-values (Romano-Wolf adjusted)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from divides.models import bootstrap


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
