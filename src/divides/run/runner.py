"""Execute the research notebooks with papermill; the run's folders and manifests.

What runs, in which order and only when its inputs changed, is the graph of
:mod:`divides.run.graph` (read, build, spec curve, codebook, notebooks, collect, report);
this module gives it the notebook steps and the ``collect`` and ``report`` actions.
All notebooks run from one Python process (the papermill Python API, not its command
line: that saves 3-4 s of imports per notebook) in a small thread pool. A notebook whose
kernel fails to start is retried; a cell error is not (it is a real failure). Outputs:

* ``reports/<data>/notebooks/<name>.ipynb``: the executed notebooks;
* ``reports/<data>/html/<name>.html``: each one rendered by nbconvert;
* ``reports/<data>/index.html``: links to this run's notebooks, figures and tables;
* ``reports/<data>/run.json``: the run manifest (notebooks, parameters, the files each wrote).

A run with parameters (``-p name=value``) that differ from the notebooks' defaults writes into
its own folder, ``reports/<data>/runs/<slug>/`` (the slug names the parameters), so runs never
overwrite each other. Each notebook writes its figures and tables into a folder of its own
(the ``report_dir`` parameter); the runner then copies them into the run folder, refusing two
notebooks that write the same file, and records each file in the manifest.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from divides import __version__, config
from divides.run import graph as pipeline
from divides.errors import DividesError

KERNEL_NAME = "divides"
#: Parameters the runner sets itself (``--data``, the notebook's output folder): not for -p.
RUNNER_PARAMETERS = ("data", "report_dir")
MANIFEST_NAME = "run.json"
#: Longest slug kept readable; a longer one is cut and ends in a hash of the parameters.
SLUG_MAX_CHARS = 80
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


def parameters(nb: Path) -> dict[str, object]:
    """``name -> default`` of the notebook's parameters cell (the cell tagged ``parameters``).

    Read with :mod:`ast` rather than papermill's ``inspect_notebook`` (a test checks that the
    two agree on every notebook): importing papermill costs seconds, and ``divides run``
    with nothing to do should not.
    """
    cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return {}
    source = tagged[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        try:
            found[name] = ast.literal_eval(node.value)
        except ValueError as exc:
            raise DividesError(f"{nb.name}: parameter {name!r} has default "
                               f"{ast.unparse(node.value)!r}, expected a Python literal "
                               "(number, string, list, bool)") from exc
    return found


def user_parameters(nb: Path) -> dict[str, object]:
    """The parameters a user may set with ``-p`` (all but :data:`RUNNER_PARAMETERS`)."""
    return {k: v for k, v in parameters(nb).items() if k not in RUNNER_PARAMETERS}


_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


def _parse_scalar(text: str, like: object, where: str) -> object:
    kind = type(like)
    try:
        if kind is bool:
            low = text.strip().lower()
            if low in _TRUE | _FALSE:
                return low in _TRUE
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is str:
            return text
        return ast.literal_eval(text)  # default None or another literal
    except (ValueError, SyntaxError):
        raise DividesError(f"{where}: expected {kind.__name__} (like the default {like!r}), "
                           f"found {text!r}") from None


def parse_value(text: str, default: object, where: str = "value") -> object:
    """``text`` as the type of the parameter's ``default`` (lists: ``a,b`` or ``["a", "b"]``).

    >>> parse_value("2015", 2013), parse_value("a,b", ["x"])
    (2015, ['a', 'b'])
    """
    if isinstance(default, list):
        if text.strip().startswith("["):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise DividesError(f"{where}: expected a list, found {text!r}") from None
            if not isinstance(value, list):
                raise DividesError(f"{where}: expected a list, found {text!r}")
            items = [str(v) for v in value]
        else:
            items = [t.strip() for t in text.split(",") if t.strip()]
        like = default[0] if default else ""
        return [_parse_scalar(t, like, f"{where} item") if not isinstance(t, type(like))
                else t for t in items]
    return _parse_scalar(text, default, where)


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """``["name=value", ...]`` from the command line, as text (typed later, per notebook)."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise DividesError(f"-p {item!r}: expected NAME=VALUE (e.g. -p outcome=cpi_score)")
        if name in out:
            raise DividesError(f"-p {name} given twice ({out[name]!r} and {value!r})")
        out[name] = value
    return out


def resolve_parameters(selected: list[Path], given: dict[str, str]
                       ) -> tuple[dict[str, dict[str, object]], dict[str, object]]:
    """Per notebook, the typed ``-p`` values it takes; and the run's non-default values.

    A name no selected notebook declares is an error that lists their parameters. A value
    equal to the default changes nothing (the run stays the default run).
    """
    declared = {nb.stem: user_parameters(nb) for nb in selected}
    for name in given:
        if name in RUNNER_PARAMETERS:
            raise DividesError(f"-p {name}: set by the run itself (use --data for the data kind)")
        if not any(name in params for params in declared.values()):
            listing = "; ".join(f"{stem}: {', '.join(params) or '(none)'}"
                                for stem, params in declared.items())
            raise DividesError(f"-p {name}: no such parameter in the selected notebooks "
                               f"({listing})")
    per_nb: dict[str, dict[str, object]] = {}
    changed: dict[str, object] = {}
    for stem, params in declared.items():
        per_nb[stem] = {}
        for name, text in given.items():
            if name in params:
                value = parse_value(text, params[name], f"{stem}: -p {name}")
                per_nb[stem][name] = value
                if value != params[name]:
                    changed[name] = value
    return per_nb, changed


def slug(changed: dict[str, object]) -> str:
    """A short readable folder name for non-default parameters (``outcome-cpi_score``)."""
    def text(v: object) -> str:
        if isinstance(v, list):
            return "+".join(text(x) for x in v)
        return str(v).lower() if isinstance(v, bool) else str(v)

    parts = [f"{k}-{text(v)}" for k, v in sorted(changed.items())]
    name = re.sub(r"[^A-Za-z0-9_.+-]+", "_", "__".join(parts)).strip("._") or "params"
    if len(name) > SLUG_MAX_CHARS:
        digest = hashlib.sha256(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:8]
        name = f"{name[:SLUG_MAX_CHARS - 9]}-{digest}"
    return name


def run_dir(data: str, changed: dict[str, object] | None = None) -> Path:
    """The default run keeps ``reports/<data>/``; others get ``reports/<data>/runs/<slug>/``."""
    root = config.reports_dir(data)
    return root / "runs" / slug(changed) if changed else root


def list_parameters(only: list[str] | None = None) -> str:
    """Every notebook with its parameters and defaults (``divides run --list``, README)."""
    lines = []
    for nb in notebooks(only):
        lines.append(f"- `{nb.stem}`")
        params = user_parameters(nb)
        for name, default in params.items():
            lines.append(f"  - `{name}` = `{default!r}` ({type(default).__name__})")
        if not params:
            lines.append("  - (no parameters besides `data`)")
    return "\n".join(lines) + "\n"


def kernel_name() -> str:
    """The project's registered kernel when present (``make setup`` installs it), else python3."""
    from jupyter_client.kernelspec import KernelSpecManager

    names = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in names else "python3"


def _execute(nb: Path, out_dir: Path, data: str, kernel: str, retries: int,
             params: dict[str, object] | None = None) -> NotebookRun:
    # No ``cwd=`` for papermill: it would os.chdir the whole process from several threads
    # at once and can leave it in another folder. The notebooks use no relative paths.
    import papermill as pm

    output = out_dir / nb.name
    start = time.perf_counter()
    for attempt in range(1, retries + 2):
        try:
            pm.execute_notebook(
                str(nb), str(output), parameters={"data": data, **(params or {})}, kernel_name=kernel,
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


def _execute_and_render(nb: Path, root: Path, data: str, kernel: str, retries: int,
                        params: dict[str, object]) -> NotebookRun:
    work = work_dir(root, nb.stem)
    if work.exists():
        shutil.rmtree(work)  # only this run's outputs of this notebook end up in the manifest
    work.mkdir(parents=True)
    result = _execute(nb, root / "notebooks", data, kernel, retries,
                      {**params, "report_dir": str(work)})
    if result.output.exists():
        _render_html(result.output, root / "html")  # in the worker, while others still compute
    return result


def work_dir(root: Path, stem: str) -> Path:
    """Where one notebook writes its figures and tables before the runner collects them."""
    return root / ".work" / stem


def collect_outputs(root: Path, stems: list[str]) -> dict[str, list[str]]:
    """Copy each notebook's files from its work folder into the run folder; ``stem -> files``.

    Two notebooks writing the same file name is an error: one would overwrite the other.
    """
    owner: dict[str, str] = {}
    written: dict[str, list[str]] = {}
    for stem in sorted(stems):
        work = work_dir(root, stem)
        files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
        for rel in files:
            if rel in owner:
                raise DividesError(f"{rel}: written by both {owner[rel]} and {stem}; give the "
                                   "file a name that carries what differs")
            owner[rel] = stem
        written[stem] = files
    for stem, files in written.items():
        for rel in files:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work_dir(root, stem) / rel, target)
    return written


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
    """The notebook's first level-1 markdown heading (plain JSON: nbformat imports slowly)."""
    for cell in json.loads(nb_path.read_text(encoding="utf-8")).get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            for line in ("".join(source) if isinstance(source, list) else source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return nb_path.stem


def write_manifest(root: Path, data: str, changed: dict[str, object],
                   runs: list[NotebookRun], params: dict[str, dict[str, object]],
                   written: dict[str, list[str]]) -> Path:
    """``run.json``: what this run executed, with which parameters, and every file it wrote."""
    notebooks_part = {}
    for r in sorted(runs, key=lambda r: r.name):
        notebooks_part[r.name] = {
            "parameters": {"data": data, **params.get(r.name, {})},
            "executed": f"notebooks/{r.name}.ipynb",
            "html": f"html/{r.name}.html",
            "files": written.get(r.name, []),
            "status": "failed" if r.error else ("reused" if r.attempts == 0 else "executed"),
            **({"error": r.error} if r.error else {}),
        }
    files = sorted(f for fs in written.values() for f in fs)
    manifest = {
        "divides": __version__,
        "data": data,
        "parameters": changed,
        "notebooks": notebooks_part,
        "figures": [f for f in files if f.startswith("figures/")],
        "tables": [f for f in files if f.startswith("tables/")],
    }
    out = root / MANIFEST_NAME
    out.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def read_manifest(root: Path) -> dict:
    path = root / MANIFEST_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DividesError(f"{path}: no run manifest; run `divides run` first") from None


def write_index(root: Path) -> Path:
    """``<run folder>/index.html``: exactly the notebooks, figures and tables of its manifest."""
    manifest = read_manifest(root)
    data = manifest["data"]
    figures = [root / f for f in manifest["figures"] if f.endswith(".png")]
    tables = [root / f for f in manifest["tables"]
              if f.rsplit(".", 1)[-1] in ("csv", "md", "tex")]
    listed = set(manifest["figures"])

    def link(p: Path, label: str | None = None) -> str:
        rel = p.relative_to(root).as_posix()
        return f'<a href="{html.escape(rel)}">{html.escape(label or p.name)}</a>'

    heading = f"divides report: {data} data"
    if manifest["parameters"]:
        heading += " (" + ", ".join(f"{k} = {v}" for k, v in
                                    sorted(manifest["parameters"].items())) + ")"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(heading)}</title>",
        ("<style>body{font-family:DejaVu Sans,Arial,sans-serif;max-width:60em;margin:2em auto;"
        "padding:0 1em;line-height:1.5} img{max-width:18em;border:1px solid #ccc;margin:.3em}"
        " figure{display:inline-block;margin:.5em;vertical-align:top;max-width:18em}"
        " figcaption{font-size:.8em} .demo{background:#fff3cd;padding:.5em 1em}</style>"),
        "</head>", "<body>", f"<h1>{html.escape(heading)}</h1>",
    ]
    if data == "demo":
        parts.append('<p class="demo"><strong>Synthetic demo data.</strong> Every number in '
                     "this report comes from the invented demo set, not from the publishers.</p>")
    parts.append(f"<p>divides {html.escape(__version__)}; run manifest: "
                 f"{link(root / MANIFEST_NAME)}.</p>")
    if (root / "report" / "index.html").exists():
        pdf = (' (<a href="report/report.pdf">PDF</a>)'
               if (root / "report" / "report.pdf").exists() else "")
        parts.append(f'<p><a href="report/index.html">The report</a>{pdf}</p>')
    parts.append("<h2>Notebooks</h2><ol>")
    for stem, entry in sorted(manifest["notebooks"].items()):
        page, executed = root / entry["html"], root / entry["executed"]
        title = _title(executed) if executed.exists() else stem
        nb_link = f" ({link(executed, 'ipynb')})" if executed.exists() else ""
        failed = " <strong>(failed)</strong>" if entry["status"] == "failed" else ""
        parts.append(f"<li>{link(page, title)}{nb_link}{failed}</li>")
    parts.append("</ol>")
    if tables:
        parts.append("<h2>Tables</h2><ul>")
        parts += [f"<li>{link(t)}</li>" for t in tables]
        parts.append("</ul>")
    if figures:
        parts.append("<h2>Figures</h2>")
        for fig in figures:
            rel = html.escape(fig.relative_to(root).as_posix())
            alts = " ".join(link(fig.with_suffix(s), s[1:]) for s in (".svg", ".pdf")
                            if fig.with_suffix(s).relative_to(root).as_posix() in listed)
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


def _steps(selected: list[Path], root: Path, data: str, retries: int,
           per_nb: dict[str, dict[str, object]], results: dict[str, NotebookRun]
           ) -> list[pipeline.NotebookStep]:
    """The notebooks of a run as steps of the pipeline (:mod:`divides.run.graph`)."""
    import platform

    kernel: list[str] = []  # looked up once, and only when a notebook has to run

    def action(nb: Path):
        def run_one() -> bool:
            try:
                kernel[:] = kernel or [kernel_name()]
                result = _execute_and_render(nb, root, data, kernel[0], retries,
                                             per_nb[nb.stem])
            except Exception as exc:  # noqa: BLE001 (this notebook's failure, never "reused")
                result = NotebookRun(nb.stem, root / "notebooks" / nb.name, 0.0, 1,
                                     error=f"{type(exc).__name__}: {exc}")
            results[nb.stem] = result
            return result.error is None
        return run_one

    from divides.models.speccurve import stage as specs_stage

    steps = []
    for nb in longest_first(selected, root / "notebooks"):
        key = json.dumps({"data": data, "parameters": per_nb[nb.stem],
                          "python": platform.python_version(), "divides": __version__},
                         sort_keys=True)
        effective = {**user_parameters(nb), **per_nb[nb.stem]}
        draws = effective.get(pipeline.SPECS_READERS.get(nb.stem, ""))
        steps.append(pipeline.NotebookStep(
            nb.stem, nb, per_nb[nb.stem],
            targets=[root / "notebooks" / nb.name, root / "html" / f"{nb.stem}.html",
                     work_dir(root, nb.stem)],
            action=action(nb), key=key,
            extra_deps=specs_stage.targets(data, draws) if draws is not None else [],
            specs_draws=draws))
    return steps


def build_report(root: Path, data: str) -> bool:
    """The run's report, HTML and PDF (:mod:`divides.report`): the graph's ``report`` task."""
    from divides.report import site as report  # Sphinx, nbformat, matplotlib: only when built

    built = report.build(root, data=data)
    print(f"report: {built.html} and {built.pdf} ({built.figures} figures, "
          f"{built.tables} tables)")
    return True


def _report_inputs(root: Path) -> list[Path]:
    """What the report of a run is made of: the run's executed notebooks, figures and
    tables (as its run.json lists them)."""
    manifest = read_manifest(root)
    made = [root / e["executed"] for e in manifest["notebooks"].values()]
    made += [root / f for f in (*manifest["figures"], *manifest["tables"])]
    return sorted(p for p in made if p.exists())


def _graph(data: str, only: list[str] | None, retries: int, params: dict[str, str] | None,
           results: dict[str, NotebookRun], collected: list[bool], force: bool = False
           ) -> tuple[dict[str, list], list[str], Path, list[Path], dict, dict]:
    """The run's tasks (:mod:`divides.run.graph`), the ones to run, and its folder."""
    selected = notebooks(only)
    per_nb, changed = resolve_parameters(selected, params or {})
    root = run_dir(data, changed)
    steps = _steps(selected, root, data, retries, per_nb, results)
    draws = next((s.specs_draws for s in steps if s.specs_draws is not None), None)
    complete = not only

    def collect() -> dict:
        runs = [results.get(nb.stem) or NotebookRun(nb.stem, root / "notebooks" / nb.name,
                                                   0.0, 0) for nb in selected]
        written = collect_outputs(root, [r.name for r in runs if not r.error])
        write_manifest(root, data, changed, runs, per_nb, written)
        write_index(root)
        collected.append(True)
        return {"file_dep": [str(p) for p in _report_inputs(root)]}

    def report() -> bool:
        return build_report(root, data)

    report_targets = [root / "report" / "index.html", root / "report" / "report.pdf"]
    tasks = {**pipeline.data_tasks(data, draws=draws, codebook=complete, force=force),
             **pipeline.notebook_tasks(data, steps),
             **pipeline.run_tasks(steps, collect, report if complete else None,
                                  report_targets, data)}
    targets = [f"notebook:{s.stem}" for s in steps] + ["collect"]
    targets += [t for t in ("codebook", "report") if complete and t in tasks]
    return tasks, targets, root, selected, per_nb, changed


def graph_text(data: str = "demo", only: list[str] | None = None,
               params: dict[str, str] | None = None) -> str:
    """``divides run --graph``: the tasks a run would consist of (nothing is run, nothing is
    written: a missing demo folder shows as the pending ``demo`` step)."""
    tasks, *_ = _graph(data, only, 0, params, {}, [])
    text = pipeline.describe(tasks, config.raw_dir(data))
    if pipeline.demo_pending(data):
        text += ("read:<source>, build: listed once the demo step has written "
                 f"{config.raw_dir(data)} (`divides demo`, or `divides run` runs it first)\n")
    return text


def run(data: str = "demo", only: list[str] | None = None, jobs: int | None = None,
        retries: int = 2, params: dict[str, str] | None = None, force: bool = False) -> int:
    """Run the pipeline (:mod:`divides.run.graph`) for the notebooks: 0 when all succeed.

    ``params``: ``name -> text`` from ``-p name=value``, parsed by the type of each notebook's
    default. A step whose inputs, code and parameters are unchanged since it last ran into
    this folder is not run again (a notebook's outputs are reused); ``force`` runs every
    step. ``jobs``: tasks at once, by default :func:`default_jobs`. A complete run (no
    ``only``) also writes the codebook and the report (HTML and PDF).
    """
    if not notebooks(only):
        print(f"no notebooks in {config.NOTEBOOKS_DIR}")
        return 0
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    results: dict[str, NotebookRun] = {}
    collected: list[bool] = []
    tasks, targets, root, selected, per_nb, changed = _graph(data, only, retries, params,
                                                             results, collected, force)
    if pipeline.demo_pending(data):
        # the head step first: the reads and the build are listed from the files it writes
        root.mkdir(parents=True, exist_ok=True)
        code = pipeline.execute(tasks, ["demo"], root / ".doit.json", jobs=1)
        if code:
            print(f"demo: not written (doit stopped with exit code {code})")
            return 1
        tasks, targets, root, selected, per_nb, changed = _graph(
            data, only, retries, params, results, collected, force)
    for d in (root / "notebooks", root / "html"):
        d.mkdir(parents=True, exist_ok=True)
    jobs = jobs if jobs is not None else default_jobs()
    code = pipeline.execute(tasks, targets, root / ".doit.json", jobs=jobs, force=force)
    # Without a result a notebook was up to date, unless doit itself failed (then it is an
    # error: outputs of an earlier run are never passed off as this run's).
    missing = None if code == 0 else f"not run: doit stopped with exit code {code}"
    runs = [results.get(nb.stem)
            or NotebookRun(nb.stem, root / "notebooks" / nb.name, 0.0, 0, error=missing)
            for nb in selected]
    if not collected:  # a notebook failed (so collect did not run): record what happened
        written = collect_outputs(root, [r.name for r in runs if not r.error])
        write_manifest(root, data, changed, runs, per_nb, written)
    index = write_index(root)
    failed = [r for r in runs if r.error]
    for r in sorted(runs, key=lambda r: r.name):
        if r.error:
            status = f"FAILED: {r.error}"
        else:
            status = "unchanged, outputs reused" if r.attempts == 0 else "ok"
        print(f"{r.name}: {r.seconds:.1f} s, {r.attempts} attempt(s), {status}")
    print(f"report: {index}")
    return 1 if failed or code else 0


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
