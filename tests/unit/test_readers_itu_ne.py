"""ITU and Natural Earth readers on tiny inline workbooks / GeoJSON (one test per quirk)."""

import warnings

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Polygon

from divides.errors import SourceFormatError
from divides.sources import itu
from divides.sources import natural_earth as ne

pytestmark = pytest.mark.unit

TITLE = "Individuals using the Internet (from any location), by gender and urban/rural location (%)"


def _book(path, sheets):
    """Write {sheet name: list of rows (None = empty cell)} with openpyxl."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _latest_rows(offset=0, rows=None, upper=None, lower=None):
    """A latest-year table; ``offset`` empty columns on the left (1 = the legacy .xls).

    Columns after the offset: name, spacer, year, All, spacer, Male, spacer, Female,
    spacer, spacer, Urban total, spacer, male, spacer, female, spacer, spacer, Rural
    total, spacer, male, spacer, spacer, female.
    """
    pad = [None] * offset
    upper = upper or [None, None, "Latest", "All", None, "Gender", None, None, None, "",
                      "Urban", None, None, None, None, None, "", "Rural", None, None, None,
                      None, None]
    lower = lower or ["Economy name", None, "year", "Individuals", None, "Male", None,
                      "Female", None, "", "Total", None, "Male", None, "Female", None, "",
                      "Total", None, "Male", None, None, "Female"]

    def data(name, year, vals, spacer_note=None):
        a, m, f, ut, um, uf, rt, rm, rf = vals
        return [name, None, year, a, spacer_note, m, "", f, "", "", ut, "", um, "", uf, "",
                "", rt, "", rm, "", None, rf]

    body = rows or [
        data("Azerbaijan", 2020, ["84.6", "87.0", "82.2", "94.9", "95.1", "94.7", "72.7",
                                  "76.0", "69.5"]),
        data("Australia", 2017, ["86.5", "87.0", "86.1"] + ["..."] * 6, spacer_note="1"),
        data("Korea (Rep. of) (1)", "2019 (1)", ["96.2", "97.1", "95.3"] + ["..."] * 6),
        data("World", 2020, ["59.1"] + ["..."] * 8),
    ]
    table = [[TITLE], upper, lower, *body, [None], ["Source:", None, "ITU database."],
             [None], ['Age scope of population varies. (1) aged 15 years and over']]
    return [pad + row for row in table]


@pytest.fixture
def latest_xlsx(tmp_path):
    return _book(tmp_path / "IndividualsUsingInternetByGender.xlsx", {
        "10. Individuals using the Inter": _latest_rows(),
        "in-scope population": [["Country", "In-scope population"],
                                ["Azerbaijan", "Population age 6+; 1+ (2019)"],
                                ["Australia", "Population age 15+"],
                                ["Korea (Rep. of)", "Population age 3-79"]],
    })


def test_latest_year_quirks(latest_xlsx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs, rep = itu.read(latest_xlsx)
    aze = obs[obs.iso3 == "AZE"].set_index("group")["value"]
    assert aze.to_dict() == {"all": 84.6, "female": 82.2, "male": 87.0, "rural": 72.7,
                             "rural_female": 69.5, "rural_male": 76.0, "urban": 94.9,
                             "urban_female": 94.7, "urban_male": 95.1}
    assert set(obs.loc[obs.iso3 == "AZE", "breakdown"]) == {"total", "sex", "area", "area_sex"}
    # footnote markers stripped from name and year; recorded as notes
    kor = obs[obs.iso3 == "KOR"]
    assert kor.year.unique().tolist() == [2019] and len(kor) == 3
    assert any(n.startswith("Australia: footnote") for n in rep.notes)
    assert any(n.startswith("Korea (Rep. of): footnote") for n in rep.notes)
    # 4 rows x 9 cells + 2 footer lines; World is an aggregate, '...' is missing
    assert rep.rows_read == 4 * 9 + 2 and rep.rows_kept == 9 + 3 + 3
    assert dict(rep.dropped) == {"aggregate": 9, "missing": 12, "footer": 2}
    assert obs.indicator.unique().tolist() == ["itu_internet_users_pct"]


def test_legacy_layout_names_in_b_year_in_d(tmp_path):
    f = _book(tmp_path / "10. Individuals using the Internet by gender.xlsx",
              {"10. Individuals using the Inter": _latest_rows(offset=1)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs, rep = itu.read(f)
    assert obs[(obs.iso3 == "AZE") & (obs.group == "rural")]["value"].tolist() == [72.7]
    assert rep.balanced and rep.rows_kept == 15


def test_columns_found_from_headers_not_positions(tmp_path):
    """Swap the Male/Female columns: the values follow their headers."""
    rows = _latest_rows()
    for r in rows[2:4]:
        r[5], r[7] = r[7], r[5]
    f = _book(tmp_path / "swapped.xlsx", {"s": rows})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs, _ = itu.read(f)
    aze = obs[obs.iso3 == "AZE"].set_index("group")["value"]
    assert aze["male"] == 87.0 and aze["female"] == 82.2


def test_in_scope_table(latest_xlsx):
    table = itu.read_in_scope(latest_xlsx)
    assert table.iso3.tolist() == ["AUS", "AZE", "KOR"]
    assert table.age_from.tolist() == [15, 6, 3]
    assert table.age_to.isna().tolist() == [True, True, False]


def test_damaged_header_row_moved(tmp_path):
    rows = _latest_rows()
    rows[2][0] = "Economy"
    f = _book(tmp_path / "bad.xlsx", {"s": rows})
    with pytest.raises(SourceFormatError, match=r"bad.xlsx: first 15 rows: expected a header "
                       r"row with \['Economy name', 'year'\]"):
        itu.read(f)


def test_damaged_column_renamed(tmp_path):
    rows = _latest_rows()
    rows[2][7] = "Women"
    f = _book(tmp_path / "bad.xlsx", {"s": rows})
    with pytest.raises(SourceFormatError, match=r"bad.xlsx: row 3 column H: expected one of "
                       r"the headers .* found 'gender'/'women'"):
        itu.read(f)


def test_damaged_block_missing(tmp_path):
    upper = [None, None, "Latest", "All", None, "Gender", None, None, None, "", "Urban"] + \
        [None] * 12
    lower = ["Economy name", None, "year", "Individuals", None, "Male", None, "Female", None,
             "", "Total", None, "Male", None, "Female"] + [None] * 8
    f = _book(tmp_path / "bad.xlsx", {"s": _latest_rows(upper=upper, lower=lower)[:3]})
    with pytest.raises(SourceFormatError, match=r"bad.xlsx: header rows 2-3: expected columns "
                       r"\[\('rural', 'female'\), \('rural', 'male'\), \('rural', 'total'\)\]"):
        itu.read(f)


def test_damaged_spacer_and_year(tmp_path):
    rows = _latest_rows()
    rows[3][4] = "see note"
    f = _book(tmp_path / "bad.xlsx", {"s": rows})
    with pytest.raises(SourceFormatError, match=r"row 4 column E: expected an empty spacer cell"):
        itu.read(f)
    rows = _latest_rows()
    rows[3][2] = "last year"
    f = _book(tmp_path / "bad2.xlsx", {"s": rows})
    with pytest.raises(SourceFormatError, match=r"bad2.xlsx: row 4 column C: expected a year"):
        itu.read(f)


def test_damaged_extra_sheet_and_missing_in_scope(tmp_path):
    f = _book(tmp_path / "bad.xlsx", {"s": _latest_rows(), "other": [["x"]]})
    with pytest.raises(SourceFormatError, match=r"bad.xlsx: sheet 'other': expected only"):
        itu.read(f)
    with pytest.raises(SourceFormatError, match=r"sheet 'in-scope population': expected present"):
        itu.read_in_scope(f)


# --- subscriptions -----------------------------------------------------------------------

def _subs_sheet(indicator, rows, years=(2019, 2020)):
    head = ["Indicator", "Country"] + [f"{y}_{k}" for y in years
                                       for k in ("value", "notes", "source")]
    return [head] + [[indicator, name, *cells] for name, cells in rows]


@pytest.fixture
def subs_xlsx(tmp_path):
    return _book(tmp_path / "MobileCellularSubscriptions_2000-2020.xlsx", {
        "i271": _subs_sheet("Mobile-cellular telephone subscriptions", [
            ("Denmark", [7_300_000, "Estimate", "Danish Energy Agency.", 7_400_000, None, None]),
            ("Ascension", [1000, None, None, None, None, None]),
            ("Somalia", [None, None, None, 9_000_000, None, "ITU estimate."]),
        ]),
        "i911": _subs_sheet("Mobile-cellular subscriptions per 100 inhabitants", [
            ("Denmark", [124.6, None, None, 125.21, None, None]),
            ("Ascension", [None] * 6),
            ("Somalia", [None, None, None, 55.65, None, None]),
        ]),
        "i999": _subs_sheet("A series not in the catalogue", [("Denmark", [1, None, None, 2,
                                                                            None, None])]),
        "Definitions": [["Indicator Name", "Indicator Description", "Indicator Definition"],
                        ["i271", "Mobile-cellular telephone subscriptions", "Subscriptions..."],
                        ["i911", "Mobile-cellular subscriptions per 100 inhabitants",
                         "i271/i61 *100"]],
    })


def test_subscription_triplets(subs_xlsx):
    obs, rep = itu.read(subs_xlsx)
    per100 = obs[obs.indicator == "itu_mobile_subs_per100"]
    assert per100[["iso3", "year", "value"]].values.tolist() == [
        ["DNK", 2019, 124.6], ["DNK", 2020, 125.21], ["SOM", 2020, 55.65]]
    count = obs[obs.indicator == "itu_mobile_subs_count"]
    assert count.value.tolist() == [7_300_000, 7_400_000, 9_000_000]
    # 3 countries x 2 years x 2 sheets + 1 x 2 of the unknown sheet
    assert rep.rows_read == 14 and rep.rows_kept == 6
    assert dict(rep.dropped) == {"not_in_catalogue": 2, "not_a_country": 4, "missing": 2}
    assert "sheet 'i271': 1 non-empty notes cells not kept in observations" in rep.notes[0]
    assert any("Definitions" in n for n in rep.notes)


def test_subscription_notes_and_definitions(subs_xlsx):
    notes = itu.read_value_notes(subs_xlsx)
    assert notes[["iso3", "year", "publisher_code", "notes"]].values.tolist()[:2] == [
        ["DNK", 2019, "i271", "Estimate"], ["SOM", 2020, "i271", ""]]
    defs = itu.read_definitions(subs_xlsx)
    assert defs.publisher_code.tolist() == ["i271", "i911"]


def test_subscription_damaged_column_and_sheet(tmp_path):
    sheet = _subs_sheet("x", [("Denmark", [1, None, None, 2, None, None])])
    sheet[0][5] = "2020_val"
    f = _book(tmp_path / "bad.xlsx", {"i911": sheet, "Definitions": [["Indicator Name"]]})
    with pytest.raises(SourceFormatError, match=r"bad.xlsx: sheet 'i911' row 1 column F: "
                       r"expected '<year>_value'.*found '2020_val'"):
        itu.read(f)
    g = _book(tmp_path / "nodefs.xlsx", {"i911": _subs_sheet("x", [])})
    with pytest.raises(SourceFormatError, match=r"nodefs.xlsx: sheet 'Definitions': expected present"):
        itu.read_definitions(g)


# --- aggregates workbook ------------------------------------------------------------------

def _agg_book(path):
    pad = [None] * 3
    return _book(path, {
        "By dvpmnt": [
            ["Key ICT indicators (totals and penetration rates)"],
            [None],
            ["Fixed-broadband subscriptions", "Millions", None, None, "Per 100 inhabitants"],
            [None, 2019, 2020, None, 2019, 2020],
            ["World", 1146.3, 1227.5, None, 14.9, 15.8],
            ["Developed", 426.2, None, None, 33.4, 34.6],
            [None],
            ["Individuals using the Internet"],  # inherits Millions / Per 100 inhabitants
            [None, 2019, 2020, None, 2019, 2020],
            ["World", 4118.6, 4585, None, 53.6, 59.1],
            [None],
            ["Notes:"],
            ["* Estimate."],
            ["Source:"],
        ],
        "By urban-rural area": [
            ["Population covered by a mobile-cellular network (%)"],
            [None, "Total", None, None, "Urban", None, None, "Rural"],
            [None, 2019, 2020, None, 2019, 2020, None, 2019, 2020],
            ["World", 96.6, 96.7, None, 100, 100, None, 92.7, 92.5],
            [None],
            [None, 2019, 2020, None, 2019, 2020, None, 2019, 2020],  # same table, regions
            ["Africa", 88.7, 89.5, None, 100, 100, None, 80.1, 81.6],
            [None],
            ["Percentage of individuals using the Internet, by urban/rural area, 2020"],
            [None, "Total", "Urban", "Rural"] + pad,
            ["World", 59.1, 75.6, 38.8] + pad,
        ],
        "Internet use by sex & age": [
            ["Percentage of individuals using the Internet, by sex"],
            [None, 2020, 2020, 2020],
            [None, "Total", "Female", "Male"],
            ["World", 59.1, 56.5, 61.7],
            [None],
            [None, "Total", "Female", "Male"],  # keeps the years of the row above
            ["Africa", 29.5, 23.7, 35.4],
            [None],
            ["Percentage of individuals using the Internet, by age"],
            [None, 2020, 2020, 2020],
            [None, "Total", "Youth \n(15-24)", "Rest of the population"],
            ["World", 59.1, 70.8, 56.9],
        ],
    })


def test_aggregates_stacked_subtables(tmp_path):
    table, rep = itu.read_aggregates_report(_agg_book(tmp_path / "ITU_aggregates.xlsx"))
    key = ["sheet", "table", "measure", "area", "year", "breakdown", "group"]
    got = {tuple(r[:7]): r[7] for r in table[key + ["value"]].itertuples(index=False)}
    assert got[("By dvpmnt", "Individuals using the Internet", "Per 100 inhabitants", "World",
                2020, "total", "all")] == 59.1
    assert got[("By dvpmnt", "Fixed-broadband subscriptions", "Millions", "Developed", 2019,
                "total", "all")] == 426.2
    urban = "Population covered by a mobile-cellular network (%)"
    assert got[("By urban-rural area", urban, "", "Africa", 2020, "area", "rural")] == 81.6
    title_year = "Percentage of individuals using the Internet, by urban/rural area, 2020"
    assert got[("By urban-rural area", title_year, "", "World", 2020, "area", "urban")] == 75.6
    sex = "Percentage of individuals using the Internet, by sex"
    assert got[("Internet use by sex & age", sex, "", "Africa", 2020, "sex", "female")] == 23.7
    age = "Percentage of individuals using the Internet, by age"
    assert got[("Internet use by sex & age", age, "", "World", 2020, "age", "15-24")] == 70.8
    assert got[("Internet use by sex & age", age, "", "World", 2020, "age",
                "rest_of_population")] == 56.9
    # cells: 3 x 4 + (2 x 6 + 3) + 3 x 3, one missing (Developed 2020); 3 footer lines
    assert rep.rows_read == 12 + 15 + 9 + 3 and rep.dropped == {"missing": 1, "footer": 3}
    assert rep.balanced and len(table) == rep.rows_kept == 35


def test_aggregates_workbook_refused_by_read(tmp_path):
    with pytest.raises(SourceFormatError, match=r"expected an ITU country file"):
        itu.read(_agg_book(tmp_path / "ITU_aggregates.xlsx"))


def test_aggregates_damaged(tmp_path):
    f = _book(tmp_path / "bad.xlsx", {"s": [["A table"], [None, "Total", "Women"],
                                            ["World", 1, 2]]})
    with pytest.raises(SourceFormatError, match=r"bad.xlsx: sheet 's' row 2 column C: "
                       r"expected years or group labels"):
        itu.read_aggregates(f)
    g = _book(tmp_path / "bad2.xlsx", {"s": [["A table"], ["World", 1, 2]]})
    with pytest.raises(SourceFormatError, match=r"bad2.xlsx: sheet 's' row 2: expected a "
                       r"header row"):
        itu.read_aggregates(g)


# --- Natural Earth -------------------------------------------------------------------------

def _ne_file(path, rows):
    square = [Polygon([(i, 0), (i, 1), (i + 1, 1), (i + 1, 0)]) for i in range(len(rows))]
    gdf = gpd.GeoDataFrame(
        [dict(zip(["ADM0_A3", "ISO_A3", "ISO_A3_EH", "NAME"], r), CONTINENT="Europe",
              REGION_UN="Europe", SUBREGION="Western Europe") for r in rows],
        geometry=square, crs=4326)
    gdf.to_file(path, driver="GeoJSON")
    return path


NE_ROWS = [("FRA", "-99", "FRA", "France"), ("KOS", "-99", "-99", "Kosovo"),
           ("CYN", "-99", "-99", "N. Cyprus"), ("DEU", "DEU", "DEU", "Germany")]


def test_natural_earth_codes(tmp_path):
    gdf, rep = ne.read_countries_report(_ne_file(tmp_path / "ne.geojson", NE_ROWS))
    assert gdf.iso3.tolist() == ["CYN", "DEU", "FRA", "XKX"]
    assert gdf.has_iso3.tolist() == [False, True, True, True]
    assert list(gdf.columns) == ne.COLUMNS and rep.balanced and rep.rows_kept == 4


def test_natural_earth_damaged(tmp_path):
    bad = NE_ROWS + [("DNK", "DNK", "NOR", "Denmark")]
    with pytest.raises(SourceFormatError, match=r"feature 4 \(Denmark\): expected ISO_A3_EH "
                       r"to agree with ADM0_A3 -> DNK, found NOR"):
        ne.read_countries(_ne_file(tmp_path / "a.geojson", bad))
    with pytest.raises(SourceFormatError, match=r"field ADM0_A3: expected an ISO3 code"):
        ne.read_countries(_ne_file(tmp_path / "b.geojson", [("ZZZ", "-99", "-99", "Nowhere")]))
    gdf = gpd.read_file(_ne_file(tmp_path / "c.geojson", NE_ROWS)).drop(columns="ADM0_A3")
    gdf.to_file(tmp_path / "d.geojson", driver="GeoJSON")
    with pytest.raises(SourceFormatError, match=r"d.geojson: attribute field\(s\) \['ADM0_A3'\]"):
        ne.read_countries(tmp_path / "d.geojson")
    with pytest.raises(TypeError, match="not observations"):
        ne.read(tmp_path / "d.geojson")


def test_world_copy_deterministic_and_loadable(tmp_path):
    src = _ne_file(tmp_path / "ne.geojson", NE_ROWS)
    first = ne.write_world(src, tmp_path / "one").read_bytes()
    second = ne.write_world(src, tmp_path / "two").read_bytes()
    assert first == second
    world = ne.load_world(tmp_path / "one" / ne.WORLD_FILE)
    assert world.iso3.tolist() == ["CYN", "DEU", "FRA", "XKX"]
    assert world.geometry.iloc[0].exterior.is_ccw  # RFC 7946 orientation
    assert ne.SOURCE == "natural_earth" and ne.PATTERNS == ()
