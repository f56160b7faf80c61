"""Issue 27, case 12: a symlinked source folder is read; a symlinked file that leads out of
the raw folder is listed as not read, with why, and never opened."""

from __future__ import annotations

import os
import shutil
import warnings

import pytest

from divides import fileio
from divides.build import inventory, panel
from tests.unit.test_panel_cache import raw  # noqa: F401 - the tiny WDI raw folder fixture

pytestmark = pytest.mark.unit


def _build(raw_dir, out):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return panel.build("demo", raw_dir=raw_dir, out_dir=out, progress=False)


def test_case12_a_symlinked_source_folder_is_read(raw, tmp_path):  # noqa: F811
    """Case 12: `un_sdg -> /elsewhere` crashed the build with KeyError."""
    plain = _build(raw, tmp_path / "plain")
    elsewhere = tmp_path / "elsewhere" / "wb_wdi"
    elsewhere.parent.mkdir()
    shutil.move(raw / "wb_wdi", elsewhere)
    os.symlink(elsewhere, raw / "wb_wdi")
    linked = _build(raw, tmp_path / "linked")
    assert linked.manifest["observations_rows"] == plain.manifest["observations_rows"] > 0
    assert ([f["path"] for f in linked.manifest["raw_files"]]
            == [f["path"] for f in plain.manifest["raw_files"]])
    a = fileio.read_parquet(plain.paths["panel"])
    b = fileio.read_parquet(linked.paths["panel"])
    assert a.equals(b)


def test_case12_a_symlink_out_of_the_raw_folder_is_not_read(raw, tmp_path):  # noqa: F811
    """Case 13: symlinked files outside the raw folder were read (/etc/passwd as passwd.csv)."""
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text("Country Name,Country Code\nsecret,XXX\n")
    link = raw / "wb_wdi" / "api_csv" / "API_XX.SECRET_DS2_en_csv_v2_9.csv"
    os.symlink(secret, link)
    os.symlink(tmp_path / "outside", raw / "wb_wdi" / "loop")  # a linked folder: followed
    os.symlink(raw / "wb_wdi", raw / "wb_wdi" / "api_csv" / "back")  # a loop: ends
    found, outside = inventory.list_files(raw)
    assert raw / "wb_wdi" / "loop" / "secret.csv" in found  # a linked folder is walked
    assert outside == {link: str(secret)}
    result = _build(raw, tmp_path / "out")
    row = next(f for f in result.manifest["raw_files"]
               if f["path"] == "wb_wdi/api_csv/API_XX.SECRET_DS2_en_csv_v2_9.csv")
    assert row["status"] == "not_read"
    assert row["why"] == f"a symlink to {secret}, outside the raw folder (never read)"
    assert "XXX" not in set(fileio.read_parquet(result.paths["observations"])["iso3"])
