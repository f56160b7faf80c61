"""Execute the research notebooks with papermill and write the HTML report.

All notebooks run from one Python process (the papermill Python API, not its command
line: that saves 3-4 s of imports per notebook) in a small thread pool. A notebook whose
kernel fails to start is retried; a cell error is not (it is a real failure). Outputs:

* ``reports/<data>/notebooks/<name>.ipynb``: the executed notebooks;
* ``reports/<data>/html/<name>.html``: each one rendered by nbconvert;
* ``reports/<data>/index.html``: links to every notebook, figure and table.

Figures and tables are written by the notebooks themselves (into
``reports/<data>/figures`` and ``reports/<data>/tables``).
"""

from __future__ import annotations

import html
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from divides import __version__, config

KERNEL_NAME = "divides"
#: Errors that mean "the kernel did not come up", worth one more try.
_KERNEL_START_ERRORS = (RuntimeError, TimeoutError, ConnectionError, OSError)


@dataclass
class NotebookRun:
    name: str
    output: Path
    seconds: float
    attempts: int
    error: str | None = None


def notebooks(only: list[str] | None = None) -> list[Path]:
    """The research notebooks (``NN_name.ipynb``), optionally filtered by name or prefix."""
    found = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return found
    chosen = [nb for nb in found if any(nb.stem == o or nb.stem.startswith(o) for o in only)]
    unknown = [o for o in only if not any(nb.stem == o or nb.stem.startswith(o) for nb in found)]
    if unknown:
        raise ValueError(f"no notebook matches {unknown}; known: {[nb.stem for nb in found]}")
    return chosen


def kernel_name() -> str:
    """The project's registered kernel when present (``make setup`` installs it), else python3."""
    from jupyter_client.kernelspec import KernelSpecManager

    names = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in names else "python3"


def _execute(nb: Path, out_dir: Path, data: str, kernel: str, retries: int) -> NotebookRun:
    # No ``cwd=`` for papermill: it would os.chdir the whole process from several threads
    # at once and can leave it in another folder. The notebooks use no relative paths.
    import papermill as pm

    output = out_dir / nb.name
    start = time.perf_counter()
    for attempt in range(1, retries + 2):
        try:
            pm.execute_notebook(
                str(nb), str(output), parameters={"data": data}, kernel_name=kernel,
                progress_bar=False, request_save_on_cell_execute=False,
                autosave_cell_every=0, start_timeout=120,
            )
            return NotebookRun(nb.stem, output, time.perf_counter() - start, attempt)
        except pm.PapermillExecutionError as exc:
            return NotebookRun(nb.stem, output, time.perf_counter() - start, attempt,
                               error=f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}")
        except _KERNEL_START_ERRORS as exc:
            if attempt > retries:
                return NotebookRun(nb.stem, output, time.perf_counter() - start, attempt,
                                   error=f"kernel did not start: {exc}")
            time.sleep(1.0 * attempt)
    raise AssertionError("unreachable")


def previous_seconds(nb: Path, out_dir: Path) -> float:
    """How long ``nb`` took in the last run (papermill's record in the executed copy), else 0."""
    import json

    executed = out_dir / nb.name
    try:
        meta = json.loads(executed.read_text(encoding="utf-8"))["metadata"]["papermill"]
        return float(meta.get("duration") or 0.0)
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def longest_first(selected: list[Path], out_dir: Path) -> list[Path]:
    """Start the notebooks that took longest last time first (a shorter critical path)."""
    return sorted(selected, key=lambda nb: -previous_seconds(nb, out_dir))


def _execute_and_render(nb: Path, out_dir: Path, html_dir: Path, data: str, kernel: str,
                        retries: int) -> NotebookRun:
    result = _execute(nb, out_dir, data, kernel, retries)
    if result.output.exists():
        _render_html(result.output, html_dir)  # in the worker, while others still compute
    return result


def _render_html(executed: Path, html_dir: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    out = html_dir / f"{executed.stem}.html"
    out.write_text(body, encoding="utf-8")
    return out


def _title(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return nb_path.stem


def write_index(data: str) -> Path:
    """``reports/<data>/index.html``: every notebook page, figure and table, sorted."""
    root = config.reports_dir(data)
    pages = sorted((root / "html").glob("*.html"))
    figures = sorted((root / "figures").glob("*.png"))
    tables = sorted(p for ext in ("csv", "md", "tex") for p in (root / "tables").glob(f"*.{ext}"))
    other = sorted(p for p in (root.glob("*.md")) if p.name != "index.md")

    def link(p: Path, label: str | None = None) -> str:
        rel = p.relative_to(root).as_posix()
        return f'<a href="{html.escape(rel)}">{html.escape(label or p.name)}</a>'

    notebooks_dir = root / "notebooks"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>divides report ({html.escape(data)} data)</title>",
        "<style>body{font-family:DejaVu Sans,Arial,sans-serif;max-width:60em;margin:2em auto;"
        "padding:0 1em;line-height:1.5} img{max-width:18em;border:1px solid #ccc;margin:.3em}"
        " figure{display:inline-block;margin:.5em;vertical-align:top;max-width:18em}"
        " figcaption{font-size:.8em} .demo{background:#fff3cd;padding:.5em 1em}</style>",
        "</head>", "<body>", f"<h1>divides report: {html.escape(data)} data</h1>",
    ]
    if data == "demo":
        parts.append('<p class="demo"><strong>Synthetic demo data.</strong> Every number in '
                     "this report comes from the invented demo set, not from the publishers.</p>")
    parts.append(f"<p>divides {html.escape(__version__)}.</p>")
    if (root / "report" / "index.html").exists():
        pdf = (' (<a href="report/report.pdf">PDF</a>)'
               if (root / "report" / "report.pdf").exists() else "")
        parts.append(f'<p><a href="report/index.html">The report</a>{pdf}</p>')
    parts.append("<h2>Notebooks</h2><ol>")
    for page in pages:
        executed = notebooks_dir / f"{page.stem}.ipynb"
        title = _title(executed) if executed.exists() else page.stem
        nb_link = f" ({link(executed, 'ipynb')})" if executed.exists() else ""
        parts.append(f"<li>{link(page, title)}{nb_link}</li>")
    parts.append("</ol>")
    if tables or other:
        parts.append("<h2>Tables</h2><ul>")
        parts += [f"<li>{link(t)}</li>" for t in other + tables]
        parts.append("</ul>")
    if figures:
        parts.append("<h2>Figures</h2>")
        for fig in figures:
            rel = html.escape(fig.relative_to(root).as_posix())
            alts = " ".join(link(fig.with_suffix(s), s[1:]) for s in (".svg", ".pdf")
                            if fig.with_suffix(s).exists())
            parts.append(f'<figure><a href="{rel}"><img src="{rel}" alt="{html.escape(fig.stem)}">'
                         f"</a><figcaption>{html.escape(fig.stem)} {alts}</figcaption></figure>")
    parts += ["</body>", "</html>", ""]
    out = root / "index.html"
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


def default_jobs() -> int:
    """The CPUs this process may use: each notebook's kernel is single-threaded CPU work."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run(data: str = "demo", only: list[str] | None = None, jobs: int | None = None,
        retries: int = 2) -> int:
    """Execute the notebooks in parallel, render HTML and the index; 0 when all succeed.

    ``jobs``: notebooks at once, by default :func:`default_jobs` (never more than there are
    notebooks).
    """
    from tqdm import tqdm

    selected = notebooks(only)
    if not selected:
        print(f"no notebooks in {config.NOTEBOOKS_DIR}")
        return 0
    root = config.reports_dir(data)
    out_dir, html_dir = root / "notebooks", root / "html"
    for d in (out_dir, html_dir, root / "figures", root / "tables"):
        d.mkdir(parents=True, exist_ok=True)

    # Build the panel once, here, so that parallel notebooks never race to build it.
    from divides import api

    api.load_panel(data)

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    kernel = kernel_name()
    runs: list[NotebookRun] = []
    jobs = min(len(selected), jobs if jobs is not None else default_jobs())
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
            tqdm(total=len(selected), desc=f"notebooks ({data})", unit="nb") as bar:
        futures = {pool.submit(_execute_and_render, nb, out_dir, html_dir, data, kernel,
                               retries): nb
                   for nb in longest_first(selected, out_dir)}
        for fut in as_completed(futures):
            result = fut.result()
            runs.append(result)
            bar.set_postfix_str(result.name)
            bar.update()
    failed = [r for r in runs if r.error]
    if not failed and not only:  # the report (HTML and PDF) of a complete run
        from divides import report

        built = report.build(root, data=data)
        print(f"report: {built.html} and {built.pdf} ({built.figures} figures, "
              f"{built.tables} tables)")
    index = write_index(data)
    for r in sorted(runs, key=lambda r: r.name):
        status = f"FAILED: {r.error}" if r.error else "ok"
        print(f"{r.name}: {r.seconds:.1f} s, {r.attempts} attempt(s), {status}")
    print(f"index: {index}")
    return 1 if failed else 0


def strip_timing(paths: list[Path] | None = None) -> list[Path]:
    """Drop per-cell execution timestamps from the committed notebooks (``make notebooks``).

    The stored outputs are what nbval compares; the timestamps only make every refresh a
    diff of hundreds of lines.
    """
    import nbformat

    paths = paths or notebooks()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(nb, path)
    return paths
