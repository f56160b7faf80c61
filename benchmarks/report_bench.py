"""The report of the demo run: Typst PDF (this tree) vs rinohtype PDF (main's site.py), side
by side in one run, on copies of the same run folder.

Each variant runs in its own Python process, twice: HTML only (``pdf=False``) and HTML +
PDF; the PDF's cost is the difference, in wall time and in CPU time (the process and the
Sphinx it starts). The old builder runs from a git worktree of ``--old`` (default: main)
made in a temporary folder, with this tree's ``data/processed`` linked in so both read the
same build manifest. Writes its table into benchmarks/RESULTS.md (the section between its
markers) and prints it.

Run: python benchmarks/report_bench.py [--run reports/demo] [--old main]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _results import write_between

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN = "<!-- report_bench: begin -->"
END = "<!-- report_bench: end -->"
BUILD = ("import sys; from divides.report import site; "
         "site.build(sys.argv[1], data='demo', pdf=sys.argv[2] == 'pdf')")


def _copy_run(run: Path, into: Path) -> Path:
    into.mkdir(parents=True)
    for name in ("figures", "tables", "notebooks"):
        shutil.copytree(run / name, into / name)
    for name in ("run.json", "citations.bib"):
        if (run / name).exists():
            shutil.copy2(run / name, into / name)
    return into


def _timed_build(src: Path, run: Path, pdf: bool) -> tuple[float, float]:
    """(wall s, CPU s) of one report build in a fresh process importing ``src``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", BUILD, str(run), "pdf" if pdf else "html"],
                   env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=str(ROOT / "reports" / "demo"))
    parser.add_argument("--old", default="main")
    args = parser.parse_args()
    run = Path(args.run)
    with tempfile.TemporaryDirectory(prefix="report_bench_") as tmp:
        tmp = Path(tmp)
        old_tree = tmp / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old_tree),
                        args.old], check=True, capture_output=True)
        try:
            commit = subprocess.run(["git", "-C", str(old_tree), "rev-parse", "--short",
                                     "HEAD"], check=True, capture_output=True,
                                    text=True).stdout.strip()
            (old_tree / "data" / "processed").mkdir(parents=True, exist_ok=True)
            for kind in ("demo",):
                link = old_tree / "data" / "processed" / kind
                if not link.exists():
                    link.symlink_to(ROOT / "data" / "processed" / kind)
            rows = []
            for label, src in ((f"rinohtype (main {commit})", old_tree / "src"),
                               ("Typst (this tree)", ROOT / "src")):
                tag = "old" if "rinoh" in label else "new"
                html = _timed_build(src, _copy_run(run, tmp / f"{tag}_html"), pdf=False)
                folder = _copy_run(run, tmp / f"{tag}_pdf")
                full = _timed_build(src, folder, pdf=True)
                pages = _pages(folder / "report" / "report.pdf")
                rows.append((label, html, full, pages))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(old_tree)], check=False, capture_output=True)
    (old_label, old_html, old_full, old_pages), (new_label, new_html, new_full, new_pages) = rows
    old_pdf = (old_full[0] - old_html[0], old_full[1] - old_html[1])
    new_pdf = (new_full[0] - new_html[0], new_full[1] - new_html[1])
    lines = [
        "## Report of the demo run: Typst PDF vs rinohtype PDF (`benchmarks/report_bench.py`)",
        "",
        (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs (shared), "
        f"run folder `{run.relative_to(ROOT) if run.is_relative_to(ROOT) else run.name}`; "
        "each build in a fresh process; the PDF's cost = (HTML + PDF) - (HTML only)."),
        "",
        ("| builder | HTML only: wall s / CPU s | HTML + PDF: wall s / CPU s | "
        "PDF alone: wall s / CPU s | PDF pages |"),
        "|---|---|---|---|---|",
    ]
    for label, html, full, pages, pdf in ((old_label, old_html, old_full, old_pages, old_pdf),
                                          (new_label, new_html, new_full, new_pages, new_pdf)):
        lines.append(f"| {label} | {html[0]:.1f} / {html[1]:.1f} | {full[0]:.1f} / "
                     f"{full[1]:.1f} | {pdf[0]:.1f} / {pdf[1]:.1f} | {pages} |")
    lines += ["", (f"The PDF alone: {old_pdf[0] / max(new_pdf[0], 0.01):.0f}x faster in wall "
              f"time, {old_pdf[1] / max(new_pdf[1], 0.01):.0f}x in CPU time (target: 20x). "
              f"The whole report: {old_full[0] / new_full[0]:.1f}x faster in wall time."), ""]
    table = "\n".join(lines)
    write_between(BEGIN, END, table, RESULTS)
    print(table)


if __name__ == "__main__":
    main()
