"""ITU checks from ../shared/data/real/SOURCES.md, section 5 (5a, 5b, 5c)."""

import warnings

import pytest

from divides.countries import UnmappedCountryWarning
from divides.sources import files, itu

pytestmark = pytest.mark.integration

XLS = "10. Individuals using the Internet by gender and urban-rural location.xls"
XLSX = "IndividualsUsingInternetByGender.xlsx"
SUBS = {"mobile": "MobileCellularSubscriptions_2000-2020.xlsx",
        "fixed": "FixedBroadbandSubscriptions_2000-2020.xlsx",
        "mobile_broadband": "MobileBroadbandSubscriptions_2007-2020.xlsx"}
AGG = "ITU_regional_global_Key_ICT_indicator_aggregates_rev1_Jan_2022.xlsx"


def _read(path):
    """Read with unmapped-name warnings turned into errors: the alias table is complete."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmappedCountryWarning)
        return itu.read(path)


@pytest.fixture(scope="module")
def latest(real_dir):
    return {name: _read(real_dir / "itu" / name) for name in (XLS, XLSX)}


@pytest.fixture(scope="module")
def subs(real_dir):
    return {key: _read(real_dir / "itu" / name) for key, name in SUBS.items()}


def _value(obs, iso3, year, group="all", indicator="itu_internet_users_pct"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)
              & (obs.group == group)]
    assert len(sel) == 1, (iso3, year, indicator, group)
    return sel["value"].iloc[0]


def test_registry_finds_every_country_file(real_dir):
    names = {p.name for p in files(real_dir, "itu")}
    assert names == {XLS, XLSX, *SUBS.values(), "ITU_DH_INT_USR_DAY.csv"}


def test_azerbaijan_2020_and_2018(latest):
    obs = latest[XLSX][0]
    for group, value in [("all", 84.6), ("male", 87.0), ("female", 82.2), ("urban", 94.9),
                         ("rural", 72.7)]:
        assert _value(obs, "AZE", 2020, group) == value
    old = latest[XLS][0]
    for group, value in [("all", 79.8), ("male", 83.9), ("female", 75.8)]:
        assert _value(old, "AZE", 2018, group) == value


def test_bolivia_turkey_denmark_2020(latest):
    obs = latest[XLSX][0]
    assert _value(obs, "BOL", 2020, "urban") == 73.5
    assert _value(obs, "BOL", 2020, "rural") == 27.9
    assert _value(obs, "TUR", 2020, "male") == 83.3
    assert _value(obs, "TUR", 2020, "female") == 72.1
    assert _value(obs, "DNK", 2020) == 96.5
    assert _value(obs, "DNK", 2020, "male") == 97.4
    assert _value(obs, "DNK", 2020, "female") == 95.7


@pytest.mark.parametrize("name, economies, by_sex, urban_rural, missing", [
    (XLS, 112, 104, 46, 433), (XLSX, 118, 113, 56, 408)])
def test_latest_year_coverage_and_ledger(latest, name, economies, by_sex, urban_rural, missing):
    obs, rep = latest[name]
    assert obs.iso3.nunique() == economies
    assert obs[obs.breakdown == "sex"].iso3.nunique() == by_sex
    assert obs[obs.breakdown == "area"].iso3.nunique() == urban_rural
    assert obs.groupby("iso3").year.nunique().max() == 1  # latest year only
    assert rep.rows_read == 9 * economies + 2
    assert dict(rep.dropped) == {"missing": missing, "footer": 2}
    assert rep.balanced and not rep.unmapped_names


def test_in_scope_sheet(real_dir, latest):
    table = itu.read_in_scope(real_dir / "itu" / XLSX)
    assert len(table) == 136 and table.iso3.is_unique
    arm = table.set_index("iso3").loc["ARM"]
    assert arm["in_scope_population"] == "Population age 6+; 1+ (2019)" and arm["age_from"] == 6
    assert any("in-scope population" in note for note in latest[XLSX][1].notes)


@pytest.mark.parametrize("key, indicator, values", [
    ("mobile", "itu_mobile_subs_per100", {"DNK": 125.21, "AZE": 102.02, "SOM": 55.65}),
    ("fixed", "itu_fixed_broadband_per100", {"DNK": 44.72, "AZE": 19.68, "SOM": 0.749}),
    ("mobile_broadband", "itu_mobile_broadband_per100", {"DNK": 138.7, "AZE": 69.6, "SOM": 2.8}),
])
def test_subscription_checks_2020(subs, key, indicator, values):
    obs, rep = subs[key]
    for iso3, expected in values.items():
        decimals = len(str(expected).split(".")[1])
        assert _value(obs, iso3, 2020, indicator=indicator) == pytest.approx(
            expected, abs=0.5 * 10 ** -decimals)
    assert rep.balanced and not rep.unmapped_names


@pytest.mark.parametrize("key, years", [("mobile", 21), ("fixed", 21), ("mobile_broadband", 14)])
def test_subscription_236_economies(subs, key, years):
    obs, rep = subs[key]
    # 236 rows per sheet, two data sheets (count, per 100); Ascension and Neth. Antilles
    # have no ISO3 of their own (not_a_country), the other 234 all map.
    assert rep.rows_read == 236 * years * 2
    assert rep.dropped["not_a_country"] == 2 * years * 2
    assert set(rep.dropped) <= {"missing", "not_a_country"}
    assert obs.iso3.nunique() <= 234
    assert set(obs.indicator.str.endswith("_count").unique()) == {True, False}
    assert any("Definitions" in note for note in rep.notes)


def test_aggregates_world_2020(real_dir):
    table, rep = itu.read_aggregates_report(real_dir / "itu" / AGG)
    world = table[(table.area == "World") & (table.year == 2020)
                  & (table.sheet == "Internet use by sex & age")]
    by_sex = world[world.table.str.endswith("by sex")].set_index("group")["value"]
    assert by_sex.to_dict() == {"all": 59.1, "female": 56.5, "male": 61.7}
    by_age = world[world.table.str.endswith("by age")].set_index("group")["value"]
    assert by_age["15-24"] == 70.8 and by_age["rest_of_population"] == 56.9
    assert set(table.sheet) == {"By dvpmnt status and spec. reg.", "By BDT region",
                                "By urban-rural area", "Internet use by sex & age"}
    assert {"World", "Developed", "Least Developed Countries (LDCs)",
            "Africa", "CIS", "Europe"} <= set(table.area)
    assert "iso3" not in table.columns
    assert rep.balanced and rep.dropped["footer"] > 0


def test_latest_year_tables_carry_their_edition_from_content(real_dir):
    """The two latest-year tables carry no edition stamp: newest latest year + 1."""
    from divides.sources import itu

    _, new = itu.read(real_dir / "itu" / "IndividualsUsingInternetByGender.xlsx")
    _, old = itu.read(real_dir / "itu" / ("10. Individuals using the Internet by gender and "
                                          "urban-rural location.xls"))
    assert (new.release, old.release) == ("2021", "2020")
