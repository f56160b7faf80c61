"""Benchmark: the whole curve with 999 null-imposed draws vs a per-spec bootstrap loop.

Side by side in one run, on the same panel (``--data real`` by default):

* divides: ``speccurve.run(..., draws=999)``: every spec estimated, then 999 wild cluster
  bootstrap draws of the whole curve (one G x G matrix per spec, all draws at once), on the
  ``processes`` backend (2 workers) and on a 2-worker dask LocalCluster (start-up timed
  apart);
* the loop a user would otherwise write: pyfixest ``feols`` + ``wildboottest(reps=999)`` per
  spec (which uses the wildboottest package), timed on ``--loop-specs`` specs spread over the
  grid and extrapolated to all estimable specs. It gives only per-spec p-values, not
  curve-level draws with a shared weight per country, so it is a lower bound on the work.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_inference_bench.py --data real
    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_inference_bench.py --render

Stores the timings in ``benchmarks/results/speccurve_inference_timing.csv`` and the
curve-level p-values of the run (the grid's seed and draws, as ``divides specs`` and
notebook 05 compute them) in ``benchmarks/results/speccurve_inference_pvalues.csv``; the
RESULTS.md section is written from those files (``--render`` rewrites it without running).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from speccurve_size import write_section  # the sibling benchmark's section writer

TIMING_CSV = HERE / "results" / "speccurve_inference_timing.csv"
PVALUES_CSV = HERE / "results" / "speccurve_inference_pvalues.csv"
HEADING = ("## Specification curve inference: null-imposed draws of the whole real-data curve "
           "(`benchmarks/speccurve_inference_bench.py`)")
TARGET_SPEEDUP, TARGET_SECONDS = 50, 60


def render(timing: pd.DataFrame, pvalues: pd.DataFrame) -> str:
    """The RESULTS.md section, every number from the two stored tables."""
    meta = timing.iloc[0]
    draws, n_ok, n_specs = int(meta["draws"]), int(meta["n_ok"]), int(meta["n_specs"])
    loop = timing.loc[timing["implementation"].str.startswith("pyfixest")].iloc[0]
    ours = timing.loc[timing["implementation"].str.startswith("divides")]
    lines = [HEADING, "",
             (f"Written by the script from `benchmarks/results/speccurve_inference_timing.csv` "
              f"and `speccurve_inference_pvalues.csv`. The whole `divides specs` grid on the "
              f"{meta['data']} data: {n_specs:,} specifications, {n_ok:,} estimable, each "
              f"estimated and then redrawn {draws} times under its own null (each spec's "
              f"restricted model, wild cluster bootstrap by country, one Rademacher weight per "
              f"country shared by every spec of a draw; per-spec wild bootstrap p-values where "
              f"a spec has fewer than 30 countries). Side by side in one run with the loop a "
              f"user would otherwise write, pyfixest `feols` + `wildboottest(reps={draws})` per "
              f"specification, timed on {int(loop['loop_specs'])} specifications spread over "
              f"the grid (after a numba warm-up on one more) and extrapolated to the {n_ok:,}; "
              f"that loop gives only per-spec p-values, not curve-level draws, so it is a lower "
              f"bound on the work it replaces. Machine: {meta['machine']}, load average "
              f"{meta['load_average']:.1f} at the end of the run."), "",
             "| implementation | backend | seconds | speed-up vs loop | note |",
             "|---|---|---:|---:|---|"]
    for r in timing.itertuples():
        note = "" if pd.isna(r.note) else r.note
        lines.append(f"| {r.implementation} | {r.backend} | {r.seconds:.1f} | "
                     f"{loop['seconds'] / r.seconds:.0f}x | {note} |")
    best = ours.loc[ours["seconds"].idxmin()]
    met = (loop["seconds"] / best["seconds"] >= TARGET_SPEEDUP
           and best["seconds"] <= TARGET_SECONDS)
    lines += ["", (f"Targets (at least {TARGET_SPEEDUP}x over the per-spec loop, under "
                   f"{TARGET_SECONDS} s on 2 cores) {'met' if met else 'not met'}: "
                   f"{best['seconds']:.1f} s, {loop['seconds'] / best['seconds']:.0f}x, on "
                   f"{best['backend']}. Per specification, all bootstrap coefficients and "
                   f"CR1 standard errors come from one G x G matrix (Roodman et al. 2019, "
                   f"\"Fast and wild\"); under two-way FE the year projection of the weighted "
                   f"residuals is carried exactly (tests/unit/test_models_bootstrap.py compares "
                   f"with a brute-force refit, with wildboottest and with pyfixest).")]
    lines += ["", "### Curve-level p-values on the real data", "",
              (f"From the same run ({int(pvalues['n_draws'].iloc[0])} draws, the grid's seed: "
               f"the values `divides specs` and notebook 05 report). `p_median_t`: median of "
               f"the specs' t, two-sided; `p_share`: share significant in either direction, "
               f"direction-free (`direction`: the larger share); `p_share_pos` / `p_share_neg`: "
               f"one-sided, valid only for a direction declared in advance; `_rw`: Romano-Wolf "
               f"across the key regressors within the estimator row."), "",
              ("| key regressor | estimator | specs | median coef (std) | median t | p_median_t "
               "| RW | share + | share - | direction | p_share | RW | p_share_pos "
               "| p_share_neg |"), "|---|---|---:|" + "---:|" * 6 + "---|" + "---:|" * 4]
    for r in pvalues.itertuples():
        direction = ("positive" if r.share_sig_pos > r.share_sig_neg else "negative"
                     if r.share_sig_neg > r.share_sig_pos else "none")
        lines.append(
            f"| {r.key_regressor} | {r.estimator} | {r.n_specs} | {r.median_coef_std:.3f} | "
            f"{r.median_t:.2f} | {r.p_median_t:.3f} | {r.p_median_t_rw:.3f} | "
            f"{r.share_sig_pos:.3f} | {r.share_sig_neg:.3f} | {direction} | {r.p_share:.3f} | "
            f"{r.p_share_rw:.3f} | {r.p_share_pos:.3f} | {r.p_share_neg:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="real")
    ap.add_argument("--draws", type=int, default=999)
    ap.add_argument("--loop-specs", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--render", action="store_true",
                    help="only rewrite RESULTS.md from the stored CSVs")
    args = ap.parse_args(argv)
    if args.render:
        text = render(pd.read_csv(TIMING_CSV), pd.read_csv(PVALUES_CSV))
        write_section(text, heading=HEADING)
        print(text)
        return 0
    warnings.filterwarnings("ignore")

    import pyfixest as pf

    import divides
    from divides.models import speccurve as sc

    panel = divides.load_panel(args.data)
    gaps = divides.load_gaps(args.data)
    rows_out = []

    t0 = time.perf_counter()
    curve = sc.run(panel, gaps, backend="processes", workers=args.workers, draws=args.draws)
    t_proc = time.perf_counter() - t0
    n_ok = curve.notes["n_ok"]
    rows_out.append(("divides: estimate + null-imposed draws", f"processes ({args.workers})",
                     t_proc, ""))

    from dask.distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    dask_curve = sc.run(panel, gaps, backend="dask", client=client, draws=args.draws)
    t_dask = time.perf_counter() - t0
    client.close()
    cluster.close()
    same = dask_curve.inference.equals(curve.inference)
    rows_out.append(("divides: estimate + null-imposed draws", f"dask ({args.workers})", t_dask,
                     (f"cluster start {t_start:.1f} s not included; inference identical to "
                      f"processes: {same}")))

    # the per-spec loop: pyfixest feols + wildboottest on a spread of estimable specs
    grid = sc.load_grid()
    frame = sc.analysis_frame(panel, gaps, grid)
    specs = sc.enumerate_specs(frame, grid)
    ok_ids = curve.table.loc[curve.table["status"] == "ok", "spec_id"].to_numpy()
    pick = ok_ids[np.linspace(0, len(ok_ids) - 1, args.loop_specs).astype(int)]
    masks = sc.sample_masks(frame, grid)
    t_loop = 0.0
    for i, sid in enumerate(pick):
        r = specs[sid]
        key = r.key if r.lag == 0 else f"{r.key}_lag{r.lag}"
        sub = frame.loc[masks[r.sample], ["iso3", "year", r.outcome, key, *r.controls]].dropna()
        sub = sub.assign(cid=sub["iso3"].factorize()[0])  # wildboottest's numba needs int ids
        fml = f"{r.outcome} ~ {' + '.join([key, *r.controls])}" + (
            " | cid + year" if r.estimator == "twfe" else "")
        t0 = time.perf_counter()
        fit = pf.feols(fml, data=sub, vcov={"CRV1": "cid"})
        fit.wildboottest(param=key, reps=args.draws, seed=i)
        dt = time.perf_counter() - t0
        if i:  # the first call compiles numba: not counted
            t_loop += dt
    per_spec = t_loop / (len(pick) - 1)
    t_extra = per_spec * n_ok
    rows_out.append(("pyfixest feols + wildboottest(reps) per spec", "serial", t_extra,
                     f"{per_spec:.2f} s/spec on {len(pick) - 1} specs, extrapolated to {n_ok}"))

    machine = (f"2 shared cores, Python {sys.version.split()[0]}, numpy {np.__version__}, "
               f"{platform.machine()}, one BLAS thread per process")
    timing = pd.DataFrame([{"implementation": name, "backend": backend, "seconds": secs,
                            "note": note} for name, backend, secs, note in rows_out])
    timing = timing.assign(data=args.data, draws=args.draws, n_specs=curve.notes["n_specs"],
                           n_ok=n_ok, loop_specs=len(pick) - 1, machine=machine,
                           load_average=round(os.getloadavg()[0], 1))
    TIMING_CSV.parent.mkdir(parents=True, exist_ok=True)
    timing.to_csv(TIMING_CSV, index=False, lineterminator="\n", float_format="%.6g")
    curve.inference.to_csv(PVALUES_CSV, index=False, lineterminator="\n", float_format="%.6g")
    text = render(pd.read_csv(TIMING_CSV), pd.read_csv(PVALUES_CSV))
    write_section(text, heading=HEADING)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
