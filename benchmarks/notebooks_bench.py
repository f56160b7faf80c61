"""Full demo run of the six notebooks: the divides runner vs a loop of the papermill
command line vs a loop of `jupyter nbconvert --execute`, side by side in one run.

Also measures the floor: kernel start + stop for an empty notebook through the papermill
API (times the number of notebooks), plus the notebooks' own compute (the sum of cell
execution times papermill records). The runner writes reports/<data> as `make run` does,
the two loops write into temporary folders;
an untimed warm-up run comes first (panel build, spec-curve permutation cache, OS file
cache), so no variant pays for those.

Run: python benchmarks/notebooks_bench.py [--data demo] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

from divides import config
from divides.run import notebooks, runner

BIN = Path(sys.executable).parent


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _cell_seconds(executed: Path) -> float:
    nb = nbformat.read(executed, as_version=4)
    total = 0.0
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("papermill", {})
        if meta.get("start_time") and meta.get("end_time"):
            t0 = datetime.fromisoformat(meta["start_time"])
            t1 = datetime.fromisoformat(meta["end_time"])
            total += (t1 - t0).total_seconds()
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="demo")
    parser.add_argument("--jobs", type=int, default=None, help="default: one per usable CPU")
    args = parser.parse_args()
    args.jobs = args.jobs or runner.default_jobs()
    selected = notebooks.find()
    # One untimed run first: it builds the panel, fills the spec curve's permutation cache
    # and warms the OS file cache, so that no variant pays for them (or profits from a
    # predecessor having paid).
    warmup = _timed(lambda: runner.run(data=args.data, jobs=args.jobs, force=True))
    kernel = notebooks.kernel_name()
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # 1. the divides runner (papermill API, one process, thread pool)
        results[f"divides runner (papermill API, {args.jobs} threads)"] = _timed(
            lambda: runner.run(data=args.data, jobs=args.jobs, force=True))
        # 2. papermill command line, one process per notebook
        out = tmp / "papermill_cli"
        out.mkdir()
        results["papermill CLI loop"] = _timed(lambda: [subprocess.run(
            [str(BIN / "papermill"), str(nb), str(out / nb.name), "-p", "data", args.data,
             "-k", kernel, "--cwd", str(nb.parent), "--no-progress-bar"],
            check=True, env=env, capture_output=True) for nb in selected])
        # 3. jupyter nbconvert --execute, one process per notebook
        out3 = tmp / "nbconvert"
        out3.mkdir()
        results["jupyter nbconvert --execute loop"] = _timed(lambda: [subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
             str(nb), "--output-dir", str(out3), "--ExecutePreprocessor.timeout=600"],
            check=True, env=env, capture_output=True) for nb in selected])
        # floor: an empty notebook through the papermill API, and the notebooks' compute
        import papermill as pm

        empty = tmp / "empty.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("pass")]
        nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel,
                                     "language": "python"}
        nbformat.write(nb, empty)
        starts = [_timed(lambda: pm.execute_notebook(
            str(empty), str(tmp / "empty_out.ipynb"), kernel_name=kernel, progress_bar=False))
            for _ in range(3)]
        kernel_floor = min(starts)

        compute = sum(_cell_seconds(config.reports_dir(args.data) / "notebooks" / nb.name)
                      for nb in selected)
    floor = kernel_floor * len(selected) + compute
    print(json.dumps({"seconds": results, "warmup_runner_s": warmup,
                      "kernel_start_stop_s": kernel_floor,
                      "compute_s": compute, "serial_floor_s": floor,
                      "notebooks": len(selected)}, indent=2))
    base = results["papermill CLI loop"]
    for name, sec in results.items():
        print(f"| {name} | {sec:.1f} | {base / sec:.2f}x | {sec / floor:.2f} |")


if __name__ == "__main__":
    main()
