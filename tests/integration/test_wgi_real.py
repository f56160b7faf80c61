"""WGI checks from ../shared/data/real/SOURCES.md, section 2."""

import time

import pytest

from divides.sources import wgi

pytestmark = pytest.mark.integration

DIMENSIONS = ("cc", "ge", "pv", "rl", "rq", "va")


@pytest.fixture(scope="module")
def read(real_dir):
    start = time.perf_counter()
    obs, rep = wgi.read(real_dir / "wb_wgi" / "wgidataset.xlsx")
    return obs, rep, time.perf_counter() - start


def _value(obs, iso3, year, indicator="wgi_cc_estimate"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)]
    assert len(sel) == 1, (iso3, year, indicator)
    return sel["value"].iloc[0]


def test_shape_ledger_and_speed(read):
    obs, rep, seconds = read
    assert seconds < 15
    assert rep.balanced and rep.rows_read == 32_100 * 6  # six value columns per row
    # pctranklower, pctrankupper of the mapped rows
    assert rep.dropped["not_in_catalogue"] == (32_100 - 150) * 2
    assert rep.unmapped_names == [] and "unmapped_name" not in rep.dropped
    # 214 economies: 213 mapped, ANT (former) counted as not_a_country, all 150 of its rows
    assert obs.iso3.nunique() == 213 and rep.dropped["not_a_country"] == 150 * 6
    # 1,126 '..' estimates, 90 of them ANT's (which has values 2004-2013)
    assert rep.dropped["missing"] == (1126 - 90) * 4
    assert set(obs.indicator) == {f"wgi_{d}_{m}" for d in DIMENSIONS
                                  for m in ("estimate", "stderr", "pctrank", "nsource")}
    assert sorted(obs.year.unique()) == [1996, 1998, 2000, 2002, *range(2003, 2024)]


def test_legacy_codes_mapped(read):
    obs, _, _ = read
    for iso3 in ("AND", "COD", "ROU", "TLS", "XKX", "JEY", "PSE"):
        assert (obs.iso3 == iso3).any(), iso3
    assert not obs.iso3.isin(["ADO", "ZAR", "ROM", "TMP", "KSV", "WBG", "ANT"]).any()


def test_control_of_corruption_2023_checks(read):
    obs, _, _ = read
    cc = obs[(obs.indicator == "wgi_cc_estimate") & (obs.year == 2023)].sort_values("value")
    assert list(cc.iso3.tail(3)[::-1]) == ["DNK", "FIN", "NOR"]
    assert list(cc.value.tail(3)[::-1].round(3)) == [2.376, 2.222, 2.114]
    assert list(cc.iso3.head(4)) == ["SSD", "SYR", "SOM", "VEN"]
    assert list(cc.value.head(4).round(3)) == [-1.970, -1.750, -1.733, -1.690]


def test_azerbaijan_checks(read):
    obs, _, _ = read
    series = [_value(obs, "AZE", y) for y in range(2012, 2024)]
    # "between -0.85 and -1.20" holds at two decimals (2019 is -0.8497, 2021 -0.8479)
    assert all(-1.20 <= round(v, 2) <= -0.85 for v in series)
    assert _value(obs, "AZE", 2023) == pytest.approx(-1.195, abs=5e-4)
    assert _value(obs, "AZE", 2023, "wgi_cc_pctrank") == pytest.approx(12.3, abs=0.05)
