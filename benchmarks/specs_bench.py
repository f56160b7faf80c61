"""Benchmark: 1,000 specifications of the spec curve, this engine vs a naive statsmodels loop.

Side by side in one run, on the same specs (the first N of the `divides specs` grid):

* naive: a loop of ``statsmodels.formula.api.ols`` with ``C(iso3) + C(year)`` dummies for
  two-way FE (and without for pooled), errors clustered by country;
* divides: ``models.speccurve.CurveEngine`` (numpy, demeaning cached per sample);
* each serially and on a 2-worker dask LocalCluster (cluster start-up timed apart);
* for the engine choice: linearmodels PanelOLS and pyfixest feols loops on a subset
  (``--library-specs``), extrapolated per spec and labelled so.

Usage::

    .venv/bin/python benchmarks/specs_bench.py --data demo --specs 1000 [--panel PATH]

``--panel`` reads a panel parquet (as written by ``divides build``); without it the
panel comes from ``divides.load_panel(data)``. Prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

# One BLAS thread everywhere, as dask workers use: on 2 shared cores a multi-threaded BLAS in
# the serial loop oversubscribes the machine and makes the serial timings meaningless.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import pandas as pd


def load(data: str, panel_path: str | None):

    gaps = None
    if panel_path:
        from divides.fileio import read_parquet

        panel = read_parquet(panel_path)
        gaps_path = os.path.join(os.path.dirname(panel_path), "gaps.parquet")
        if os.path.exists(gaps_path):
            gaps = read_parquet(gaps_path)
    elif data == "fixture":
        from divides.models.fixtures import fixture_panel

        panel = fixture_panel(n_countries=190, years=(2003, 2023), biennial_egdi=True)
    else:
        from divides.build import loaders as api

        load_panel, load_gaps = api.load_panel, api.load_gaps
        panel = load_panel(data=data)
        gaps = load_gaps(data=data) if load_gaps else None
    return panel, gaps


def naive_one(frame: pd.DataFrame, row, masks) -> tuple[float, float]:
    """What a researcher would write: formula OLS with dummies, clustered by country."""
    import statsmodels.formula.api as smf

    key = row.key if row.lag == 0 else f"{row.key}_lag{row.lag}"
    cols = [row.outcome, key, *row.controls]
    sub = frame.loc[masks[row.sample], ["iso3", "year", *cols]].dropna()
    if sub["iso3"].nunique() < 10:
        return np.nan, np.nan
    fe = " + C(iso3) + C(year)" if row.estimator == "twfe" else ""
    fml = f"{row.outcome} ~ {' + '.join([key, *row.controls])}{fe}"
    res = smf.ols(fml, sub).fit(cov_type="cluster",
                                cov_kwds={"groups": pd.factorize(sub["iso3"])[0]})
    return float(res.params[key]), float(res.bse[key])


def naive_chunk(frame, rows, masks):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [naive_one(frame, r, masks) for r in rows]


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo", choices=("demo", "real", "fixture"))
    parser.add_argument("--panel", default=None, help="panel parquet (default: load_panel)")
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--library-specs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-naive-dask", action="store_true")
    args = parser.parse_args(argv)

    from divides.models import speccurve as sc

    panel, gaps = load(args.data, args.panel)
    grid = sc.load_grid()
    frame = sc.analysis_frame(panel, gaps, grid)
    rows = sc.enumerate_specs(frame, grid)[: args.specs]
    payload = sc.make_payload(frame, grid)
    masks = payload.masks
    n_twfe = sum(r.estimator == "twfe" for r in rows)
    print(f"panel: {len(frame)} rows, {frame['iso3'].nunique()} countries, "
          f"{frame['year'].min()}-{frame['year'].max()}; {len(rows)} specs ({n_twfe} TWFE)",
          file=sys.stderr)

    timings: list[tuple[str, str, float, str]] = []

    # divides engine, serial (a fresh engine: the cache is built inside the timing)
    sc.ENGINES.clear()
    ours, t_ours = timed(sc.run_chunk, payload, rows)
    eng = next(iter(sc.ENGINES.values()))
    timings.append(("divides engine (numpy, cached demeaning)", "serial", t_ours,
                    f"cache: {eng.hits} hits / {eng.misses} samples"))

    naive, t_naive = timed(naive_chunk, frame, rows, masks)
    timings.append(("naive statsmodels OLS + dummies", "serial", t_naive, ""))

    # agreement of coefficients (both estimable)
    diffs = [abs(o["coef"] - n[0]) / max(1.0, abs(n[0])) for o, n in zip(ours, naive)
             if o.get("status") == "ok" and np.isfinite(n[0])]
    agree = max(diffs) if diffs else float("nan")

    # dask LocalCluster with 2 workers
    from dask.distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("divides.models.speccurve"))
    t_start = time.perf_counter() - t0
    backend = sc.Backend("dask", args.workers, client=client)
    _, t_ours_dask = timed(backend.map_specs, payload, rows)
    timings.append(("divides engine (numpy, cached demeaning)", f"dask {args.workers} workers",
                    t_ours_dask, f"cluster start {t_start:.1f} s not included"))
    if not args.skip_naive_dask:
        parts = sc.chunks(rows, 4 * args.workers)
        [rf] = client.scatter([frame], broadcast=True)
        [rm] = client.scatter([masks], broadcast=True)
        t0 = time.perf_counter()
        futs = client.map(naive_chunk, [rf] * len(parts), parts, [rm] * len(parts), pure=False)
        client.gather(futs)
        timings.append(("naive statsmodels OLS + dummies", f"dask {args.workers} workers",
                        time.perf_counter() - t0, ""))
    client.close()
    cluster.close()

    # library engines on a subset (per-spec time x N, labelled as extrapolated)
    subset = rows[: args.library_specs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for engine in ("linearmodels", "pyfixest"):
            sc.estimate_with_library(frame, subset[1], engine, masks)  # warm-up (numba)
            _, t = timed(lambda eng=engine: [sc.estimate_with_library(frame, r, eng, masks)
                                             for r in subset])
            timings.append((f"{engine} loop", "serial", t * len(rows) / len(subset),
                            f"extrapolated from {len(subset)} specs"))

    print(f"\nPanel: {args.data} ({'parquet ' + args.panel if args.panel else 'load_panel'}), "
          f"{len(frame)} country-years, {frame['iso3'].nunique()} countries; {len(rows)} "
          f"specifications ({n_twfe} two-way FE, {len(rows) - n_twfe} pooled). Machine: "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__},"
          f" pandas {pd.__version__}.\n")
    print("| implementation | backend | seconds | specs/s | speed-up vs naive serial | note |")
    print("|---|---|---:|---:|---:|---|")
    for name, where, secs, note in timings:
        print(f"| {name} | {where} | {secs:.2f} | {len(rows) / secs:.0f} | "
              f"{t_naive / secs:.1f}x | {note} |")
    print(f"\nLargest relative coefficient difference, engine vs naive: {agree:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
