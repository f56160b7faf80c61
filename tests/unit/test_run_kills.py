"""Issue 27, cases 3, 6 and 9: runs that survive kills, and one build per run.

* 3: `kill -9` while a notebook executed left later runs saying "unchanged, outputs reused"
  with figures and tables missing;
* 6: after `divides build --raw-dir OTHER`, a plain run skipped the build step and wrote the
  codebook from the other build while the notebooks rebuilt from the default folder;
* 9: a truncated doit database made every later run fail until deleted by hand.
"""

from __future__ import annotations

import re
import shutil
import warnings

import pytest

from divides import config
from divides.build import panel
from divides.errors import DividesError
from divides.run import collect, graph, notebooks
from divides.run.notebooks import NotebookRun
from tests.unit.test_pipeline import private_demo  # noqa: F401 - fixture

pytestmark = pytest.mark.unit


def _ran(out: str) -> list[str]:
    return sorted(m.group(1) for m in re.finditer(r"^\.  (\S+)$", out, re.MULTILINE))


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after the point it is raised runs."""


def _fake_execute(files: list[str], kill_after: int | None = None):
    def execute(nb, out_dir, data, kernel, retries, params, log=None):
        work = notebooks.Path(params["report_dir"])
        for number, name in enumerate(files):
            if kill_after is not None and number == kill_after:
                raise Killed
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(f"{name} of this run\n")
        (out_dir / nb.name).write_text('{"cells": [], "metadata": {}, "nbformat": 4, '
                                       '"nbformat_minor": 5}')
        return NotebookRun(nb.stem, out_dir / nb.name, 0.1, 1)
    return execute


def test_case3_a_notebook_killed_while_executing_is_not_done(tmp_path, monkeypatch):
    nb = tmp_path / "00_x.ipynb"
    nb.write_text("{}")
    root = tmp_path / "run"
    files = [f"figures/f{n}.png" for n in range(4)] + ["tables/t0.csv", "tables/t1.csv"]
    monkeypatch.setattr(notebooks, "execute", _fake_execute(files))
    monkeypatch.setattr(notebooks, "_render_html", lambda executed, out: out)
    first = notebooks.execute_and_render(nb, root, "demo", "python3", 0, {})
    assert first.error is None and first.output == root / "notebooks" / nb.name
    stamp = notebooks.done_stamp(root, nb.stem)
    assert stamp.exists()
    assert collect.collect_outputs(root, [nb.stem]) == {nb.stem: sorted(files)}
    before = {p: p.read_bytes() for p in (root / ".work").rglob("*") if p.is_file()
              and p != stamp}

    # killed after one of six files: the earlier outputs stay whole, the stamp is gone
    monkeypatch.setattr(notebooks, "execute", _fake_execute(files, kill_after=1))
    with pytest.raises(Killed):
        notebooks.execute_and_render(nb, root, "demo", "python3", 0, {})
    assert not stamp.exists()
    assert {p: p.read_bytes() for p in before} == before
    # nothing incomplete is collected as this run's
    with pytest.raises(DividesError, match=r"00_x: its outputs are incomplete .*run `divides "
                                           r"run` again"):
        collect.collect_outputs(root, [nb.stem])
    # and the stamp is a target of the notebook's task: doit runs it again
    run = graph.Run("demo", [nb], {nb.stem: {}}, {}, root, complete=False)
    monkeypatch.setattr(notebooks, "longest_first", lambda selected, out: selected)
    task = graph.notebook_tasks(run)[0]
    assert str(stamp) in task["targets"]

    # the run after the kill executes it: complete again, the killed staging folder gone
    killed = root / ".work" / f"{notebooks.STAGING_PREFIX}{nb.stem}-999999999"
    (killed / "work").mkdir(parents=True)
    monkeypatch.setattr(notebooks, "execute", _fake_execute(files))
    notebooks.execute_and_render(nb, root, "demo", "python3", 0, {})
    assert sorted(p.name for p in (root / ".work").iterdir()) == sorted([nb.stem, stamp.name])
    assert stamp.exists() and collect.collect_outputs(root, [nb.stem])[nb.stem] == sorted(files)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_case9_a_damaged_doit_database_is_set_aside_and_rebuilt(private_demo, tmp_path,  # noqa: F811
                                                               capsys, damage):
    db = tmp_path / graph.DB_NAME
    assert graph.execute(graph.data_tasks("demo"), ["build"], db) == 0
    assert "build" in _ran(capsys.readouterr().out)
    whole = db.read_bytes()
    db.write_bytes(b'{"build": {"deps:' if damage == "garbage" else whole[: len(whole) // 2])
    with pytest.warns(UserWarning, match=rf"doit's database {re.escape(str(db))} is damaged "
                                         r".*set aside as \.doit\.sqlite3\.damaged-1"):
        assert graph.execute(graph.data_tasks("demo"), ["build"], db) == 0
    assert (tmp_path / f"{graph.DB_NAME}.damaged-1").exists()
    # the new database works: nothing changed, nothing runs
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert graph.execute(graph.data_tasks("demo"), ["build"], db) == 0
    assert _ran(capsys.readouterr().out) == []


def test_case6_the_runs_build_is_made_current_before_the_codebook(private_demo, tmp_path,  # noqa: F811
                                                                  capsys):
    db = tmp_path / graph.DB_NAME
    assert graph.execute(graph.data_tasks("demo", codebook=True), ["codebook"], db) == 0
    capsys.readouterr()
    other = tmp_path / "other"
    shutil.copytree(private_demo, other)
    cpi = other / "ti_cpi" / "datahub_core" / "cpi.csv"
    cpi.write_text(cpi.read_text().replace("Albania,0.0,5.2,", "Albania,0.0,9.9,", 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel.build("demo", raw_dir=other, progress=False)  # `divides build --raw-dir OTHER`
    plan = panel.read_plan("demo")
    assert not graph.build_is_current(config.processed_dir("demo"), plan.build_key)
    assert graph.execute(graph.data_tasks("demo", codebook=True), ["codebook"], db) == 0
    # the build step runs again (the old code skipped it: its files had not changed); the
    # codebook, made from this same build before, is current again and is not rewritten
    assert "build" in _ran(capsys.readouterr().out)
    assert graph.build_is_current(config.processed_dir("demo"), plan.build_key)
    # and a codebook asked for another build's key refuses, naming why
    with pytest.raises(DividesError, match="not this run's"):
        graph.write_codebook("demo", "0" * 64)
