"""Size of the null-imposed curve tests on hard designs, at a larger scale than the suite's.

Seeded panels with a true null (models.fixtures.null_panel: x correlated with the control
z, no effect of x given z), in the benchmark design (40 balanced countries) and each
adverse design of ``models.fixtures.ADVERSE_DESIGNS`` (15-20 countries, AR(1) 0.8, one
country with about 40 % of x's weight, unbalanced uneven years, strongly heteroskedastic
clusters); specs with fewer than 30 countries judged by their own wild bootstrap p-value,
as in the project's grid. Rejection rates at 5 % of the curve-level p-values (studentised
median, direction-free share, directional share, Romano-Wolf) for pooled, two-way FE and
all specs, with Monte Carlo SEs. The rates are stored in
``benchmarks/results/speccurve_size.csv`` and the section of ``benchmarks/RESULTS.md`` is
written from that file (never typed). Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_size.py --sims 1000 --draws 399
    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_size.py --render   # table only
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import _results
import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
STORED = HERE / "results" / "speccurve_size.csv"
RESULTS_MD = HERE / "RESULTS.md"
HEADING = "## Size of the null-imposed curve test (`benchmarks/speccurve_size.py`)"


def write_section(text: str, path: Path = RESULTS_MD, heading: str = HEADING) -> None:
    """Replace this benchmark's section of RESULTS.md (the siblings pass their heading)."""
    _results.write_section(text, path, heading)
STATS = ("p_median_t", "p_median_t_rw", "p_share", "p_share_rw", "p_share_pos")
BAND = (0.02, 0.08)


def simulate(sims: int, draws: int) -> pd.DataFrame:
    from divides.models import speccurve as sc
    from divides.models.fixtures import ADVERSE_DESIGNS, null_grid, null_panel

    designs = {"40 countries, balanced (benchmark design)": {}, **ADVERSE_DESIGNS}
    rows = []
    for name, kw in designs.items():
        hits = {(e, s): 0 for e in ("pooled", "twfe", "all") for s in STATS}
        leverage = []
        t0 = time.perf_counter()
        for s in range(sims):
            curve = sc.run(null_panel(50_000 + s, **kw), None,
                           grid=null_grid(draws, wild_below=30), draws=draws, seed=s)
            inf = curve.inference.set_index("estimator")
            leverage.append(float(curve.table["max_country_weight_share"].median()))
            for e, stat in hits:
                hits[(e, stat)] += bool(inf.loc[e, stat] <= 0.05)
        secs = time.perf_counter() - t0
        for (e, stat), h in hits.items():
            rate = h / sims
            rows.append({"design": name, "family": e, "statistic": stat, "sims": sims,
                         "draws": draws, "rejection_rate": rate,
                         "mc_se": float(np.sqrt(rate * (1 - rate) / sims)),
                         "median_max_country_weight_share": float(np.median(leverage)),
                         "seconds": round(secs, 1)})
        print(f"{name}: {secs:.0f} s", flush=True)
    return pd.DataFrame(rows)


def render(stored: pd.DataFrame, machine: str) -> str:
    sims, draws = int(stored["sims"].iloc[0]), int(stored["draws"].iloc[0])
    secs = stored.groupby("design", sort=False)["seconds"].first().sum()
    lines = [HEADING, "",
             (f"Written by the script from `benchmarks/results/speccurve_size.csv` ({machine}). "
             f"{sims:,} seeded null panels per design, {draws} draws each, {secs:.0f} s in all. "
             "16 specs per curve (2 outcomes x 2 control sets, all with z, x 2 estimators x "
             "2 lags); x has no effect given z. The null is imposed in each spec's restricted "
             "model (WCR) with one country weight per draw shared by all specs; the median "
             "test is studentised (median of the specs' t); `p_share` is direction-free, "
             "`p_share_pos` directional (declared positive); specs with fewer than 30 "
             "countries are significant by their wild bootstrap p-value. Leverage: median "
             "over panels of the specs' median largest one-country weight share."), ""]
    out_of_band = []
    for design, part in stored.groupby("design", sort=False):
        lev = part["median_max_country_weight_share"].iloc[0]
        lines += [f"**{design}** (largest one-country weight share, median {lev:.2f})", "",
                  "| family | " + " | ".join(STATS) + " |",
                  "|---|" + "---:|" * len(STATS)]
        for fam, f in part.groupby("family", sort=False):
            cells = []
            for stat in STATS:
                r = f.loc[f["statistic"] == stat].iloc[0]
                cells.append(f"{r['rejection_rate']:.3f} ({r['mc_se']:.3f})")
                if not BAND[0] <= r["rejection_rate"] <= BAND[1]:
                    out_of_band.append(f"{design} / {fam} / {stat}: {r['rejection_rate']:.3f}")
            lines.append(f"| {fam} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("Rejection rate at 5 % (Monte Carlo SE). "
                 + (f"Outside [{BAND[0]:.0%}, {BAND[1]:.0%}]: " + "; ".join(out_of_band) + "."
                    if out_of_band else f"Every rate is within [{BAND[0]:.0%}, {BAND[1]:.0%}]."))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=399)
    ap.add_argument("--render", action="store_true",
                    help="only rewrite RESULTS.md from the stored CSV")
    args = ap.parse_args(argv)
    if not args.render:
        stored = simulate(args.sims, args.draws)
        STORED.parent.mkdir(parents=True, exist_ok=True)
        stored.to_csv(STORED, index=False, lineterminator="\n", float_format="%.6g")
    stored = pd.read_csv(STORED)
    machine = f"Python {platform.python_version()}, numpy {np.__version__}, 2 shared cores"
    text = render(stored, machine)
    write_section(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
