"""The fast wild cluster bootstrap against wildboottest, pyfixest and a brute-force loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from divides.models import bootstrap as bs

pytestmark = pytest.mark.unit


def _panel(G=10, T=6, seed=1, beta=0.0):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(G), T)
    t = np.tile(np.arange(T), G)
    z = rng.normal(size=G)[g] + rng.normal(size=G * T)
    x = 0.7 * z + rng.normal(size=G)[g] * 0.5 + rng.normal(size=G * T)
    y = beta * x + z + rng.normal(size=G)[g] + rng.normal(size=G * T) * (1 + (g % 3))
    keep = rng.random(G * T) > 0.1  # unbalanced
    return pd.DataFrame({"g": g, "t": t, "x": x, "z": z, "y": y})[keep].reset_index(drop=True)


def test_single_spec_p_value_matches_wildboottest_with_full_enumeration():
    import statsmodels.api as sm
    from wildboottest.wildboottest import wildboottest

    df = _panel(G=10, beta=0.25)
    X = sm.add_constant(df[["x", "z"]])
    model = sm.OLS(df["y"], X)
    ref = wildboottest(model, B=9999, cluster=df["g"], param="x", weights_type="rademacher",
                       impose_null=True, bootstrap_type="11", seed=3, show=False)
    ref_p = float(np.asarray(ref["p-value"] if isinstance(ref, pd.DataFrame) else ref[0]
                             ).ravel()[0])
    _, p = bs.wild_p(df["y"].to_numpy(), X.to_numpy(), 1, df["g"].to_numpy(), n_draws=9999)
    # both enumerate all 2^10 sign patterns: the p-values agree to rounding
    assert p == pytest.approx(ref_p, abs=1e-9)
    assert 0 < p < 1


def test_single_spec_p_value_agrees_with_pyfixest_wildboottest_twfe():
    import pyfixest as pf

    df = _panel(G=12, T=7, seed=4, beta=0.3)
    fit = pf.feols("y ~ x + z | g + t", data=df, vcov={"CRV1": "g"})
    ref = fit.wildboottest(param="x", reps=9999, seed=5)
    ref_p = float(ref["Pr(>|t|)"])
    # our design demeaned by both effects through the engine's FWL algebra
    fe, yd, Xd = _twfe_design(df)
    t, p = bs.wild_p(yd, Xd, 0, df["g"].to_numpy(), n_draws=9999, fe=fe)
    # pyfixest counts the year effects in its small-sample factor, so t differs by a
    # constant factor; the bootstrap p-value compares t with t* and does not
    assert np.sign(t) == np.sign(float(ref["t value"]))
    # 2^12 = 4096 patterns enumerated here; pyfixest enumerates too
    assert p == pytest.approx(ref_p, abs=2 / 4096 + 1e-9)


def _twfe_design(df):
    g = np.unique(df["g"], return_inverse=True)[1]
    t = np.unique(df["t"], return_inverse=True)[1]
    counts = np.bincount(g).astype(float)
    G, T = counts.size, t.max() + 1
    N = np.zeros((G, T))
    np.add.at(N, (g, t), 1.0)
    A_pinv = np.linalg.pinv(np.diag(N.sum(axis=0)) - N.T @ (N / counts[:, None]))

    def within(v):
        vc = v - (np.bincount(g, weights=v) / counts)[g]
        a = A_pinv @ np.bincount(t, weights=vc, minlength=T)
        return vc - (a[t] - ((N @ a) / counts)[g])

    fe = bs.FixedEffects(g=g, t=t, A_pinv=A_pinv, n_groups=G, n_times=T)
    X = np.column_stack([within(df["x"].to_numpy()), within(df["z"].to_numpy())])
    return fe, within(df["y"].to_numpy()), X


def test_fast_draws_equal_a_brute_force_refit_with_dummies():
    """Each draw re-estimated from scratch (dummies, lstsq, CR1) gives the same b and se."""
    df = _panel(G=9, T=5, seed=7)
    fe, yd, Xd = _twfe_design(df)
    xtx_inv = np.linalg.inv(Xd.T @ Xd)
    beta = xtx_inv @ Xd.T @ yd
    resid = yd - Xd @ beta
    W = bs.cluster_weights(20, fe.n_groups, seed=2, kind="webb")
    dev, se = bs.draws(Xd, 0, fe.g, fe.n_groups, resid, W, xtx_inv, fe)
    D = np.column_stack([df[["x", "z"]].to_numpy(), np.eye(fe.n_groups)[fe.g],
                         np.eye(fe.n_times)[fe.t][:, 1:]])
    coef_full = np.linalg.lstsq(D, df["y"].to_numpy(), rcond=None)[0]
    fitted = D @ coef_full
    n, k = len(df), 2
    for d in range(W.shape[0]):
        ystar = fitted + W[d][fe.g] * resid
        c = np.linalg.lstsq(D, ystar, rcond=None)[0]
        e = ystar - D @ c
        bread = np.linalg.inv(Xd.T @ Xd)
        sc = np.stack([np.bincount(fe.g, weights=Xd[:, j] * e) for j in range(k)], axis=1)
        V = bread @ sc.T @ sc @ bread * (fe.n_groups / (fe.n_groups - 1)) * (n - 1) / (n - k)
        assert dev[d] == pytest.approx(c[0] - coef_full[0], abs=1e-10)
        assert se[d] == pytest.approx(np.sqrt(V[0, 0]), rel=1e-8)


def test_romano_wolf_matches_pyfixest():
    from pyfixest.estimation.post_estimation.multcomp import _get_rwolf_pval

    rng = np.random.default_rng(0)
    boot = rng.normal(size=(999, 6)) * np.array([1, 1.5, 0.5, 2, 1, 1])
    stat = np.array([2.5, 0.3, 1.9, -3.1, 0.0, 1.2])
    ours = bs.romano_wolf(stat, boot)
    ref = _get_rwolf_pval(stat, boot)
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    assert (ours >= np.array([min(1.0, (np.sum(np.abs(boot[:, j]) >= abs(stat[j])) + 1) / 1000)
                              for j in range(6)]) - 1e-12).all()


def test_weights_reject_unknown_kind_and_enumerate_small():
    with pytest.raises(ValueError, match="rademacher"):
        bs.cluster_weights(9, 3, 0, "mammen")
    W = bs.cluster_weights(999, 4, 0, enumerate_small=True)
    assert W.shape == (16, 4) and len({tuple(r) for r in W}) == 16
