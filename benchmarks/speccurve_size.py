"""Size of the null-imposed curve test on a larger simulation than the suite's.

Seeded panels with a true null (models.fixtures.null_panel: x correlated with the control
z, no effect of x given z); rejection rates at 5 % of the curve-level p-values (median and
share significant) for pooled and two-way FE families, with their Monte Carlo standard
errors. Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_size.py --sims 1000 --draws 399
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=399)
    ap.add_argument("--countries", type=int, default=40)
    args = ap.parse_args(argv)
    from divides.models import speccurve as sc
    from divides.models.fixtures import null_grid, null_panel

    keys = [(e, s) for e in ("pooled", "twfe", "all") for s in ("p_median", "p_share_sig",
                                                               "p_median_rw")]
    hits = dict.fromkeys(keys, 0)
    t0 = time.perf_counter()
    for s in range(args.sims):
        inf = sc.run(null_panel(50_000 + s, n_countries=args.countries), None,
                     grid=null_grid(args.draws), draws=args.draws,
                     seed=s).inference.set_index("estimator")
        for e, stat in keys:
            hits[(e, stat)] += bool(inf.loc[e, stat] <= 0.05)
    secs = time.perf_counter() - t0
    print(f"{args.sims} simulated panels ({args.countries} countries x 8 years), "
          f"{args.draws} draws each, {secs:.0f} s")
    print()
    print("| family | statistic | rejection rate at 5 % | Monte Carlo SE |")
    print("|---|---|---:|---:|")
    for (e, stat), h in hits.items():
        rate = h / args.sims
        print(f"| {e} | {stat} | {rate:.3f} | {np.sqrt(rate * (1 - rate) / args.sims):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
