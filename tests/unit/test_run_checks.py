"""Parameter kinds and value checks before a run; per-notebook values; the .py pair kept in
step; a partial run keeps a full run's manifest; notebooks run by hand write to lab/."""

import json
import time

import nbformat
import pandas as pd
import pytest

from divides import config
from divides.errors import DividesError
from divides.models import case
from divides.run import checks, cli, collect, graph, notebooks

pytestmark = pytest.mark.unit



def test_kinds_come_from_the_trailing_comments():
    src = ('outcome = "cpi_score"  # kind: panel_column\n'
           'keep = []  # kind: country  # a note after the kind\n'
           'plain = 3  # no kind here\n'
           'choice = "a"  # kind: choice: a|b\n')
    assert checks.kinds(src) == {"outcome": "panel_column", "keep": "country",
                                 "choice": "choice: a|b"}


def test_every_user_parameter_of_every_notebook_declares_a_valid_kind():
    for nb in notebooks.find():
        kinds = notebooks.parameter_kinds(nb)
        assert set(kinds) == set(notebooks.user_parameters(nb)), nb.stem
        assert all(checks.valid_kind(k) for k in kinds.values()), (nb.stem, kinds)


@pytest.mark.parametrize("kind, good, bad, named", [
    ("panel_column", "cpi_score", "cpi_scor", "cpi_score"),
    ("panel_column", "bribery_incidence_pct", "bribery_incidence", "bribery_incidence_pct"),
    ("country", "GEO", "GEOO", "GEO"),
    ("choice: serial|processes|dask", "dask", "dusk", "dask"),
    ("speccurve_regressor", "osi", "os", "osi"),
    ("indicator", "itu_internet_users_pct", "itu_internet_user_pct", "itu_internet_users_pct"),
])
def test_a_bad_value_names_close_matches_and_the_allowed_set(kind, good, bad, named):
    allowed = checks.Allowed("demo")
    allowed.check(good, kind, "x")
    allowed.check([good, good], kind, "x")  # a list: each item
    with pytest.raises(DividesError, match="allowed: ") as info:
        allowed.check(bad, kind, "03: -p x")
    assert f"did you mean {named}" in str(info.value)
    assert "03: -p x" in str(info.value)


def test_numbers_are_checked_against_their_bound():
    allowed = checks.Allowed("demo")
    allowed.check(0, "number, at least 0", "x")
    with pytest.raises(DividesError, match=r"expected a number >= 0"):
        allowed.check(-1, "number, at least 0", "05: -p draws")
    with pytest.raises(DividesError, match=r"expected a number < 1"):
        allowed.check(1, "number below 1", "x")


@pytest.fixture(scope="module")
def current_demo_build():
    """The demo build brought up to date (the checks use a build only when it is current)."""
    from divides import build, demo

    demo.ensure_demo()
    build.build("demo", progress=False)


def test_years_and_donor_groups_come_from_the_build(current_demo_build):
    allowed = checks.Allowed("demo")
    panel = allowed.panel
    assert allowed.values("year") == [str(y) for y in sorted(panel["year"].unique())]
    groups = allowed.values("donor_group")
    assert {"all", "post_soviet", *panel["region"].unique(), *panel["income_group"].unique()
            } >= set(groups) >= {"all", "post_soviet", "Europe & Central Asia"}
    with pytest.raises(DividesError, match="Europe & Central Asia"):
        allowed.check("europe", "donor_group", "04: -p donor_group")
    with pytest.raises(DividesError, match="not a year"):
        allowed.check(1900, "year", "04: -p treatment_year")


def test_a_typo_fails_in_seconds_and_writes_nothing(capsys):
    folder = notebooks.run_dir("demo", {"outcome": "cpi_scor"})
    start = time.perf_counter()
    assert cli.main(["run", "--only", "03", "-p", "outcome=cpi_scor"]) == 2
    assert time.perf_counter() - start < 5
    err = capsys.readouterr().err
    assert "did you mean cpi_score" in err and "wgi_cc_estimate" in err
    assert not folder.exists()


def test_a_value_for_one_notebook_wins_there_only():
    selected = notebooks.find(["02", "03"])
    per_nb, changed = notebooks.resolve_parameters(
        selected, notebooks.parse_assignments(["03:outcome=cpi_score", "outcome=egdi"]), "demo")
    stems = {nb.stem[:2]: nb.stem for nb in selected}
    assert per_nb[stems["02"]] == {"outcome": "egdi"}
    assert per_nb[stems["03"]] == {"outcome": "cpi_score"}
    assert changed == {"03:outcome": "cpi_score", "outcome": "egdi"}
    with pytest.raises(DividesError, match="no selected notebook matches '04'"):
        notebooks.resolve_parameters(selected, {"04:treated": "GEO"})
    with pytest.raises(DividesError, match="no such parameter"):
        notebooks.resolve_parameters(selected, {"02:regressor": "osi"})
    with pytest.raises(DividesError, match="NOTEBOOK:NAME=VALUE"):
        notebooks.parse_assignments([":outcome=x"])


def test_list_shows_kinds_and_allowed_values(capsys):
    assert cli.main(["run", "--list", "--only", "05"]) == 0
    out = capsys.readouterr().out
    assert "`backend` = `'serial'` (choice: serial|processes|dask)" in out
    assert "allowed (the notebook's declaration): serial, processes, dask" in out


# --- the case study's donors ----------------------------------------------------------------

def _panel():
    rows = []
    for iso3, region, income in [("AAA", "North", "High income"), ("BBB", "North", "High income"),
                                 ("CCC", "South", "Low income"), ("GEO", "North", "Low income"),
                                 ("DDD", "South", "High income")]:
        for year in range(2008, 2016):
            rows.append({"iso3": iso3, "country_name": iso3.title(), "region": region,
                         "income_group": income, "year": year,
                         "y": float(year - 2000 + len(rows) % 3),
                         "late": float(year) if year >= 2012 else None})
    return pd.DataFrame(rows)


def test_donor_groups_are_data_and_the_treated_is_never_its_own_donor():
    panel = _panel()
    groups = case.donor_groups(panel)
    assert groups["all"] == ["AAA", "BBB", "CCC", "DDD", "GEO"]
    assert groups["North"] == ["AAA", "BBB", "GEO"] and groups["Low income"] == ["CCC", "GEO"]
    assert "post_soviet" in groups
    # GEO is screened out by its reason in case_donors.csv, in any group
    assert case.donors("all", panel=panel, treated="AAA") == ["BBB", "CCC", "DDD"]
    assert case.donors("all", keep=("GEO",), panel=panel, treated="AAA") == [
        "BBB", "CCC", "DDD", "GEO"]
    screen = case.donor_screen("North", panel=panel, treated="BBB").set_index("iso3")
    assert screen.loc["BBB", "reason"] == "the treated country" and not screen.loc["BBB", "used"]
    # the default group without a panel, treated among its members (UKR)
    assert "UKR" not in case.donors("post_soviet", treated="UKR")
    with pytest.raises(Exception, match="expected one of"):
        case.donors("North")  # a region needs the panel


def test_outcomes_without_a_pre_period_are_named_early():
    panel = _panel()
    out = case.outcome_checks(panel, ["y", "late", "nothing"], "AAA", ["BBB", "CCC", "DDD"],
                              2012).set_index("outcome")
    assert out.loc["y", "status"] == "ok" and out.loc["y", "pre_years"] == 4
    assert out.loc["late", "status"].startswith("0 pre-treatment year(s) before 2012")
    assert "expected a panel column" in out.loc["nothing", "status"]
    few = case.outcome_checks(panel, ["y"], "AAA", ["BBB"], 2012)
    assert few["status"].iloc[0].startswith("1 donors observed")


def test_group_tags_are_file_name_safe():
    assert case.group_tag("Europe & Central Asia") == "europe_central_asia"
    assert case.group_tag("post_soviet", ["GEO"]) == "post_soviet+GEO"


# --- the .py pair, the lab folder, partial runs ---------------------------------------------

def _pair(tmp_path, line):
    py = tmp_path / "07_toy.py"
    py.write_text("# %% tags=[\"parameters\"]\ndata = \"demo\"\n\n# %%\n" + line + "\n")
    return py


def test_an_edit_to_the_py_is_what_runs(tmp_path):
    import jupytext
    import papermill

    py = _pair(tmp_path, "print('first')")
    nb = py.with_suffix(".ipynb")
    jupytext.write(jupytext.read(py), nb)
    time.sleep(0.05)
    py.write_text(py.read_text().replace("first", "edited"))
    assert notebooks.sync_pair(nb) is True
    assert notebooks.sync_pair(nb) is False  # in step now
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(nb), str(out), kernel_name="python3", progress_bar=False)
    printed = [o.get("text", "") for c in nbformat.read(out, as_version=4).cells
               if c.cell_type == "code" for o in c.get("outputs", [])]
    assert "edited\n" in printed


def test_a_newer_ipynb_that_differs_is_drift(tmp_path):
    import jupytext

    py = _pair(tmp_path, "x = 1")
    nb = py.with_suffix(".ipynb")
    notebook = jupytext.read(py)
    notebook.cells[-1].source = "x = 2"
    time.sleep(0.05)
    jupytext.write(notebook, nb)
    with pytest.raises(DividesError, match="07_toy.ipynb is the newer"):
        notebooks.sync_pair(nb)


def test_a_notebook_run_by_hand_writes_into_lab():
    assert config.notebook_output_dir("demo") == config.reports_dir("demo") / "lab"
    assert config.notebook_output_dir("demo", "/x/y").as_posix() == "/x/y"


def _nb_run(name, attempts=1):
    return notebooks.NotebookRun(name, config.PROJECT_ROOT, 1.0, attempts)


def test_a_partial_run_keeps_the_full_runs_entries(tmp_path):
    params = {"00_a": {}, "03_c": {}}
    collect.write_manifest(tmp_path, "demo", {}, [_nb_run("00_a"), _nb_run("03_c")], params,
                           {"00_a": ["tables/a.csv"], "03_c": ["figures/c.png"]})
    collect.write_manifest(tmp_path, "demo", {}, [_nb_run("00_a")], params,
                           {"00_a": ["tables/a2.csv"]}, complete=False)
    manifest = collect.read_manifest(tmp_path)
    assert sorted(manifest["notebooks"]) == ["00_a", "03_c"]
    assert manifest["tables"] == ["tables/a2.csv"] and manifest["figures"] == ["figures/c.png"]
    assert manifest["report_stale"] == ["00_a"]
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("r")
    page = collect.write_index(tmp_path).read_text()
    assert "03_c" in page and "made before 00_a ran again" in page
    # a complete run starts the manifest afresh
    collect.write_manifest(tmp_path, "demo", {}, [_nb_run("00_a")], params, {"00_a": []})
    again = json.loads((tmp_path / "run.json").read_text())
    assert list(again["notebooks"]) == ["00_a"] and again["report_stale"] == []
    # another run's manifest (other parameters) is not merged into
    collect.write_manifest(tmp_path, "demo", {"x": 1}, [_nb_run("03_c")], params,
                           {"03_c": []}, complete=False)
    assert list(collect.read_manifest(tmp_path)["notebooks"]) == ["03_c"]


def test_the_notebook_step_reads_the_py_pair():
    run = graph.plan("demo", ["03"])
    nb = run.selected[0]
    assert graph.pair(nb) == [nb.with_suffix(".py")]


# --- quiet runs ---------------------------------------------------------------------------

def _noisy():
    import warnings

    print("internal detail of the step")
    warnings.warn("a long\nwarning text", UserWarning, stacklevel=1)
    return True


def _broken():
    raise RuntimeError("the step broke\nfor this reason")


def test_a_quiet_run_prints_one_line_per_step_and_logs_the_rest(tmp_path, capsys):
    log = tmp_path / "run.log"
    tasks = {"noisy": [{"actions": [_noisy], "doc": "", "verbosity": 2}],
             "broken": [{"actions": [_broken], "doc": "", "verbosity": 2}],
             "after": [{"actions": [_noisy], "task_dep": ["broken"], "doc": "",
                        "verbosity": 2}]}
    code = graph.execute(tasks, ["noisy", "after"], tmp_path / ".doit.json", log=log)
    assert code != 0
    out = capsys.readouterr().out.splitlines()
    assert next(ln for ln in out if ln.startswith("noisy: ")).startswith("noisy: done in ")
    assert "warning: UserWarning: a long warning text" in out
    failed = [ln for ln in out if ln.startswith("broken: ")]
    assert failed == [
        "broken: failed: RuntimeError: the step broke for this reason (details in the run's log)"]
    assert not any("internal detail" in ln or "UnmetDependency" in ln or "after" in ln
                   for ln in out)
    assert len(out) == 3, out
    text = log.read_text()
    assert "internal detail of the step" in text and "UnmetDependency" in text
    assert "warnings.warn(" in text  # the source line goes to the log only


def test_without_a_build_values_are_checked_against_the_catalogue(tmp_path, monkeypatch):
    # a fresh clone: nothing built, the check still takes a second and names the match
    monkeypatch.setattr(config, "processed_dir", lambda data: tmp_path / "nothing" / data)
    allowed = checks.Allowed("demo")
    assert allowed.panel is None
    with pytest.raises(DividesError, match=r"\(columns.csv; not built yet\); did you mean "
                                           r"cpi_score"):
        allowed.check("cpi_scor", "panel_column", "03: -p outcome")
    with pytest.raises(DividesError, match="did you mean GEO"):
        allowed.check("GEOO", "country", "04: -p treated")
    assert allowed.values("year") is None  # any year until built; the notebook checks it
    assert allowed.values("donor_group") == ["post_soviet"]


def test_an_outcome_with_only_the_reference_year_gets_the_event_study_only():
    """The CPI's 0-100 scale starts in 2012: for a 2013 treatment it has the reference year
    and no earlier one; the synthetic control needs three, the event study one."""
    rows = [{"iso3": c, "year": y, "cpi": 50.0 + i + y % 3}
            for i, c in enumerate(["AAA", "BBB", "CCC", "DDD"]) for y in range(2012, 2020)]
    panel = pd.DataFrame(rows)
    out = case.outcome_checks(panel, ["cpi"], "AAA", ["BBB", "CCC", "DDD"], 2013).iloc[0]
    assert out["status"].startswith("1 pre-treatment year(s) before 2013")
    assert bool(out["event_study"])
    late = case.outcome_checks(panel, ["cpi"], "AAA", ["BBB", "CCC", "DDD"], 2012).iloc[0]
    assert not bool(late["event_study"])  # no 2011: no reference year


def test_a_stale_build_does_not_decide_the_allowed_values(current_demo_build, monkeypatch):
    """A build made before a column was added to the catalogue must not refuse it: the
    checks use a build only when its key is the one a run would build now."""
    from divides import build

    allowed = checks.Allowed("demo")
    assert allowed.panel is not None  # the demo build is current
    real_plan = build.read_plan

    class Later:
        def __init__(self, plan):
            self.build_key = "0" * 64  # what a changed raw file or code would give

    monkeypatch.setattr(build.panel, "read_plan", lambda data: Later(real_plan(data)))
    stale = checks.Allowed("demo")
    assert stale.panel is None
    assert "the column registry" in stale.where("panel_column")
