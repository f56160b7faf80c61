import re

import pandas as pd
import pytest

from divides import catalogue, config, countries
from divides.errors import SourceFormatError, ValidationError
from divides.observations import ReadReport, finalize
from divides.run import cli
from divides.schemas import validate_observations

pytestmark = pytest.mark.unit


def test_paths_are_inside_project():
    for p in (config.RAW_DIR, config.PROCESSED_DIR, config.REPORTS_DIR, config.NOTEBOOKS_DIR):
        assert config.PROJECT_ROOT in p.parents
    assert (config.PROJECT_ROOT / "pyproject.toml").exists()


def test_real_dir_env_wins(monkeypatch, tmp_path):
    monkeypatch.setenv(config.REAL_DIR_ENV, str(tmp_path))
    assert config.real_dir() == tmp_path.resolve()
    assert config.raw_dir("real") == tmp_path.resolve()
    with pytest.raises(ValueError, match="demo' or 'real"):
        config.raw_dir("fake")


def test_no_module_builds_paths_from_file():
    offenders = []
    for py in (config.PACKAGE_DIR).rglob("*.py"):
        if py.name != "config.py" and "__file__" in py.read_text(encoding="utf-8"):
            offenders.append(py.name)
    assert offenders == []


def test_report_ledger_must_balance():
    r = ReadReport("wdi", "x.csv", rows_read=10, rows_kept=7)
    r.drop("missing", 2)
    with pytest.raises(AssertionError, match="does not add up"):
        r.check()
    r.drop("aggregate", 1)
    assert r.check().balanced
    with pytest.raises(ValueError, match="unknown drop reason"):
        r.drop("because", 1)


def test_harmoniser_drops_aggregates_by_code_before_names():
    h = countries.Harmoniser("wdi")
    res = h.resolve_codes(pd.Series(["DNK", "WLD", "INX", "XKX", "QQQ"]))
    assert res["iso3"].tolist()[:1] == ["DNK"]
    assert res["reason"].fillna("ok").tolist() == ["ok", "aggregate", "not_a_country", "ok",
                                                 "unmapped_name"]
    names = h.resolve_names(pd.Series(["World", "Denmark", "Atlantis"]))
    assert names["reason"].fillna("ok").tolist() == ["aggregate", "ok", "unmapped_name"]


def _obs(**over):
    base = {"iso3": ["DNK"], "year": [2020], "indicator": ["wdi_internet_users_pct"],
            "value": [96.5], "breakdown": ["total"], "group": ["all"], "source": ["wdi"],
            "file": ["x.csv"]}
    base.update(over)
    return finalize(pd.DataFrame(base))


def test_schema_rejects_out_of_range_and_duplicates():
    validate_observations(_obs(), "x.csv")
    with pytest.raises(ValidationError, match=r"x.csv: column 'value'.*0..100"):
        validate_observations(_obs(value=[120.0]), "x.csv")
    dup = pd.concat([_obs(), _obs()], ignore_index=True)
    with pytest.raises(ValidationError, match="share a key"):
        validate_observations(dup, "x.csv")
    with pytest.raises(ValidationError, match="iso3"):
        validate_observations(_obs(iso3=["dk"]), "x.csv")


def test_catalogue_codes_are_unique_per_series():
    cat = catalogue.indicators()
    key = ["source", "publisher_code", "breakdown", "group"]
    assert not cat.duplicated(key).any()
    assert (cat["min_value"] < cat["max_value"]).all()
    assert cat["indicator"].str.fullmatch(r"[a-z0-9_]+").all()


def test_cli_help_and_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert re.match(r"divides \d+\.\d+", capsys.readouterr().out)
    assert cli.main([]) == 2


def test_source_format_error_names_file_and_place():
    err = SourceFormatError("/a/b/file.csv", "column 'X'", "present", found="missing")
    assert str(err) == "file.csv: column 'X': expected present, found missing"
