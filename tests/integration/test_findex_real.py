"""Global Findex checks from ../shared/data/real/SOURCES.md, section 7."""

import warnings

import pytest

from divides.countries import UnmappedCountryWarning
from divides.sources import findex

pytestmark = pytest.mark.integration

PAY_BILLS = "findex_paid_bills_online_pct"
DIGITAL_PAYMENTS = "findex_digital_payments_pct"
XLSX = "Data_Extract_From_Global_Financial_Inclusion.xlsx"


def _value(obs, iso3, year, indicator, group="all"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)
              & (obs.group == group)]
    assert len(sel) == 1, (iso3, year, indicator, group)
    return sel["value"].iloc[0]


@pytest.fixture(scope="module")
def workbook(real_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmappedCountryWarning)  # none unmapped
        return findex.read(real_dir / "wb_findex" / XLSX)


@pytest.fixture(scope="module")
def wide(real_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmappedCountryWarning)
        return findex.read(real_dir / "wb_findex" / "made_or_received_digitalpayments.csv")


def test_pay_bills_checks(workbook):
    obs, _ = workbook
    assert _value(obs, "KEN", 2017, PAY_BILLS) == pytest.approx(23.5, abs=0.05)
    assert _value(obs, "KEN", 2021, PAY_BILLS) == pytest.approx(44.9, abs=0.05)
    assert _value(obs, "KEN", 2021, PAY_BILLS, "female") == pytest.approx(37.6, abs=0.05)
    assert _value(obs, "KEN", 2021, PAY_BILLS, "male") == pytest.approx(52.6, abs=0.05)
    assert _value(obs, "KEN", 2021, PAY_BILLS, "poorest_40") == pytest.approx(33.1, abs=0.05)
    assert _value(obs, "KEN", 2021, PAY_BILLS, "richest_60") == pytest.approx(52.8, abs=0.05)
    assert _value(obs, "KEN", 2021, PAY_BILLS, "rural") == pytest.approx(39.7, abs=0.05)
    assert _value(obs, "IND", 2017, PAY_BILLS) == pytest.approx(2.7, abs=0.05)
    assert _value(obs, "IND", 2021, PAY_BILLS) == pytest.approx(9.9, abs=0.05)
    assert _value(obs, "DNK", 2017, PAY_BILLS) == pytest.approx(81.6, abs=0.05)
    assert _value(obs, "DNK", 2021, PAY_BILLS) == pytest.approx(83.2, abs=0.05)


def test_workbook_ledger_and_coverage(workbook):
    obs, rep = workbook
    # 27,370 data rows x 4 year columns + 5 footer lines
    assert rep.rows_read == 27370 * 4 + 5 and rep.balanced
    assert rep.dropped["footer"] == 5
    assert rep.unmapped_names == [] and "aggregate" not in rep.dropped  # economies only
    # 2011 entirely empty for these series; Azerbaijan not surveyed in 2021
    assert 2011 not in set(obs.year)
    assert obs[(obs.iso3 == "AZE") & (obs.year == 2021)].empty
    assert obs.iso3.nunique() <= 161 and "XKX" in set(obs.iso3)
    # every group of findex_groups.csv (layout databank) shows up for pay-bills
    groups = set(obs.loc[obs.indicator == PAY_BILLS, "group"])
    assert groups == {"all"} | {g for b, g, _ in findex.suffix_map("databank").values()}
    # '.s' series (share of a subgroup) are out of scope and counted, never kept
    assert rep.dropped["out_of_scope"] > 0 and rep.dropped["not_in_catalogue"] > 0
    assert obs.indicator.nunique() == 15


def test_wide_csv_checks(wide):
    obs, _ = wide
    assert _value(obs, "KEN", 2017, DIGITAL_PAYMENTS) == pytest.approx(79.0, abs=0.05)
    assert _value(obs, "KEN", 2017, DIGITAL_PAYMENTS, "female") == pytest.approx(74.7, abs=0.05)
    assert _value(obs, "KEN", 2017, DIGITAL_PAYMENTS, "male") == pytest.approx(83.7, abs=0.05)
    assert _value(obs, "DNK", 2017, DIGITAL_PAYMENTS) == pytest.approx(99.4, abs=0.05)
    assert _value(obs, "AZE", 2017, DIGITAL_PAYMENTS) == pytest.approx(24.6, abs=0.05)
    assert _value(obs, "AZE", 2017, DIGITAL_PAYMENTS, "female") == pytest.approx(22.9, abs=0.05)
    assert _value(obs, "AZE", 2017, DIGITAL_PAYMENTS, "male") == pytest.approx(26.3, abs=0.05)


def test_wide_csv_ledger(wide):
    obs, rep = wide
    # 161 rows (159 economies + CAM, SAM regional rows) x 9 columns + 5 footer lines
    assert rep.rows_read == 161 * 9 + 5 and rep.balanced
    assert rep.dropped["footer"] == 5 and rep.dropped["aggregate"] == 2 * 9
    assert rep.unmapped_names == []
    assert not obs.iso3.isin(["CAM", "SAM"]).any()
    assert set(obs.group) == {"all", "female", "male"}


def test_country_metadata(real_dir):
    meta = findex.read_country_metadata(
        real_dir / "wb_findex" / "Data_Extract_From_Global_Financial_Inclusion_Metadata.xlsx")
    assert len(meta) == 161 and meta.iso3.is_unique
    assert meta.set_index("iso3").loc["KEN", "iso2"] == "KE"
    assert (meta.region != "").all() and (meta.income_group != "").all()


def test_series_metadata(real_dir):
    series = findex.read_series_metadata(
        real_dir / "wb_findex" / "Data_Extract_From_Global_Financial_Inclusion.xlsx")
    assert len(series) == 170 and "fin14a.t.d" in set(series.publisher_code)
    assert set(series.licence) == {"CC BY-4.0"}


def test_every_file_has_a_reader(real_dir):
    from divides.sources import files
    covered = set(files(real_dir, "findex"))
    for pattern in findex.OTHER_PATTERNS:
        covered |= set(real_dir.glob(pattern))
    assert covered == set((real_dir / "wb_findex").iterdir())
    assert not (set(files(real_dir, "findex")) & set(real_dir.glob("wb_findex/*_Metadata.xlsx")))
