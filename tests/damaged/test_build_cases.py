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

from divides import fileio
from divides.build import panel
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


def _api_internet(raw: Path) -> Path:
    return next((raw / "wb_wdi" / "api_csv").glob("API_IT.NET.USER.ZS_*.csv"))


def _redownload(src: Path, stamp: str | None, scale: float) -> Path:
    """A re-download saved beside the original as ``... (1).csv``: DNK values scaled, and
    optionally another ``Last Updated Date``."""
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    out = []
    for line in lines:
        if stamp and line.startswith('"Last Updated Date"'):
            line = f'"Last Updated Date","{stamp}",'
        if line.startswith('"Denmark","DNK"'):
            cells = line.rstrip(",").strip('"').split('","')
            cells = [f"{float(x) * scale:.6g}" if x.replace(".", "", 1).isdigit() else x
                     for x in cells]
            line = '"' + '","'.join(cells) + '",'
        out.append(line)
    copy = src.with_name(src.stem + " (1).csv")
    copy.write_text("\ufeff" + "\n".join(out) + "\n", encoding="utf-8")
    return copy


def test_case3_same_edition_redownload_that_disagrees_stops(wdi_api, tmp_path):
    """Case 3: a '(1).csv' re-download with other values won by its name."""
    src = _api_internet(wdi_api)
    copy = _redownload(src, None, 0.5)
    with pytest.raises(InputError) as err:
        _build(wdi_api, tmp_path / "out")
    msg = str(err.value)
    assert src.name in msg and copy.name in msg and "DNK" in msg
    assert "both edition 2025-04-15" in msg


def test_case3_newer_edition_wins_whatever_its_name(wdi_api, tmp_path):
    src = _api_internet(wdi_api)
    before = fileio.read_parquet(_build(wdi_api, tmp_path / "clean")[0].paths["panel"])
    copy = _redownload(src, "2026-01-31", 0.5)
    result, _ = _build(wdi_api, tmp_path / "out")
    after = fileio.read_parquet(result.paths["panel"])
    dnk = (after.iso3 == "DNK") & after.internet_users_pct.notna()
    old = before.set_index(["iso3", "year"]).loc[after.loc[dnk, ["iso3", "year"]].apply(
        tuple, axis=1).tolist(), "internet_users_pct"].to_numpy()
    assert after.loc[dnk, "internet_users_pct"].to_numpy() == pytest.approx(old * 0.5, rel=1e-5)
    used = {e["file"]: e["edition"] for e in result.manifest["column_editions"][
        "internet_users_pct"]}
    assert used == {copy.name: "2026-01-31"}


def test_case3_corrected_egov_copy_of_one_survey_stops(real_dir, tmp_path):
    """Case 3: a corrected EGOV_DATA_2022_v2.csv lost to the original by its name."""
    raw = _copy(real_dir, tmp_path / "raw", "un_egov/EGOV_DATA_2022.csv",
                "un_egov/EGOV_DATA_2020.csv")
    src = raw / "un_egov" / "EGOV_DATA_2022.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith('2022,"Ireland'))
    lines[i] = lines[i].replace("0.85670", "0.86670")
    (raw / "un_egov" / "EGOV_DATA_2022_v2.csv").write_text("\n".join(lines) + "\n",
                                                          encoding="utf-8")
    with pytest.raises(InputError) as err:
        _build(raw, tmp_path / "out")
    msg = str(err.value)
    assert "EGOV_DATA_2022.csv" in msg and "EGOV_DATA_2022_v2.csv" in msg
    assert "IRL 2022" in msg and "0.8567 vs 0.8667" in msg


def test_case3_cpi_edition_from_content_not_name(real_dir, tmp_path):
    """Case 3: a newer CPI edition lost to the 2023 one when its name sorted lower. Here the
    2025 workbook is saved under an old-looking name and still wins; the manifest says so."""
    raw = _copy(real_dir, tmp_path / "raw", "ti_cpi/CPI2023_GlobalResultsTrends.xlsx")
    shutil.copy2(real_dir / "ti_cpi" / "CPI2025_Results.xlsx", raw / "ti_cpi" / "CPI2019_a.xlsx")
    result, _ = _build(raw, tmp_path / "out")
    editions = {e["file"]: e["edition"] for e in result.manifest["column_editions"]["cpi_score"]}
    assert editions == {"CPI2019_a.xlsx": "2025"}


def test_case4_thousands_separator_in_wdi_api_csv_is_an_error(wdi_api):
    """Case 4: "216,728" in a WDI API CSV became 216728 (no API CSV value has a separator)."""
    from divides.errors import SourceFormatError
    from divides.sources import wdi

    f = next((wdi_api / "wb_wdi" / "api_csv").glob("API_SP.POP.TOTL_*.csv"))
    lines = f.read_text(encoding="utf-8-sig").splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith('"Aruba","ABW"'))
    cells = lines[i].split('","')
    j = next(k for k, x in enumerate(cells) if x.isdigit() and len(x) >= 5)
    cells[j] = f"{int(cells[j]):,}"
    lines[i] = '","'.join(cells)
    f.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as err:
        wdi.read(f)
    msg = str(err.value)
    assert f.name in msg and "data row" in msg and repr(cells[j]) in msg and "column" in msg


def test_case5_demo_marker_refuses_a_real_build(wdi_api, tmp_path):
    """Case 5: a demo folder passed as --raw-dir was built as real data."""
    from divides import demo

    (wdi_api / demo.MARKER_FILE).write_text("synthetic\n")
    with pytest.raises(InputError, match="demo marker"):
        _build(wdi_api, tmp_path / "out")


def test_case6_blank_country_metadata_is_counted_and_warned(wdi_api, tmp_path):
    """Case 6: a blank Region and Income group took the country out of regional samples
    without a word."""
    meta = next((wdi_api / "wb_wdi" / "api_csv").glob("Metadata_Country_*.csv"))
    text = meta.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith('"DNK"'))
    cells = lines[i].split('","')
    cells[1] = cells[2] = ""
    lines[i] = '","'.join(cells)
    meta.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    result, msgs = _build(wdi_api, tmp_path / "out")
    assert "DNK" in result.manifest["countries_without_metadata"]
    assert any("no Region or Income group" in m and "DNK" in m for m in msgs)
    p = fileio.read_parquet(result.paths["panel"])
    dnk = p[p.iso3 == "DNK"]
    assert len(dnk) and dnk["internet_users_pct"].notna().any()  # still in the panel
    assert dnk["region"].isna().all() and dnk["income_group"].isna().all()


def test_case8_empty_wgi_code_is_an_error_naming_the_row(real_dir, tmp_path):
    """Case 8: an empty `code` cell in wgidataset.xlsx was an AttributeError."""
    from divides.errors import SourceFormatError
    from divides.sources import wgi

    def blank(frame):
        frame.iloc[5, 1] = None
    raw = _wgi_cut(real_dir, tmp_path / "raw", blank, rows=200)
    with pytest.raises(SourceFormatError) as err:
        wgi.read(raw / "wb_wgi" / "wgidataset.xlsx")
    assert "wgidataset.xlsx" in str(err.value) and "column 'code'" in str(err.value)
    assert "'6'" in str(err.value)  # the Excel row of the empty cell


def test_case8_itu_footnote_and_source_rows_are_footers(real_dir, tmp_path):
    """Case 8: a footnote row crashed warn_unmapped (TypeError); a 'Source: ...' line was
    counted as an unmapped country name."""
    from openpyxl import load_workbook

    from divides.sources import itu

    src = real_dir / "itu" / "MobileCellularSubscriptions_2000-2020.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean, clean_rep = itu.read(src)
    book = load_workbook(src)
    ws = book.worksheets[0]
    ws.append(["Note: 2020 values are ITU estimates."])
    ws.append([None, "Source: ITU World Telecommunication/ICT Indicators database"])
    damaged = tmp_path / src.name
    book.save(damaged)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs, rep = itu.read(damaged)
    pd.testing.assert_frame_equal(obs.drop(columns="file"), clean.drop(columns="file"))
    assert rep.unmapped_names == clean_rep.unmapped_names
    assert rep.dropped["footer"] > clean_rep.dropped.get("footer", 0)
