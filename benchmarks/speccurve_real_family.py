"""Per-spec size behind one family's curve tests on the real design: why a family's
``p_share`` rejects more often than 5 % under the null of ``speccurve_real_size.py``.

The same null panels (real regressors, samples and gaps; outcomes replaced by the seeded
noise of :func:`speccurve_real_size.noise`, seeds 90,000 + sim) and the same curve draws
(199, seed = sim), restricted to the specs of the families asked for (a family's tests use
only its own specs, so its ``p_share`` equals the full run's: the script checks this
against ``benchmarks/results/speccurve_real_null.csv`` where that has the panel). For every
spec and panel it stores the observed significance (``p_spec < 0.05``: the WCR wild
bootstrap p where the spec has fewer than 30 countries, else t on CR1 errors), the share of
the curve draws in which the spec is significant by the draws' rule, and the spread (SD) of
the bootstrap t. ``p_share`` holds its size when the draws reproduce how often each spec
is significant under the null; where the observed specs are significant more often than
the draws say, the observed share sits high in the draws' distribution and p_share
over-rejects.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_real_family.py \\
        --family gap_area_internet_pp:pooled --family gap_sex_internet_pp:pooled --sims 200
    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_real_family.py --render

Rows go to ``benchmarks/results/speccurve_real_family.csv.gz`` as panels finish; ``--resume``
keeps stored (family, sim) pairs. The RESULTS.md section is computed from that file.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from speccurve_real_size import NULL_CSV, noise  # the same null panels
from speccurve_size import write_section

FAMILY_CSV = HERE / "results" / "speccurve_real_family.csv.gz"  # gzip: 72 rows a panel
HEADING = ("## Per-spec size behind one family's curve tests on the real design "
           "(`benchmarks/speccurve_real_family.py`)")
ALPHA = 0.05
DRAWS = 199
#: country bands of the specs: the wild bootstrap below 30, t on CR1 errors from 30 on
BANDS = ((0, 15, "< 15 countries, wild bootstrap"), (15, 30, "15-29 countries, wild bootstrap"),
         (30, 10_000, ">= 30 countries, t on CR1"))


def simulate(families: list[tuple[str, str]], sims: int, resume: bool) -> None:
    warnings.filterwarnings("ignore")
    import divides
    from divides.models.speccurve.engine import CurveEngine, make_payload
    from divides.models.speccurve.grid import (
        analysis_frame,
        enumerate_specs,
        load_grid,
        validate_grid,
    )
    from divides.models.speccurve.inference import curve_inference
    from divides.models.speccurve.run import assemble

    panel, gaps = divides.load_panel("real"), divides.load_gaps("real")
    grid = validate_grid(load_grid())
    outcomes = list(grid["grid"]["outcomes"])
    if not resume:
        FAMILY_CSV.unlink(missing_ok=True)
    done = set()
    if FAMILY_CSV.exists():
        old = pd.read_csv(FAMILY_CSV, usecols=["key_regressor", "estimator", "sim"])
        done = set(map(tuple, old.drop_duplicates().to_numpy()))
    for sim in range(sims):
        todo = [(k, e) for k, e in families if (k, e, sim) not in done]
        if not todo:
            continue
        t0 = time.perf_counter()
        frame = analysis_frame(noise(panel, outcomes, 90_000 + sim), gaps, grid)
        payload = make_payload(frame, grid)
        engine = CurveEngine(payload)
        specs = enumerate_specs(frame, grid)
        out = []
        for key, est in todo:
            rows = [r for r in specs if r.key == key and r.estimator == est]
            if not rows:
                raise SystemExit(f"family {key}:{est}: no spec in the grid")
            table = assemble(frame, rows, [engine.estimate(r) for r in rows], grid)
            null = [(r.spec_id, *d) for r in rows
                    if (d := engine.null_draws(r, DRAWS, sim)) is not None]
            inf = curve_inference(table, null, ALPHA, DRAWS)
            fam = inf.loc[inf["estimator"] == est].iloc[0]
            ok = table.loc[table["status"] == "ok"].reset_index(drop=True)
            tstar = np.column_stack([t for _, t, _ in null])
            sign = np.column_stack([s for _, _, s in null])
            out.append(pd.DataFrame({
                "key_regressor": key, "estimator": est, "sim": sim,
                "spec_id": ok["spec_id"], "n_countries": ok["n_countries"],
                "wild": ok["wild_draws"] > 0,
                "max_country_weight_share": ok["max_country_weight_share"],
                "t": ok["t"], "p_spec": ok["p_spec"],
                "draws_sig_rate": (sign != 0).mean(axis=0), "draws_t_sd": tstar.std(axis=0),
                "p_share": fam["p_share"], "p_median_t": fam["p_median_t"]}))
        part = pd.concat(out, ignore_index=True)
        FAMILY_CSV.parent.mkdir(parents=True, exist_ok=True)
        # appended as a further gzip member (read back as one file)
        part.to_csv(FAMILY_CSV, mode="a", header=not FAMILY_CSV.exists(), index=False,
                    lineterminator="\n", float_format="%.6g",
                    compression={"method": "gzip", "mtime": 0})
        print(f"sim {sim}: {len(todo)} families, {time.perf_counter() - t0:.1f} s", flush=True)


def render(rows: pd.DataFrame, null: pd.DataFrame | None) -> str:
    lines = [HEADING, "",
             (f"Written by the script from "
              f"`benchmarks/results/speccurve_real_family.csv.gz`: the null panels of the section above (same seeds, {DRAWS} curve draws), only the "
              f"specs of each family. Per spec: observed rejection rate at 5 % over the "
              f"panels (`p_spec < 0.05`), the rate the curve draws give it (share of draws in "
              f"which it is significant by the draws' rule: the t critical value, or below 30 "
              f"countries the draws' own 95 % quantile of |t*|), and the SD of its observed t "
              f"over the panels against the mean SD of its bootstrap t*. Averages over the "
              f"specs of each country band.")]
    for (key, est), fam in rows.groupby(["key_regressor", "estimator"], sort=True):
        panels = fam["sim"].nunique()
        per_panel = fam.groupby("sim").first()
        rate = float((per_panel["p_share"] <= ALPHA).mean())
        check = ""
        if null is not None:
            ref = null.loc[(null["key_regressor"] == key) & (null["estimator"] == est)
                           ].set_index("sim")["p_share"]
            both = per_panel.index.intersection(ref.index)
            same = np.allclose(per_panel.loc[both, "p_share"], ref.loc[both])
            check = (f"; its p_share equals the full run's in {'all' if same else 'NOT all'} "
                     f"of the {len(both)} panels both have")
        lines += ["", (f"**{key}, {est}**: {fam['spec_id'].nunique()} specs, {panels} panels; "
                       f"p_share rejects in {rate:.3f} (MC SE "
                       f"{np.sqrt(rate * (1 - rate) / panels):.3f}), p_median_t in "
                       f"{(per_panel['p_median_t'] <= ALPHA).mean():.3f}{check}."), "",
                  ("| specs | n | median countries | median top-country weight | observed "
                   "rate | draws' rate | observed - draws | SD of t | mean SD of t* |"),
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        fam = fam.assign(rejected=fam["p_spec"] < ALPHA)
        spec = fam.groupby("spec_id").agg(
            n_countries=("n_countries", "first"),
            weight=("max_country_weight_share", "first"), observed=("rejected", "mean"),
            draws=("draws_sig_rate", "mean"), t_sd=("t", "std"), tstar_sd=("draws_t_sd", "mean"))
        for lo, hi, label in (*BANDS, (0, 10_000, "all")):
            part = spec.loc[spec["n_countries"].between(lo, hi - 1)]
            if part.empty:
                continue
            lines.append(
                f"| {label} | {len(part)} | {part['n_countries'].median():g} | "
                f"{part['weight'].median():.2f} | {part['observed'].mean():.3f} | "
                f"{part['draws'].mean():.3f} | {part['observed'].mean() - part['draws'].mean():+.3f} | "
                f"{part['t_sd'].mean():.2f} | {part['tstar_sd'].mean():.2f} |")
        excess = spec["observed"] - spec["draws"]
        lines += ["", (f"Specs significant more often than the draws say: "
                       f"{int((excess > 0).sum())} of {len(spec)} (mean excess "
                       f"{excess.mean():+.3f}; the Monte Carlo SE of one spec's rate at "
                       f"{panels} panels is {np.sqrt(ALPHA * (1 - ALPHA) / panels):.3f}).")]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", action="append", default=[],
                    help="key_regressor:estimator (repeat for more)")
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite RESULTS.md from the stored CSV")
    args = ap.parse_args(argv)
    if not args.render:
        families = [tuple(f.split(":", 1)) for f in args.family]
        if not families or any(len(f) != 2 for f in families):
            ap.error("--family key_regressor:estimator, at least one")
        simulate(families, args.sims, args.resume)
    rows = pd.read_csv(FAMILY_CSV)
    null = pd.read_csv(NULL_CSV) if NULL_CSV.exists() else None
    text = render(rows, null)
    write_section(text, heading=HEADING)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
