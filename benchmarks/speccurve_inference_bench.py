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

Prints a Markdown table for RESULTS.md.
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

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="real")
    ap.add_argument("--draws", type=int, default=999)
    ap.add_argument("--loop-specs", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
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

    print(f"{curve.notes['n_specs']} specifications, {n_ok} estimable, {args.draws} draws; "
          f"data {args.data}; Python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"{platform.machine()}, load average {os.getloadavg()[0]:.1f}")
    print()
    print("| implementation | backend | seconds | speed-up vs loop | note |")
    print("|---|---|---:|---:|---|")
    for name, backend, secs, note in rows_out:
        print(f"| {name} | {backend} | {secs:.1f} | {t_extra / secs:.0f}x | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
