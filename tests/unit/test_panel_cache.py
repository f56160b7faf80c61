"""Build caching and tolerance of absent sources, on a tiny WDI-only raw folder."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from divides import demo, fileio, provenance
from divides.build import ledger, panel

pytestmark = pytest.mark.unit

YEARS = list(range(2018, 2021))


def mark_demo(folder: Path) -> Path:
    """Give a hand-made (synthetic) raw folder the demo marker of this generator, so that
    ``--data demo`` builds it (a demo build refuses files without it)."""
    shutil.copy(demo.ensure_demo() / provenance.DEMO_MARKER_FILE, folder)
    return folder


def _api_csv(path, code, name, rows):
    head = ('"Data Source","World Development Indicators",\n\n'
            '"Last Updated Date","2025-04-15",\n\n')
    cols = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"] + \
        [str(y) for y in YEARS]
    lines = [",".join(f'"{c}"' for c in cols) + ","]
    for country, iso, values in rows:
        cells = [country, iso, name, code] + ["" if v is None else str(v) for v in values]
        lines.append(",".join(f'"{c}"' for c in cells) + ",")
    path.write_text("\ufeff" + head + "\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def raw(tmp_path):
    d = tmp_path / "raw" / "wb_wdi" / "api_csv"
    d.mkdir(parents=True)
    _api_csv(d / "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv", "IT.NET.USER.ZS",
             "Individuals using the Internet (% of population)",
             [("Denmark", "DNK", [97.0, 98.0, None]), ("World", "WLD", [50.0, 55.0, 60.0])])
    _api_csv(d / "API_SP.POP.TOTL_DS2_en_csv_v2_2.csv", "SP.POP.TOTL", "Population, total",
             [("Denmark", "DNK", [5.8e6, 5.8e6, 5.8e6])])
    (d / "Metadata_Country_API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv").write_text(
        '\ufeff"Country Code","Region","IncomeGroup","SpecialNotes","TableName",\n'
        '"DNK","Europe & Central Asia","High income","","Denmark",\n'
        '"WLD","","","","World",\n', encoding="utf-8")
    return mark_demo(tmp_path / "raw")


def _build(raw, out, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = panel.build("demo", raw_dir=raw, out_dir=out, progress=False, **kw)
    return result, [str(w.message) for w in caught]


def test_build_outputs_cache_and_partial_rebuild(raw, tmp_path):
    out = tmp_path / "out"
    first, msgs = _build(raw, out)
    assert first.rebuilt
    assert all((out / f).exists() for f in panel.OUTPUT_FILES)
    # absent sources are never silent: warned, in the manifest, in drops and coverage
    assert any("'cpi' gives no observations" in m for m in msgs)
    assert "cpi" in first.manifest["sources_without_files"]
    drops = pd.read_csv(out / "drops.csv")
    assert ((drops.source == "cpi") & (drops.reason == "no_files")).any()
    cov = pd.read_csv(out / "coverage.csv", keep_default_na=False)
    cpi = cov[(cov.variable == "cpi_score")]
    assert len(cpi) == 1 and cpi["n_countries"].iloc[0] == 0 and "cpi" in cpi["note"].iloc[0]
    p = fileio.read_parquet(out / "panel.parquet")
    assert p.attrs["divides"]["data"] == "demo"
    assert set(p.iso3) == {"DNK"} and p.region.iloc[0] == "Europe & Central Asia"
    assert p.set_index("year").loc[2019, "internet_users_pct"] == 98.0
    ledger.check_ledger(drops)
    read = drops[drops.stage == "read"]
    assert read[read.file.str.startswith("API_IT")]["rows"].sum() == 2 * len(YEARS)

    stamp = {f: (out / f).stat().st_mtime_ns for f in panel.OUTPUT_FILES}
    second, _ = _build(raw, out)
    assert not second.rebuilt
    assert {f: (out / f).stat().st_mtime_ns for f in panel.OUTPUT_FILES} == stamp

    # change one input: rebuild, and only that file is re-read (the other is a cache hit)
    f = next((raw / "wb_wdi" / "api_csv").glob("API_SP*.csv"))
    f.write_text(f.read_text(encoding="utf-8").replace("5800000.0", "5900000.0"),
                 encoding="utf-8")
    (out / "cache" / "speccurve-perm-0123.parquet").write_bytes(b"kept")
    cache_before = set((out / "cache").iterdir())
    third, _ = _build(raw, out)
    assert third.rebuilt
    assert (out / "cache" / "speccurve-perm-0123.parquet").exists()
    new = set((out / "cache").iterdir()) - cache_before
    assert {p.name.split("-")[0] for p in new} == {"wdi"} and len(new) == 2  # parquet + json
    # the entry of the file's old content is pruned; other files in the folder stay
    gone = cache_before - set((out / "cache").iterdir())
    assert {p.suffix for p in gone} == {".parquet", ".json"} and len(gone) == 2
    assert fileio.read_parquet(out / "panel.parquet")["population"].max() == 5.9e6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input_sha256"].keys() >= {f"wb_wdi/api_csv/{f.name}"}


def test_build_is_deterministic(raw, tmp_path):
    _build(raw, tmp_path / "a")
    _build(raw, tmp_path / "b")
    for f in ("panel.parquet", "gaps.parquet", "observations.parquet", "drops.csv",
              "coverage.csv", "manifest.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
