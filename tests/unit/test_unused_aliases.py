import pandas as pd
import pytest

from divides import countries
from divides.build import ledger
from divides.observations import ReadReport
from divides.sources import _common

pytestmark = pytest.mark.unit


def test_reports_carry_the_aliases_they_used():
    frame = pd.DataFrame({"code": ["ADO", "DNK", "WLD"]})
    report = ReadReport("wgi", "x.xlsx", rows_read=3)
    out = _common.resolve_countries(frame, countries.Harmoniser("wgi"), report, "x.xlsx",
                                    code_col="code")
    assert out["iso3"].tolist() == ["AND", "DNK"]
    assert report.aliases_used == ["ADO"]


def test_build_reports_unused_aliases_across_files():
    table = countries.aliases("wgi")
    assert "ZAR" in set(table["alias"])
    reports = [ReadReport("wgi", "a.xlsx", aliases_used=["ADO"]),
               ReadReport("wgi", "b.xlsx", aliases_used=["ROM"])]
    with pytest.warns(ledger.UnusedAliasWarning, match="wgi: .* unused"):
        unused = ledger.unused_aliases(reports)
    assert "ADO" not in unused["wgi"] and "ROM" not in unused["wgi"]
    assert "ZAR" in unused["wgi"]
    everything = [ReadReport("wgi", "c.xlsx", aliases_used=list(table["alias"]))]
    assert ledger.unused_aliases(everything) == {}
