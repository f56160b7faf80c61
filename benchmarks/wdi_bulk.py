"""Benchmark: the WDI reader on a WDICSV.csv-sized bulk file vs a plain pandas read + melt.

Generates a synthetic file of the real bulk file's size and shape (about 400,000 rows x
69 columns: Country Name, Country Code, Indicator Name, Indicator Code, 1960..2024; some
260 MB; the catalogue's WDI series are among its indicators), then runs, each in its own
subprocess so that peak RSS is its own:

* ``divides``: ``divides.sources.wdi.read`` (chunked, filtered to the catalogue, tidy);
* ``pandas``: ``pd.read_csv`` of the whole file + ``melt`` + ``dropna`` (the plain way).

Usage: ``python benchmarks/wdi_bulk.py [--rows 400000] [--out DIR] [--keep]``.
Prints a Markdown table for benchmarks/RESULTS.md. The budget is 1.5 GB peak for divides.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

YEARS = list(range(1960, 2025))
PEAK_BUDGET_MB = 1500


def generate(path: Path, rows: int = 400_000, seed: int = 0) -> Path:
    """Write a synthetic WDICSV.csv: 266 economies x (rows / 266) indicators, ~45 % empty."""
    import pandas as pd

    from divides import catalogue, countries

    rng = np.random.default_rng(seed)
    iso = countries.countries()["iso3"].tolist()[:217]
    aggs = [c for c in countries.aggregates()["code"] if c][:49]
    econ = iso + aggs
    codes = catalogue.for_source("wdi")["publisher_code"].tolist()
    n_ind = -(-rows // len(econ))
    indicators = codes + [f"XX.SYN.{i:05d}" for i in range(n_ind - len(codes))]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(",".join(["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
                          + [str(y) for y in YEARS]) + ",\n")
        block = 40  # indicators per write
        for start in range(0, len(indicators), block):
            inds = indicators[start:start + block]
            n = len(inds) * len(econ)
            vals = rng.uniform(0.0, 100.0, size=(n, len(YEARS))).round(11)  # in every range
            text = pd.DataFrame(vals).astype(str)
            text = text.mask(rng.random((n, len(YEARS))) < 0.45, "")
            ids = pd.DataFrame({
                "name": [f"Economy {c}" for c in econ] * len(inds),
                "code": econ * len(inds),
                "ind_name": [f"Synthetic indicator {i} (units as published)" for i in inds
                             for _ in econ],
                "ind": [i for i in inds for _ in econ],
            })
            frame = pd.concat([ids, text], axis=1)
            fh.write(frame.to_csv(header=False, index=False, lineterminator=",\n"))
    return path


RUNNERS = {
    "divides": """
import warnings, time; warnings.simplefilter("ignore")
from divides.sources import wdi
t = time.perf_counter(); obs, rep = wdi.read(PATH); dt = time.perf_counter() - t
result = {"seconds": dt, "rows_out": len(obs)}
""",
    "pandas": """
import time, pandas as pd
t = time.perf_counter()
wide = pd.read_csv(PATH, encoding="utf-8-sig")
wide = wide.loc[:, ~wide.columns.str.startswith("Unnamed")]
long = wide.melt(id_vars=["Country Name", "Country Code", "Indicator Name", "Indicator Code"],
                 var_name="year", value_name="value").dropna(subset=["value"])
dt = time.perf_counter() - t
result = {"seconds": dt, "rows_out": len(long)}
""",
}


def run_one(name: str, path: Path) -> dict:
    """Run one reader in a fresh interpreter; peak RSS from getrusage of that child."""
    code = (f"PATH = {str(path)!r}\n" + RUNNERS[name] +
            "import resource, json\n"
            "result['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            "print(json.dumps(result))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--out", default=None, help="folder for the synthetic file (default: tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the synthetic file")
    args = ap.parse_args(argv)
    folder = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="wdi_bulk_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "WDICSV.csv"
    t = time.perf_counter()
    generate(path, rows=args.rows)
    gen_s = time.perf_counter() - t
    size_mb = path.stat().st_size / 1e6
    with open(path) as fh:
        n_rows = sum(1 for _ in fh) - 1
    results = {name: run_one(name, path) for name in ("divides", "pandas")}
    print(f"synthetic WDICSV.csv: {n_rows:,} rows x {4 + len(YEARS) + 1} columns "
          f"(incl. trailing empty), {size_mb:.0f} MB, generated in {gen_s:.0f} s\n")
    print("| reader | time (s) | peak RSS (MB) | rows out |")
    print("|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']:.1f} | {r['peak_rss_mb']:.0f} | {r['rows_out']:,} |")
    ok = results["divides"]["peak_rss_mb"] <= PEAK_BUDGET_MB
    print(f"\ndivides peak within the {PEAK_BUDGET_MB} MB budget: {ok}")
    if not args.keep:
        path.unlink()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
