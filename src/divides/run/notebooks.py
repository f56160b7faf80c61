"""The research notebooks: finding them, their parameters, executing one with papermill.

A notebook runs from this Python process (the papermill Python API, not its command line:
that saves 3-4 s of imports per notebook); a notebook whose kernel fails to start is retried,
a cell error is not (it is a real failure). It writes its figures and tables into a folder of
its own (:func:`work_dir`, the ``report_dir`` parameter), from which :mod:`divides.run.collect`
copies them into the run folder. Outputs of one notebook ``<name>``:

* ``<run folder>/notebooks/<name>.ipynb``: the executed notebook;
* ``<run folder>/html/<name>.html``: rendered by nbconvert.

A notebook runs into a staging folder of its own; only when it has finished are its
executed copy, page and figures and tables moved into place, and then its stamp
(:func:`done_stamp`) is written, last. The stamp is removed before anything else, so a run
killed while a notebook executes leaves the earlier outputs whole and no stamp: the next
run executes it again (the stamp is one of its task's targets).

A run with parameters (``-p name=value``) that differ from the notebooks' defaults writes into
its own folder, ``reports/<data>/runs/<slug>/`` (the slug names the parameters, :func:`run_dir`),
so runs never overwrite each other.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import random
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from divides import config, fileio
from divides.errors import DividesError

KERNEL_NAME = "divides"
#: The run folder's log: the kernels' and doit's messages, each step's printed output.
LOG_NAME = "run.log"
#: Parameters the runner sets itself (``--data``, the notebook's output folder): not for -p.
RUNNER_PARAMETERS = ("data", "report_dir")
#: Longest slug kept readable; a longer one is cut and ends in a hash of the parameters.
SLUG_MAX_CHARS = 80
#: Errors that mean "the kernel did not come up", worth one more try (with ZeroMQ's own
#: errors, :func:`kernel_start_errors`: kernels starting at once can race for ports).
_KERNEL_START_ERRORS = (RuntimeError, TimeoutError, ConnectionError, OSError)
#: Seconds before the second try of a kernel that did not start; n times it before try n+1,
#: plus up to as much again at random, so kernels that collided do not collide again.
KERNEL_RETRY_BACKOFF_S = 1.0


def kernel_start_errors() -> tuple[type[BaseException], ...]:
    """What a kernel failing to start raises: :data:`_KERNEL_START_ERRORS` and
    ``zmq.ZMQError`` (e.g. "Address already in use" when two kernels took one port)."""
    try:
        import zmq
    except ImportError:  # pragma: no cover - jupyter_client depends on pyzmq
        return _KERNEL_START_ERRORS
    return (*_KERNEL_START_ERRORS, zmq.ZMQError)


@dataclass
class NotebookRun:
    name: str
    output: Path
    seconds: float
    attempts: int
    error: str | None = None


def find(only: list[str] | None = None) -> list[Path]:
    """The research notebooks (``NN_name.ipynb``), optionally filtered by name or prefix."""
    found = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return found
    chosen = [nb for nb in found if any(nb.stem == o or nb.stem.startswith(o) for o in only)]
    unknown = [o for o in only if not any(nb.stem == o or nb.stem.startswith(o) for nb in found)]
    if unknown:
        raise ValueError(f"no notebook matches {unknown}; known: {[nb.stem for nb in found]}")
    return chosen


def parameter_cell(nb: Path) -> str:
    """The source of the notebook's parameters cell (the cell tagged ``parameters``), from
    its paired ``.py`` (jupytext percent format: the file people edit) when there is one,
    else from the ``.ipynb``; empty when there is none."""
    py = nb.with_suffix(".py")
    if py.exists():
        lines, inside = [], False
        for line in py.read_text(encoding="utf-8").splitlines():
            if line.startswith("# %%"):
                if inside:
                    break
                inside = "parameters" in line.split("tags=", 1)[-1] and "tags=" in line
                continue
            if inside:
                lines.append(line)
        return "\n".join(lines).strip() + "\n" if lines else ""
    cells = json.loads(nb.read_text(encoding="utf-8")).get("cells", [])
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return ""
    source = tagged[0]["source"]
    return "".join(source) if isinstance(source, list) else source


def parameters(nb: Path) -> dict[str, object]:
    """``name -> default`` of the notebook's parameters cell (:func:`parameter_cell`).

    Read with :mod:`ast` rather than papermill's ``inspect_notebook`` (a test checks that the
    two agree on every notebook): importing papermill costs seconds, and ``divides run``
    with nothing to do should not.
    """
    source = parameter_cell(nb)
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


def parameter_kinds(nb: Path) -> dict[str, str]:
    """``name -> kind`` declared next to the defaults (:func:`divides.run.checks.kinds`)."""
    from divides.run import checks

    return checks.kinds(parameter_cell(nb))


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
    """``["name=value", "03:name=value", ...]`` from the command line, as text (typed later,
    per notebook). ``NN:name`` (a notebook's name or prefix, a colon) sets the value for
    that notebook only; it wins over a plain ``name`` there."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        scope, colon, bare = name.rpartition(":")
        if not sep or not bare.isidentifier() or (colon and not scope.strip()):
            raise DividesError(f"-p {item!r}: expected NAME=VALUE or NOTEBOOK:NAME=VALUE "
                               "(e.g. -p outcome=cpi_score, -p 03:outcome=cpi_score)")
        if name in out:
            raise DividesError(f"-p {name} given twice ({out[name]!r} and {value!r})")
        out[name] = value
    return out


def resolve_parameters(selected: list[Path], given: dict[str, str], data: str | None = None
                       ) -> tuple[dict[str, dict[str, object]], dict[str, object]]:
    """Per notebook, the typed ``-p`` values it takes; and the run's non-default values.

    A name no selected notebook declares is an error that lists their parameters; so is a
    ``NN:name`` whose notebook is not selected or does not declare it. A value equal to the
    default changes nothing (the run stays the default run). Given ``data``, each value is
    checked against its declared kind (:mod:`divides.run.checks`) before anything runs.
    """
    declared = {nb.stem: user_parameters(nb) for nb in selected}
    listing = "; ".join(f"{stem}: {', '.join(params) or '(none)'}"
                        for stem, params in declared.items())
    scoped: dict[str, dict[str, tuple[str, str]]] = {stem: {} for stem in declared}
    for key, text in given.items():
        scope, _, name = key.rpartition(":")
        if name in RUNNER_PARAMETERS:
            raise DividesError(f"-p {name}: set by the run itself (use --data for the data kind)")
        stems = [s for s in declared if not scope or s == scope or s.startswith(scope)]
        if scope and not stems:
            raise DividesError(f"-p {key}: no selected notebook matches {scope!r} "
                               f"(selected: {', '.join(declared)})")
        if not any(name in declared[s] for s in stems):
            raise DividesError(f"-p {key}: no such parameter in the "
                               f"{'notebook ' + stems[0] if scope else 'selected notebooks'} "
                               f"({listing})")
        for stem in stems:
            if name in declared[stem] and (scope or name not in scoped[stem]):
                scoped[stem][name] = (key, text)
    per_nb: dict[str, dict[str, object]] = {}
    changed: dict[str, object] = {}
    for stem, params in declared.items():
        per_nb[stem] = {}
        for name, (key, text) in scoped[stem].items():
            value = parse_value(text, params[name], f"{stem}: -p {name}")
            per_nb[stem][name] = value
            if value != params[name]:
                changed[key] = value
    if data is not None:
        from divides.run import checks

        kinds = {nb.stem: parameter_kinds(nb) for nb in selected}
        checks.check_values(kinds, per_nb, data)
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


def list_parameters(only: list[str] | None = None, data: str | None = None) -> str:
    """Every notebook with its parameters, defaults and kinds (``divides run --list``,
    README); given ``data``, also the values each kind allows there (from its build when
    there is one)."""
    from divides.run import checks

    allowed = checks.Allowed(data) if data else None
    lines = []
    for nb in find(only):
        lines.append(f"- `{nb.stem}`")
        params = user_parameters(nb)
        kinds = parameter_kinds(nb)
        for name, default in params.items():
            kind = kinds.get(name, type(default).__name__)
            lines.append(f"  - `{name}` = `{default!r}` ({kind})")
            if allowed is not None and name in kinds:
                values = allowed.values(kind)
                if values is not None:
                    lines.append(f"    allowed ({allowed.where(kind)}): {checks.shown(values)}")
        if not params:
            lines.append("  - (no parameters besides `data`)")
    return "\n".join(lines) + "\n"


def sync_pair(nb: Path) -> bool:
    """Bring ``nb`` (``.ipynb``) in step with its paired ``.py`` (jupytext percent format, the
    file people edit) before it runs: the ``.py``'s cells, with the stored outputs of the
    cells that did not change. True when ``nb`` was rewritten.

    An ``.ipynb`` edited after its ``.py`` (saved without the pairing) is drift: an error
    saying which file to keep, never a silent overwrite of either.
    """
    py = nb.with_suffix(".py")
    if not py.exists():
        return False
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs

    text = py.read_text(encoding="utf-8")
    current = jupytext.read(nb)
    if jupytext.writes(current, fmt="py:percent") == text:
        return False
    if nb.stat().st_mtime > py.stat().st_mtime:
        raise DividesError(f"{nb.name} and {py.name} differ and {nb.name} is the newer: "
                           f"keep one with `jupytext --sync {nb.name}` (the newer wins) or "
                           f"`jupytext --to ipynb --update {py.name}` (the .py wins), then run "
                           "again")
    combined = combine_inputs_with_outputs(jupytext.reads(text, fmt="py:percent"), current,
                                           fmt="py:percent")
    jupytext.write(combined, nb)
    return True


def kernel_name() -> str:
    """The project's registered kernel when present (``make setup`` installs it), else python3."""
    from jupyter_client.kernelspec import KernelSpecManager

    names = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in names else "python3"


def quiet_kernel_manager(log: Path) -> type:
    """A kernel manager whose kernel writes its own messages (the TCP warning, the
    KeyboardInterrupt it logs when shut down) into ``log`` rather than onto the console."""
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # a local file opened once per kernel; the kernel process keeps its own copy
            with open(log, "a", encoding="utf-8") as stream:  # noqa: ASYNC230
                kw.update(stdout=stream, stderr=stream)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def execute(nb: Path, out_dir: Path, data: str, kernel: str, retries: int,
            params: dict[str, object] | None = None, log: Path | None = None) -> NotebookRun:
    """Execute ``nb`` with papermill into ``out_dir``; a kernel that does not start is tried
    ``retries`` more times, a cell error ends it (the result carries the error). Given
    ``log``, the kernel's own messages go there (:func:`quiet_kernel_manager`)."""
    # No ``cwd=`` for papermill: it would os.chdir the whole process from several threads
    # at once and can leave it in another folder. The notebooks use no relative paths.
    import papermill as pm

    output = out_dir / nb.name
    start = time.perf_counter()
    quiet = {"kernel_manager_class": quiet_kernel_manager(log)} if log else {}
    for attempt in range(1, retries + 2):
        try:
            pm.execute_notebook(
                str(nb), str(output), parameters={"data": data, **(params or {})}, kernel_name=kernel,
                progress_bar=False, request_save_on_cell_execute=False,
                autosave_cell_every=0, start_timeout=120, **quiet,
            )
            return NotebookRun(nb.stem, output, time.perf_counter() - start, attempt)
        except pm.PapermillExecutionError as exc:
            return NotebookRun(nb.stem, output, time.perf_counter() - start, attempt,
                               error=f"cell {exc.exec_count}: {exc.ename}: "
                                     + " ".join(str(exc.evalue).split()))
        except kernel_start_errors() as exc:
            if attempt > retries:
                return NotebookRun(nb.stem, output, time.perf_counter() - start, attempt,
                                   error=f"kernel did not start: {type(exc).__name__}: {exc}")
            time.sleep(KERNEL_RETRY_BACKOFF_S * attempt * (1 + random.random()))
    raise AssertionError("unreachable")


def previous_seconds(nb: Path, out_dir: Path) -> float:
    """How long ``nb`` took in the last run (papermill's record in the executed copy), else 0."""
    executed = out_dir / nb.name
    try:
        meta = json.loads(executed.read_text(encoding="utf-8"))["metadata"]["papermill"]
        return float(meta.get("duration") or 0.0)
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def longest_first(selected: list[Path], out_dir: Path) -> list[Path]:
    """Start the notebooks that took longest last time first (a shorter critical path)."""
    return sorted(selected, key=lambda nb: -previous_seconds(nb, out_dir))


def execute_and_render(nb: Path, root: Path, data: str, kernel: str, retries: int,
                       params: dict[str, object]) -> NotebookRun:
    """One notebook of a run into the run folder ``root``: executed copy, HTML page, and its
    figures and tables in a fresh :func:`work_dir`, made in a staging folder and moved into
    place when it has finished; :func:`done_stamp` last, and only when it succeeded."""
    stamp = done_stamp(root, nb.stem)
    stamp.unlink(missing_ok=True)  # first: from here on the notebook counts as not done
    for old in sorted((root / ".work").glob(f"{STAGING_PREFIX}{nb.stem}-*")):
        pid = old.name.rsplit("-", 1)[-1]  # a killed run's staging folder: its pid is gone
        if pid.isdigit() and (int(pid) == os.getpid() or not fileio.process_running(int(pid))):
            shutil.rmtree(old, ignore_errors=True)
    stage = root / ".work" / f"{STAGING_PREFIX}{nb.stem}-{os.getpid()}"
    (stage / "work").mkdir(parents=True)
    result = execute(nb, stage, data, kernel, retries,
                     {**params, "report_dir": str(stage / "work")}, log=root / LOG_NAME)
    if result.output.exists():
        _render_html(result.output, stage)  # in the worker, while others still compute
    for made, target in ((stage / nb.name, root / "notebooks" / nb.name),
                         (stage / f"{nb.stem}.html", root / "html" / f"{nb.stem}.html")):
        if made.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(made, target)
    work = work_dir(root, nb.stem)
    if work.exists():
        shutil.rmtree(work)  # only this run's outputs of this notebook end up in the manifest
    os.replace(stage / "work", work)
    shutil.rmtree(stage, ignore_errors=True)
    result.output = root / "notebooks" / nb.name
    if result.error is None:
        stamp.write_text(json.dumps({"notebook": nb.stem, "files": sorted(
            p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())},
            indent=1) + "\n", encoding="utf-8")
    return result


#: Staging folders of notebooks being executed (under ``<run>/.work/``).
STAGING_PREFIX = ".staging-"


def work_dir(root: Path, stem: str) -> Path:
    """Where one notebook writes its figures and tables before the runner collects them."""
    return root / ".work" / stem


def done_stamp(root: Path, stem: str) -> Path:
    """Written last when notebook ``stem`` finished and all its outputs are in place (with
    the files it wrote); missing: the notebook is not done (never run, failed or killed)."""
    return root / ".work" / f"{stem}.done.json"


def _render_html(executed: Path, html_dir: Path) -> Path:
    """``html_dir/<name>.html``: the executed notebook as a page, without prompts."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    out = html_dir / f"{executed.stem}.html"
    out.write_text(body, encoding="utf-8")
    return out


def strip_timing(paths: list[Path] | None = None) -> list[Path]:
    """Drop per-cell execution timestamps from the committed notebooks (``make notebooks``).

    The stored outputs are what nbval compares; the timestamps only make every refresh a
    diff of hundreds of lines.
    """
    import nbformat

    paths = paths or find()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(nb, path)
    return paths
