"""The build as a transaction (issue 14, cases 1, 7 and 10) on tiny WDI-only raw folders.

Case 1: a build that fails while writing must leave the previous build current and whole,
and an up-to-date check must not accept outputs that do not match their manifest.
Case 7: a damaged read-cache entry is a warning and is recomputed, never fatal.
Case 10: concurrent builds on one folder are serialised by a lock (no shared temp names).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import filelock
import pandas as pd
import pytest

from divides import config, fileio
from divides.build import loaders as api
from divides.build import panel, readcache, store
from tests.unit.test_panel_cache import mark_demo

pytestmark = pytest.mark.unit

YEARS = [2018, 2019, 2020]
SRC = Path(panel.__file__).resolve().parents[1]


def _api_csv(path, values):
    head = ('"Data Source","World Development Indicators",\n\n'
            '"Last Updated Date","2025-04-15",\n\n')
    cols = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"] + \
        [str(y) for y in YEARS]
    lines = [",".join(f'"{c}"' for c in cols) + ","]
    cells = ["Denmark", "DNK", "Individuals using the Internet (% of population)",
             "IT.NET.USER.ZS"] + [str(v) for v in values]
    lines.append(",".join(f'"{c}"' for c in cells) + ",")
    path.write_text("\ufeff" + head + "\n".join(lines) + "\n", encoding="utf-8")


def _raw(base: Path, values) -> Path:
    d = base / "wb_wdi" / "api_csv"
    d.mkdir(parents=True)
    _api_csv(d / "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv", values)
    (d / "Metadata_Country_API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv").write_text(
        '\ufeff"Country Code","Region","IncomeGroup","SpecialNotes","TableName",\n'
        '"DNK","Europe & Central Asia","High income","","Denmark",\n', encoding="utf-8")
    return mark_demo(base)


A_VALUES, B_VALUES = [90.0, 91.0, 92.0], [10.0, 11.0, 12.0]


@pytest.fixture
def raws(tmp_path):
    return _raw(tmp_path / "A", A_VALUES), _raw(tmp_path / "B", B_VALUES)


def _build(raw, out, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = panel.build("demo", raw_dir=raw, out_dir=out, progress=False, **kw)
    return result, [str(w.message) for w in caught]


def _internet(out) -> list[float]:
    return fileio.read_parquet(out / "panel.parquet")["internet_users_pct"].tolist()


def test_failed_write_leaves_previous_build_current(raws, tmp_path, monkeypatch):
    """Case 1: B fails after writing two outputs; A again must not be 'up to date' on B's."""
    raw_a, raw_b = raws
    out = tmp_path / "out"
    _build(raw_a, out)
    assert _internet(out) == A_VALUES

    real_write = fileio.write_parquet
    calls = []

    def failing(frame, path):
        calls.append(path.name)
        if len(calls) == 3:  # observations and panel written, then the disk is full
            raise OSError(27, "File too large")
        real_write(frame, path)

    monkeypatch.setattr(fileio, "write_parquet", failing)
    with pytest.raises(OSError, match="File too large"):
        _build(raw_b, out)
    monkeypatch.setattr(fileio, "write_parquet", real_write)
    assert _internet(out) == A_VALUES  # the failed build changed nothing current
    assert not list((out / store.BUILDS).glob(f"{store.STAGING_PREFIX}*"))  # staging removed

    again, _ = _build(raw_a, out)
    assert not again.rebuilt
    assert _internet(out) == A_VALUES
    assert store.verify(store.current_dir(out))["build_key"] == again.manifest["build_key"]


def test_changed_output_is_not_up_to_date(raws, tmp_path, monkeypatch):
    """Case 1 (kill between two files, or a hand copy): outputs that do not match their
    manifest are rebuilt, and load_panel without a build refuses them."""
    raw_a, raw_b = raws
    out_a, out_b = tmp_path / "out_a", tmp_path / "out_b"
    _build(raw_a, out_a)
    _build(raw_b, out_b)
    # B's panel over A's: every file exists, the manifest key is A's
    (store.current_dir(out_a) / "panel.parquet").write_bytes(
        (out_b / "panel.parquet").read_bytes())
    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / "processed")
    (tmp_path / "processed").mkdir()
    os.symlink(out_a, tmp_path / "processed" / "demo")
    with pytest.raises(store.StaleBuildError, match="panel.parquet"):
        api.load_panel("demo", build=False)

    again, msgs = _build(raw_a, out_a)
    assert again.rebuilt
    assert any("does not match its manifest" in m for m in msgs)
    assert _internet(out_a) == A_VALUES
    assert api.load_panel("demo", build=False)["internet_users_pct"].tolist() == A_VALUES


def test_outputs_carry_the_build_key(raws, tmp_path):
    raw_a, _ = raws
    result, _ = _build(raw_a, tmp_path / "out")
    current = store.current_dir(tmp_path / "out")
    for name in ("panel.parquet", "cell_sources.parquet", "gaps.parquet",
                 "observations.parquet"):
        assert store.parquet_build_key(current / name) == result.manifest["build_key"]
    assert set(result.manifest["outputs"]) >= set(panel.OUTPUT_FILES) - {"manifest.json"}
    # the stable names point through `current`, so one symlink swap changes them all
    assert os.readlink(tmp_path / "out" / "panel.parquet") == "current/panel.parquet"


def test_truncated_cache_entry_is_recomputed(raws, tmp_path):
    """Case 7: a truncated cache json blocked every build, --force included."""
    raw_a, _ = raws
    out = tmp_path / "out"
    _build(raw_a, out)
    entries = sorted((out / "cache").glob("wdi-*.json"))
    assert len(entries) == 1
    text = entries[0].read_text()
    entries[0].write_text(text[: len(text) // 2])
    result, msgs = _build(raw_a, out, force=True)
    assert result.rebuilt and _internet(out) == A_VALUES
    # --force bypasses every cache (issue 27): the damaged entry is not even opened
    assert not any("unreadable" in m for m in msgs)
    assert json.loads(entries[0].read_text())["rows_read"] == len(YEARS)  # rewritten whole


def test_cache_entry_written_atomically(raws, tmp_path, monkeypatch):
    """A failure while writing a cache entry leaves no half entry and no temp file."""
    raw_a, _ = raws
    out = tmp_path / "out"

    def boom(self, path, **kw):
        Path(path).write_bytes(b"PAR1 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError, match="No space"):
        _build(raw_a, out)
    assert list((out / "cache").iterdir()) == []
    monkeypatch.undo()
    result, _ = _build(raw_a, out)
    assert result.rebuilt and _internet(out) == A_VALUES


def test_cache_load_warns_names_entry(tmp_path):
    obs_path, rep_path = tmp_path / "wdi-x.parquet", tmp_path / "wdi-x.json"
    obs_path.write_bytes(b"not parquet")
    rep_path.write_text("{}")
    with pytest.warns(readcache.CacheEntryWarning, match="wdi-x"):
        assert readcache.load_entry(obs_path, rep_path) is None


def test_lock_timeout_is_a_clear_error(raws, tmp_path, capsys):
    raw_a, _ = raws
    out = tmp_path / "out"
    out.mkdir()
    held = filelock.FileLock(str(out / store.LOCK_FILE))
    with held, pytest.raises(store.BuildLockTimeout, match=r"\.build\.lock"):
        panel.build("demo", raw_dir=raw_a, out_dir=out, progress=False, lock_timeout_s=0.3)
    assert "another build is running" in capsys.readouterr().err
    assert not (out / store.CURRENT).exists()


SCRIPT = textwrap.dedent("""
    import sys, time
    import pyarrow.parquet as pq
    real = pq.write_table
    def slow(*a, **k):  # widen the window between writing a file and moving it into place
        real(*a, **k)
        time.sleep(0.6)
    pq.write_table = slow
    from divides.build import panel
    panel.build("demo", raw_dir=sys.argv[1], out_dir=sys.argv[2], progress=False, force=True)
""")


def test_concurrent_builds_are_serialised(raws, tmp_path):
    """Case 10: concurrent A and B builds on one folder: both succeed, and the current
    build is whole (its panel holds the values of the inputs its manifest names)."""
    raw_a, raw_b = raws
    out = tmp_path / "out"
    script = tmp_path / "build.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    procs = [subprocess.Popen([sys.executable, str(script), str(raw), str(out)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for raw in (raw_a, raw_b, raw_a)]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code == 0, err[-2000:]
    manifest = store.verify(store.current_dir(out))
    name = "wb_wdi/api_csv/API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv"
    winner = raw_a if manifest["input_sha256"][name] == fileio.sha256_file(raw_a / name) \
        else raw_b
    assert _internet(out) == (A_VALUES if winner == raw_a else B_VALUES)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")
                or p.name.startswith(fileio.TEMP_PREFIX)]
