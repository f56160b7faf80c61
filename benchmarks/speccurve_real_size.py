"""Size and power of the curve tests on the real design: real regressors, samples and gaps,
outcomes replaced by noise (size) or by noise plus a planted effect (power).

The real build (``divides build --data real``) gives the panel and the gaps; every spec of
the project's grid keeps its key regressor, controls, sample and rows. Each outcome's
observed cells (its missing pattern is kept) are replaced by seeded noise independent of
every regressor: a country effect plus an AR(1) 0.8 series over the years, both scaled by a
country factor drawn from U(0.5, 2) (persistent, heteroskedastic clusters, as CPI and WGI
are). Under that null every key coefficient is 0 in every spec; the script runs the whole
curve (``speccurve.run``: estimates, per-spec wild bootstrap where a spec has fewer than 30
countries, null-imposed draws) on each panel and stores each panel's p-values in
``benchmarks/results/speccurve_real_null.csv``. The rates (each key regressor's
``p_median_t`` and ``p_share`` rejecting at 5 %, pooled and two-way FE; the family-wise
rate of the Romano-Wolf adjusted p-values across the key regressors) and the RESULTS.md
section are computed from that file, never typed.

Power: the same noise plus ``beta`` x the standardised key regressor ``--power-key``
(lag 0) in both outcomes, where the regressor is observed; rejection rates of that key's
tests, stored in ``benchmarks/results/speccurve_real_power.csv``.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_real_size.py --sims 200 --draws 199
    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_real_size.py --power-only \\
        --power-sims 40 --draws 199
    PYTHONPATH=src .venv/bin/python benchmarks/speccurve_real_size.py --render  # text only

Panels are appended to the CSVs as they finish (a stopped run keeps what it did; a
rerun with ``--resume`` skips the seeds already stored).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from speccurve_size import write_section  # the sibling benchmark's section writer

NULL_CSV = HERE / "results" / "speccurve_real_null.csv"
POWER_CSV = HERE / "results" / "speccurve_real_power.csv"
HEADING = ("## Size and power of the curve tests on the real design "
           "(`benchmarks/speccurve_real_size.py`)")
ALPHA = 0.05
BAND = (0.025, 0.075)
TESTS = ("p_median_t", "p_share")
RW_TESTS = ("p_median_t_rw", "p_share_rw")
KEEP = ("key_regressor", "estimator", "n_specs", "p_median_t", "p_median_t_rw", "p_share",
        "p_share_rw", "p_share_pos", "p_share_neg")
RHO = 0.8
BETAS = (0.1, 0.25)
#: SD of the noise over countries: scale ~ U(0.5, 2) times (N(0,1) level + unit AR(1))
NOISE_SD = float(np.sqrt(2 * (2.0 ** 3 - 0.5 ** 3) / (3 * 1.5)))


def noise(panel: pd.DataFrame, outcomes: list[str], seed: int, planted: dict | None = None
          ) -> pd.DataFrame:
    """The panel with each outcome's observed cells replaced by seeded noise (plus
    ``planted``: {column: beta}, beta x the standardised column where it is observed)."""
    rng = np.random.default_rng(seed)
    country = pd.factorize(panel["iso3"], sort=True)[0]
    year = pd.factorize(panel["year"], sort=True)[0]
    G, T = country.max() + 1, year.max() + 1
    out = panel.copy()
    for o in outcomes:
        scale = rng.uniform(0.5, 2.0, size=G)
        level = rng.normal(size=G)
        e = rng.normal(size=(G, T))
        ar = np.empty_like(e)
        ar[:, 0] = e[:, 0]
        for k in range(1, T):
            ar[:, k] = RHO * ar[:, k - 1] + np.sqrt(1 - RHO ** 2) * e[:, k]
        y = scale[country] * (level[country] + ar[country, year])
        for col, beta in (planted or {}).items():
            x = panel[col].to_numpy(dtype=float)
            z = (x - np.nanmean(x)) / np.nanstd(x)
            y = y + beta * np.where(np.isfinite(z), z, 0.0)
        out[o] = np.where(panel[o].notna(), y, np.nan)
    return out


def _done(path: Path, column: str = "sim") -> set:
    if not path.exists():
        return set()
    return set(pd.read_csv(path, usecols=[column])[column].unique())


def _append(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, mode="a", header=not path.exists(), index=False, lineterminator="\n",
                 float_format="%.6g")


def simulate(sims: int, draws: int, resume: bool, power_sims: int, power_key: str) -> None:
    warnings.filterwarnings("ignore")
    import divides
    from divides.models import speccurve as sc

    panel = divides.load_panel("real")
    gaps = divides.load_gaps("real")
    outcomes = list(sc.load_grid()["grid"]["outcomes"])
    jobs = [(NULL_CSV, s, 0.0) for s in range(sims)]
    jobs += [(POWER_CSV, 10_000 * (1 + i) + s, beta)
             for i, beta in enumerate(BETAS) for s in range(power_sims)]
    if not resume:
        for path in {j[0] for j in jobs}:
            path.unlink(missing_ok=True)
    done = {NULL_CSV: _done(NULL_CSV), POWER_CSV: _done(POWER_CSV)}
    for path, seed, beta in jobs:
        if seed in done[path]:
            continue
        t0 = time.perf_counter()
        planted = {power_key: beta} if beta else None
        curve = sc.run(noise(panel, outcomes, 90_000 + seed, planted), gaps, draws=draws,
                       seed=seed)
        inf = curve.inference.loc[:, list(KEEP)].assign(
            sim=seed, draws=draws, beta=beta, planted_key=power_key if beta else "",
            seconds=round(time.perf_counter() - t0, 2))
        if path == NULL_CSV and seed == 0:
            lev = curve.table.loc[curve.table["status"] == "ok",
                                  ["key_regressor", "estimator", "max_country_weight_share",
                                   "n_countries"]]
            lev.to_csv(HERE / "results" / "speccurve_real_leverage.csv", index=False,
                       lineterminator="\n", float_format="%.6g")
        _append(path, inf)
        print(f"{path.name} seed {seed} beta {beta}: {inf['seconds'].iloc[0]:.1f} s",
              flush=True)


def size_table(null: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per key regressor and estimator: rejection rate at 5 % of each test with its Monte
    Carlo SE; and the family-wise rate of Romano-Wolf (any key rejected) per estimator."""
    n = null.groupby(["key_regressor", "estimator"])["sim"].nunique()
    rates = (null.assign(**{t: null[t] <= ALPHA for t in TESTS})
             .groupby(["key_regressor", "estimator"], sort=True)[list(TESTS)].mean())
    rates["panels"] = n
    fw = (null.assign(**{t: null[t] <= ALPHA for t in RW_TESTS})
          .groupby(["estimator", "sim"])[list(RW_TESTS)].any()
          .groupby("estimator").mean())
    fw["panels"] = null.groupby("estimator")["sim"].nunique()
    return rates.reset_index(), fw.reset_index()


def _cell(rate: float, n: int) -> str:
    return f"{rate:.3f} ({np.sqrt(rate * (1 - rate) / n):.3f})"


def render(null: pd.DataFrame, power: pd.DataFrame | None, machine: str) -> str:
    rates, fw = size_table(null)
    panels = int(null["sim"].nunique())
    draws = int(null["draws"].iloc[0])
    secs = null.groupby("sim")["seconds"].first()
    lines = [HEADING, "",
             (f"Written by the script from `benchmarks/results/speccurve_real_null.csv` "
              f"({machine}). {panels} null panels x {draws} curve draws (the per-spec wild "
              f"bootstrap at the grid's 999 draws, 9,999 near 5 %), {secs.median():.1f} s per "
              f"panel (median), {secs.sum() / 60:.0f} min in all. The real build's "
              f"regressors, controls, samples and gaps, every spec of the grid; each "
              f"outcome's observed cells replaced by noise independent of every regressor "
              f"(country effect + AR(1) {RHO} over the years, scaled by a country factor "
              f"drawn from U(0.5, 2)), so every key coefficient is 0. Rejection rate at 5 % "
              f"(Monte Carlo SE); target [{BAND[0]:.1%}, {BAND[1]:.1%}]. `p_median_t`: "
              f"studentised median, two-sided; `p_share`: share of significant specs, "
              f"direction-free."), "",
             ("| key regressor | pooled p_median_t | pooled p_share | two-way FE p_median_t "
              "| two-way FE p_share |"), "|---|---:|---:|---:|---:|"]
    out_band = []
    for key, part in rates.groupby("key_regressor", sort=True):
        cells = []
        for est in ("pooled", "twfe"):
            r = part.loc[part["estimator"] == est].iloc[0]
            for t in TESTS:
                cells.append(_cell(r[t], int(r["panels"])))
                if not BAND[0] <= r[t] <= BAND[1]:
                    out_band.append(f"{key} {est} {t} {r[t]:.3f}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += ["", (f"Family-wise rate of Romano-Wolf across the "
                   f"{rates['key_regressor'].nunique()} key regressors (share of panels where "
                   f"any adjusted p <= 0.05):"), "",
              "| estimator | p_median_t_rw | p_share_rw |", "|---|---:|---:|"]
    for _, r in fw.iterrows():
        lines.append(f"| {r['estimator']} | " + " | ".join(
            _cell(r[t], int(r["panels"])) for t in RW_TESTS) + " |")
        for t in RW_TESTS:
            if not BAND[0] <= r[t] <= BAND[1]:
                out_band.append(f"Romano-Wolf {r['estimator']} {t} {r[t]:.3f}")
    n_cells = 4 * rates["key_regressor"].nunique() + 2 * len(fw)
    # how many of the cells a true 5 % rate would put outside the band by chance
    inside = stats.binom.cdf(np.floor(BAND[1] * panels + 1e-9), panels, ALPHA) - \
        stats.binom.cdf(np.ceil(BAND[0] * panels - 1e-9) - 1, panels, ALPHA)
    per_key = rates.loc[rates["estimator"].isin(["pooled", "twfe"]), list(TESTS)].to_numpy(
    ).ravel()
    lines += ["", (f"{n_cells - len(out_band)} of {n_cells} rates are within "
                   f"[{BAND[0]:.1%}, {BAND[1]:.1%}]"
                   + (f"; outside: {'; '.join(out_band)}." if out_band else ".")
                   + f" At {panels} panels the Monte Carlo SE of a 5 % rate is "
                   f"{np.sqrt(ALPHA * (1 - ALPHA) / panels):.3f}: a test of exact size 5 % "
                   f"falls outside the band with probability {1 - inside:.0%}, so about "
                   f"{(1 - inside) * n_cells:.1f} of the {n_cells} rates would by chance alone. "
                   f"Mean of the {per_key.size} per-key rates: {per_key.mean():.3f} (range "
                   f"{per_key.min():.3f}-{per_key.max():.3f}).")]
    lev_path = HERE / "results" / "speccurve_real_leverage.csv"
    if lev_path.exists():
        lev = pd.read_csv(lev_path)
        gap = lev["key_regressor"].str.startswith("gap_")
        over = lev.loc[gap, "max_country_weight_share"] > 0.25
        lines += ["", (f"Leverage (fixed by the design, from "
                       f"`benchmarks/results/speccurve_real_leverage.csv`): in {over.mean():.0%} "
                       f"of the {int(gap.sum())} estimable gap-family specifications one "
                       f"country carries over 25 % of the key coefficient's weight (all "
                       f"specs: {(lev['max_country_weight_share'] > 0.25).mean():.0%}).")]
    if power is not None and len(power):
        key = power["planted_key"].iloc[0]
        lines += ["", (f"**Power** against a planted effect, from "
                       f"`benchmarks/results/speccurve_real_power.csv`: the same noise plus "
                       f"beta x standardised `{key}` (lag 0, SD 1 over the panel) in both "
                       f"outcomes; rejection rate at 5 % of `{key}`'s tests (Monte Carlo SE). "
                       f"The noise has SD {NOISE_SD:.2f} over countries (sqrt(2 E[scale^2]))."),
                  "",
                  ("| beta | panels | estimator | p_median_t | p_share | p_median_t_rw "
                   "| p_share_rw |"), "|---:|---:|---|---:|---:|---:|---:|"]
        own = power.loc[power["key_regressor"] == key]
        for (beta, est), part in own.groupby(["beta", "estimator"], sort=True):
            n = int(part["sim"].nunique())
            cells = [_cell(float((part[t] <= ALPHA).mean()), n) for t in (*TESTS, *RW_TESTS)]
            lines.append(f"| {beta:g} | {n} | {est} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=200)
    ap.add_argument("--draws", type=int, default=199)
    ap.add_argument("--power-sims", type=int, default=40)
    ap.add_argument("--power-key", default="internet_users_pct")
    ap.add_argument("--power-only", action="store_true", help="only the power panels")
    ap.add_argument("--resume", action="store_true", help="keep stored panels, add the rest")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite RESULTS.md from the stored CSVs")
    args = ap.parse_args(argv)
    if not args.render:
        simulate(0 if args.power_only else args.sims, args.draws,
                 args.resume or args.power_only, args.power_sims, args.power_key)
    null = pd.read_csv(NULL_CSV, keep_default_na=False, na_values=[""])
    power = (pd.read_csv(POWER_CSV, keep_default_na=False, na_values=[""])
             if POWER_CSV.exists() else None)
    machine = f"Python {platform.python_version()}, numpy {np.__version__}, 2 shared cores"
    text = render(null, power, machine)
    write_section(text, heading=HEADING)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
