"""The spec-curve engine reproduces the reference estimators; backends agree."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from divides.models import Spec, fit
from divides.models import speccurve as sc
from divides.models.fixtures import fixture_panel

pytestmark = pytest.mark.unit


def small_grid(**inference):
    grid = copy.deepcopy(sc.load_grid())
    grid["grid"].update(outcomes=["wgi_cc_estimate"], key_regressors=["egdi", "osi"],
                        gap_dimensions=["sex"], lags=[0, 1], samples=["all", "income_group"],
                        min_countries=8)
    grid["controls"] = {"none": [], "income": ["log_gdp_pc_ppp"]}
    grid["inference"].update(inference)
    return grid


@pytest.fixture(scope="module")
def panel():
    return fixture_panel(n_countries=60, seed=11, keep_share=0.8, biennial_egdi=True)


@pytest.fixture(scope="module")
def curve(panel):
    return sc.run(panel, None, grid=small_grid(), permutations=0)


def test_engine_matches_linearmodels_reference(panel, curve):
    table = curve.table.set_index("spec_id")
    checked = 0
    for _, row in table[table["status"] == "ok"].iloc[::7].iterrows():
        sample = None if row["sample"] == "all" else "income_group == '{}'".format(
            row["sample"].split("=", 1)[1])
        controls = {"none": (), "income": ("log_gdp_pc_ppp",)}[row["controls"]]
        spec = Spec(row["outcome"], (row["key_regressor"],), controls, estimator=row["estimator"],
                    lag=int(row["lag"]), sample=sample, min_countries=8)
        ref = fit(panel, spec)[row["term"]]
        assert row["coef"] == pytest.approx(ref["coef"], rel=1e-8, abs=1e-10)
        assert row["stderr"] == pytest.approx(ref["stderr"], rel=1e-8)
        assert row["p"] == pytest.approx(ref["p"], rel=1e-6, abs=1e-12)
        assert row["ci_low"] == pytest.approx(ref["ci_low"], rel=1e-8, abs=1e-10)
        checked += 1
    assert checked >= 5


def test_numpy_linearmodels_and_pyfixest_engines_agree(panel):
    grid = small_grid()
    frame = sc.analysis_frame(panel, None, grid)
    rows = [r for r in sc.enumerate_specs(frame, grid) if r.sample == "all"][:8]
    payload = sc.make_payload(frame, grid)
    eng = sc.CurveEngine(payload)
    for row in rows:
        ours = eng.estimate(row)
        lm = sc.estimate_with_library(frame, row, "linearmodels", payload.masks, min_countries=8)
        pf = sc.estimate_with_library(frame, row, "pyfixest", payload.masks, min_countries=8)
        assert ours["status"] == lm["status"] == pf["status"] == "ok"
        assert ours["coef"] == pytest.approx(lm["coef"], rel=1e-8)
        assert pf["coef"] == pytest.approx(lm["coef"], rel=1e-8)
        assert ours["stderr"] == pytest.approx(lm["stderr"], rel=1e-8)
        # pyfixest's ssc(k_adj, k_fixef="none", G_adj) is the same CR1
        assert pf["stderr"] == pytest.approx(lm["stderr"], rel=1e-6)


def test_grid_dimensions_and_honest_statuses(curve):
    table = curve.table
    # 1 outcome x 3 keys x 2 controls x 2 estimators x 2 lags x (all + 4 income groups)
    assert len(table) == 1 * 3 * 2 * 2 * 2 * 5
    assert table["spec_id"].tolist() == list(range(len(table)))
    assert set(table["data_kind"]) == {"demo"}
    bad = table[table["status"] != "ok"]
    assert bad["coef"].isna().all()
    assert (table.loc[table["status"] == "ok", "n_countries"] >= 8).all()


def test_demeaning_cache_is_shared_by_specs_with_the_same_rows(panel):
    grid = small_grid()
    frame = sc.analysis_frame(panel, None, grid)
    payload = sc.make_payload(frame, grid)
    eng = sc.CurveEngine(payload)
    rows = [r for r in sc.enumerate_specs(frame, grid) if r.estimator == "twfe"]
    for r in rows:
        eng.estimate(r)
    # egdi and osi are observed in the same (survey) years: their samples coincide
    assert eng.hits > 0 and eng.misses < len(rows)


def test_serial_and_process_backends_give_the_same_table(panel, curve):
    other = sc.run(panel, None, grid=small_grid(), backend="processes", workers=2,
                   permutations=2)
    pd.testing.assert_frame_equal(other.table, curve.table)


def test_dask_backend_gives_the_same_table_and_inference(panel):
    from dask.distributed import Client, LocalCluster

    grid = small_grid()
    serial = sc.run(panel, None, grid=grid, permutations=3)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = sc.run(panel, None, grid=grid, backend="dask", client=client, permutations=3)
    pd.testing.assert_frame_equal(dask.table, serial.table)
    pd.testing.assert_frame_equal(dask.inference, serial.inference)


def test_block_permutation_keeps_trajectories_and_breaks_the_link(panel):
    strong = fixture_panel(n_countries=60, seed=5, within_effect=3.0, keep_share=0.9)
    grid = small_grid()
    grid["grid"].update(key_regressors=["egdi"], gap_dimensions=[], samples=["all"], lags=[0])
    grid["controls"] = {"none": []}
    curve = sc.run(strong, None, grid=grid, permutations=9)
    inf = curve.inference.set_index(["key_regressor", "estimator"])
    assert inf.loc[("egdi", "twfe"), "p_median"] == pytest.approx(1 / 10)
    assert inf.loc[("egdi", "twfe"), "n_permutations"] == 9
    frame = sc.analysis_frame(strong, None, grid)
    payload = sc.make_payload(frame, grid)
    perm = sc.CurveEngine(payload).permuted_columns(seed=1)["egdi"]
    # every permuted value is a value of the same year from one other country's trajectory
    by_year = frame.groupby("year")["egdi"].apply(lambda s: set(s.dropna().round(12)))
    for yr, val in zip(frame["year"], perm):
        if np.isfinite(val):
            assert round(val, 12) in by_year[yr]


def test_gap_columns_pick_one_indicator_and_source():
    gaps = pd.DataFrame({
        "iso3": ["A", "A", "A", "B"], "year": [2020, 2020, 2020, 2021],
        "dimension": ["sex"] * 4,
        "indicator": ["itu_internet_users_pct", "itu_internet_users_pct", "findex_x", "itu_internet_users_pct"],
        "source": ["itu", "other", "findex", "itu"], "gap_pp": [5.0, 6.0, 9.0, 2.0]})
    wide = sc.gap_columns(gaps, ["sex", "area"])
    assert wide.set_index("iso3")["gap_sex_pp"].to_dict() == {"A": 5.0, "B": 2.0}
    assert "gap_area_pp" not in wide.columns


def test_written_tables_are_byte_identical(tmp_path, curve):
    a = sc.write(curve, tmp_path / "a")
    b = sc.write(curve, tmp_path / "b")
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes()


def test_library_engines_give_the_numpy_table(panel, curve):
    grid = small_grid()
    grid["grid"].update(key_regressors=["egdi"], gap_dimensions=[], samples=["all"])
    ours = sc.run(panel, None, grid=grid, permutations=0).table
    lm = sc.run(panel, None, grid=grid, engine="linearmodels").table
    cols = ["coef", "stderr", "p", "ci_low", "ci_high", "coef_std"]
    pd.testing.assert_frame_equal(ours[cols], lm[cols], rtol=1e-7)
    pd.testing.assert_frame_equal(ours.drop(columns=cols), lm.drop(columns=cols))


def test_curve_inference_counts_extreme_permutations_by_hand():
    def table(coefs, ps, status="ok"):
        return pd.DataFrame({"spec_id": [0, 1], "key_regressor": "egdi", "estimator": "pooled",
                             "status": status, "coef_std": coefs, "p": ps})

    observed = table([0.5, 0.3], [0.01, 0.2])  # median 0.4, half significant and positive
    permuted = [table([0.1, 0.2], [0.5, 0.5]),       # less extreme on both statistics
                table([-0.6, -0.4], [0.01, 0.01]),   # median more extreme, share_sig_pos 0
                table([0.6, 0.4], [0.01, 0.6]),      # both at least as extreme
                table([9.0, 9.0], [0.0, 0.0], status="too few countries")]  # family absent
    inf = sc.curve_inference(observed, permuted).set_index(["key_regressor", "estimator"])
    for est in ("all", "pooled"):
        row = inf.loc[("egdi", est)]
        assert row["median_coef_std"] == pytest.approx(0.4)
        assert row["share_sig_pos"] == pytest.approx(0.5)
        assert row["n_permutations"] == 4
        assert row["p_median"] == pytest.approx((1 + 2) / (1 + 4))
        assert row["p_share_sig"] == pytest.approx((1 + 1) / (1 + 4))


def test_permutation_cache_is_keyed_by_the_inputs(tmp_path, panel, monkeypatch):
    monkeypatch.setattr(sc, "KEEP_PERM_CACHES", 2)
    grid = small_grid()
    grid["grid"].update(key_regressors=["egdi"], gap_dimensions=[], lags=[0])
    fresh = sc.run(panel, None, grid=grid, permutations=5)
    first = sc.run(panel, None, grid=grid, permutations=5, cache_dir=tmp_path)
    again = sc.run(panel, None, grid=grid, permutations=5, cache_dir=tmp_path)
    assert (first.notes["permutations_cache"], again.notes["permutations_cache"]) == (
        "written", "hit")
    pd.testing.assert_frame_equal(first.inference, fresh.inference)
    pd.testing.assert_frame_equal(again.inference, fresh.inference)
    [cached] = tmp_path.glob("speccurve-perm-*.parquet")
    changed = panel.copy()
    changed.loc[changed.index[0], "wgi_cc_estimate"] += 0.5
    other = sc.run(changed, None, grid=grid, permutations=5, cache_dir=tmp_path)
    assert other.notes["permutations_cache"] == "written"
    assert len(list(tmp_path.glob("speccurve-perm-*.parquet"))) == 2
    hit = sc.run(panel, None, grid=grid, permutations=5, cache_dir=tmp_path)
    assert hit.notes["permutations_cache"] == "hit"  # now the most recently used
    more = sc.run(panel, None, grid=grid, permutations=6, cache_dir=tmp_path)
    assert more.notes["permutations_cache"] == "written"
    # at most KEEP_PERM_CACHES files: the changed panel's, least recently used, is gone
    assert len(list(tmp_path.glob("speccurve-perm-*.parquet"))) == 2 and cached.exists()
    cached.write_bytes(b"not parquet")
    with pytest.warns(UserWarning, match="unreadable permutation cache"):
        mended = sc.run(panel, None, grid=grid, permutations=5, cache_dir=tmp_path)
    assert mended.notes["permutations_cache"] == "written"
    pd.testing.assert_frame_equal(mended.inference, fresh.inference)
