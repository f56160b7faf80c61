import pytest

from divides.errors import SourceFormatError
from divides.sources import wdi

pytestmark = pytest.mark.unit

API = (
    '\ufeff"Data Source","World Development Indicators",\n\n'
    '"Last Updated Date","2025-04-15",\n\n'
    '"Country Name","Country Code","Indicator Name","Indicator Code","2019","2020",\n'
    '"Denmark","DNK","Individuals using the Internet (% of population)","IT.NET.USER.ZS","97.8","96.5",\n'
    '"World","WLD","Individuals using the Internet (% of population)","IT.NET.USER.ZS","54","59.1",\n'
    '"Not classified","INX","Individuals using the Internet (% of population)","IT.NET.USER.ZS","","",\n'
    '"Somalia","SOM","Individuals using the Internet (% of population)","IT.NET.USER.ZS","","15",\n'
)


def test_api_csv_quirks(tmp_path):
    f = tmp_path / "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv"
    f.write_text(API, encoding="utf-8")
    obs, rep = wdi.read(f)
    assert obs[["iso3", "year", "value"]].values.tolist() == [
        ["DNK", 2019, 97.8], ["DNK", 2020, 96.5], ["SOM", 2020, 15.0]]
    assert rep.rows_read == 8 and rep.rows_kept == 3
    assert dict(rep.dropped) == {"aggregate": 2, "not_a_country": 2, "missing": 1}


def test_damaged_header_moved(tmp_path):
    f = tmp_path / "API_bad.csv"
    f.write_text(API.replace('"Data Source"', '"Source of data"'), encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"API_bad.csv: line 1: expected a WDI API preamble"):
        wdi.read(f)


def test_damaged_value_column_renamed(tmp_path):
    f = tmp_path / "API_bad.csv"
    f.write_text(API.replace('"Country Code"', '"Code"'), encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"API_bad.csv: header: column\(s\) \['Country Code'\]"):
        wdi.read(f)


def test_non_numeric_value_names_row_and_column(tmp_path):
    f = tmp_path / "API_bad.csv"
    f.write_text(API.replace('"97.8"', '"ninety"'), encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"column '2019' = 'ninety'"):
        wdi.read(f)
