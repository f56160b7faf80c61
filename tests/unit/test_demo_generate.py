"""The synthetic demo set: readers take every file, values come back, bytes repeat.

One demo set is generated per module (about 3 s) and read with the same readers as the
real files (``divides.sources.read_all``); the values written (the generator's "truth")
must all come back as observations, with no unmapped name and no unexpected drop.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from divides import demo
from divides.observations import KEY
from divides.schemas import validate_observations
from divides.sources import SOURCE_IDS, files, read_all, wdi

pytestmark = pytest.mark.unit

#: Drop reasons a demo file may show (besides none): publisher layout, not data loss.
EXPECTED_DROPS = {
    "missing", "not_assessed", "aggregate", "not_a_country", "footer", "out_of_scope",
}
#: WGI's pctranklower/pctrankupper columns are not catalogued (counted per cell).
NOT_IN_CATALOGUE_OK = {"wgidataset.xlsx"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    start = time.perf_counter()
    made = demo.generate(tmp_path_factory.mktemp("demo") / "demo")
    made.seconds = time.perf_counter() - start
    return made


@pytest.fixture(scope="module")
def read(generated):
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=UserWarning)  # unmapped names would warn
        warnings.filterwarnings("ignore", message=".*ExcelFile.parse.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        return read_all(generated.root)


def test_every_source_has_files_and_the_marker(generated):
    for source in SOURCE_IDS:
        assert files(generated.root, source), f"no demo file for {source}"
    marker = (generated.root / demo.MARKER_FILE).read_text()
    assert "synthetic demo data" in marker
    assert demo.is_demo_dir(generated.root)


def test_generation_takes_seconds(generated):
    assert generated.seconds < 15, f"demo generation took {generated.seconds:.1f} s"


def test_readers_drop_nothing_unexpected(read):
    _, reports = read
    assert len(reports) >= 25
    for report in reports:
        report.check()
        assert report.rows_kept > 0, str(report)
        assert not report.unmapped_names, f"{report.file}: unmapped {report.unmapped_names}"
        allowed = EXPECTED_DROPS | ({"not_in_catalogue"} if report.file in NOT_IN_CATALOGUE_OK
                                    else set())
        unexpected = set(report.dropped) - allowed
        assert not unexpected, f"{report}: unexpected drop reasons {unexpected}"


def test_every_written_value_comes_back(generated, read):
    obs, _ = read
    truth = generated.truth
    on = ["file", *KEY]
    merged = truth.merge(obs, on=on, how="outer", suffixes=("_written", "_read"), indicator=True)
    lost = merged[merged["_merge"] == "left_only"]
    extra = merged[merged["_merge"] == "right_only"]
    assert lost.empty, f"{len(lost)} written values not read back, e.g.\n{lost.head()}"
    assert extra.empty, f"{len(extra)} observations never written, e.g.\n{extra.head()}"
    both = merged[merged["_merge"] == "both"]
    diff = (both["value_written"] - both["value_read"]).abs()
    tol = 1e-9 * both["value_written"].abs().clip(lower=1)
    bad = both[diff > tol]
    assert bad.empty, f"values differ, e.g.\n{bad.head()}"


def test_demo_observations_pass_the_schemas(read):
    obs, _ = read
    for name, part in obs.groupby("file"):
        validate_observations(part.reset_index(drop=True), name)


def test_country_metadata_gives_region_and_income_group(generated):
    meta_file = next((generated.root / "wb_wdi" / "api_csv").glob("Metadata_Country_*.csv"))
    meta = wdi.read_country_metadata(meta_file)
    countries = demo.load_countries()
    assert set(meta["iso3"]) == set(countries["iso3"])
    assert meta.set_index("iso3").loc["AZE", "region"] == "Europe & Central Asia"


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(generated, tmp_path):
    again = demo.generate(tmp_path / "again").root
    first, second = _digests(generated.root), _digests(again)
    assert first.keys() == second.keys()
    differ = [k for k in first if first[k] != second[k]]
    assert not differ, f"files differ between two runs with the same seed: {differ}"
    assert any(k.endswith(".xlsx") for k in first)


def test_another_seed_gives_other_values(generated, tmp_path):
    other = demo.generate(tmp_path / "other", seed=1).root
    name = "un_egov/EGOV_DATA_2022.csv"
    assert (other / name).read_bytes() != (generated.root / name).read_bytes()


def test_refuses_to_overwrite_a_folder_that_is_not_a_demo(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        demo.generate(tmp_path)
    assert (tmp_path / "keep.txt").exists()


def test_xlsx_have_fixed_timestamps(generated):
    import zipfile

    for path in generated.root.rglob("*.xlsx"):
        with zipfile.ZipFile(path) as z:
            assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            core = z.read("docProps/core.xml").decode()
            assert "2024-01-01T00:00:00Z" in core


def test_quirks_are_reproduced(generated):
    root = generated.root
    api = next((root / "wb_wdi" / "api_csv").glob("API_IT.NET.USER.ZS_*.csv")).read_bytes()
    assert api.startswith(b"\xef\xbb\xbf\"Data Source\"")
    assert api.splitlines()[4].endswith(b",")
    egov = (root / "un_egov" / "EGOV_DATA_2003.csv").read_text()
    assert '"Iraq "' in egov and ",0.00000," in egov
    legacy = (root / "ti_cpi" / "datahub_core" / "cpi.csv").read_bytes()
    assert b"\r\r\n" in legacy and b",0.0," in legacy
    unesco = (root / "unesco_literacy" / "Literacy rates (no pw2).csv").read_bytes()
    assert b";" in unesco and b"\r\n" in unesco
    frame = pd.read_csv(root / "unesco_literacy" / "Literacy rates (no pw2).csv", sep=";",
                        decimal=",", encoding="cp1252")
    assert frame["Literacy rate"].between(0, 1).all()
