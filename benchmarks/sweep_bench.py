"""``divides sweep`` on local workers vs a loop of ``divides run -p``, side by side in one run.

Notebook 04 (the case study) with ``treated`` set to one post-Soviet donor per member, on
the demo data: (1) six members as a sequential loop of ``divides run --only 04 -p
treated=X`` subprocesses; (2) the same six as ``divides sweep`` on a LocalCluster of two
workers; (3) how the sweep's time grows with members (2, 4, 6) and workers (1, 2). Every
measurement starts from a fresh, empty reports folder (so every member executes: no
``--force``, which would also rebuild the panel) and the build is made beforehand, so each
command does the same work: the notebooks. Each command runs as a fresh Python process
(``python -c`` calling the ``divides`` command line with ``config.REPORTS_DIR`` pointed at
the measurement's folder).

The seconds are stored in ``benchmarks/results/sweep_bench.csv``; the section of
``benchmarks/RESULTS.md`` is written from that file (never typed). Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/sweep_bench.py              # all (~15 min)
    PYTHONPATH=src .venv/bin/python benchmarks/sweep_bench.py --quick      # 6 members only
    PYTHONPATH=src .venv/bin/python benchmarks/sweep_bench.py --render     # table only
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
STORED = HERE / "results" / "sweep_bench.csv"
RESULTS_MD = HERE / "RESULTS.md"
HEADING = "## `divides sweep` vs a loop of `divides run -p` (`benchmarks/sweep_bench.py`)"
TREATED = ("ARM", "BLR", "GEO", "KAZ", "MDA", "UKR")
#: The speed-up the issue asks of a six-member sweep on two workers over the loop.
TARGET_SPEEDUP = 1.6

_CALL = ("import sys; from pathlib import Path; from divides import config; "
         "config.REPORTS_DIR = Path(sys.argv[1]); from divides.run import cli; "
         "raise SystemExit(cli.main(sys.argv[2:]))")


def divides(reports: Path, *args: str) -> float:
    """Seconds of one ``divides ARGS`` in a fresh process writing into ``reports``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CALL, str(reports), *args],
                          capture_output=True, text=True, env=os.environ.copy(), check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"divides {' '.join(args)} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def executed_folders(reports: Path) -> int:
    """Run folders whose notebook was executed (their manifest says so)."""
    import json

    return sum(json.loads(p.read_text())["notebooks"]["04_azerbaijan_asan_case"]["status"]
               == "executed" for p in (reports / "demo" / "runs").glob("*/run.json"))


def measure(quick: bool) -> pd.DataFrame:
    from divides import demo
    from divides.build import panel

    demo.ensure_demo()
    panel.build("demo", progress=False)  # the shared build, made before any timing
    rows = []
    plans = [("loop", 6, 1), ("sweep", 6, 2)]
    if not quick:
        plans += [("sweep", m, w) for w in (1, 2) for m in (2, 4, 6) if (m, w) != (6, 2)]
    base = Path(tempfile.mkdtemp(prefix="sweep_bench-"))
    try:
        for mode, members, workers in plans:
            reports = base / f"{mode}-{members}-{workers}"
            treated = TREATED[:members]
            if mode == "loop":
                start = time.perf_counter()
                for t in treated:
                    divides(reports, "run", "--data", "demo", "--only", "04", "-p",
                            f"treated={t}")
                seconds = time.perf_counter() - start
            else:
                seconds = divides(reports, "sweep", "--data", "demo", "--only", "04", "-p",
                                  f"treated={','.join(treated)}", "--workers", str(workers))
            done = executed_folders(reports)
            if done != members:
                raise RuntimeError(f"{mode} {members}x{workers}: {done} of {members} members "
                                   "executed; the timing would not be of the same work")
            print(f"{mode}: {members} members, {workers} worker(s): {seconds:.1f} s",
                  flush=True)
            rows.append({"mode": mode, "members": members, "workers": workers,
                         "seconds": round(seconds, 2)})
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return pd.DataFrame(rows)


def render(stored: pd.DataFrame, machine: str) -> str:
    loop = stored[stored["mode"] == "loop"].iloc[0]
    sweep6 = stored[(stored["mode"] == "sweep") & (stored["members"] == loop["members"])
                    & (stored["workers"] == 2)].iloc[0]
    speedup = loop["seconds"] / sweep6["seconds"]
    verdict = "meets" if speedup >= TARGET_SPEEDUP else "misses"
    out = [HEADING, "",
           (f"Notebook 04 on the demo data, `treated` one of {', '.join(TREATED)} per member; "
            "every measurement from a fresh reports folder (every member executes), the build "
            f"made beforehand; each command a fresh process. {machine}."), "",
           "| command | members | workers | seconds | per member |", "|---|---:|---:|---:|---:|"]
    for r in stored.itertuples():
        command = ("loop of `divides run -p`" if r.mode == "loop"
                   else f"`divides sweep --workers {r.workers}`")
        out.append(f"| {command} | {r.members} | {r.workers if r.mode == 'sweep' else '-'} | "
                   f"{r.seconds:.1f} | {r.seconds / r.members:.1f} |")
    out += ["", (f"Six members: the sweep on two workers took {sweep6['seconds']:.1f} s "
                 f"against {loop['seconds']:.1f} s for the loop, {speedup:.2f}x; it {verdict} "
                 f"the target of {TARGET_SPEEDUP}x on two cores.")]
    grow = stored[stored["mode"] == "sweep"]
    if grow["members"].nunique() > 1:
        parts = []
        for w, g in grow.groupby("workers"):
            g = g.sort_values("members")
            slope = ((g["seconds"].iloc[-1] - g["seconds"].iloc[0])
                     / (g["members"].iloc[-1] - g["members"].iloc[0]))
            parts.append(f"{w} worker(s): {slope:.1f} s per added member")
        out += [f"Growth from {grow['members'].min()} to {grow['members'].max()} members: "
                + "; ".join(parts) + "."]
    out.append("")
    return "\n".join(out)


def write_section(text: str, path: Path = RESULTS_MD, heading: str = HEADING) -> None:
    """Replace the section of RESULTS.md that starts with ``heading`` (to the next level-2
    heading) by ``text``, or append it."""
    sys.path.insert(0, str(HERE))
    import _results

    _results.write_section(text, path, heading)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="only the six-member comparison")
    ap.add_argument("--shared", action="store_true",
                    help="say in RESULTS.md that the machine ran other jobs meanwhile")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite RESULTS.md from the stored CSV")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if not args.render:
        stored = measure(args.quick)
        STORED.parent.mkdir(parents=True, exist_ok=True)
        stored.to_csv(STORED, index=False, lineterminator="\n")
    stored = pd.read_csv(STORED)
    machine = (f"Python {platform.python_version()}, {os.cpu_count()} cores"
               + (" (shared with other jobs while measured: noisy)" if args.shared else ""))
    text = render(stored, machine)
    write_section(text)
    print(text)
    print(f"sweep_bench: {time.perf_counter() - start:.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
