"""``divides sweep`` (divides.run.sweep): a grid of parameterised runs on dask.distributed.

What must fail loudly here: a member that runs into another folder than ``divides run -p``
would use, a second identical sweep that executes or rewrites anything, a failing member
that stops the others or goes unreported, workers whose packages differ from the lock, a
grid whose list-valued parameter is split into the wrong members.
"""

from __future__ import annotations

import json
import math

import nbformat
import pandas as pd
import papermill
import pytest

from divides import config
from divides.errors import DividesError
from divides.models import headline
from divides.run import cli, notebooks, sweep

pytestmark = pytest.mark.unit


# --- the grid ------------------------------------------------------------------------------


def test_list_parameters_split_members_on_semicolons_scalars_on_commas():
    nb03 = notebooks.find(["03"])
    grid = sweep.parse_grid(["outcome=cpi_score,wgi_cc_estimate",
                             "controls=log_gdp_pc_ppp;log_gdp_pc_ppp,urban_pct;"], nb03)
    assert grid == {"outcome": ["cpi_score", "wgi_cc_estimate"],
                    "controls": ["log_gdp_pc_ppp", "log_gdp_pc_ppp,urban_pct", ""]}
    members = sweep.plan("demo", ["03"], grid).members
    assert len(members) == 6
    # each member is the run `divides run -p` makes: same typed values, same folder
    for m in members:
        _, changed = notebooks.resolve_parameters(nb03, m.params, "demo")
        assert m.root == notebooks.run_dir("demo", changed)
    assert {json.dumps(m.changed.get("controls")) for m in members} == {
        "null", '["log_gdp_pc_ppp", "urban_pct"]', "[]"}  # the default is not a change
    with pytest.raises(DividesError, match="an empty value"):
        sweep.parse_grid(["outcome=cpi_score,,wgi_cc_estimate"], nb03)
    with pytest.raises(DividesError, match="no such parameter.*03_egovernment"):
        sweep.parse_grid(["treated=ARM"], nb03)


def test_grid_file_gives_the_same_members_as_the_command_line(tmp_path):
    toml = tmp_path / "grid.toml"
    toml.write_text('data = "demo"\nonly = "03"\n[grid]\noutcome = ["cpi_score", '
                    '"wgi_cc_estimate"]\ncontrols = [["log_gdp_pc_ppp"], '
                    '["log_gdp_pc_ppp", "urban_pct"]]\n')
    settings, grid = sweep.read_grid_file(toml)
    assert settings == {"data": "demo", "only": ["03"]}
    from_file = sweep.plan("demo", ["03"], grid)
    from_cli = sweep.plan("demo", ["03"], sweep.parse_grid(
        ["outcome=cpi_score,wgi_cc_estimate", "controls=log_gdp_pc_ppp;log_gdp_pc_ppp,urban_pct"],
        notebooks.find(["03"])))
    assert [m.root for m in from_file.members] == [m.root for m in from_cli.members]
    toml.write_text("[grid]\noutcome = []\n")
    with pytest.raises(DividesError, match=r"grid.outcome: expected a non-empty array"):
        sweep.read_grid_file(toml)
    toml.write_text("only = ['03']\n[grid]\noutcome = ['cpi_score']\nextra = 1\n[other]\n")
    with pytest.raises(DividesError, match=r"unknown keys \['other'\]"):
        sweep.read_grid_file(toml)


def test_every_member_is_checked_before_anything_runs():
    with pytest.raises(DividesError, match="treated"):
        sweep.plan("demo", ["04"], {"treated": ["ARM", "NOT_A_COUNTRY"]})
    with pytest.raises(DividesError, match="given twice"):
        sweep.plan("demo", ["04"], {"treated": ["ARM", "ARM"]})
    with pytest.raises(DividesError, match="--only"):
        sweep.plan("demo", None, {"treated": ["ARM"]})


def test_cli_refuses_a_sweep_without_notebook_or_with_a_parameter_twice(tmp_path, capsys):
    assert cli.main(["sweep", "-p", "treated=ARM,GEO"]) == 2
    assert "name the notebook(s) with --only" in capsys.readouterr().err
    grid = tmp_path / "g.toml"
    grid.write_text('only = ["04"]\n[grid]\ntreated = ["ARM", "GEO"]\n')
    assert cli.main(["sweep", "--grid", str(grid), "-p", "treated=KAZ"]) == 2
    assert "-p treated: also in the grid file" in capsys.readouterr().err


def test_the_sweep_folder_is_named_by_its_grid():
    a = sweep.sweep_slug(["04"], {"treated": ["ARM", "GEO"]})
    assert a.startswith("04__treated-ARM+GEO-")
    assert a == sweep.sweep_slug(["04"], {"treated": ["ARM", "GEO"]})
    assert a != sweep.sweep_slug(["04"], {"treated": ["ARM", "KAZ"]})
    assert (sweep.sweep_slug(["03"], {"controls": ["a,b", "c"]})
            != sweep.sweep_slug(["03"], {"controls": ["a", "b,c"]}))


def test_shipped_example_sweeps_are_valid_grids():
    files = sorted((config.PROJECT_ROOT / "sweeps").glob("*.toml"))
    assert len(files) >= 2
    for f in files:
        settings, grid = sweep.read_grid_file(f)
        planned = sweep.plan(settings.get("data", "demo"), settings["only"], grid)
        assert len(planned.members) == math.prod(len(v) for v in grid.values()) > 1, f.name


# --- versions ------------------------------------------------------------------------------


def test_lock_pins_are_read_from_the_lock(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("pandas==3.0.1 \\\n    --hash=sha256:abc\ndask[distributed]==2026.8.0\n"
                    "# numpy==1.0 (a comment)\nJupyter_Client==8.6.3 ; python_version >= '3'\n")
    assert sweep.lock_pins(lock) == {"pandas": "3.0.1", "dask": "2026.8.0",
                                     "jupyter-client": "8.6.3"}
    problems = sweep.version_problems(
        {"tcp://w1": {"divides": sweep.__version__, "pandas": "3.0.1", "dask": "2026.8.0",
                      "jupyter-client": "8.6.3"},
         "tcp://w2": {"divides": "0.0.0", "pandas": "2.2.0", "dask": None,
                      "jupyter-client": "8.6.3"}},
        sweep.lock_pins(lock))
    assert problems == [(f"worker tcp://w2: divides 0.0.0, the client runs divides "
                         f"{sweep.__version__}"),
                        "worker tcp://w2: dask not installed, requirements.lock pins 2026.8.0",
                        "worker tcp://w2: pandas 2.2.0, requirements.lock pins 3.0.1"]


def test_a_worker_with_another_version_than_the_lock_is_refused(monkeypatch, tmp_path):
    real = sweep.installed_versions

    def older_pandas(names):  # pickled by value: runs in the worker process
        found = real(names)
        found["pandas"] = "0.0.1"
        return found

    with sweep.open_client(workers=1) as client:
        assert sweep.check_versions(client)  # the venv's own versions: accepted
        monkeypatch.setattr(sweep, "installed_versions", older_pandas)
        (worker,) = client.scheduler_info()["workers"]
        pinned = sweep.lock_pins(config.PROJECT_ROOT / "requirements.lock")["pandas"]
        with pytest.raises(DividesError) as err:
            sweep.check_versions(client)
    message = str(err.value)
    assert "refused" in message
    assert f"worker {worker}: pandas 0.0.1, requirements.lock pins {pinned}" in message
    # and the sweep stops before any member runs
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    assert cli.main(["sweep", "--only", "04", "-p", "treated=ARM,GEO", "--workers", "1"]) == 2
    assert not (tmp_path / "reports").exists()  # refused first: not even the shared steps


# --- kernels that do not start -----------------------------------------------------------


def test_a_kernel_that_fails_to_start_is_retried(monkeypatch, tmp_path):
    import zmq

    calls = []

    def flaky(input_path, output_path, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise zmq.ZMQError(98, "Address already in use")

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    monkeypatch.setattr(notebooks, "KERNEL_RETRY_BACKOFF_S", 0.0)
    nb = notebooks.find()[0]
    run = notebooks.execute(nb, tmp_path, "demo", "python3", retries=2)
    assert run.error is None and run.attempts == 2
    calls.clear()
    monkeypatch.setattr(papermill, "execute_notebook",
                        lambda *a, **k: (_ for _ in ()).throw(zmq.ZMQError(98, "busy")))
    run = notebooks.execute(nb, tmp_path, "demo", "python3", retries=1)
    assert run.attempts == 2 and run.error.startswith("kernel did not start: ZMQError")


# --- headline estimates --------------------------------------------------------------------


def test_headline_rows_come_from_the_result_tables(tmp_path):
    table = pd.DataFrame({"model": ["pooled", "pooled", "two-way FE"],
                          "term": ["egdi", "const", "egdi"], "coef": [0.5, 1.0, 0.1],
                          "ci_low": [0.2, 0.0, -0.3], "ci_high": [0.8, 2.0, 0.5],
                          "p": [0.01, 0.5, 0.6], "cov_type": ["clustered"] * 3,
                          "n_obs": [400, 400, 380], "n_countries": [80, 80, 76],
                          "outcome": ["wgi_cc_estimate"] * 3})
    rows = headline.from_tidy(table, ["pooled", "two-way FE"], "egdi")
    path = headline.write(tmp_path, "03", rows)
    back = headline.read(path)
    assert back["notebook"].tolist() == ["03", "03"]
    assert back[["estimate", "ci_low", "ci_high", "p_value", "n"]].to_numpy().tolist() == [
        [0.5, 0.2, 0.8, 0.01, 400.0], [0.1, -0.3, 0.5, 0.6, 380.0]]
    assert back["n_what"].tolist() == ["observations (80 countries)",
                                       "observations (76 countries)"]
    with pytest.raises(DividesError, match="expected one row of term 'osi'"):
        headline.from_tidy(table, ["pooled"], "osi")
    loo = pd.DataFrame({"dropped": ["(none)", "GEO"], "outcome": ["cpi_score"] * 2,
                        "treatment_year": [2013, 2013], "post_gap_mean": [-1.5, 0.2],
                        "placebo_p": [0.25, 0.9], "n_donors": [7, 6]})
    interval = {"outcome": "cpi_score", "alpha": 0.1, "ci_low": -3.0, "ci_high": 4.0,
                "low_unbounded": True, "high_unbounded": False}
    (row,) = headline.from_case(loo, interval, "AZE")
    assert (row["estimate"], row["ci_low"], row["ci_high"], row["p_value"], row["n"]) == (
        -1.5, -math.inf, 4.0, 0.25, 7)
    assert row["ci_level"] == pytest.approx(0.9)
    bad = path.read_text().replace("0.5,0.2", "half,0.2", 1)
    path.write_text(bad)
    with pytest.raises(DividesError, match="column estimate: expected numbers"):
        headline.read(path)


# --- sweeps on a local cluster -------------------------------------------------------------


def _tiny_notebook(folder, name="90_tiny.ipynb"):
    """A notebook with one parameter that declares one headline estimate, and fails when
    the parameter is 3 (a cell error: a member's real failure)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('data = "demo"\nreport_dir = ""\nvalue = 1')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "from divides import config\nfrom divides.models import headline\n"
        "if value == 3:\n    raise ValueError('value 3 is refused by this notebook')\n"
        "_ = headline.write(config.notebook_output_dir(data, report_dir), '90', [{\n"
        "    'name': 'twice the value', 'label': 'twice the value', 'estimate': 2 * value,\n"
        "    'ci_low': 2 * value - 1, 'ci_high': 2 * value + 1, 'ci_level': 0.95,\n"
        "    'p_value': 0.5, 'p_kind': 'none', 'n': 10, 'n_what': 'rows', 'units': 'x'}])\n")
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), params, body]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / name)
    return folder / name


def test_a_failing_member_is_reported_and_the_others_finish(tmp_path, monkeypatch, capsys):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    _tiny_notebook(nb_dir)
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", nb_dir)
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    code = sweep.run("demo", ["90"], ["value=1,2,3"], workers=2)
    out = capsys.readouterr().out
    assert code == 1
    assert "value=3: FAILED: 90_tiny: cell 3: ValueError: value 3 is refused" in out
    assert "value=1: executed" in out and "value=2: executed" in out
    runs = tmp_path / "reports" / "demo" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == ["value-2", "value-3"]  # 1 is the default
    (folder,) = (tmp_path / "reports" / "demo" / "sweeps").glob("90__*")
    table = pd.read_csv(folder / "results.csv", keep_default_na=False)
    assert table["value"].tolist() == [1, 2, 3]
    assert table["status"].tolist() == ["ok", "ok", "failed"]
    assert table["estimate"].iloc[:2].astype(float).tolist() == [2.0, 4.0]
    assert "value 3 is refused" in table["error"].iloc[2]
    manifest = json.loads((folder / "sweep.json").read_text())
    assert [m["status"] for m in manifest["members"]] == ["ok", "ok", "failed"]
    assert (folder / "forest.png").stat().st_size > 1000


@pytest.mark.slow
def test_four_member_sweep_of_notebook_04_and_an_identical_second_sweep(
        tmp_path, monkeypatch, capsys):
    """The issue's check: ``divides sweep --data demo --only 04 -p treated=ARM,GEO,KAZ,UKR``
    writes four run folders and one table; the same sweep again does nothing."""
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    argv = ["sweep", "--data", "demo", "--only", "04", "-p", "treated=ARM,GEO,KAZ,UKR",
            "--workers", "2"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "sweep: 4 executed, 0 unchanged" in out
    runs = tmp_path / "reports" / "demo" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == [
        "treated-ARM", "treated-GEO", "treated-KAZ", "treated-UKR"]
    for p in runs.iterdir():  # the manifest `divides run` writes
        entry = json.loads((p / "run.json").read_text())["notebooks"]["04_azerbaijan_asan_case"]
        assert entry["status"] == "executed" and "headline/04.csv" in entry["files"]
    (folder,) = (tmp_path / "reports" / "demo" / "sweeps").glob("04__*")
    table = pd.read_csv(folder / "results.csv", dtype={"notebook": str})
    assert table["treated"].tolist() == ["ARM", "GEO", "KAZ", "UKR"]
    assert (table["notebook"] == "04").all() and (table["status"] == "ok").all()
    # each row is its own run's headline file, not a copy of another member's
    for row in table.itertuples():
        own = headline.read(tmp_path / "reports" / "demo" / row.run_folder / "headline"
                            / "04.csv")
        assert own["estimate"].iloc[0] == pytest.approx(row.estimate, rel=1e-9)
    assert table["estimate"].nunique() == 4
    assert ((table["ci_low"] <= table["estimate"]) & (table["estimate"] <= table["ci_high"])).all()
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}

    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "sweep: 0 executed, 4 unchanged" in out and "(unchanged)" in out
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == files


def test_the_table_takes_each_members_listed_headline_and_the_report_shows_it(
        tmp_path, monkeypatch):
    """Without dask: members' run folders as `divides run` leaves them; the table rows are
    each member's own headline file (one its manifest lists, never a stale file), a failed
    member is a row with its error, the page of the report lists the sweep."""
    from divides.report import site

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    planned = sweep.plan("demo", ["04"], {"treated": ["ARM", "GEO", "KAZ"]})
    results = []
    for i, member in enumerate(planned.members):
        files = []
        if i < 2:
            headline.write(member.root, "04", [{"name": "gap", "label": "the gap",
                                                "estimate": i + 0.5, "ci_low": i - 1.0,
                                                "ci_high": math.inf, "ci_level": 0.9,
                                                "p_value": 0.25, "n": 12, "units": "points"}])
            files = ["headline/04.csv"] if i == 0 else []  # GEO's file is not this run's
        member.root.mkdir(parents=True, exist_ok=True)
        (member.root / "run.json").write_text(json.dumps({"notebooks": {
            "04_azerbaijan_asan_case": {"files": files, "status": "executed"}}}))
        results.append({"status": "failed", "error": "cell 3: ModelError: no outcome"}
                       if i == 2 else {"status": "executed", "error": None})
    written = sweep.write_outputs(planned, results)
    assert {p.name for p in written} == {"results.csv", "forest.png", "sweep.json",
                                         "index.html"}
    table = pd.read_csv(planned.root / "results.csv", keep_default_na=False)
    assert table["treated"].tolist() == ["ARM", "GEO", "KAZ"]
    assert table["estimate"].astype(str).tolist() == ["0.5", "", ""]
    assert table["ci_high"].astype(str).tolist() == ["inf", "", ""]
    assert table["status"].tolist() == ["ok", "ok", "failed"]
    assert table["error"].tolist() == ["", "no headline estimates declared by the notebook",
                                       "cell 3: ModelError: no outcome"]
    assert sweep.write_outputs(planned, results) == []  # the same content: nothing rewritten
    # the default run's report takes the sweep among its inputs (made again when it changes)
    from divides.run import collect

    (config.reports_dir("demo") / "run.json").write_text(json.dumps(
        {"notebooks": {}, "figures": [], "tables": []}))
    assert {planned.root / "results.csv", planned.root / "sweep.json"} <= set(
        collect.report_inputs(config.reports_dir("demo")))

    staging = tmp_path / "staging"
    text, n = site.sweeps_page(config.reports_dir("demo"), staging)
    assert n == 1 and "# Sweeps" in text
    assert "divides sweep --data demo --only 04 -p treated=ARM,GEO,KAZ" in text
    shown = pd.read_csv(staging / "sweeps" / "sweep-1.csv", keep_default_na=False)
    assert list(shown.columns) == ["treated", *site.SWEEP_SHOWN]
    assert (staging / "sweeps" / "sweep-1.png").read_bytes() == (
        planned.root / "forest.png").read_bytes()
    assert site.sweeps_page(tmp_path / "nothing", staging) == ("", 0)
    # the page as the report's Sphinx build renders it: the table's numbers and the figure
    (staging / "sweeps.md").write_text(text)
    (staging / "index.md").write_text("# Report\n\n```{toctree}\nsweeps\n```\n")
    (staging / "conf.py").write_text(site.CONF.format(title="t"))
    site.run_sphinx("html", staging, tmp_path / "html")
    page = (tmp_path / "html" / "sweeps.html").read_text()
    assert "<td><p>ARM</p></td>" in page and "<td><p>0.5</p></td>" in page
    assert 'src="_images/sweep-1.png"' in page
