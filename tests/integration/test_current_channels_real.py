"""The publishers' current channels in ../shared/data/real (SOURCES.md, section 12): the WGI
2025 release through the World Bank API, EGOV and ITU through World Bank Data360."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from divides.sources import egov, itu, wgi

pytestmark = pytest.mark.integration

DATA360_EGOV = {"EGDI": "egov_egdi", "HCI": "egov_hci", "OSI": "egov_osi", "TTI": "egov_tii"}


def _one(obs, iso3, year, indicator, breakdown="total", group="all"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)
              & (obs.breakdown == breakdown) & (obs.group == group)]
    assert len(sel) == 1, (iso3, year, indicator, breakdown, group)
    return sel["value"].iloc[0]


def test_wgi_api_2025_release_checks(real_dir):
    obs, rep = wgi.read(real_dir / "wb_wgi" / "api_v2_json" / "CC.EST.json")
    assert rep.balanced and rep.rows_read == 216
    assert rep.release == "2026-03-18"  # meta lastupdated
    assert set(obs.year) == {2015} and set(obs.indicator) == {"wgi_cc_estimate"}
    # SOURCES.md 12b: the 2025 release re-estimated history
    assert _one(obs, "DNK", 2015, "wgi_cc_estimate") == pytest.approx(2.1589, abs=1e-4)
    assert _one(obs, "SOM", 2015, "wgi_cc_estimate") == pytest.approx(-1.7298, abs=1e-4)
    assert _one(obs, "AZE", 2015, "wgi_cc_estimate") == pytest.approx(-0.9368, abs=1e-4)
    # the nine entities with an empty ISO3 code: eight mapped by name, one former economy
    for iso3 in ("AIA", "COK", "GUF", "JEY", "MTQ", "NIU", "REU", "TWN"):
        _one(obs, iso3, 2015, "wgi_cc_estimate")
    assert rep.dropped == {"not_a_country": 1, "missing": 2}
    assert {"XKX", "ROU", "COD"} <= set(obs.iso3)


def test_wgi_releases_differ_and_correlate(real_dir):
    new, _ = wgi.read(real_dir / "wb_wgi" / "api_v2_json" / "CC.EST.json")
    old, rep_old = wgi.read(real_dir / "wb_wgi" / "wgidataset.xlsx")
    assert rep_old.release == "2024"
    key = ["iso3", "year", "indicator"]
    a = new.set_index(key)["value"]
    b = old[(old.indicator == "wgi_cc_estimate") & (old.year == 2015)].set_index(key)["value"]
    both = a.index.intersection(b.index)
    assert len(both) >= 199
    assert a[both].corr(b[both]) == pytest.approx(0.995, abs=0.003)
    assert (a[both] != b[both]).mean() > 0.9  # re-estimated: almost every value differs


@pytest.fixture(scope="module")
def egov_both(real_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d360 = pd.concat([egov.read(real_dir / "un_egov" / "data360" / f"UN_EGDI_{k}_WIDEF.csv")[0]
                          for k in DATA360_EGOV])
        un = pd.concat([egov.read(p)[0] for p in sorted((real_dir / "un_egov").glob("EGOV_DATA_*.csv"))])
        mod = egov.read(real_dir / "un_egov" / "modified" / "EGOV_DATA_2024.csv")[0]
    return d360, un, mod


def test_data360_egov_equals_un_files(egov_both):
    """SOURCES.md 12c: Data360 equals the UN CSVs (2003-2022) and the modified 2024 copy,
    the same cells kept (not-assessed states dropped alike)."""
    d360, un, mod = egov_both
    key = ["iso3", "year", "indicator"]
    a = d360.set_index(key)["value"].sort_index()
    for ref in (un, mod):
        b = ref[ref.indicator.isin(DATA360_EGOV.values())].set_index(key)["value"].sort_index()
        years = set(b.index.get_level_values("year"))
        a_y = a[a.index.get_level_values("year").isin(years)]
        assert a_y.index.equals(b.index)
        assert (a_y - b).abs().max() < 5e-5


def test_data360_egov_checks(egov_both):
    d360 = egov_both[0]
    assert _one(d360, "DNK", 2022, "egov_egdi") == pytest.approx(0.9717)
    assert _one(d360, "DNK", 2024, "egov_egdi") == pytest.approx(0.98474)
    assert _one(d360, "AZE", 2022, "egov_egdi") == pytest.approx(0.6937)
    assert _one(d360, "AZE", 2024, "egov_egdi") == pytest.approx(0.76073)


def test_itu_daily_use_by_sex_age_area(real_dir):
    obs, rep = itu.read(real_dir / "itu" / "data360" / "ITU_DH_INT_USR_DAY.csv")
    assert rep.balanced and rep.rows_read == 6900
    assert _one(obs, "TUR", 2022, "itu_internet_daily_users_pct", "sex", "female") \
        == pytest.approx(95.48, abs=0.005)
    assert _one(obs, "TUR", 2022, "itu_internet_daily_users_pct", "sex", "male") \
        == pytest.approx(96.29, abs=0.005)
    assert _one(obs, "ALB", 2019, "itu_internet_daily_users_pct", "age", "15_24") == 95.2318
    groups = set(zip(obs.breakdown, obs.group))
    assert groups == {("total", "all"), ("sex", "female"), ("sex", "male"), ("area", "urban"),
                      ("area", "rural"), ("age", "0_14"), ("age", "15_24"), ("age", "25_74"),
                      ("age", "75plus")}
    # countries only (regional aggregates such as EUU dropped by code), 2003-2024
    assert obs.iso3.nunique() == 100 and rep.dropped["aggregate"] > 0
    assert (obs.year.min(), obs.year.max()) == (2003, 2024)
    # shares above 100 % are set aside and listed, never kept
    assert rep.dropped["impossible_value"] == 9 and (obs.value <= 100).all()
    assert "MEX 2014 age/75plus = 347.002" in " ".join(rep.notes)


def test_natural_earth_zip_as_published_reads_like_the_shapefile(real_dir, tmp_path):
    """naciscdn.org ships the countries as a ZIP: read in place, same table as the .shp."""
    import zipfile

    from divides.sources import natural_earth

    folder = real_dir / "natural_earth"
    archive = tmp_path / "ne_110m_admin_0_countries.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(folder.glob("ne_110m_admin_0_countries.*")):
            if part.suffix != ".geojson":
                zf.write(part, part.name)
        zf.writestr("ne_110m_admin_0_countries.README.html", "<html></html>")
    from_zip = natural_earth.read_countries(archive)
    from_shp = natural_earth.read_countries(folder / "ne_110m_admin_0_countries.shp")
    assert len(from_zip) == len(from_shp) > 170
    pd.testing.assert_frame_equal(pd.DataFrame(from_zip.drop(columns="geometry")),
                                  pd.DataFrame(from_shp.drop(columns="geometry")))
    assert from_zip.geometry.geom_equals(from_shp.geometry).all()
