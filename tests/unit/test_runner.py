import papermill
import pytest

from divides import config, runner

pytestmark = pytest.mark.unit


def test_papermill_gets_no_cwd(monkeypatch, tmp_path):
    # papermill's cwd= does os.chdir for the whole process: from two threads at once it
    # can leave the process in notebooks/ (seen in CI: relative paths then broke).
    seen = {}

    def fake(input_path, output_path, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    nb = runner.notebooks()[0]
    run = runner._execute(nb, tmp_path, "demo", "python3", retries=0)
    assert run.error is None
    assert "cwd" not in seen
    assert seen["parameters"] == {"data": "demo"}


def test_only_filters_and_unknown_names_raise():
    assert [p.stem[:2] for p in runner.notebooks(["03"])] == ["03"]
    with pytest.raises(ValueError, match="no notebook matches"):
        runner.notebooks(["99_nothing"])
    assert all(p.parent == config.NOTEBOOKS_DIR for p in runner.notebooks())


def test_longest_notebook_from_the_last_run_starts_first(tmp_path):
    import json

    names = ["00_a.ipynb", "01_b.ipynb", "02_c.ipynb", "03_never_run.ipynb"]
    for name, seconds in zip(names, (2.0, 9.5, None)):
        meta = {"papermill": {"duration": seconds}} if seconds is not None else {}
        (tmp_path / name).write_text(json.dumps({"metadata": meta, "cells": []}))
    (tmp_path / "01_b.ipynb").write_text(json.dumps({"metadata": {"papermill": {"duration": 9.5}}}))
    selected = [tmp_path / "src" / n for n in names]
    order = [p.name for p in runner.longest_first(selected, tmp_path)]
    assert order == ["01_b.ipynb", "00_a.ipynb", "02_c.ipynb", "03_never_run.ipynb"]
    assert runner.previous_seconds(selected[3], tmp_path) == 0.0


def test_default_jobs_is_the_usable_cpus(monkeypatch):
    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert runner.default_jobs() == 3
