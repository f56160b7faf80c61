"""UN SDG Global Database checks from ../shared/data/real/SOURCES.md, section 8."""

import warnings

import pytest

from divides.countries import UnmappedCountryWarning
from divides.sources import sdg

pytestmark = pytest.mark.integration


def _value(obs, iso3, year, indicator, group="all"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)
              & (obs.group == group)]
    assert len(sel) == 1, (iso3, year, indicator, group)
    return sel["value"].iloc[0]


def _read(real_dir, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmappedCountryWarning)  # none unmapped
        return sdg.read(real_dir / "un_sdg" / name)


def test_ict_skills(real_dir):
    obs, rep = _read(real_dir, "sdg_database_ict_literacy.csv")
    assert rep.rows_read == 4795 and rep.rows_kept == 4795 and rep.balanced
    assert len(obs) == 4795 and obs.iso3.nunique() == 88
    assert (obs.year.min(), obs.year.max()) == (2014, 2019)
    assert _value(obs, "AZE", 2014, "sdg_ict_skill_copa_pct") == pytest.approx(56.7, abs=0.05)
    assert _value(obs, "AZE", 2014, "sdg_ict_skill_pcpr_pct") == pytest.approx(0.6, abs=0.05)
    assert obs.indicator.nunique() == 9
    assert rep.unmapped_names == [] and rep.notes == []  # every name in the alias table


def test_mobile_ownership(real_dir):
    obs, rep = _read(real_dir, "sdg_database_ind_own_mobile.csv")
    assert rep.rows_read == 589 and rep.rows_kept == 589 and rep.balanced
    assert len(obs) == 589 and obs.iso3.nunique() == 82
    assert (obs.year.min(), obs.year.max()) == (2013, 2018)
    assert _value(obs, "AZE", 2014, "sdg_mobile_own_pct", "male") == pytest.approx(77.2, abs=0.05)
    assert _value(obs, "AZE", 2014, "sdg_mobile_own_pct", "female") == pytest.approx(70.7, abs=0.05)
    # M49 158 "Other non-specified areas in Eastern Asia" is kept as Taiwan
    assert len(obs[obs.iso3 == "TWN"]) == 6
    assert rep.unmapped_names == [] and rep.notes == []
