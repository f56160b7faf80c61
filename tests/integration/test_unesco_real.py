"""UNESCO UIS literacy checks from ../shared/data/real/SOURCES.md, section 9."""

import warnings

import pytest

from divides.countries import UnmappedCountryWarning
from divides.sources import unesco

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def literacy(real_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmappedCountryWarning)  # none unmapped
        return unesco.read(real_dir / "unesco_literacy" / "Literacy rates (no pw2).csv")


def _value(obs, iso3, year, indicator, group="all"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)
              & (obs.group == group)]
    assert len(sel) == 1, (iso3, year, indicator, group)
    return sel["value"].iloc[0]


@pytest.mark.parametrize("iso3, year, indicator, group, pct", [
    ("AFG", 2018, "unesco_literacy_15plus_pct", "female", 29.8),
    ("AFG", 2018, "unesco_literacy_15plus_pct", "male", 55.5),
    ("AFG", 2018, "unesco_literacy_15_24_pct", "all", 65.4),
    ("AFG", 2018, "unesco_literacy_65plus_pct", "all", 13.3),
    ("NER", 2012, "unesco_literacy_65plus_pct", "female", 8.0),
])
def test_checks_in_percent(literacy, iso3, year, indicator, group, pct):
    obs, _ = literacy
    assert _value(obs, iso3, year, indicator, group) == pytest.approx(pct, abs=0.05)


def test_coverage_and_ledger(literacy):
    obs, rep = literacy
    assert rep.rows_read == 4955 and rep.rows_kept == 4955 and rep.balanced
    assert len(obs) == 4955 and obs.iso3.nunique() == 155
    assert (obs.year.min(), obs.year.max()) == (2010, 2018)
    assert rep.unmapped_names == []
    total = obs[obs.group == "all"]
    pairs = {ind: set(zip(sel.iso3, sel.year)) for ind, sel in total.groupby("indicator")}
    assert len(pairs["unesco_literacy_15_24_pct"] & pairs["unesco_literacy_65plus_pct"]) == 406
    # the NBSP and the lost character both resolve
    assert {"NCL", "CIV"} <= set(obs.iso3)
    assert obs.value.max() <= 100 and obs.value.max() > 1  # converted from shares
