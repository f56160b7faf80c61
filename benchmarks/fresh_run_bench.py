"""A new user's first `make run`, and a report rebuild against executing notebook 00.

Clones this repository's HEAD into a temporary folder (so nothing of this tree's ``.venv``,
``data/`` or ``reports/`` is reused), then times there, in one run:

1. ``make setup``: a new venv from ``requirements.lock`` (pip's download cache of this
   machine is used, as it would be on a second install; the first install on a machine
   also downloads about 1 GB of wheels);
2. ``make run``: every notebook on the demo data, the report's HTML and PDF;
3. alternately, ``--repeats`` times each: the whole report rebuilt from the run folder
   (``site.build(..., pdf=True)`` in a fresh process) and notebook 00 executed again
   (``divides run --data demo --only 00 --force``), so the two share the machine's load.

Writes its section into benchmarks/RESULTS.md (between its markers) and prints it.

Run: python benchmarks/fresh_run_bench.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _results import write_between

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN = "<!-- fresh_run_bench: begin -->"
END = "<!-- fresh_run_bench: end -->"
REPORT = ("import sys; from divides.report import site; "
          "site.build(sys.argv[1], data='demo', pdf=True)")


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall s, CPU s of the command and its children) of ``cmd``; raises when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}"
                 f"\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            check=True, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="fresh_run_bench_") as tmp:
        clone = Path(tmp) / "divides"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        setup = timed(["make", "setup"], clone)
        run = timed(["make", "run"], clone)
        python = str(clone / ".venv" / "bin" / "python")
        divides = str(clone / ".venv" / "bin" / "divides")
        folder = clone / "reports" / "demo"
        report, nb00 = [], []
        for _ in range(args.repeats):
            report.append(timed([python, "-c", REPORT, str(folder)], clone))
            nb00.append(timed([divides, "run", "--data", "demo", "--only", "00", "--force"],
                              clone))
        count = "import sys; from pypdf import PdfReader; print(len(PdfReader(sys.argv[1]).pages))"
        pages = subprocess.run([python, "-c", count, str(folder / "report" / "report.pdf")],
                               check=True, capture_output=True, text=True).stdout.strip()
    med = {name: (statistics.median(w for w, _ in xs), statistics.median(c for _, c in xs))
           for name, xs in (("report", report), ("nb00", nb00))}
    ratio = med["report"][0] / med["nb00"][0]
    report_runs = ", ".join(f"{w:.1f}" for w, _ in report)
    nb00_runs = ", ".join(f"{w:.1f}" for w, _ in nb00)
    lines = [
        ("## A fresh clone's `make run`, and a report rebuild vs notebook 00 "
         "(`benchmarks/fresh_run_bench.py`)"),
        "",
        (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, {os.cpu_count()} CPUs "
         f"(shared), Python {sys.version.split()[0]}; a clone into a temporary folder (new "
         "venv; pip's download cache of this machine reused)."),
        "",
        "| step | wall s | CPU s |",
        "|---|---:|---:|",
        f"| `make setup` (venv from the lock) | {setup[0]:.0f} | {setup[1]:.0f} |",
        (f"| `make run` (demo data, 6 notebooks, HTML + PDF report of {pages} pages) "
         f"| {run[0]:.0f} | {run[1]:.0f} |"),
        (f"| report rebuild, HTML + PDF (median of {args.repeats}) "
         f"| {med['report'][0]:.1f} | {med['report'][1]:.1f} |"),
        (f"| notebook 00 executed again, `divides run --only 00 --force` (median of "
         f"{args.repeats}) | {med['nb00'][0]:.1f} | {med['nb00'][1]:.1f} |"),
        "",
        (f"The report rebuild takes {ratio:.2f}x the time of executing notebook 00 "
         f"(target: at most 1x): {'met' if ratio <= 1 else 'NOT met'}. Runs alternated: "
         f"report {report_runs} s; notebook 00 {nb00_runs} s."),
        "",
    ]
    table = "\n".join(lines)
    write_between(BEGIN, END, table, RESULTS)
    print(table)


if __name__ == "__main__":
    main()
