"""The run's pipeline (divides.run.graph): one doit graph from the raw files to the report.

What must fail loudly here: a step that is skipped although its input changed (a stale
panel or curve under fresh-looking notebooks), a step that runs although nothing changed,
and a graph that lies about what a notebook reads.
"""

from __future__ import annotations

import re
import shutil

import pytest

from divides import config, demo, fileio
from divides.build import panel
from divides.run import graph, notebooks

pytestmark = pytest.mark.unit


def _ran(out: str) -> list[str]:
    """The tasks doit executed (``.  name``; ``-- name`` is up to date)."""
    return sorted(m.group(1) for m in re.finditer(r"^\.  (\S+)$", out, re.MULTILINE))


@pytest.fixture
def private_demo(tmp_path, monkeypatch):
    """A copy of the demo raw files and of the read cache, in folders of this test only."""
    demo.ensure_demo()  # the demo set exists (the explicit step, `divides demo`)
    raw = tmp_path / "raw" / "demo"
    shutil.copytree(config.DEMO_RAW_DIR, raw)
    processed = tmp_path / "processed"
    if (config.processed_dir("demo") / "cache").is_dir():
        shutil.copytree(config.processed_dir("demo") / "cache", processed / "demo" / "cache")
    monkeypatch.setattr(config, "DEMO_RAW_DIR", raw)
    monkeypatch.setattr(config, "PROCESSED_DIR", processed)
    return raw


def test_a_changed_raw_file_reruns_its_read_and_the_build_and_nothing_else(
        private_demo, tmp_path, capsys):
    db = tmp_path / "doit.json"
    tasks = graph.data_tasks("demo")
    assert graph.execute(tasks, ["build"], db) == 0
    first = _ran(capsys.readouterr().out)
    assert "build" in first and "read:cpi" in first
    built = fileio.read_parquet(config.processed_dir("demo") / "panel.parquet")

    # nothing changed: nothing runs (a fresh task list, as a new `divides run` makes)
    assert graph.execute(graph.data_tasks("demo"), ["build"], db) == 0
    assert _ran(capsys.readouterr().out) == []

    # a file rewritten with the same bytes is not a change (checksums, not times)
    cpi = private_demo / "ti_cpi" / "datahub_core" / "cpi.csv"
    cpi.write_bytes(cpi.read_bytes())
    assert graph.execute(graph.data_tasks("demo"), ["build"], db) == 0
    assert _ran(capsys.readouterr().out) == []

    # one value of one CPI file changed: that source is read again, the panel rebuilt
    text = cpi.read_text()
    assert "Albania,0.0,5.2," in text
    cpi.write_text(text.replace("Albania,0.0,5.2,", "Albania,0.0,5.3,", 1))
    assert graph.execute(graph.data_tasks("demo"), ["build"], db) == 0
    out = capsys.readouterr().out
    assert _ran(out) == ["build", "read:cpi"]
    assert "read:cpi: 1 file(s) read" in out
    rebuilt = fileio.read_parquet(config.processed_dir("demo") / "panel.parquet")
    assert (panel_key := rebuilt.attrs["divides"]["build_key"]) != built.attrs["divides"][
        "build_key"]
    assert panel_key == panel.read_plan("demo").build_key


def test_the_graph_ties_every_step_to_what_it_reads():
    tasks = graph.tasks(graph.plan("demo"))
    targets = graph.targets(tasks)
    text = graph.describe(tasks)
    blocks = {b.split(":", 1)[0] if not b.startswith(("read:", "notebook:")) else
              b.split(": ", 1)[0]: b for b in re.split(r"\n(?=\S)", text.strip())}
    reads = [n for n in blocks if n.startswith("read:")]
    assert len(reads) >= 6
    assert f"after: {', '.join(reads)}" in blocks["build"]
    nb_tasks = [n for n in blocks if n.startswith("notebook:")]
    assert len(nb_tasks) == len(notebooks.find())
    for name in nb_tasks:
        assert "after: build" in blocks[name], name
    assert "after: build, specs" in blocks["notebook:05_robustness_specification_curve"]
    assert "after: build" in blocks["specs"] and "after: build" in blocks["codebook"]
    assert "after: collect" in blocks["report"]
    assert targets[-2:] == ["codebook", "report"]
    # a notebook's own source is among what it reads
    nb00 = next(d for d in tasks["notebook"] if d["name"].startswith("00_"))
    assert str(notebooks.find(["00"])[0]) in nb00["file_dep"]


def test_a_partial_run_has_no_report_and_no_codebook():
    tasks = graph.tasks(graph.plan("demo", ["03"]))
    targets = graph.targets(tasks)
    assert "report" not in tasks and "codebook" not in tasks and "specs" not in tasks
    assert targets == ["notebook:03_egovernment_and_corruption", "collect"]


def test_the_specs_step_has_the_draws_of_notebook_05():
    tasks = graph.tasks(graph.plan("demo", ["05"], {"draws": "19"}))
    (specs,) = tasks["specs"]
    assert all("draws-19" in t for t in specs["targets"])
    (nb05,) = tasks["notebook"]
    assert set(specs["targets"]) <= set(nb05["file_dep"])


def test_every_notebook_that_reads_the_curve_is_declared():
    """SPECS_READERS is what ties notebook 05 to the specs step: a notebook that loads the
    stored curve without being listed would run before the curve is made (or on an old one
    the graph does not know about)."""
    readers = {nb.stem for nb in notebooks.find()
               if "speccurve.load(" in nb.with_suffix(".py").read_text()}
    assert readers == set(graph.SPECS_READERS)
    for stem, param in graph.SPECS_READERS.items():
        (nb,) = [n for n in notebooks.find() if n.stem == stem]
        assert param in notebooks.user_parameters(nb)


def test_a_step_reported_earlier_in_the_run_is_not_repeated_as_up_to_date():
    """The runner runs the demo step on its own first; its second doit call found the step
    up to date and printed 'demo: up to date' under 'demo: done in ...'."""
    import io
    from types import SimpleNamespace

    console, log = io.StringIO(), io.StringIO()
    reporter = graph.QuietReporter(log, console, reported=("demo",))
    for name in ("demo", "build"):
        reporter.skip_uptodate(SimpleNamespace(name=name, actions=[object()], title=lambda name=name: name))
    assert console.getvalue() == "build: up to date\n"
    plain = io.StringIO()
    graph.QuietReporter(io.StringIO(), plain).skip_uptodate(
        SimpleNamespace(name="demo", actions=[object()], title=lambda: "demo"))
    assert plain.getvalue() == "demo: up to date\n"
