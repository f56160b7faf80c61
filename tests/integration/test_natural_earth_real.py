"""Natural Earth checks from ../shared/data/real/SOURCES.md, section 10, and the shipped copy."""

import pytest

from divides import config
from divides.sources import files
from divides.sources import natural_earth as ne

pytestmark = pytest.mark.integration

STEM = "ne_110m_admin_0_countries"


@pytest.fixture(scope="module", params=[".shp", ".geojson"])
def countries(request, real_dir):
    return ne.read_countries_report(real_dir / "natural_earth" / f"{STEM}{request.param}")


def test_features_and_codes(countries):
    gdf, rep = countries
    assert len(gdf) == 177 and gdf.iso3.is_unique
    assert list(gdf.columns) == ne.COLUMNS
    codes = set(gdf.iso3)
    assert {"FRA", "NOR", "XKX", "ATA", "ESH", "TWN", "FLK", "PSE", "SSD"} <= codes
    assert "-99" not in codes and "KOS" not in codes
    assert set(gdf.loc[~gdf.has_iso3, "iso3"]) == {"CYN", "SOL"}
    assert not codes & {"SGP", "BHR", "MLT"}  # absent at 1:110m
    assert gdf.set_index("iso3").loc["FRA", "continent"] == "Europe"
    assert rep.rows_read == rep.rows_kept == 177 and rep.balanced


def test_registry_has_no_observation_files(real_dir):
    assert files(real_dir, "natural_earth") == []


def test_shipped_copy_is_current_and_deterministic(real_dir, tmp_path):
    shipped = config.NATURAL_EARTH_DIR / ne.WORLD_FILE
    made = ne.write_world(real_dir / "natural_earth" / f"{STEM}.shp", tmp_path)
    assert made.read_bytes() == shipped.read_bytes()
    assert shipped.stat().st_size < 1_000_000
    world = ne.load_world()
    source = ne.read_countries(real_dir / "natural_earth" / f"{STEM}.shp")
    assert world.drop(columns="geometry").equals(source.drop(columns="geometry"))
    assert all(a.equals(b) for a, b in zip(world.geometry, source.geometry))
