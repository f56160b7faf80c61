"""Issue 27, cases 2 and 8: the read cache is keyed by the bytes actually read and by the
file's name; --force reads afresh; an identical copy is listed, not read twice."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

from divides import fileio
from divides.build import panel
from divides.errors import InputError
from tests.unit.test_panel_cache import raw  # noqa: F401 - the tiny WDI raw folder fixture

pytestmark = pytest.mark.unit

API = "wb_wdi/api_csv"
NET = "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv"
POP = "API_SP.POP.TOTL_DS2_en_csv_v2_2.csv"


def _build(raw_dir, out, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return panel.build("demo", raw_dir=raw_dir, out_dir=out, progress=False, **kw)


def _dnk_internet(out) -> list[float]:
    obs = fileio.read_parquet(out / "current" / "observations.parquet") \
        if (out / "current").exists() else pd.read_parquet(out / "observations.parquet")
    rows = obs[(obs["iso3"] == "DNK") & (obs["indicator"] == "internet_users_pct")]
    return sorted(rows["value"].tolist())


def _outputs(result) -> pd.DataFrame:
    return fileio.read_parquet(result.paths["observations"])


def test_case2_a_file_changed_while_read_and_restored_is_not_cached(raw, tmp_path,  # noqa: F811
                                                                     monkeypatch):
    """Case 2: a value changed between hashing and reading (then the file restored byte for
    byte) stayed in the panel; the next build said "up to date", --force kept it too."""
    f = raw / API / NET
    original = f.read_bytes()
    changed = original.replace(b'"97.0"', b'"11.0"')
    assert changed != original
    plan_of = panel.read_plan

    def plan_then_edit(*args, **kwargs):  # the file changes after the plan hashed it
        plan = plan_of(*args, **kwargs)
        f.write_bytes(changed)
        return plan

    monkeypatch.setattr(panel, "read_plan", plan_then_edit)
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        _build(raw, out)
    assert str(info.value).startswith(f"{API}/{NET}: the file (or a file read with it) changed "
                                      "while the build was reading it")
    monkeypatch.setattr(panel, "read_plan", plan_of)
    f.write_bytes(original)  # restored byte for byte
    result = _build(raw, out)
    obs = _outputs(result)
    dnk = obs[(obs["iso3"] == "DNK") & (obs["year"] == 2018)]["value"].tolist()
    assert 97.0 in dnk and 11.0 not in dnk


def test_force_reads_every_file_again(raw, tmp_path, monkeypatch):  # noqa: F811
    out = tmp_path / "out"
    _build(raw, out)
    # a cache entry whose content is wrong (as case 2 left them): --force must not use it
    for entry in (out / "cache").glob("wdi-*.parquet"):
        frame = pd.read_parquet(entry)
        frame["value"] = -1.0
        frame.to_parquet(entry, index=False)
    result = _build(raw, out, force=True)
    assert (_outputs(result)["value"] >= 0).all()


def test_case8_a_renamed_file_is_named_by_its_new_name(raw, tmp_path):  # noqa: F811
    """Case 8: after a rename a warm build named the old file in observations, drops and
    manifest (a cold build named the new one)."""
    out = tmp_path / "out"
    _build(raw, out)
    new = "API_SP.POP.TOTL_DS2_en_csv_v2_3.csv"
    (raw / API / POP).rename(raw / API / new)
    warm = _build(raw, out)
    cold = _build(raw, tmp_path / "cold")
    for result in (warm, cold):
        files = set(_outputs(result)["file"])
        assert new in files and POP not in files
        paths = {f["path"] for f in result.manifest["raw_files"]}
        assert f"{API}/{new}" in paths and f"{API}/{POP}" not in paths
        assert POP not in result.paths["drops"].read_text()
        assert new in result.paths["drops"].read_text()


def test_case8_an_identical_copy_is_listed_not_read(raw, tmp_path):  # noqa: F811
    """Case 8: an identical second copy stopped the build with `AssertionError: drop ledger
    does not reconcile`, naming the other file."""
    copy = "API_IT.NET.USER.ZS_DS2_en_csv_v2_1 (1).csv"
    shutil.copy2(raw / API / NET, raw / API / copy)
    result = _build(raw, tmp_path / "out")
    row = next(f for f in result.manifest["raw_files"] if f["path"] == f"{API}/{copy}")
    assert row["status"] == "not_read"
    assert row["why"].startswith(f"an identical copy of {API}/{NET} (same sha256)")
    assert copy not in set(_outputs(result)["file"])
    assert f"not read: {API}/{copy} (an identical copy of {API}/{NET}" in result.summary()
