"""``divides sweep``: one notebook run per combination of parameter values, on dask.

A sweep is a grid: each parameter with a list of values, every combination (the cartesian
product) one *member*. A member is exactly ``divides run --data D --only N -p name=value
...`` with its values: the same run folder (``reports/<data>/runs/<slug>/``), the same
skip-unchanged rule (a member whose notebook, inputs and parameters are unchanged is not
executed again) and the same manifest (``run.json``).

How it runs:

1. the client asks every worker for its package versions and refuses to go on when one
   differs from ``requirements.lock`` (:func:`check_versions`);
2. the client makes the steps every member shares, once, before any member starts: the
   notebooks' jupytext sync, the demo data, the reads, the build and (for a notebook that
   reads it) the spec curve; members running at once then never write the shared build;
3. each member is one dask task (:func:`run_member`) calling :func:`divides.run.runner.run`
   without the shared steps, in a worker process: a LocalCluster (one thread per worker
   process) by default, a running scheduler given its address. A member that fails is
   reported with its error and the others finish;
4. the client gathers the members' headline estimates (:mod:`divides.models.headline`)
   into ``reports/<data>/sweeps/<sweep>/results.csv`` with the parameters as columns, a
   forest-style figure ``forest.png`` beside it, a manifest ``sweep.json`` and a page
   ``index.html``; each file is written only when its content changed, so an identical
   second sweep rewrites nothing.

The grid on the command line: ``-p name=a,b,c`` (values separated by commas); for a
parameter whose values are themselves lists (e.g. ``controls``), members are separated by
``;`` and a member's items by commas: ``-p controls="log_gdp_pc_ppp;log_gdp_pc_ppp,urban_pct"``
(two members; an empty member is the empty list). In a TOML file (``--grid``): a table
``[grid]`` with an array of values per parameter (arrays of arrays for list parameters),
and optionally ``data`` and ``only`` (see docs/sweeps.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import importlib.metadata
import io
import itertools
import json
import math
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from divides import __version__, config
from divides.errors import DividesError
from divides.run import collect, graph, notebooks

#: Folder of the sweeps, in ``reports/<data>/``.
SWEEPS_FOLDER = "sweeps"
RESULTS_NAME = "results.csv"
MANIFEST_NAME = "sweep.json"
FIGURE_NAME = "forest.png"
#: The packages whose versions every worker must share with the lock (those a notebook's
#: numbers or the run's machinery depend on); ``divides`` itself is compared with the
#: client's version. A package the lock does not pin is not checked.
CHECKED_PACKAGES = ("papermill", "nbclient", "nbformat", "nbconvert", "jupyter-client",
                    "ipykernel", "jupytext", "doit", "pandas", "numpy", "scipy", "statsmodels",
                    "linearmodels", "pyfixest", "matplotlib", "pyarrow", "dask", "distributed",
                    "cloudpickle")
#: The config paths a member takes from the client (the workers see the project's folders
#: at the same paths: one machine, or a shared file system on a cluster).
SHARED_PATHS = ("REPORTS_DIR", "NOTEBOOKS_DIR", "PROCESSED_DIR", "RAW_DIR", "DEMO_RAW_DIR",
                "FETCHED_RAW_DIR", "DATA_DIR")


# -- the grid ------------------------------------------------------------------------------


def _declared(selected: list[Path]) -> dict[str, dict[str, object]]:
    return {nb.stem: notebooks.user_parameters(nb) for nb in selected}


def _default_of(name: str, selected: list[Path]) -> object:
    """The default of parameter ``name`` (``NN:name`` scoped) in the selected notebooks."""
    scope, _, bare = name.rpartition(":")
    for stem, params in _declared(selected).items():
        if (not scope or stem.startswith(scope)) and bare in params:
            return params[bare]
    listing = "; ".join(f"{s}: {', '.join(p) or '(none)'}" for s, p in _declared(selected).items())
    raise DividesError(f"-p {name}: no such parameter in the selected notebooks ({listing})")


def split_values(name: str, text: str, default: object) -> list[str]:
    """The members' values of one ``-p name=...`` as text: separated by ``;`` for a list
    parameter (each member's items by commas), by commas (or ``;``) otherwise."""
    if isinstance(default, list):
        values = [v.strip() for v in text.split(";")]
    else:
        values = [v.strip() for v in re.split(r"[;,]", text)]
        if any(not v for v in values):
            raise DividesError(f"-p {name}={text}: an empty value (values are separated by "
                               "commas, e.g. -p treated=ARM,GEO)")
    return values


def parse_grid(items: list[str] | None, selected: list[Path]) -> dict[str, list[str]]:
    """``["name=a,b", ...]`` (the command line's ``-p``) as ``name -> member values`` (text,
    typed later per notebook as ``divides run -p`` does)."""
    grid: dict[str, list[str]] = {}
    for name, text in notebooks.parse_assignments(items).items():
        grid[name] = split_values(name, text, _default_of(name, selected))
    return grid


def _as_text(value: object, where: str) -> str:
    """A TOML value as the text ``-p`` takes (a list as a Python literal)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (int, float, str, bool)) for v in value):
        return repr(value)
    raise DividesError(f"{where}: expected a string, number, boolean or an array of them, "
                       f"found {value!r}")


def read_grid_file(path: str | Path) -> tuple[dict, dict[str, list[str]]]:
    """A sweep's TOML file: ``(settings, grid)``; settings are ``data`` and ``only`` when
    given, the grid ``name -> member values`` (text)."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DividesError(f"{path}: no such grid file") from None
    except tomllib.TOMLDecodeError as exc:
        raise DividesError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - {"data", "only", "grid", "description"})
    if unknown:
        raise DividesError(f"{path}: unknown keys {unknown}; expected data, only, description "
                           "and a [grid] table")
    table = doc.get("grid")
    if not isinstance(table, dict) or not table:
        raise DividesError(f"{path}: expected a [grid] table with an array of values per "
                           "parameter")
    grid = {}
    for name, values in table.items():
        if not isinstance(values, list) or not values:
            raise DividesError(f"{path}: grid.{name}: expected a non-empty array of values, "
                               f"found {values!r}")
        grid[name] = [_as_text(v, f"{path}: grid.{name}") for v in values]
    settings = {k: doc[k] for k in ("data", "only", "description") if k in doc}
    if isinstance(settings.get("only"), str):
        settings["only"] = [settings["only"]]
    return settings, grid


# -- the sweep's plan ------------------------------------------------------------------------


@dataclass
class Member:
    """One combination: its ``-p`` values (text), its non-default values, its run folder."""

    params: dict[str, str]
    changed: dict[str, object]
    root: Path

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params.items())


@dataclass
class Sweep:
    data: str
    only: list[str]
    grid: dict[str, list[str]]
    members: list[Member]
    root: Path
    selected: list[Path] = field(default_factory=list)


def sweep_slug(only: list[str], grid: dict[str, list[str]]) -> str:
    """The sweep's folder name: the notebooks, the grid in words, and a short hash of the
    grid (two grids whose words read alike never share a folder)."""
    canonical = json.dumps({"only": only, "grid": dict(sorted(grid.items()))})
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    readable = notebooks.slug({k: [v.replace(",", "+") for v in vs] for k, vs in grid.items()})
    readable = readable[:notebooks.SLUG_MAX_CHARS - 9].rstrip("._-+")
    prefix = "+".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", o) for o in only)
    return f"{prefix}__{readable}-{digest}"


def plan(data: str, only: list[str] | None, grid: dict[str, list[str]]) -> Sweep:
    """Every member of the grid, each checked as ``divides run -p`` checks its values
    (against the notebooks' declared kinds) before anything runs."""
    if not only:
        raise DividesError("divides sweep: name the notebook(s) with --only (e.g. --only 04)")
    if not grid:
        raise DividesError("divides sweep: give the grid with -p name=a,b,... or --grid FILE")
    selected = notebooks.find(only)
    for name, values in grid.items():
        _default_of(name, selected)
        if len(set(values)) != len(values):
            raise DividesError(f"-p {name}: a value is given twice ({', '.join(values)})")
    members, seen = [], {}
    names = list(grid)
    for combo in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, combo))
        _, changed = notebooks.resolve_parameters(selected, params, data)
        root = notebooks.run_dir(data, changed)
        if root in seen:
            raise DividesError(f"divides sweep: members {seen[root]} and "
                               f"{', '.join(f'{k}={v}' for k, v in params.items())} are the same "
                               f"run ({root.name}); give each value once")
        seen[root] = ", ".join(f"{k}={v}" for k, v in params.items())
        members.append(Member(params, changed, root))
    root = config.reports_dir(data) / SWEEPS_FOLDER / sweep_slug(only, grid)
    return Sweep(data, list(only), grid, members, root, selected)


# -- the shared steps, once, on the client -----------------------------------------------


def prepare(sweep: Sweep, force: bool = False) -> None:
    """What every member shares, made once before they start: the notebooks' jupytext
    sync, the demo data, reads, build and the spec curves the members read."""
    for nb in sweep.selected:
        if notebooks.sync_pair(nb):
            print(f"{nb.name}: brought in step with {nb.with_suffix('.py').name} (jupytext)")
    base = config.reports_dir(sweep.data) / SWEEPS_FOLDER
    base.mkdir(parents=True, exist_ok=True)
    db, log = base / graph.DB_NAME, base / notebooks.LOG_NAME
    if graph.demo_pending(sweep.data) and graph.execute(graph.data_tasks(sweep.data),
                                                         ["demo"], db, log=log):
        raise DividesError(f"demo: not written (details in {log})")
    draws = {graph.plan(sweep.data, sweep.only, m.params).draws(nb)
             for m in sweep.members for nb in sweep.selected}
    for d in sorted(draws, key=lambda d: -1 if d is None else d):
        tasks = graph.data_tasks(sweep.data, draws=d, force=force)
        code = graph.execute(tasks, ["build"] + (["specs"] if "specs" in tasks else []), db,
                             force=force, log=log)
        if code:
            raise DividesError(f"the shared steps (build{', spec curve' if d else ''}) failed "
                               f"(doit exit code {code}); details in {log}")


# -- the workers' versions ----------------------------------------------------------------


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(lock: Path) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line of a pip lock file."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if m:
            pins[canonical(m.group(1))] = m.group(2)
    return pins


def installed_versions(names: list[str]) -> dict[str, str | None]:
    """This process's versions of ``names`` (None: not installed) and of divides. Run on
    every worker by :func:`check_versions`."""
    import divides

    found: dict[str, str | None] = {"divides": divides.__version__}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def version_problems(reported: dict[str, dict[str, str | None]], pins: dict[str, str],
                     lock_name: str = "requirements.lock") -> list[str]:
    """Each worker's package whose version is not the lock's (divides: not the client's)."""
    problems = []
    for worker, versions in sorted(reported.items()):
        if versions.get("divides") != __version__:
            problems.append(f"worker {worker}: divides {versions.get('divides')}, the client "
                            f"runs divides {__version__}")
        for name, pinned in sorted(pins.items()):
            have = versions.get(name)
            if have is None or canonical(have) != canonical(pinned):
                problems.append(f"worker {worker}: {name} {have or 'not installed'}, "
                                f"{lock_name} pins {pinned}")
    return problems


def check_versions(client, lock: Path | None = None) -> dict[str, dict[str, str | None]]:
    """Ask every worker (``client.run``) for the versions of :data:`CHECKED_PACKAGES` the
    lock pins and refuse (DividesError) any difference, naming worker, package, the
    worker's version and the lock's; returns what each worker reported."""
    lock = lock or config.PROJECT_ROOT / "requirements.lock"
    all_pins = lock_pins(lock) if lock.exists() else {}
    pins = {n: all_pins[n] for n in map(canonical, CHECKED_PACKAGES) if n in all_pins}
    reported = client.run(installed_versions, list(pins))
    if not reported:
        raise DividesError("divides sweep: the scheduler has no workers (start some, or "
                           "leave out --scheduler for a local cluster)")
    problems = version_problems(reported, pins, lock.name)
    if problems:
        raise DividesError("divides sweep: refused, the workers' packages differ from the "
                           f"lock ({lock.name}); install the lock on every worker "
                           "(make setup) and start them again: " + "; ".join(problems))
    return reported


# -- one member, on a worker ----------------------------------------------------------------


def run_member(task: dict) -> dict:
    """One member in a worker: ``divides run --only ... -p ...`` without the shared steps
    (:func:`divides.run.runner.run` with ``upstream=False``). Never raises: the result says
    whether it executed, reused its outputs or failed, and why."""
    from divides.run import runner

    for name, value in task.get("paths", {}).items():
        setattr(config, name, Path(value))
    out = io.StringIO()
    start = time.perf_counter()
    root = Path(task["root"])
    result = {"root": str(root), "label": task["label"], "status": "failed", "error": None,
              "output": ""}
    try:
        with contextlib.redirect_stdout(out):
            code = runner.run(task["data"], task["only"], jobs=1, retries=task["retries"],
                              params=task["params"], force=task["force"], upstream=False)
        entries = collect.read_manifest(root)["notebooks"]
        stems = [nb.stem for nb in notebooks.find(task["only"])]
        errors = [f"{s}: {entries[s]['error']}" for s in stems
                  if entries.get(s, {}).get("status") == "failed"]
        if code or errors:
            result["error"] = "; ".join(errors) or f"divides run exited with {code}"
        elif all(entries[s]["status"] == "reused" for s in stems):
            result["status"] = "unchanged"
        else:
            result["status"] = "executed"
    except Exception as exc:  # noqa: BLE001 - the member's failure, reported by the client
        result["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    result["seconds"] = time.perf_counter() - start
    result["output"] = out.getvalue()
    return result


# -- the client ----------------------------------------------------------------------------


@contextlib.contextmanager
def open_client(scheduler: str | None = None, workers: int = 2):
    """A dask client: of the scheduler at ``scheduler``, else of a LocalCluster of
    ``workers`` single-threaded worker processes (a notebook's kernel is one process;
    more threads per worker would only wait on it)."""
    import logging

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise DividesError(f"divides sweep runs on dask.distributed, which is not installed "
                           f"({exc}); install the project's 'scale' extra (make setup does)"
                           ) from None

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


def run(data: str | None = "demo", only: list[str] | None = None,
        params: list[str] | None = None, grid_file: str | Path | None = None,
        scheduler: str | None = None, workers: int = 2, force: bool = False,
        retries: int = 2) -> int:
    """``divides sweep``: every member of the grid (``-p`` items and/or ``grid_file``) on
    dask; 0 when all succeed, 1 when any member failed (the others finish)."""
    settings, grid = read_grid_file(grid_file) if grid_file else ({}, {})
    data = data or settings.get("data") or "demo"
    only = only or settings.get("only")
    if not only:
        raise DividesError("divides sweep: name the notebook(s) with --only (e.g. --only 04)")
    for name, values in parse_grid(params, notebooks.find(only)).items():
        if name in grid:
            raise DividesError(f"-p {name}: also in the grid file {grid_file}; give it once")
        grid[name] = values
    sweep = plan(data, only, grid)
    print(f"sweep: {len(sweep.members)} member(s) of {', '.join(nb.stem for nb in sweep.selected)}"
          f" ({' x '.join(f'{k} ({len(v)} values)' for k, v in grid.items())})")
    paths = {name: str(getattr(config, name)) for name in SHARED_PATHS}
    tasks = [{"data": data, "only": only, "params": m.params, "force": force,
              "retries": retries, "root": str(m.root), "label": m.label, "paths": paths}
             for m in sweep.members]
    results: dict[str, dict] = {}
    with open_client(scheduler, workers) as client:
        check_versions(client)  # first: a refused sweep has done nothing
        prepare(sweep, force=force)
        from dask.distributed import as_completed

        futures = client.map(run_member, tasks, pure=False)
        by_future = dict(zip(futures, tasks))
        for future in as_completed(futures):
            task = by_future[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker died: this member failed
                result = {"root": task["root"], "label": task["label"], "status": "failed",
                          "error": f"{type(exc).__name__}: {exc}", "seconds": math.nan,
                          "output": ""}
            results[task["root"]] = result
            print(_member_line(result))
    ordered = [results[str(m.root)] for m in sweep.members]
    written = write_outputs(sweep, ordered)
    failed = [r for r in ordered if r["status"] == "failed"]
    done = {s: sum(r["status"] == s for r in ordered) for s in ("executed", "unchanged")}
    print(f"sweep: {done['executed']} executed, {done['unchanged']} unchanged (outputs "
          f"reused), {len(failed)} failed; table: {sweep.root / RESULTS_NAME}"
          + ("" if written else " (unchanged)"))
    return 1 if failed else 0


def _member_line(result: dict) -> str:
    folder = Path(result["root"]).name
    if result["status"] == "failed":
        return f"{result['label']}: FAILED: {result['error']} ({folder})"
    what = "unchanged, outputs reused" if result["status"] == "unchanged" else "executed"
    return f"{result['label']}: {what} in {result['seconds']:.1f} s ({folder})"


# -- the sweep's table, figure, manifest, page ---------------------------------------------


def _shown(text: str) -> str:
    """A member's value as the table shows it (a list literal as comma-separated items)."""
    if text.startswith("["):
        try:
            import ast

            return ",".join(map(str, ast.literal_eval(text)))
        except (ValueError, SyntaxError):
            return text
    return text


def results_table(sweep: Sweep, results: list[dict]):
    """One row per member and headline estimate: the member's parameters (one column each),
    its run folder and status (ok / failed, with the error), then the estimate, interval,
    p-value and n (:data:`divides.models.headline.COLUMNS`). A failed member is one row
    without estimates."""
    import pandas as pd

    from divides.models import headline

    rows = []
    stems = [nb.stem for nb in sweep.selected]
    for member, result in zip(sweep.members, results):
        where = {name: _shown(v) for name, v in member.params.items()}
        where["run_folder"] = member.root.relative_to(config.reports_dir(sweep.data)).as_posix()
        if result["status"] == "failed":
            rows.append(pd.DataFrame([{**where, "status": "failed", "error": result["error"]}]))
            continue
        # the headline files this run's manifest lists (never a stale file of another run)
        entries = collect.read_manifest(member.root)["notebooks"]
        found = [member.root / f for s in stems for f in entries.get(s, {}).get("files", [])
                 if f.startswith(f"{headline.FOLDER}/")]
        if not found:
            rows.append(pd.DataFrame([{**where, "status": "ok", "error": "no headline "
                                       "estimates declared by the notebook"}]))
            continue
        for f in found:
            table = headline.read(f)
            for k, v in reversed(where.items()):
                table.insert(0, k, v)
            table.insert(len(where), "status", "ok")
            table["error"] = ""
            rows.append(table)
    out = pd.concat(rows, ignore_index=True)
    columns = [*sweep.grid, "run_folder", "status", *headline.COLUMNS, "error"]
    return out.reindex(columns=columns)


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless ``path`` already holds exactly it; whether it wrote."""
    from divides import fileio

    if path.exists() and path.read_bytes() == data:
        return False
    fileio.write_bytes(path, data)
    return True


def forest_png(table, grid_names: list[str]) -> bytes | None:
    """The forest-style figure: one panel per headline estimate, one row per member (its
    parameters in words), the estimate with its interval and a line at zero."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ok = table[(table["status"] == "ok") & table["estimate"].notna()]
    if ok.empty:
        return None
    panels = list(dict.fromkeys(zip(ok["notebook"], ok["name"])))
    heights = [max(1.2, 0.45 * len(ok[(ok["notebook"] == nb) & (ok["name"] == nm)]) + 0.9)
               for nb, nm in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    for ax, (nb, name) in zip(axes[:, 0], panels):
        part = ok[(ok["notebook"] == nb) & (ok["name"] == name)].reset_index(drop=True)
        y = np.arange(len(part))[::-1]
        est = part["estimate"].to_numpy(float)
        low, high = part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float)
        finite = np.concatenate([est, low[np.isfinite(low)], high[np.isfinite(high)], [0.0]])
        pad = 0.08 * (finite.max() - finite.min() or 1.0)
        lo_edge, hi_edge = finite.min() - pad, finite.max() + pad
        for yi, e, lo, hi in zip(y, est, low, high):
            if not (np.isnan(lo) or np.isnan(hi)):
                ax.plot([max(lo, lo_edge), min(hi, hi_edge)], [yi, yi], color="0.35", lw=1.5)
                for end, edge, mark in ((lo, lo_edge, "<"), (hi, hi_edge, ">")):
                    if np.isinf(end):
                        ax.plot([edge], [yi], marker=mark, color="0.35")
            ax.plot([e], [yi], "o", color="C0")
        ax.axvline(0, color="0.6", lw=0.8, ls="--")
        ax.set_xlim(lo_edge, hi_edge)
        ax.set_yticks(y)
        ax.set_yticklabels([", ".join(f"{n} = {part.loc[i, n]}" for n in grid_names)
                            for i in range(len(part))])
        level = part["ci_level"].dropna()
        interval = (f"{level.iloc[0]:.0%} interval" if len(level) and level.nunique() == 1
                    else "interval (level in the table)")
        # words shared by every row of the panel, else the estimate's name (rows differ)
        title = part["label"].iloc[0] if part["label"].nunique() == 1 else name
        units = (part["units"].iloc[0] if part["units"].nunique() == 1
                 else "units differ by row: see the table")
        ax.set_title(f"notebook {nb}: {title}", fontsize=9, loc="left", wrap=True)
        ax.set_xlabel(f"dot: estimate ({units}); line: {interval}", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def write_outputs(sweep: Sweep, results: list[dict]) -> list[Path]:
    """results.csv, forest.png, sweep.json and index.html in the sweep's folder, each only
    when its content changed; the files written."""
    sweep.root.mkdir(parents=True, exist_ok=True)
    table = results_table(sweep, results)
    written = []
    csv = table.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode("utf-8")
    if _write_if_changed(sweep.root / RESULTS_NAME, csv):
        written.append(sweep.root / RESULTS_NAME)
    png = forest_png(table, list(sweep.grid))
    if png is not None and _write_if_changed(sweep.root / FIGURE_NAME, png):
        written.append(sweep.root / FIGURE_NAME)
    manifest = {
        "divides": __version__, "data": sweep.data, "only": sweep.only,
        "notebooks": [nb.stem for nb in sweep.selected], "grid": sweep.grid,
        "command": command_line(sweep),
        "members": [{"parameters": m.params, "run_folder": m.root.name,
                     "status": "failed" if r["status"] == "failed" else "ok",
                     **({"error": r["error"]} if r["status"] == "failed" else {})}
                    for m, r in zip(sweep.members, results)],
        "results": RESULTS_NAME, "figure": FIGURE_NAME if png is not None else None,
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    if _write_if_changed(sweep.root / MANIFEST_NAME, text.encode("utf-8")):
        written.append(sweep.root / MANIFEST_NAME)
    page = index_html(manifest, table)
    if _write_if_changed(sweep.root / "index.html", page.encode("utf-8")):
        written.append(sweep.root / "index.html")
    return written


def command_line(sweep: Sweep) -> str:
    """The ``divides sweep`` command of this grid."""
    def quoted(name: str, values: list[str]) -> str:
        sep = ";" if any(v.startswith("[") for v in values) else ","
        text = sep.join(_shown(v) for v in values)
        return f'-p "{name}={text}"' if re.search(r"[;\s]", text) else f"-p {name}={text}"

    return (f"divides sweep --data {sweep.data} --only {' '.join(sweep.only)} "
            + " ".join(quoted(k, v) for k, v in sweep.grid.items()))


def index_html(manifest: dict, table) -> str:
    """The sweep's own page: the command, the figure, the table."""
    title = f"divides sweep: {', '.join(manifest['notebooks'])} ({manifest['data']} data)"
    shown = table.drop(columns=["notebook", "error"] if not table["error"].astype(str).str.len()
                       .any() else ["notebook"])
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>",
             ("<style>body{font-family:DejaVu Sans,Arial,sans-serif;margin:2em}"
              "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;"
              "padding:.2em .4em}img{max-width:100%}</style>"), "</head>", "<body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p><code>{html.escape(manifest['command'])}</code></p>",
             (f'<p>{len(manifest["members"])} members; table: <a href="{RESULTS_NAME}">'
              f'{RESULTS_NAME}</a>, manifest: <a href="{MANIFEST_NAME}">{MANIFEST_NAME}</a>.</p>')]
    if manifest.get("figure"):
        parts.append(f'<p><img src="{FIGURE_NAME}" alt="forest plot of the headline '
                     'estimates by member"></p>')
    parts += [shown.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}"),
              "</body>", "</html>", ""]
    return "\n".join(parts)


def find_sweeps(data: str) -> list[Path]:
    """The sweep folders of ``data`` (with a manifest), by name."""
    base = config.reports_dir(data) / SWEEPS_FOLDER
    return sorted(p.parent for p in base.glob(f"*/{MANIFEST_NAME}"))
