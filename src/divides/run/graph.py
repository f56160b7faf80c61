"""The whole work of ``divides run`` as one doit graph, defined in one place.

::

    [demo] ── raw files ── read:<source> ── build ──┬── specs ────────┐
    (demo data: the synthetic set is written first)  ├── codebook      │
     files into the read cache)   gaps,   └─────────────── notebook:<stem> ── collect ── report
                                  ledger)                   (executed copy,   (run.json,  (HTML,
                                                             figures, tables)  index)      PDF)

Each task names the files it reads (``file_dep``, compared by checksum) and the files it
makes (``targets``); doit runs a task only when one of its files changed, a target is
missing, or its parameters changed, and a file made by one task ties the tasks together.
``divides run --graph`` prints this graph as it stands for a run (:func:`describe`).

The build and the spec curve keep their own keys (the build key, the stage key) and
check them whenever they are called: a notebook opened by hand in JupyterLab, outside
the graph, never gets a stale panel or curve, and a step the graph runs again when
nothing changed does no work twice.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from divides import config

#: Notebooks that read the spec-curve stage, and the parameter that sets its draws
#: (a test checks this against the notebooks' code).
SPECS_READERS = {"05_robustness_specification_curve": "draws"}


@dataclass
class NotebookStep:
    """One notebook of a run: what it reads besides the data steps, what it makes."""

    stem: str
    source: Path
    parameters: dict[str, object]
    targets: list[Path]
    action: Callable[[], bool]
    key: str = ""  # what else decides its outputs (parameters, versions), as text
    extra_deps: list[Path] = field(default_factory=list)
    specs_draws: int | None = None  # the spec-curve stage it reads (its draws), if any


def package_files() -> list[Path]:
    """The package's code and data files (a notebook's outputs may depend on any of them)."""
    return sorted(p for p in config.PACKAGE_DIR.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def lock_files() -> list[Path]:
    return [p for p in [config.PROJECT_ROOT / "requirements.lock"] if p.exists()]


def build_outputs(data: str) -> list[Path]:
    """The build's outputs under their stable names in ``data/processed/<data>/``."""
    from divides.build.panel import OUTPUT_FILES

    out = config.processed_dir(data)
    return [out / name for name in OUTPUT_FILES]


def _str(paths) -> list[str]:
    return [str(p) for p in paths]


def demo_pending(data: str) -> bool:
    """Whether the run's head step, ``demo``, has work to do: demo data whose folder is
    missing or was made by another generator (the build refuses such a folder)."""
    from divides import provenance

    return data == "demo" and provenance.demo_state(config.raw_dir(data)) in ("missing",
                                                                               "stale")


def demo_tasks(data: str) -> dict[str, list]:
    """The head of the graph for demo data: ``demo`` writes the synthetic set into
    ``data/raw/demo`` when it is missing or stale (else it is up to date); none for real."""
    if data != "demo":
        return {}

    def demo_action() -> bool:
        from divides import demo

        demo.ensure_demo(config.raw_dir(data))
        return True

    from divides import provenance

    return {"demo": [{"actions": [demo_action],
                      "targets": [str(config.raw_dir(data) / provenance.DEMO_MARKER_FILE)],
                      "uptodate": [lambda: not demo_pending(data)],
                      "doc": "the synthetic demo set -> data/raw/demo (when missing or stale)",
                      "verbosity": 2}]}


def data_tasks(data: str, draws: int | None = None, codebook: bool = False,
               force: bool = False) -> dict[str, list]:
    """The tasks before the notebooks: ``demo`` (demo data), ``read:<source>``, ``build``,
    and ``specs`` (when ``draws`` is given) and ``codebook`` (when asked for). ``force``:
    the build and the spec curve are made anew, not taken from their own stores.

    The reads are listed from the raw files, so a pending ``demo`` step must have run
    first (:func:`demo_pending`; ``divides run`` does so); until then only it is listed."""
    from divides.build import keys as buildkey
    from divides.build import panel

    head = demo_tasks(data)
    if demo_pending(data):
        return head
    plan = panel.read_plan(data)
    build_code = buildkey.build_code_files()
    versions = json.dumps({"versions": plan.versions, "data": data}, sort_keys=True)

    def read_action(source: str):
        def action() -> bool:
            n = panel.read_source(plan, source)
            print(f"read:{source}: {n} file(s) read, {len(plan.files[source]) - n} already "
                  "in the read cache")
            return True
        return action

    from doit.tools import config_changed

    reads = [{"name": source, "actions": [read_action(source)], "task_dep": list(head),
              "file_dep": _str([*plan.source_inputs(source), *build_code]),
              "targets": _str(plan.read_entries(source)),
              "uptodate": [config_changed(versions)], "doc": f"{source}'s files -> read cache",
              "verbosity": 2}
             for source, files in plan.files.items() if files]

    def build_action() -> bool:
        result = panel.build(data, progress=False, force=force)
        print(result.summary())
        return True

    raw = plan.raw.paths()
    tasks: dict[str, list] = {
        **head,
        "read": reads,
        "build": [{"actions": [build_action], "task_dep": [f"read:{r['name']}" for r in reads],
                   "file_dep": _str([*raw, *build_code]),
                   "targets": _str(build_outputs(data)),
                   "uptodate": [config_changed(versions)],
                   "doc": "observations -> panel, gaps, ledger (data/processed)",
                   "verbosity": 2}],
    }
    if draws is not None:
        from divides.models.speccurve import GRID_TOML, stage

        def specs_action() -> bool:
            print(f"specs: {stage.ensure(data, draws=draws, force=force)}")
            return True

        tasks["specs"] = [{
            "actions": [specs_action],
            "file_dep": _str([*build_outputs(data), *stage.code_files(), GRID_TOML,
                              *lock_files()]),
            "targets": _str(stage.targets(data, draws)),
            "uptodate": [config_changed(json.dumps({"draws": draws}))],
            "doc": f"panel, gaps -> spec curve, {draws} draws (data/processed/.../specs)",
            "verbosity": 2}]
    if codebook:
        from divides.report import codebook as codebook_mod

        def codebook_action() -> bool:
            for path in codebook_mod.write_codebook(data=data, build=False):
                print(f"codebook: wrote {path}")
            return True

        tasks["codebook"] = [{
            "actions": [codebook_action],
            "file_dep": _str([*build_outputs(data), *package_files()]),
            "targets": _str(codebook_mod.output_paths(config.reports_dir(data))),
            "doc": "panel, gaps -> codebook and citations (reports/<data>)",
            "verbosity": 2}]
    return tasks


def notebook_tasks(data: str, steps: list[NotebookStep]) -> dict[str, list]:
    """One task per notebook: its source, the data steps' outputs, the package and the
    lock in, its executed copy and output folder out."""
    from doit.tools import config_changed

    shared = [*package_files(), *lock_files(), *build_outputs(data)]
    return {"notebook": [{
        "name": s.stem, "actions": [s.action],
        "file_dep": _str([s.source, *shared, *s.extra_deps]),
        "targets": _str(s.targets), "uptodate": [config_changed(s.key)],
        "doc": f"{s.source.name} with {s.parameters or 'its defaults'}",
        # 2: doit leaves sys.stdout alone. With less it swaps sys.stdout for a capture
        # around each action, and threads restoring each other's capture lost lines.
        "verbosity": 2} for s in steps]}


def run_tasks(steps: list[NotebookStep], collect: Callable[[], dict],
              report: Callable[[], bool] | None, report_targets: list[Path],
              data: str) -> dict[str, list]:
    """``collect`` (after every notebook: run.json and index, and the files the report is
    made of) and ``report`` (rebuilt only when those files or the report code changed)."""
    from doit.tools import config_changed

    tasks: dict[str, list] = {"collect": [{
        "actions": [collect], "task_dep": [f"notebook:{s.stem}" for s in steps],
        "uptodate": [False], "doc": "the run's notebooks -> run.json, index.html",
        "verbosity": 2}]}
    if report is not None:
        code = sorted((config.PACKAGE_DIR / "report").rglob("*.py"))
        tasks["report"] = [{
            "actions": [report], "calc_dep": ["collect"], "file_dep": _str(code),
            "targets": _str(report_targets), "uptodate": [config_changed(data)],
            "doc": "the run's notebooks, figures, tables -> report (HTML, PDF)",
            "verbosity": 2}]
    return tasks


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


def execute(tasks: dict[str, list], targets: list[str], db_file: Path, jobs: int = 1,
            force: bool = False) -> int:
    """``doit run`` of ``targets`` (and what they depend on); doit's exit code."""
    from doit.doit_cmd import DoitMain

    args = ["run", "--db-file", str(db_file), "--backend", "json", "--continue",
            "--check_file_uptodate", "md5", "-n", str(max(1, jobs)), "-P", "thread",
            *(["--always-execute"] if force else []), *targets]
    # doit's default output stream is the sys.stdout of its import; give it today's. No
    # config files: a doit.cfg or [tool.doit] in the working directory must not change runs.
    return DoitMain(loader(tasks), config_filenames=(),
                    extra_config={"GLOBAL": {"outfile": sys.stdout}}).run(args)


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
