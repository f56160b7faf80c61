import ast

import papermill
import pytest

from divides import config
from divides.errors import DividesError
from divides.run import cli, collect, graph, notebooks, runner

pytestmark = pytest.mark.unit


def test_papermill_gets_no_cwd(monkeypatch, tmp_path):
    # papermill's cwd= does os.chdir for the whole process: from two threads at once it
    # can leave the process in notebooks/ (seen in CI: relative paths then broke).
    seen = {}

    def fake(input_path, output_path, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    nb = notebooks.find()[0]
    run = notebooks.execute(nb, tmp_path, "demo", "python3", retries=0)
    assert run.error is None
    assert "cwd" not in seen
    assert seen["parameters"] == {"data": "demo"}


def test_only_filters_and_unknown_names_raise():
    assert [p.stem[:2] for p in notebooks.find(["03"])] == ["03"]
    with pytest.raises(ValueError, match="no notebook matches"):
        notebooks.find(["99_nothing"])
    assert all(p.parent == config.NOTEBOOKS_DIR for p in notebooks.find())


def test_longest_notebook_from_the_last_run_starts_first(tmp_path):
    import json

    names = ["00_a.ipynb", "01_b.ipynb", "02_c.ipynb", "03_never_run.ipynb"]
    for name, seconds in zip(names, (2.0, 9.5, None)):
        meta = {"papermill": {"duration": seconds}} if seconds is not None else {}
        (tmp_path / name).write_text(json.dumps({"metadata": meta, "cells": []}))
    (tmp_path / "01_b.ipynb").write_text(json.dumps({"metadata": {"papermill": {"duration": 9.5}}}))
    selected = [tmp_path / "src" / n for n in names]
    order = [p.name for p in notebooks.longest_first(selected, tmp_path)]
    assert order == ["01_b.ipynb", "00_a.ipynb", "02_c.ipynb", "03_never_run.ipynb"]
    assert notebooks.previous_seconds(selected[3], tmp_path) == 0.0


def test_default_jobs_is_the_usable_cpus(monkeypatch):
    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert runner.default_jobs() == 3


# --- parameterised runs -------------------------------------------------------------------


def test_values_take_the_type_of_the_default():
    assert notebooks.parse_value("2015", 2013) == 2015
    assert notebooks.parse_value("0.5", 1.0) == 0.5
    assert notebooks.parse_value("cpi_score", "wgi_cc_estimate") == "cpi_score"
    assert notebooks.parse_value("false", True) is False
    assert notebooks.parse_value("a, b", ["x"]) == ["a", "b"]
    assert notebooks.parse_value('["a", "b"]', ["x"]) == ["a", "b"]
    assert notebooks.parse_value("1,2", [0]) == [1, 2]
    assert notebooks.parse_value("", ["x"]) == []
    with pytest.raises(DividesError, match=r"treatment_year: expected int .*2013.*'x'"):
        notebooks.parse_value("x", 2013, "treatment_year")
    with pytest.raises(DividesError, match="expected bool"):
        notebooks.parse_value("maybe", False)
    with pytest.raises(DividesError, match="expected int"):
        notebooks.parse_value("1,x", [0])


def test_assignments_need_name_equals_value_once():
    assert notebooks.parse_assignments(["outcome=cpi_score", "year=2015"]) == {
        "outcome": "cpi_score", "year": "2015"}
    assert notebooks.parse_assignments(["controls=a=b"]) == {"controls": "a=b"}
    for bad in (["outcome"], ["=x"], ["not a name=1"]):
        with pytest.raises(DividesError, match="expected NAME=VALUE"):
            notebooks.parse_assignments(bad)
    with pytest.raises(DividesError, match="given twice"):
        notebooks.parse_assignments(["year=1", "year=2"])


def test_notebook_parameters_come_from_the_parameters_cell():
    nb03 = notebooks.find(["03"])[0]
    params = notebooks.parameters(nb03)
    assert params["data"] == "demo" and "report_dir" in params
    assert notebooks.user_parameters(nb03) == {k: v for k, v in params.items()
                                            if k not in ("data", "report_dir")}
    assert isinstance(params["controls"], list)


def test_unknown_parameter_lists_the_notebooks_parameters():
    nb03 = notebooks.find(["03"])
    with pytest.raises(DividesError, match=r"-p outcom: no such parameter.*03_egovernment_and_"
                                           r"corruption: outcome, regressor, controls"):
        notebooks.resolve_parameters(nb03, {"outcom": "x"})
    with pytest.raises(DividesError, match="use --data"):
        notebooks.resolve_parameters(nb03, {"data": "real"})
    with pytest.raises(DividesError, match="set by the run itself"):
        notebooks.resolve_parameters(nb03, {"report_dir": "/elsewhere"})


def test_parameters_go_only_to_notebooks_that_declare_them():
    selected = notebooks.find(["00", "03"])
    per_nb, changed = notebooks.resolve_parameters(selected, {"outcome": "cpi_score"})
    assert per_nb == {selected[0].stem: {}, selected[1].stem: {"outcome": "cpi_score"}}
    assert changed == {"outcome": "cpi_score"}
    # the default value given explicitly is still the default run
    default = notebooks.parameters(selected[1])["outcome"]
    assert notebooks.resolve_parameters(selected, {"outcome": default})[1] == {}


def test_non_default_runs_get_their_own_readable_folder():
    assert notebooks.run_dir("demo", {}) == config.reports_dir("demo")
    one = notebooks.run_dir("demo", {"outcome": "cpi_score"})
    assert one == config.reports_dir("demo") / "runs" / "outcome-cpi_score"
    two = notebooks.slug({"outcomes": ["cpi_score", "wgi"], "treatment_year": 2015})
    assert two == "outcomes-cpi_score+wgi__treatment_year-2015"
    assert notebooks.slug({"x": "a/b c"}) == "x-a_b_c"  # never a path separator
    assert notebooks.slug({"b": 1, "a": 2}) == notebooks.slug({"a": 2, "b": 1})
    long_a = notebooks.slug({"controls": [f"column_{i}" for i in range(30)]})
    long_b = notebooks.slug({"controls": [f"column_{i}" for i in range(31)]})
    assert len(long_a) <= notebooks.SLUG_MAX_CHARS and long_a != long_b


def _fake_run(root, stem, files):
    work = notebooks.work_dir(root, stem)
    for rel in files:
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(f"{stem}:{rel}")
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    (root / "html").mkdir(parents=True, exist_ok=True)
    (root / "html" / f"{stem}.html").write_text("<html></html>")
    notebooks.done_stamp(root, stem).write_text("{}")  # finished (written last)
    return notebooks.NotebookRun(stem, root / "notebooks" / f"{stem}.ipynb", 1.0, 1)


def test_two_notebooks_writing_one_file_is_an_error(tmp_path):
    _fake_run(tmp_path, "01_a", ["figures/x.png"])
    _fake_run(tmp_path, "02_b", ["figures/x.png"])
    with pytest.raises(DividesError, match="figures/x.png: written by both 01_a and 02_b"):
        collect.collect_outputs(tmp_path, ["01_a", "02_b"])


def test_manifest_and_index_list_exactly_this_runs_files(tmp_path):
    # files of an earlier run in the same folder
    for rel in ("figures/old.png", "tables/old.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("earlier run")
    runs = [_fake_run(tmp_path, "03_c", ["figures/new.png", "figures/new.svg",
                                          "tables/new.csv"])]
    written = collect.collect_outputs(tmp_path, ["03_c"])
    assert (tmp_path / "figures" / "new.png").read_text() == "03_c:figures/new.png"
    collect.write_manifest(tmp_path, "demo", {"outcome": "cpi_score"}, runs,
                          {"03_c": {"outcome": "cpi_score"}}, written)
    manifest = collect.read_manifest(tmp_path)
    assert manifest["figures"] == ["figures/new.png", "figures/new.svg"]
    assert manifest["tables"] == ["tables/new.csv"]
    assert manifest["notebooks"]["03_c"]["parameters"] == {"data": "demo",
                                                          "outcome": "cpi_score"}
    page = collect.write_index(tmp_path).read_text()
    assert "new.png" in page and "tables/new.csv" in page and 'href="figures/new.svg"' in page
    assert "old" not in page
    assert "outcome = cpi_score" in page


def test_readme_lists_every_notebooks_parameters():
    text = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- parameters:start -->\n")[1].split("<!-- parameters:end -->")[0]
    assert block == notebooks.list_parameters(), "README parameters list is stale: paste " \
        "`divides run --list` between the parameters markers"


def test_cli_run_list_and_bad_parameter(capsys):
    assert cli.main(["run", "--list"]) == 0
    assert "`donor_group` = `'post_soviet'` (donor_group)" in capsys.readouterr().out
    assert cli.main(["run", "--only", "04", "-p", "treatment_year=soon"]) == 2
    err = capsys.readouterr().err
    assert "treatment_year: expected int" in err


# --- unchanged notebooks are not executed again (doit) ------------------------------------

def test_parameters_agree_with_papermill_inspect_notebook():
    for nb in notebooks.find():
        expected = {name: ast.literal_eval(info["default"])
                    for name, info in papermill.inspect_notebook(str(nb)).items()}
        assert notebooks.parameters(nb) == expected, nb.name


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Two copies of real notebooks, a fake kernel that counts executions, one input file."""
    import shutil

    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    for nb in notebooks.find(["00", "03"]):
        shutil.copy(nb, nb_dir / nb.name)
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", nb_dir)
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    dep = tmp_path / "panel.parquet"
    dep.write_text("v1")
    # the notebooks' steps alone: the data steps (read, build, specs, codebook) are tested
    # in test_pipeline.py; here one file stands for the build's outputs
    monkeypatch.setattr(graph, "data_tasks",
                        lambda data, draws=None, codebook=False, force=False: {})
    monkeypatch.setattr(graph, "build_outputs", lambda data: [dep])
    monkeypatch.setattr(graph, "package_files", list)
    reports: list[str] = []

    def fake_report(root, data):
        reports.append(str(root))
        for name in ("index.html", "report.pdf"):
            (root / "report").mkdir(exist_ok=True)
            (root / "report" / name).write_text("report")
        return True

    monkeypatch.setattr(graph, "build_report", fake_report)
    monkeypatch.setattr(notebooks, "kernel_name", lambda: "python3")
    executed: list[tuple[str, dict]] = []
    fail: set[str] = set()

    delay: dict[str, float] = {}

    def fake(nb, root, data, kernel, retries, params):
        import time

        time.sleep(delay.get(nb.stem[:2], 0.0))
        executed.append((nb.stem, params))
        work = notebooks.work_dir(root, nb.stem)
        shutil.rmtree(work, ignore_errors=True)
        (work / "tables").mkdir(parents=True)
        (work / "tables" / f"{nb.stem[:2]}_{len(executed)}.csv").write_text("x\n")
        shutil.copy(nb, root / "notebooks" / nb.name)
        (root / "html" / f"{nb.stem}.html").write_text("<html></html>")
        error = "cell 1: boom" if nb.stem in fail else None
        stamp = notebooks.done_stamp(root, nb.stem)
        stamp.unlink(missing_ok=True)
        if error is None:
            stamp.write_text("{}")  # as execute_and_render: finished, written last
        return notebooks.NotebookRun(nb.stem, root / "notebooks" / nb.name, 0.1, 1, error)

    monkeypatch.setattr(notebooks, "execute_and_render", fake)
    return {"nb_dir": nb_dir, "dep": dep, "executed": executed, "fail": fail, "delay": delay,
            "reports": reports}


def _stems(executed):
    return sorted(stem[:2] for stem, _ in executed)


def test_unchanged_notebooks_are_reused_and_changes_rerun_them(sandbox, capsys):
    executed, dep, reports = sandbox["executed"], sandbox["dep"], sandbox["reports"]
    assert runner.run("demo", jobs=1) == 0
    assert _stems(executed) == ["00", "03"]
    root = config.reports_dir("demo")
    first = collect.read_manifest(root)
    assert reports == [str(root)]  # a complete run ends with its report

    executed.clear()
    assert runner.run("demo", jobs=1) == 0
    assert executed == []  # nothing changed: nothing executed
    assert len(reports) == 1  # and the report is not made again
    again = collect.read_manifest(root)
    assert again["tables"] == first["tables"]  # the reused outputs are still this run's
    assert {e["status"] for e in again["notebooks"].values()} == {"reused"}
    assert "unchanged, outputs reused" in capsys.readouterr().out

    # one notebook edited: only it runs
    nb03 = next(sandbox["nb_dir"].glob("03_*.ipynb"))
    nb03.write_text(nb03.read_text().replace("E-government", "E-Government", 1))
    assert runner.run("demo", jobs=1) == 0
    assert _stems(executed) == ["03"]
    assert len(reports) == 2  # its tables changed: the report is made again

    # the input data (or package code) changed: both run
    executed.clear()
    dep.write_text("v2")
    assert runner.run("demo", jobs=1) == 0
    assert _stems(executed) == ["00", "03"]

    # --force runs them although nothing changed
    executed.clear()
    assert runner.run("demo", jobs=1, force=True) == 0
    assert _stems(executed) == ["00", "03"]

    # a deleted output is made again
    executed.clear()
    (root / "html" / next(sandbox["nb_dir"].glob("00_*.ipynb")).with_suffix(".html").name).unlink()
    assert runner.run("demo", jobs=1) == 0
    assert _stems(executed) == ["00"]


def test_parameters_are_part_of_the_key_and_failures_always_rerun(sandbox):
    executed, fail = sandbox["executed"], sandbox["fail"]
    assert runner.run("demo", only=["03"], jobs=1, params={"outcome": "cpi_score"}) == 0
    assert executed[-1][1] == {"outcome": "cpi_score"}
    assert (config.reports_dir("demo") / "runs" / "outcome-cpi_score" / "run.json").exists()
    assert not (config.reports_dir("demo") / "run.json").exists()  # default run untouched
    executed.clear()
    assert runner.run("demo", only=["03"], jobs=1, params={"outcome": "cpi_score"}) == 0
    assert executed == []
    # the default run is another folder, another key
    assert runner.run("demo", only=["03"], jobs=1) == 0
    assert _stems(executed) == ["03"]

    executed.clear()
    fail.add(next(sandbox["nb_dir"].glob("00_*.ipynb")).stem)
    assert runner.run("demo", only=["00"], jobs=1) == 1
    assert runner.run("demo", only=["00"], jobs=1) == 1
    assert _stems(executed) == ["00", "00"]  # a failed notebook is never "up to date"
    manifest = collect.read_manifest(config.reports_dir("demo"))
    # the partial run updates its own entry and keeps 03's (run above into this folder)
    assert {k[:2]: e["status"] for k, e in manifest["notebooks"].items()} == {
        "00": "failed", "03": "executed"}


def test_a_crash_outside_the_notebook_is_a_failure_not_a_reuse(sandbox, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(notebooks, "execute_and_render", crash)
    assert runner.run("demo", only=["00"], jobs=1) == 1
    entry = collect.read_manifest(config.reports_dir("demo"))["notebooks"]
    assert [e["status"] for e in entry.values()] == ["failed"]
    assert "RuntimeError: renderer broke" in next(iter(entry.values()))["error"]


def test_the_summary_reaches_stdout_after_parallel_notebooks(sandbox, capsys):
    # overlapping notebooks, the first to start ends first (where doit's output capture
    # once swallowed everything printed after the run)
    sandbox["delay"].update({"00": 0.3, "03": 0.8})
    assert runner.run("demo", jobs=2, force=True) == 0
    out = capsys.readouterr().out
    assert out.count("1 attempt(s), ok") == 2 and "report: " in out
