"""Benchmark: the real build, cold and warm, of this tree beside another commit's, in one run.

Each build runs in its own subprocess (``python -c`` with ``PYTHONPATH=<tree>/src``) into
its own fresh output folder, so that neither tree sees the other's cache:

* cold: an empty output folder (every reader runs, nothing cached);
* warm: the same call again (inputs, code and libraries unchanged: no work done);
* load: ``load_panel``-style reuse check plus reading the panel (warm, in a new process).

The runs alternate between the trees (A, B, A, B, ...) so that the load of the shared
machine falls on both alike; the table gives the median and the range of ``--repeat``.

After the runs, the cold builds' panel, gaps and drop ledger of the two trees are compared
with ``pandas.testing.assert_frame_equal`` (a refactor must not change a number); the
comparison is printed under the table and a difference stops the script.

Usage: ``python benchmarks/build_bench.py --base /path/to/other/tree [--repeat 2]
[--raw ../shared/data/real] [--write LABEL]``. Prints a Markdown table; with ``--write``,
also puts it (command, load average, table, comparison) into benchmarks/RESULTS.md between
the markers ``<!-- build_bench LABEL -->`` and ``<!-- /build_bench LABEL -->`` (added at the
end of the real-build section when absent), so the file holds what the script measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _results import write_between

HERE = Path(__file__).resolve().parents[1]

BUILD = textwrap.dedent("""
    import resource, sys, time, warnings
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    try:
        from divides.build import panel
        from divides.fileio import read_parquet
    except ImportError:  # a tree from before the build package (issue 23)
        from divides import panel
        read_parquet = panel.read_parquet
    r = panel.build("real", raw_dir=sys.argv[1], out_dir=sys.argv[2], progress=False)
    if sys.argv[3] == "load":
        read_parquet(r.paths["panel"])
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT {wall:.3f} {rss:.0f} {int(r.rebuilt)}")
""")


def run(tree: Path, raw: Path, out: Path, mode: str) -> tuple[float, float, bool]:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", BUILD, str(raw), str(out), mode], env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    total = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {mode} build failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    _, _inner, rss, rebuilt = line.split()
    return total, float(rss), rebuilt == "1"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, type=Path, help="the other tree (a worktree)")
    ap.add_argument("--raw", type=Path, default=HERE.parent / "shared" / "data" / "real")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--write", metavar="LABEL", help="write the result into RESULTS.md")
    args = ap.parse_args()
    trees = {"base": args.base.resolve(), "this": HERE}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="divides-build-bench-") as tmp:
        for i in range(args.repeat):
            for name, tree in trees.items():
                out = Path(tmp) / f"{name}-{i}"
                for mode in ("cold", "warm", "load"):
                    wall, rss, rebuilt = run(tree, args.raw, out, mode)
                    if rebuilt != (mode == "cold"):
                        raise SystemExit(f"{name} {mode}: rebuilt={rebuilt}, not expected")
                    times.setdefault((name, mode), []).append((wall, rss))
        equal = compare(Path(tmp) / "base-0" / "current", Path(tmp) / "this-0" / "current")
    print(json.dumps({f"{k[0]}/{k[1]}": v for k, v in times.items()}))
    lines = ["| build | tree | wall s (median; range) | peak RSS MB (max) |", "|---|---|---|---|"]
    for mode in ("cold", "warm", "load"):
        for name in trees:
            vals = times[(name, mode)]
            walls = [w for w, _ in vals]
            lines.append(f"| {mode} | {name} | {statistics.median(walls):.1f} "
                         f"({min(walls):.1f}-{max(walls):.1f}) | {max(r for _, r in vals):.0f} |")
    lines += ["", *(f"- {line}" for line in equal)]
    print("\n".join(lines))
    if args.write:
        write_results(args, lines)


def write_results(args, lines: list[str]) -> None:
    """Put this run's table between its markers in RESULTS.md (replacing an earlier one)."""
    results = HERE / "benchmarks" / "RESULTS.md"
    start, end = f"<!-- build_bench {args.write} -->", f"<!-- /build_bench {args.write} -->"
    base = subprocess.run(["git", "-C", str(args.base), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()
    load = os.getloadavg()[0]
    body = "\n".join([
        (f"`python benchmarks/build_bench.py --base <worktree of {base or 'the base'}> "
         f"--repeat {args.repeat} --write {args.write}` (base = that commit, this = the tree "
         f"of the script; load average {load:.1f} at the end, the machine shared):"), "",
        *lines])
    write_between(start, end, body, results,
                  before="## Specification curve: 1,000 specifications")


def compare(a: Path, b: Path) -> list[str]:
    """assert_frame_equal of the panel, gaps and drop ledger of two build folders."""
    import pandas as pd
    from pandas.testing import assert_frame_equal

    lines = []
    for name in ("panel.parquet", "gaps.parquet", "drops.csv"):
        read = pd.read_parquet if name.endswith(".parquet") else pd.read_csv
        left, right = read(a / name), read(b / name)
        assert_frame_equal(left, right)
        lines.append(f"{name}: assert_frame_equal passed ({left.shape[0]:,} x {left.shape[1]})")
    return lines


if __name__ == "__main__":
    main()
