"""Build-level damage (issue 14): changed publisher files, on copies of the real files.

Each test copies the few real files it needs from ../shared/data/real into ``tmp_path``,
damages the copy as a publisher might, and builds it. The build must stop with a message
naming the file, or give a panel that matches its own inputs. Skipped without the files.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from divides import panel
from divides.errors import InputError

pytestmark = pytest.mark.unit


def _copy(real_dir: Path, dest: Path, *rels: str) -> Path:
    for rel in rels:
        for src in sorted(real_dir.glob(rel)):
            target = dest / src.relative_to(real_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def _build(raw: Path, out: Path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = panel.build("real", raw_dir=raw, out_dir=out, progress=False, **kw)
    return result, [str(w.message) for w in caught]


@pytest.fixture
def wdi_api(real_dir, tmp_path):
    return _copy(real_dir, tmp_path / "raw", "wb_wdi/api_csv/*")


def _wgi_cut(real_dir: Path, dest: Path, edit=None, rows: int = 1500) -> Path:
    """The real WGI workbook's header and first ``rows`` rows (openpyxl is slow on all),
    optionally edited (``edit(frame)`` on the raw cells, header in row 0)."""
    frame = pd.read_excel(real_dir / "wb_wgi" / "wgidataset.xlsx", header=None, dtype=object,
                          engine="calamine", nrows=rows + 1)
    if edit is not None:
        edit(frame)
    target = dest / "wb_wgi" / "wgidataset.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_excel(target, header=False, index=False, engine="openpyxl")
    return dest


def test_case2_renamed_wdi_series_stops_the_build(wdi_api, tmp_path):
    """Case 2: NY.GDP.PCAP.PP.KD -> NY.GDP.PCAP.PP.KD.21 emptied GDP per capita, exit 0."""
    f = next((wdi_api / "wb_wdi" / "api_csv").glob("API_NY.GDP.PCAP.PP.KD_*.csv"))
    text = f.read_text(encoding="utf-8-sig")
    assert text.count('"NY.GDP.PCAP.PP.KD"') > 100
    f.write_text(text.replace('"NY.GDP.PCAP.PP.KD"', '"NY.GDP.PCAP.PP.KD.21"'),
                 encoding="utf-8-sig")
    with pytest.raises(InputError) as err:
        _build(wdi_api, tmp_path / "out")
    msg = str(err.value)
    assert f"wb_wdi/api_csv/{f.name}" in msg
    assert "'NY.GDP.PCAP.PP.KD'" in msg and "NY.GDP.PCAP.PP.KD.21" in msg


def test_case2_wgi_codes_in_indicator_column_stop_the_build(real_dir, tmp_path):
    """Case 2: API codes in the workbook's indicator column emptied every WGI column."""
    clean = _wgi_cut(real_dir, tmp_path / "clean")
    result, _ = _build(clean, tmp_path / "out_clean")
    assert result.manifest["observations_rows"] > 0

    def codes(frame):
        frame.loc[1:, 4] = "GOV_WGI_" + frame.loc[1:, 4].astype(str).str.upper() + ".EST"
    raw = _wgi_cut(real_dir, tmp_path / "raw", codes)
    with pytest.raises(InputError) as err:
        _build(raw, tmp_path / "out")
    msg = str(err.value)
    assert "wb_wgi/wgidataset.xlsx" in msg and "no observation" in msg
    assert "GOV_WGI_CC.EST" in msg or "gov_wgi_cc.est" in msg


def test_every_raw_file_is_read_or_listed_and_keyed(wdi_api, tmp_path):
    """Case 3 (part): files no reader pattern matches were skipped without a word and were
    not in the build key."""
    src = next((wdi_api / "wb_wdi" / "api_csv").glob("API_IT.NET.USER.ZS_*.csv"))
    odd = src.with_name(src.name.replace(".csv", ".CSV"))
    shutil.copy2(src, odd)
    (wdi_api / "wb_wgi").mkdir()
    (wdi_api / "wb_wgi" / "notes.txt").write_text("downloaded by hand\n")
    first, msgs = _build(wdi_api, tmp_path / "out")
    listed = {f["path"]: f for f in first.manifest["raw_files"]}
    rel_odd = odd.relative_to(wdi_api).as_posix()
    assert listed[rel_odd]["status"] == "not_read"
    assert "case" in listed[rel_odd]["why"]
    assert listed["wb_wgi/notes.txt"]["status"] == "not_read"
    assert listed[src.relative_to(wdi_api).as_posix()]["status"] == "read"
    assert any(rel_odd in m for m in msgs)
    assert f"not read: {rel_odd}" in first.summary()
    assert set(first.manifest["input_sha256"]) == set(listed)

    (wdi_api / "wb_wgi" / "notes.txt").write_text("changed\n")
    second, _ = _build(wdi_api, tmp_path / "out")
    assert second.rebuilt and second.manifest["build_key"] != first.manifest["build_key"]
