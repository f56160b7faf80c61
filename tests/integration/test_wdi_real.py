"""WDI checks from ../shared/data/real/SOURCES.md, section 3 and 4."""

import pytest

from divides.sources import wdi

pytestmark = pytest.mark.integration


def _value(obs, iso3, year, indicator="wdi_internet_users_pct", group="all"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)
              & (obs.group == group)]
    assert len(sel) == 1, (iso3, year, indicator)
    return sel["value"].iloc[0]


@pytest.fixture(scope="module")
def api(real_dir):
    out = {}
    for f in sorted((real_dir / "wb_wdi" / "api_csv").glob("API_*.csv")):
        out[f.name.split("_")[1]] = wdi.read(f)
    return out


def test_internet_users_checks(api):
    obs, rep = api["IT.NET.USER.ZS"]
    assert _value(obs, "DNK", 2015) == pytest.approx(96.3, abs=0.05)
    assert _value(obs, "DNK", 2023) == pytest.approx(98.8, abs=0.05)
    assert _value(obs, "AZE", 2015) == pytest.approx(77.0, abs=0.05)
    assert _value(obs, "AZE", 2023) == pytest.approx(89.0, abs=0.05)
    assert _value(obs, "SOM", 2015) == pytest.approx(1.76, abs=0.005)
    assert _value(obs, "SOM", 2020) == pytest.approx(15.0, abs=0.05)
    assert _value(obs, "SOM", 2022) == pytest.approx(27.6, abs=0.05)
    assert obs[(obs.iso3 == "SOM") & (obs.year == 2023)].empty
    # 213 countries / 6,038 country-year values; aggregates and INX never kept
    assert obs.iso3.nunique() == 213 and len(obs) == 6038
    assert not obs.iso3.isin(["WLD", "ARB", "INX", "EUU"]).any()
    assert rep.dropped["aggregate"] == 48 * 65 and rep.dropped["not_a_country"] == 65


@pytest.mark.parametrize("code, countries, values", [
    ("NY.GDP.PCAP.CD", 214, 11361), ("NY.GDP.PCAP.PP.KD", 199, 6785),
    ("SE.ADT.LITR.ZS", 170, 1107), ("SE.ADT.LITR.FE.ZS", 171, 1116),
    ("SP.POP.TOTL", 217, 13858), ("SP.URB.TOTL.IN.ZS", 215, 13760),
])
def test_coverage_counts(api, code, countries, values):
    obs, rep = api[code]
    assert obs.iso3.nunique() == countries and len(obs) == values
    assert rep.balanced


def test_gdp_and_literacy_checks(api):
    gdp, _ = api["NY.GDP.PCAP.PP.KD"]
    ind = "wdi_gdp_pc_ppp_const2021_usd"
    assert _value(gdp, "LUX", 2023, ind) == pytest.approx(130049, rel=1e-4)
    assert _value(gdp, "DNK", 2023, ind) == pytest.approx(69379, rel=1e-4)
    assert _value(gdp, "BDI", 2023, ind) == pytest.approx(1036, rel=1e-3)
    lit, _ = api["SE.ADT.LITR.ZS"]
    assert _value(lit, "IND", 2022, "wdi_literacy_adult_pct") == pytest.approx(76.3, abs=0.05)
    assert _value(lit, "IND", 2023, "wdi_literacy_adult_pct") == pytest.approx(81.7, abs=0.05)
    assert _value(lit, "NER", 2022, "wdi_literacy_adult_pct") == pytest.approx(35.6, abs=0.05)
    fem, _ = api["SE.ADT.LITR.FE.ZS"]
    assert _value(fem, "NER", 2022, "wdi_literacy_adult_pct", "female") == pytest.approx(25.7, abs=0.05)


def test_databank_export(real_dir):
    obs, rep = wdi.read(real_dir / "wb_wdi" / "databank_extract" / "world_bank_internet_data.csv")
    v = lambda i, ind: _value(obs, i, 2020, ind)
    assert v("DNK", "wdi_mobile_subs_per100") == pytest.approx(125.2, abs=0.05)
    assert v("AZE", "wdi_mobile_subs_per100") == pytest.approx(102.0, abs=0.05)
    assert v("SOM", "wdi_mobile_subs_per100") == pytest.approx(55.6, abs=0.05)
    assert v("DNK", "wdi_fixed_broadband_per100") == pytest.approx(44.7, abs=0.05)
    assert v("AZE", "wdi_fixed_broadband_per100") == pytest.approx(19.7, abs=0.05)
    assert v("SOM", "wdi_fixed_broadband_per100") == pytest.approx(0.75, abs=0.005)
    assert rep.dropped["footer"] == 5 and rep.balanced


def test_country_metadata(real_dir):
    meta = wdi.read_country_metadata(next((real_dir / "wb_wdi" / "api_csv").glob("Metadata_Country_*.csv")))
    assert len(meta) == 217
    assert meta.set_index("iso3").loc["VEN", "income_group"] == "Unclassified"
    assert meta.set_index("iso3").loc["AZE", "region"] == "Europe & Central Asia"
