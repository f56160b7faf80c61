"""The whole work of ``divides run`` as one doit graph: every task is defined here.

::

    demo ── raw files ── read:<source> ── build ──┬── specs ────────┐
    (one task per source: its    (panel,  ├── codebook      │
     files into the read cache)   gaps,   └─────────────── notebook:<stem> ── collect ── report
                                  ledger)                   (executed copy,   (run.json,  (HTML,
                                                             figures, tables)  index)      PDF)

Each task names the files it reads (``file_dep``, compared by checksum) and the files it
makes (``targets``); doit runs a task only when one of its files changed, a target is
missing, or its parameters changed, and a file made by one task ties the tasks together.
``divides run --graph`` prints this graph as it stands for a run (:func:`text`).

``demo`` (demo data only) writes the synthetic set when its folder is missing or stale:
path resolution never writes, so this explicit step heads the graph.

Each task is a plain dict made by one function below (``demo_task``, ``read_tasks``, ``build_task``,
``specs_task``, ``codebook_task``, ``notebook_tasks``, ``collect_task``, ``report_task``);
:func:`data_tasks` and :func:`tasks` put them together in the order of the graph, so a new
task is one more function and one more line there. Its action is a function of this module
with its arguments (what executes a notebook is :mod:`divides.run.notebooks`, what writes
the manifest and index :mod:`divides.run.collect`).

The build and the spec curve keep their own keys (the build key, the stage key) and
check them whenever they are called: a notebook opened by hand in JupyterLab, outside
the graph, never gets a stale panel or curve, and a step the graph runs again when
nothing changed does no work twice.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from divides import __version__, config
from divides.run import collect, notebooks
from divides.run.notebooks import NotebookRun

if TYPE_CHECKING:
    from divides.build.panel import ReadPlan

#: Notebooks that read the spec-curve stage, and the parameter that sets its draws
#: (a test checks this against the notebooks' code).
SPECS_READERS = {"05_robustness_specification_curve": "draws"}


@dataclass
class Run:
    """One ``divides run``: its notebooks, the ``-p`` values each takes, its folder; and,
    filled in by the graph's actions as it runs, what each notebook did and whether the
    run was collected (the summary and the manifest of a failed run need both)."""

    data: str
    selected: list[Path]
    parameters: dict[str, dict[str, object]]  # notebook stem -> the -p values it takes
    changed: dict[str, object]  # the run's non-default values (they name its folder)
    root: Path
    complete: bool  # every notebook: the run also makes the codebook and the report
    retries: int = 2
    force: bool = False
    results: dict[str, NotebookRun] = field(default_factory=dict)
    collected: bool = False

    def draws(self, nb: Path) -> int | None:
        """The spec-curve draws notebook ``nb`` reads (:data:`SPECS_READERS`), if any."""
        effective = {**notebooks.user_parameters(nb), **self.parameters[nb.stem]}
        return effective.get(SPECS_READERS.get(nb.stem, ""))

    def outcomes(self, missing: str | None = None) -> list[NotebookRun]:
        """Each selected notebook's result; one without a result was up to date (reused),
        or, given ``missing``, not run for that reason."""
        return [self.results.get(nb.stem)
                or NotebookRun(nb.stem, self.root / "notebooks" / nb.name, 0.0, 0, error=missing)
                for nb in self.selected]


def plan(data: str = "demo", only: list[str] | None = None,
         params: dict[str, str] | None = None, retries: int = 2, force: bool = False) -> Run:
    """The run of the notebooks ``only`` (all when not given) with the ``-p`` values
    ``params`` (text, typed by each notebook's defaults); nothing is run."""
    selected = notebooks.find(only)
    per_nb, changed = notebooks.resolve_parameters(selected, params or {}, data)
    return Run(data, selected, per_nb, changed, notebooks.run_dir(data, changed),
               complete=not only, retries=retries, force=force)


def tasks(run: Run) -> dict[str, list[dict]]:
    """Every task of ``run``, in the order of the graph (``base -> task dicts``; several
    dicts under one base are its subtasks, ``base:name``)."""
    draws = next((d for d in map(run.draws, run.selected) if d is not None), None)
    graph = data_tasks(run.data, draws=draws, codebook=run.complete, force=run.force)
    graph["notebook"] = notebook_tasks(run)
    graph["collect"] = [collect_task(run)]
    if run.complete:
        graph["report"] = [report_task(run)]
    return graph


#: The tasks before the notebooks (:func:`data_tasks`): shared by every run of one data kind.
DATA_TASKS = ("demo", "read", "build", "specs", "codebook")


def without_data_tasks(graph: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """``graph`` without :data:`DATA_TASKS` (made beforehand, e.g. once by the client of a
    sweep): the notebooks still list the build's files as inputs (``file_dep``)."""
    return {base: ds for base, ds in graph.items() if base not in DATA_TASKS}


def targets(graph: dict[str, list[dict]]) -> list[str]:
    """What a run asks doit for: every notebook, collect, and the codebook and report when
    the graph has them (the other tasks run as what these follow)."""
    return ([full_name("notebook", d) for d in graph["notebook"]] + ["collect"]
            + [t for t in ("codebook", "report") if t in graph])


def text(data: str = "demo", only: list[str] | None = None,
         params: dict[str, str] | None = None) -> str:
    """``divides run --graph``: the tasks a run would consist of (nothing is run, nothing is
    written: a missing demo folder shows as the pending ``demo`` step)."""
    text = describe(tasks(plan(data, only, params)), config.raw_dir(data))
    if demo_pending(data):
        text += ("read:<source>, build: listed once the demo step has written "
                 f"{config.raw_dir(data)} (`divides demo`, or `divides run` runs it first)\n")
    return text


def demo_pending(data: str) -> bool:
    """Whether the head step, ``demo``, has work to do: demo data whose folder is missing
    or was made by another generator (the build refuses such a folder)."""
    from divides import provenance

    return data == "demo" and provenance.demo_state(config.raw_dir(data)) in ("missing",
                                                                               "stale")


def data_tasks(data: str, draws: int | None = None, codebook: bool = False,
               force: bool = False) -> dict[str, list[dict]]:
    """The tasks before the notebooks: ``demo`` (demo data), ``read:<source>``, ``build``,
    and ``specs`` (when ``draws`` is given) and ``codebook`` (when asked for). ``force``:
    the build and the spec curve are made anew, not taken from their own stores.

    The reads are listed from the raw files, so a pending ``demo`` step runs first
    (:func:`demo_pending`; ``divides run`` does so); until then only it is listed."""
    from divides.build import keys, panel

    head = {"demo": [demo_task(data)]} if data == "demo" else {}
    if demo_pending(data):
        return head
    plan = panel.read_plan(data)
    code = keys.build_code_files()
    graph = {**head, "read": read_tasks(plan, code, list(head)),
             "build": [build_task(plan, code, force)]}
    if draws is not None:
        graph["specs"] = [specs_task(data, draws, force)]
    if codebook:
        graph["codebook"] = [codebook_task(data, plan.build_key)]
    return graph


# -- the tasks, in the order of the graph ------------------------------------------------


def demo_task(data: str) -> dict:
    """``demo``: the synthetic set into ``data/raw/demo`` when it is missing or stale."""
    from divides import provenance

    return {"actions": [(write_demo, [data])],
            "targets": _str([config.raw_dir(data) / provenance.DEMO_MARKER_FILE]),
            "uptodate": [not demo_pending(data)],
            "doc": "the synthetic demo set -> data/raw/demo (when missing or stale)",
            "verbosity": 2}


def read_tasks(plan: ReadPlan, build_code: list[Path], after: list[str]) -> list[dict]:
    """``read:<source>``, one per source with files: its files into the read cache."""
    return [{"name": source, "actions": [(read_source, [plan, source])], "task_dep": after,
             "file_dep": _str([*plan.source_inputs(source), *build_code]),
             "targets": _str(plan.read_entries(source)),
             "uptodate": [_config_changed(_versions(plan))],
             "doc": f"{source}'s files -> read cache", "verbosity": 2}
            for source in _sources(plan)]


def build_task(plan: ReadPlan, build_code: list[Path], force: bool) -> dict:
    """``build``: the read cache -> panel, gaps, ledger (after every ``read:<source>``)."""
    raw = plan.raw.paths()
    return {"actions": [(build, [plan.data, force])],
            "task_dep": [f"read:{source}" for source in _sources(plan)],
            "file_dep": _str([*raw, *build_code]),
            "targets": _str(build_outputs(plan.data)),
            # the current build must be this run's (another `divides build --raw-dir` may
            # have made another one current since): its key is checked, not only the files
            "uptodate": [_config_changed(_versions(plan)),
                         (build_is_current, [plan.out, plan.build_key])],
            "doc": "observations -> panel, gaps, ledger (data/processed)", "verbosity": 2}


def specs_task(data: str, draws: int, force: bool) -> dict:
    """``specs``: the spec curve with ``draws`` bootstrap draws, from the build's outputs."""
    from divides.models.speccurve import GRID_TOML, stage

    return {"actions": [(specs, [data, draws, force])],
            "file_dep": _str([*build_outputs(data), *stage.code_files(), GRID_TOML,
                              *lock_files()]),
            "targets": _str(stage.targets(data, draws)),
            "uptodate": [_config_changed(json.dumps({"draws": draws}))],
            "doc": f"panel, gaps -> spec curve, {draws} draws (data/processed/.../specs)",
            "verbosity": 2}


def codebook_task(data: str, build_key: str | None = None) -> dict:
    """``codebook``: the codebook and citations, from the build's outputs (checked to be
    the build of ``build_key``, the run's)."""
    from divides.report import codebook as codebook_module

    return {"actions": [(write_codebook, [data, build_key])],
            "file_dep": _str([*build_outputs(data), *package_files()]),
            "targets": _str(codebook_module.output_paths(config.reports_dir(data))),
            "doc": "panel, gaps -> codebook and citations (reports/<data>)", "verbosity": 2}


def notebook_tasks(run: Run) -> list[dict]:
    """``notebook:<stem>``, the longest (last time) first: its source, the package, the
    lock and the build's outputs (and the spec curve it reads) in, its executed copy, page
    and output folder out; its parameters and versions in its key."""
    from divides.models.speccurve import stage as specs_stage

    shared = [*package_files(), *lock_files(), *build_outputs(run.data)]
    out = []
    for nb in notebooks.longest_first(run.selected, run.root / "notebooks"):
        params = run.parameters[nb.stem]
        key = json.dumps({"data": run.data, "parameters": params,
                          "python": platform.python_version(), "divides": __version__},
                         sort_keys=True)
        draws = run.draws(nb)
        reads_curve = specs_stage.targets(run.data, draws) if draws is not None else []
        out.append({
            "name": nb.stem, "actions": [(run_notebook, [run, nb])],
            "file_dep": _str([nb, *pair(nb), *shared, *reads_curve]),
            "targets": _str([run.root / "notebooks" / nb.name,
                             run.root / "html" / f"{nb.stem}.html",
                             notebooks.work_dir(run.root, nb.stem),
                             # written last: missing after a kill, so the notebook reruns
                             notebooks.done_stamp(run.root, nb.stem)]),
            "uptodate": [_config_changed(key)],
            "doc": f"{nb.name} with {params or 'its defaults'}",
            # 2: doit leaves sys.stdout alone. With less it swaps sys.stdout for a capture
            # around each action, and threads restoring each other's capture lost lines.
            "verbosity": 2})
    return out


def collect_task(run: Run) -> dict:
    """``collect``, after every notebook and always run: run.json and the index, and the
    files the report is made of (for the report task's ``calc_dep``)."""
    return {"actions": [(collect_run, [run])],
            "task_dep": [f"notebook:{nb.stem}" for nb in run.selected],
            "uptodate": [False], "doc": "the run's notebooks -> run.json, index.html",
            "verbosity": 2}


def report_task(run: Run) -> dict:
    """``report``: made again only when the files ``collect`` lists or the report code
    changed."""
    code = sorted((config.PACKAGE_DIR / "report").rglob("*.py"))
    return {"actions": [(build_report, [run.root, run.data])], "calc_dep": ["collect"],
            "file_dep": _str(code),
            "targets": _str([run.root / "report" / "index.html",
                             run.root / "report" / "report.pdf"]),
            "uptodate": [_config_changed(run.data)],
            "doc": "the run's notebooks, figures, tables -> report (HTML, PDF)",
            "verbosity": 2}


# -- the tasks' actions (doit calls them with the arguments their task names) ------------


def write_demo(data: str) -> bool:
    from divides import demo

    demo.ensure_demo(config.raw_dir(data))
    return True


def read_source(plan: ReadPlan, source: str) -> bool:
    from divides.build import panel

    n = panel.read_source(plan, source)
    print(f"read:{source}: {n} file(s) read, {len(plan.files[source]) - n} already "
          "in the read cache")
    return True


def build(data: str, force: bool) -> bool:
    from divides.build import panel

    print(panel.build(data, progress=False, force=force).summary())
    return True


def specs(data: str, draws: int, force: bool) -> bool:
    from divides.models.speccurve import stage

    print(f"specs: {stage.ensure(data, draws=draws, force=force)}")
    return True


def write_codebook(data: str, build_key: str | None = None) -> bool:
    """The codebook of the current build, after checking it is the run's (``build_key``)."""
    from divides.report import codebook

    if build_key is not None and not build_is_current(config.processed_dir(data), build_key):
        from divides.errors import DividesError

        raise DividesError(f"codebook: the current build in {config.processed_dir(data)} is "
                           f"not this run's (build key {build_key[:12]}...): it would describe "
                           "other data than the notebooks; run `divides run` again")
    for path in codebook.write_codebook(data=data, build=False):
        print(f"codebook: wrote {path}")
    return True


def run_notebook(run: Run, nb: Path) -> bool:
    """Execute and render one notebook; its result goes into ``run.results`` (a failure of
    any kind is this notebook's, never "reused")."""
    try:
        result = notebooks.execute_and_render(nb, run.root, run.data, notebooks.kernel_name(),
                                              run.retries, run.parameters[nb.stem])
    except Exception as exc:  # noqa: BLE001
        result = NotebookRun(nb.stem, run.root / "notebooks" / nb.name, 0.0, 1,
                             error=f"{type(exc).__name__}: {exc}")
    run.results[nb.stem] = result
    return result.error is None


def collect_run(run: Run) -> dict:
    """The notebooks' files into the run folder, run.json, index.html; returns the report's
    inputs as ``file_dep`` (doit's ``calc_dep``)."""
    runs = run.outcomes()
    written = collect.collect_outputs(run.root, [r.name for r in runs if not r.error])
    collect.write_manifest(run.root, run.data, run.changed, runs, run.parameters, written,
                         complete=run.complete)
    collect.write_index(run.root)
    run.collected = True
    return {"file_dep": _str(collect.report_inputs(run.root))}


def build_is_current(out: Path, build_key: str) -> bool:
    """Whether ``out``'s current build is whole and has ``build_key`` (the run's)."""
    from divides.build import store

    current = store.current_dir(out)
    if current is None:
        return False
    try:
        store.verify(current, build_key, parquet_keys=False)
    except store.StaleBuildError:
        return False
    return True


def build_report(root: Path, data: str) -> bool:
    """The run's report, HTML and PDF (:mod:`divides.report.site`)."""
    from divides.report import site  # Sphinx, nbformat, matplotlib: only when built

    built = site.build(root, data=data)
    print(f"report: {built.html} and {built.pdf} ({built.figures} figures, "
          f"{built.tables} tables)")
    return True


# -- what the tasks read ---------------------------------------------------------------


def package_files() -> list[Path]:
    """The package's code and data files (a notebook's outputs may depend on any of them)."""
    return sorted(p for p in config.PACKAGE_DIR.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def pair(nb: Path) -> list[Path]:
    """The notebook's paired ``.py`` (jupytext), when there is one."""
    return [p for p in [nb.with_suffix(".py")] if p.exists()]


def lock_files() -> list[Path]:
    return [p for p in [config.PROJECT_ROOT / "requirements.lock"] if p.exists()]


def build_outputs(data: str) -> list[Path]:
    """The build's outputs under their stable names in ``data/processed/<data>/``."""
    from divides.build.panel import OUTPUT_FILES

    out = config.processed_dir(data)
    return [out / name for name in OUTPUT_FILES]


def _sources(plan: ReadPlan) -> list[str]:
    return [source for source, files in plan.files.items() if files]


def _versions(plan: ReadPlan) -> str:
    """What besides files decides a read and the build: library versions, the data kind."""
    return json.dumps({"versions": plan.versions, "data": plan.data}, sort_keys=True)


def _config_changed(value: str):
    from doit.tools import config_changed

    return config_changed(value)


def _str(paths) -> list[str]:
    return [str(p) for p in paths]


# -- running and printing a graph ------------------------------------------------------


def loader(tasks: dict[str, list]):
    """A doit task loader for ``tasks`` (``base -> task dicts``; named ones are subtasks)."""
    from doit.cmd_base import ModuleTaskLoader

    def creator(dicts: list[dict]):
        def task():
            if len(dicts) == 1 and "name" not in dicts[0]:
                return dict(dicts[0])
            return (dict(d) for d in dicts)
        return task

    return ModuleTaskLoader({f"task_{base}": creator(dicts) for base, dicts in tasks.items()})


#: doit's database in a run folder: SQLite (doit's ``sqlite3`` backend), written in one
#: transaction, so a kill or a full disk while doit saves leaves the old state or the new.
DB_NAME = ".doit.sqlite3"


def check_db(db_file: Path) -> Path | None:
    """Set a damaged doit database aside (``<name>.damaged-<n>``) with a warning, so doit
    starts a new one (every step is checked again; those whose outputs are current finish
    quickly); returns where it went, or None when it is sound or absent."""
    import sqlite3
    import warnings

    db_file = Path(db_file)
    if not db_file.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as connection:
            connection.execute("PRAGMA quick_check").fetchall()
            connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
        return None
    except sqlite3.DatabaseError as exc:
        why = str(exc)
    aside = next(db_file.with_name(f"{db_file.name}.damaged-{n}") for n in range(1, 10_000)
                 if not db_file.with_name(f"{db_file.name}.damaged-{n}").exists())
    db_file.rename(aside)
    warnings.warn(f"divides run: doit's database {db_file} is damaged ({why}); set aside as "
                  f"{aside.name}, a new one is made (every step is checked again)",
                  stacklevel=2)
    return aside


def execute(tasks: dict[str, list], targets: list[str], db_file: Path, jobs: int = 1,
            force: bool = False, log: Path | None = None, reported: tuple[str, ...] = ()) -> int:
    """``doit run`` of ``targets`` (and what they depend on); doit's exit code. A damaged
    database is set aside first (:func:`check_db`).

    Given ``log``, the run is quiet: doit's report, every step's printed output and
    Python's warnings and log records go into ``log``; the console gets one line per data
    step (:class:`QuietReporter`; the notebooks' lines are the runner's summary) and one
    line per warning (category and message, no source line). ``reported``: steps whose
    line an earlier call of this run printed (their "up to date" is not repeated).
    """
    import contextlib
    import warnings

    from doit.doit_cmd import DoitMain

    check_db(db_file)
    args = ["run", "--db-file", str(db_file), "--backend", "sqlite3", "--continue",
            "--check_file_uptodate", "md5", "-n", str(max(1, jobs)), "-P", "thread",
            *(["--always-execute"] if force else []), *targets]
    if log is None:
        # doit's default output stream is the sys.stdout of its import; give it today's. No
        # config files: a doit.cfg or [tool.doit] in the working directory must not change
        # runs.
        return DoitMain(loader(tasks), config_filenames=(),
                        extra_config={"GLOBAL": {"outfile": sys.stdout}}).run(args)
    console = sys.stdout
    with open(log, "a", encoding="utf-8") as stream, \
            contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream), \
            warnings.catch_warnings():
        warnings.showwarning = _one_line_warning(console, stream)
        reporter = QuietReporter(stream, console, reported)
        return DoitMain(loader(tasks), config_filenames=(),
                        extra_config={"GLOBAL": {"outfile": stream,
                                                 "reporter": reporter}}).run(args)


def _one_line_warning(console, stream):
    """``warnings.showwarning`` for a quiet run: one line on the console, the full text
    with its source line in the log."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        console.write(f"warning: {category.__name__}: {' '.join(str(message).split())}\n")
        stream.write(warnings.formatwarning(message, category, filename, lineno, line))

    return show


class QuietReporter:
    """doit's reporter for a quiet run: the full report into the log (doit's
    ``ConsoleReporter``), one line per data step on the console (done with its seconds, or
    up to date), a failed step's error in one line. The notebooks' steps and ``collect`` are
    left to the runner's summary; a step not run because another failed is in the log."""

    def __init__(self, stream, console, reported: tuple[str, ...] = ()):
        from doit.reporter import ConsoleReporter

        self.full = ConsoleReporter(stream, {"failure_verbosity": 2})
        self.console = console
        self.started: dict[str, float] = {}
        self.reported = set(reported)

    def __getattr__(self, name):
        return getattr(self.full, name)

    def _shown(self, task) -> bool:
        return not task.name.startswith(("notebook", "collect", "_")) and bool(task.actions)

    def execute_task(self, task):
        import time

        self.started[task.name] = time.perf_counter()
        self.full.execute_task(task)

    def add_success(self, task):
        import time

        if self._shown(task):
            seconds = time.perf_counter() - self.started.get(task.name, time.perf_counter())
            self.console.write(f"{task.name}: done in {seconds:.1f} s\n")
        self.full.add_success(task)

    def skip_uptodate(self, task):
        if self._shown(task) and task.name not in self.reported:
            self.console.write(f"{task.name}: up to date\n")
        self.full.skip_uptodate(task)

    def add_failure(self, task, fail):
        from doit.exceptions import UnmetDependency

        if self._shown(task) and not isinstance(fail, UnmetDependency):
            # the exception's own line (type and message), not the traceback above it
            last = fail.traceback[-1] if fail.traceback else fail.message
            self.console.write(f"{task.name}: failed: {' '.join(str(last).split())} "
                               "(details in the run's log)\n")
        self.full.add_failure(task, fail)


def full_name(base: str, d: dict) -> str:
    return f"{base}:{d['name']}" if "name" in d else base


def describe(tasks: dict[str, list], raw_root: Path | None = None) -> str:
    """The graph as text: each task, the tasks it follows (named, or through a file another
    task makes), and the other files it reads, counted by folder."""
    made_by = {t: full_name(base, d) for base, ds in tasks.items() for d in ds
               for t in d.get("targets", [])}
    lines = []
    for base, ds in tasks.items():
        for d in ds:
            name = full_name(base, d)
            after = list(d.get("task_dep", [])) + list(d.get("calc_dep", []))
            other: dict[str, int] = {}
            for f in d.get("file_dep", []):
                if f in made_by:
                    after.append(made_by[f])
                else:
                    group = _group(Path(f), raw_root)
                    other[group] = other.get(group, 0) + 1
            after = sorted(set(after) - {name}, key=after.index)
            lines.append(f"{name}: {d.get('doc', '')}")
            if after:
                lines.append(f"    after: {', '.join(after)}")
            if other:
                lines.append("    reads: " + ", ".join(f"{k} ({n})"
                                                       for k, n in sorted(other.items())))
            if d.get("calc_dep"):
                lines.append("    reads: the files its calc_dep task lists when it runs")
    return "\n".join(lines) + "\n"


def _group(path: Path, raw_root: Path | None) -> str:
    """How :func:`describe` counts a file: the package (by its first folder), a raw-data
    source folder, or the file relative to the project."""
    for base, label in ((config.PACKAGE_DIR, "package"), (raw_root, "raw")):
        if base is None:
            continue
        try:
            rel = path.relative_to(base)
        except ValueError:
            continue
        return f"{label} {rel.parts[0]}/" if len(rel.parts) > 1 else f"{label} files"
    try:
        return path.relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return path.as_posix()
