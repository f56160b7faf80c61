"""``divides run``: the run's graph (:mod:`divides.run.graph`) executed by doit, then the
summary.

What runs, in which order and only when its inputs changed, is the graph: read, build,
spec curve, codebook, notebooks (:mod:`divides.run.notebooks`, in a small thread pool of one
Python process), collect (:mod:`divides.run.collect`: run.json, index.html) and report.
"""

from __future__ import annotations

import os

from divides import config
from divides.run import collect, graph, notebooks


def default_jobs() -> int:
    """The CPUs this process may use: each notebook's kernel is single-threaded CPU work."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run(data: str = "demo", only: list[str] | None = None, jobs: int | None = None,
        retries: int = 2, params: dict[str, str] | None = None, force: bool = False,
        upstream: bool = True) -> int:
    """Run the graph for the notebooks: 0 when all succeed.

    ``params``: ``name -> text`` from ``-p name=value``, parsed by the type of each notebook's
    default. A step whose inputs, code and parameters are unchanged since it last ran into
    this folder is not run again (a notebook's outputs are reused); ``force`` runs every
    step. ``jobs``: tasks at once, by default :func:`default_jobs`. A complete run (no
    ``only``) also writes the codebook and the report (HTML and PDF).

    ``upstream=False``: the data steps (demo, reads, build, spec curve) and the notebooks'
    jupytext sync are left out, as already done: a member of ``divides sweep``
    (:mod:`divides.run.sweep`), whose client made them once so that members running at
    once never write the shared build. The notebooks still read the build's files as
    their inputs, so the skip-unchanged rule is the same.
    """
    if not notebooks.find(only):
        print(f"no notebooks in {config.NOTEBOOKS_DIR}")
        return 0
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    this = graph.plan(data, only, params, retries=retries, force=force)
    for nb in this.selected if upstream else []:  # the .py is what people edit: it runs
        if notebooks.sync_pair(nb):
            print(f"{nb.name}: brought in step with {nb.with_suffix('.py').name} (jupytext)")
    tasks = graph.tasks(this)
    if not upstream:
        tasks = graph.without_data_tasks(tasks)
    root = this.root
    root.mkdir(parents=True, exist_ok=True)
    # kernels', doit's and the steps' messages: the console gets one line per step
    log = root / notebooks.LOG_NAME
    with open(log, "a", encoding="utf-8") as stream:
        stream.write(f"--- divides run --data {data} {' '.join(only or [])} "
                     f"{params or ''}\n")
    demo_ran = upstream and graph.demo_pending(data)
    if demo_ran:
        # the head step first: the reads and the build are listed from the files it writes
        root.mkdir(parents=True, exist_ok=True)
        code = graph.execute(tasks, ["demo"], root / graph.DB_NAME, jobs=1, log=log)
        if code:
            print(f"demo: not written (doit stopped with exit code {code})")
            return 1
        tasks = graph.tasks(this)
    for d in (root / "notebooks", root / "html"):
        d.mkdir(parents=True, exist_ok=True)
    jobs = jobs if jobs is not None else default_jobs()
    code = graph.execute(tasks, graph.targets(tasks), root / graph.DB_NAME, jobs=jobs,
                         force=force, log=log, reported=("demo",) if demo_ran else ())
    # Without a result a notebook was up to date, unless doit itself failed (then it is an
    # error: outputs of an earlier run are never passed off as this run's).
    runs = this.outcomes(None if code == 0 else f"not run: doit stopped with exit code {code}")
    if not this.collected:  # a notebook failed (so collect did not run): record what happened
        written = collect.collect_outputs(root, [r.name for r in runs if not r.error])
        collect.write_manifest(root, data, this.changed, runs, this.parameters, written,
                             complete=this.complete)
    index = collect.write_index(root)
    failed = [r for r in runs if r.error]
    for r in sorted(runs, key=lambda r: r.name):
        if r.error:
            status = f"FAILED: {r.error}"
        else:
            status = "unchanged, outputs reused" if r.attempts == 0 else "ok"
        print(f"{r.name}: {r.seconds:.1f} s, {r.attempts} attempt(s), {status}")
    print(f"report: {index}" + (f" (details of the failure: {log})" if failed or code else ""))
    return 1 if failed or code else 0
