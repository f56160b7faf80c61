"""`divides run` with and without work to do, side by side in one invocation.

1. full: every notebook executed (``divides run --data demo --force``);
2. unchanged: the same command without ``--force``, nothing changed since (doit finds every
   notebook up to date and the run reuses its outputs);
3. one edited: one notebook's markdown changed (restored afterwards), then ``divides run``;
   only that notebook executes (and the report is made again);
4. one raw value: one value of one raw file changed (restored afterwards): that source's
   read, the build, and everything downstream of the build run; the other reads do not.

Each variant reports the pipeline steps doit ran (``.  name`` lines; ``--`` is up to date).

Each variant is a fresh ``divides`` process (what a user types), timed from outside. An
untimed warm-up run comes first (demo data, panel build, spec curve).

Run: python benchmarks/run_cache_bench.py [--data demo] [--edit 02]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime

from divides import config
from divides.run import notebooks


def divides_run(*extra: str) -> tuple[float, dict[str, str], list[str]]:
    """Wall seconds of one ``divides run``, per notebook executed / reused, the steps run."""
    cmd = [sys.executable, "-m", "divides.run.cli", "run", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=config.PROJECT_ROOT, check=False,
                          env={**os.environ, "PYTHONPATH": str(config.PACKAGE_DIR.parent)})
    seconds = time.perf_counter() - start
    if os.environ.get("BENCH_LOG"):
        with open(os.environ["BENCH_LOG"], "a", encoding="utf-8") as log:
            log.write(f"$ divides run {' '.join(extra)}\n{proc.stdout}\n")
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[2:])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    status = {}
    for line in proc.stdout.splitlines():
        m = re.search(r"(\d\d_\w+): [\d.]+ s, (\d+) attempt", line)
        if m:
            status[m.group(1)] = "reused" if m.group(2) == "0" else "executed"
    steps = re.findall(r"^\.  (\S+)$", proc.stdout, re.MULTILINE)
    return seconds, status, steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="demo")
    parser.add_argument("--edit", default="02", help="the notebook to edit in variant 3")
    args = parser.parse_args()
    data = ["--data", args.data]

    print(f"warm-up: {divides_run(*data)[0]:.1f} s (untimed)", flush=True)
    results = {"full (--force)": divides_run(*data, "--force")}
    results["unchanged"] = divides_run(*data)
    nb = notebooks.find([args.edit])[0]
    original = nb.read_bytes()
    try:
        nb.write_bytes(original.replace(b"# ", b"#  ", 1))  # a markdown heading edited
        results[f"one edited ({nb.stem})"] = divides_run(*data)
    finally:
        nb.write_bytes(original)
    raw = config.raw_dir(args.data) / "ti_cpi" / "datahub_core" / "cpi.csv"
    if raw.exists():
        before = raw.read_bytes()
        try:
            raw.write_bytes(before.replace(b"Albania,0.0,5.2,", b"Albania,0.0,5.3,", 1))
            results["one raw value (ti_cpi/datahub_core/cpi.csv)"] = divides_run(*data)
        finally:
            raw.write_bytes(before)
        print(f"restoring the raw file: {divides_run(*data)[0]:.1f} s (untimed)", flush=True)

    full = results["full (--force)"][0]
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| variant | wall time (s) | full / this | notebooks executed | other steps run |")
    print("|---|---|---|---|---|")
    for name, (seconds, status, steps) in results.items():
        ran = sorted(k[:2] for k, v in status.items() if v == "executed")
        other = [s for s in steps if not s.startswith("notebook:") and s != "collect"]
        print(f"| {name} | {seconds:.1f} | {full / seconds:.1f} | "
              f"{len(ran)} of {len(status)} ({', '.join(ran) or 'none'}) | "
              f"{', '.join(other) or 'none'} |")


if __name__ == "__main__":
    main()
