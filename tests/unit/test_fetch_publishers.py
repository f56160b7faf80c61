"""divides fetch from the publishers' own endpoints, against loopback servers (127.0.0.1),
one per publisher host, serving small synthetic bodies in each publisher's shape. Every
host is redirected through the ``hosts`` override of the endpoint catalogue, never by
patching internals; the servers check method, query, form body and Accept header."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import fields
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from divides import config, fileio
from divides.acquire import publishers, revisions
from divides.acquire.publishers import Endpoint, fetch_publishers, load_endpoints
from divides.errors import DividesError, DownloadError
from divides.run import cli
from divides.sources import MODULE_IDS

pytestmark = pytest.mark.unit

WB = "api.worldbank.org"
D360 = "data360files.worldbank.org"
TI = "files.transparencycdn.org"
SDG = "unstats.un.org"
UIS = "api.uis.unesco.org"
NE = "naciscdn.org"
WB_QUERY = {"source": "3", "format": "json", "per_page": "20000"}


class Hosts:
    """One pytest-httpserver per publisher host, started on first use."""

    def __init__(self):
        self.servers: dict[str, HTTPServer] = {}

    def __getitem__(self, host: str) -> HTTPServer:
        if host not in self.servers:
            server = HTTPServer(host="127.0.0.1", port=0)
            server.start()
            self.servers[host] = server
        return self.servers[host]

    @property
    def urls(self) -> dict[str, str]:
        return {h: s.url_for("/").rstrip("/") for h, s in self.servers.items()}

    def paths(self, host: str) -> list[str]:
        """Path and query of every request ``host`` received, in order."""
        return [r.full_path.rstrip("?") for r, _ in self.servers[host].log]


def ep(source, path, kind, code, url, *, method="GET", form="", accept="",
       edition_rule="last_modified", edition="", known_sha256="", known_size_bytes=""):
    return Endpoint(source=source, path=path, kind=kind, code=code, url=url, method=method,
                    form=form, accept=accept, edition_rule=edition_rule, edition=edition,
                    known_sha256=known_sha256, known_size_bytes=known_size_bytes,
                    licence="test licence", citation="test citation", note="")


def wb_ep(code="GOV_WGI_CC.EST", path="wb_wgi/api_v2_json/CC.EST.json"):
    return ep("wgi", path, "wb_api_json", code,
              f"https://{WB}/v2/country/all/indicator/{code}?source=3&format=json&per_page=20000",
              edition_rule="wb_lastupdated")


def wb_page(code, page, pages, rows, lastupdated="2026-03-18") -> bytes:
    """A World Bank API v2 page: ``[meta, records]`` as the API writes it (no spaces)."""
    meta = {"page": page, "pages": pages, "per_page": 20000, "total": len(rows) * pages,
            "sourceid": "3", "lastupdated": lastupdated}
    records = [{"indicator": {"id": code, "value": "Control of Corruption"},
                "country": {"id": iso3[:2], "value": iso3}, "countryiso3code": iso3,
                "date": str(year), "value": value, "unit": "", "obs_status": "", "decimal": 1}
               for iso3, year, value in rows]
    return json.dumps([meta, records], separators=(",", ":")).encode()


def serve_wb(server: HTTPServer, code: str, pages: list[bytes]) -> None:
    path = f"/v2/country/all/indicator/{code}"
    server.expect_request(path, query_string=WB_QUERY).respond_with_data(
        pages[0], content_type="application/json;charset=utf-8")
    for number, body in enumerate(pages[1:], start=2):
        server.expect_request(path, query_string={**WB_QUERY, "page": str(number)}
                              ).respond_with_data(body, content_type="application/json")


D360_HEAD = ("FREQ,FREQ_LABEL,REF_AREA,REF_AREA_LABEL,INDICATOR,INDICATOR_LABEL,UNIT_MEASURE,"
             "UNIT_MEASURE_LABEL,DATABASE_ID,DATABASE_ID_LABEL,UNIT_MULT,UNIT_MULT_LABEL,"
             "OBS_STATUS,OBS_STATUS_LABEL,OBS_CONF,OBS_CONF_LABEL")


def data360_widef(years: list[int], rows: dict[str, list[str]]) -> bytes:
    lines = [D360_HEAD + "," + ",".join(map(str, years))]
    for iso3, values in rows.items():
        lines.append(f"A,Annual,{iso3},{iso3} name,UN_EGDI_EGDI,E-Government Development Index "
                     f"(EGDI),SCORE,Score,UN_EGDI,EGDI,0,Units,A,Normal value,PU,Public,"
                     + ",".join(values))
    return ("\n".join(lines) + "\n").encode()


SDG_HEAD = ("ID,Goal,Target,Indicator,ReleaseStatus,ReleaseName,SeriesID,SeriesCode,isDSDSeries,"
            "SeriesDescription,SeriesObservationCount,GeoAreaCode,GeoAreaName,TimePeriod,Value,"
            "ValueType,Time_Detail,TimeCoverage,UpperBound,LowerBound,BasePeriod,Source,"
            "GeoInfoUrl,FootNote,ObservationID,Age,Freq,Location,Nature,Sex,UnitMultiplier,Units")


def sdg_csv(release: str, rows: list[tuple[str, str, int, float]]) -> bytes:
    """SDG DataCSV rows: (M49 area code, sex, year, value)."""
    lines = [SDG_HEAD]
    for number, (area, sex, year, value) in enumerate(rows):
        lines.append(f"{number},5,5.b,5.b.1,Published,{release},1897,IT_MOB_OWN,1,"
                     f'"Proportion of individuals who own a mobile telephone, by sex (%)",9,'
                     f"{area},Area {area},{year},{value},Float,{year},,,,,ITU,,\"\",{number},,,,"
                     f"G,{sex},,PERCENT")
    return ("\n".join(lines) + "\n").encode()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, body in members.items():
            zipped.writestr(name, body)
    return buffer.getvalue()


def wb_bulk_zip(code: str, last_updated: str, values: dict[str, str]) -> bytes:
    """The bulk ZIP: API_<code>_DS2_en_csv_v2_<n>.csv (4 preamble lines) + two metadata CSVs."""
    head = '"Country Name","Country Code","Indicator Name","Indicator Code","2020","2021",'
    rows = "".join(f'"{c}","{c}","Internet users","{code}",{v},\r\n' for c, v in values.items())
    api = ('\ufeff"Data Source","World Development Indicators",\r\n\r\n'
           f'"Last Updated Date","{last_updated}",\r\n\r\n{head}\r\n{rows}').encode()
    return zip_of({f"API_{code}_DS2_en_csv_v2_4711.csv": api,
                   f"Metadata_Country_API_{code}_DS2_en_csv_v2_4711.csv": b'"Country Code"\r\n',
                   f"Metadata_Indicator_API_{code}_DS2_en_csv_v2_4711.csv": b'"INDICATOR_CODE"\r\n'})


def read_lock(dest: Path) -> dict:
    return json.loads((dest / publishers.LOCK_NAME).read_text())["files"]


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# -- the package catalogue ---------------------------------------------------------------

def test_package_catalogue_is_valid_and_seeds_only_published_hashes():
    endpoints = load_endpoints()
    assert {e.source for e in endpoints} <= set(MODULE_IDS)
    assert {e.kind for e in endpoints} == set(publishers.KINDS)
    assert len({e.filled(2030).path for e in endpoints}) == len(endpoints)  # one row per file
    assert all(e.licence and e.citation for e in endpoints)
    seed = publishers.seed_lock(endpoints)
    # only the unedited publisher files whose sha256 SOURCES.md records (12a, 12b, 12e)
    assert {p: (e["sha256"][:8], e["size_bytes"]) for p, e in seed.items()} == {
        "ti_cpi/CPI2025_Results.xlsx": ("543a2ad4", 3071002),
        "wb_wgi/wgidataset_with_sourcedata-2025.xlsx": ("25a2f9ea", 10423344),
        "wb_findex/GlobalFindexDatabase2025.csv": ("dce89f60", 17643094)}
    wgi = [e for e in endpoints if e.kind == "wb_api_json" and e.source == "wgi"]
    assert len(wgi) == 6 and all(e.code.startswith("GOV_WGI_") and "source=3" in e.url
                                 for e in wgi)


def test_catalogue_rejects_bad_rows_naming_row_and_column(tmp_path):
    good = {f.name: getattr(wb_ep(), f.name) for f in fields(Endpoint)}
    path = tmp_path / "publishers.csv"
    for column, bad, expected in [("kind", "ftp", "one of wb_api_json"),
                                  ("url", "http://x/y", "an https:// URL"),
                                  ("known_sha256", "abc", "empty or 64 lowercase hex")]:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=publishers.COLUMNS)
            writer.writeheader()
            writer.writerow({**good, column: bad})
        with pytest.raises(DividesError, match=rf"row 2 .*column {column}: expected {expected}"):
            load_endpoints(path)


def test_routed_replaces_only_the_overridden_host():
    hosts = {WB: "http://127.0.0.1:9/mirror/"}
    assert publishers.routed(f"https://{WB}/v2/x?a=1", hosts) == "http://127.0.0.1:9/mirror/v2/x?a=1"
    assert publishers.routed(f"https://{D360}/f.csv", hosts) == f"https://{D360}/f.csv"


# -- World Bank --------------------------------------------------------------------------

def test_wb_api_pages_are_followed_and_joined_into_one_file(hosts, tmp_path):
    code = "GOV_WGI_CC.EST"
    page1 = wb_page(code, 1, 2, [("DNK", 2020, 2.1), ("SOM", 2020, -1.7)])
    page2 = wb_page(code, 2, 2, [("AZE", 2020, -0.9)])
    serve_wb(hosts[WB], code, [page1, page2])
    single = wb_page("GOV_WGI_GE.EST", 1, 1, [("DNK", 2020, 1.9)])
    serve_wb(hosts[WB], "GOV_WGI_GE.EST", [single])
    cat = (wb_ep(), wb_ep("GOV_WGI_GE.EST", "wb_wgi/api_v2_json/GE.EST.json"))
    dest = tmp_path / "real"
    result = fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat,
                              retries=0, timeout_s=5)
    joined = json.loads((dest / "wb_wgi/api_v2_json/CC.EST.json").read_bytes())
    assert joined == [json.loads(page1), json.loads(page2)]  # [[meta, records], ...]
    assert (dest / "wb_wgi/api_v2_json/GE.EST.json").read_bytes() == single  # one page: as sent
    lock = read_lock(dest)
    base = cat[0].url
    assert lock["wb_wgi/api_v2_json/CC.EST.json"]["pages"] == [base, base + "&page=2"]
    assert lock["wb_wgi/api_v2_json/CC.EST.json"]["url"] == base  # the publisher's URL
    assert lock["wb_wgi/api_v2_json/CC.EST.json"]["edition"] == "2026-03-18"
    assert "pages" not in lock["wb_wgi/api_v2_json/GE.EST.json"]
    assert [c.status for c in result.changes] == ["new", "new"]
    assert revisions.wb_api_values((dest / "wb_wgi/api_v2_json/CC.EST.json").read_bytes()) == {
        (code, "DNK", "2020"): 2.1, (code, "SOM", "2020"): -1.7, (code, "AZE", "2020"): -0.9}


@pytest.mark.parametrize("answer", ["404", "message"])
def test_wb_retired_code_gives_clear_error_naming_it(hosts, tmp_path, answer):
    path = "/v2/country/all/indicator/CC.EST"
    handler = hosts[WB].expect_request(path, query_string=WB_QUERY)
    if answer == "404":
        handler.respond_with_data("<html>not found</html>", status=404)
    else:  # what the API says for an invalid indicator (HTTP 200)
        handler.respond_with_data(b'[{"message":[{"id":"120","key":"Invalid value","value":'
                                  b'"The provided parameter value is not valid"}]}]',
                                  content_type="application/json")
    dest = tmp_path / "real"
    with pytest.raises(DownloadError) as info:
        fetch_publishers(None, dest, update=True, hosts=hosts.urls,
                         catalogue=(wb_ep("CC.EST", "wb_wgi/api_v2_json/CC.EST.json"),),
                         retries=0, timeout_s=5)
    message = str(info.value)
    assert message.startswith(f"wb_wgi/api_v2_json/CC.EST.json: {hosts.urls[WB]}{path}?"), message
    assert "indicator CC.EST is retired or invalid" in message
    assert ("HTTP 404" if answer == "404" else "error 120 Invalid value") in message
    assert files_under(dest) == [publishers.LOCK_NAME]
    assert read_lock(dest) == {}


def test_wb_bulk_zip_is_kept_with_its_last_updated_date(hosts, tmp_path):
    code = "IT.NET.USER.ZS"
    body = wb_bulk_zip(code, "2026-07-01", {"DNK": "97.9,98.1"})
    hosts[WB].expect_request(f"/v2/en/indicator/{code}", query_string={"downloadformat": "csv"}
                             ).respond_with_data(body, content_type="application/zip")
    hosts[WB].expect_request("/v2/en/indicator/BAD", query_string={"downloadformat": "csv"}
                             ).respond_with_data(zip_of({"README.txt": b"x"}))
    url = f"https://{WB}/v2/en/indicator/{{code}}?downloadformat=csv"
    good = ep("wdi", f"wb_wdi/api_zip/{code}.zip", "wb_bulk_zip", code, url.format(code=code),
              edition_rule="wb_csv_last_updated")
    bad = ep("wdi", "wb_wdi/api_zip/BAD.zip", "wb_bulk_zip", "BAD", url.format(code="BAD"),
             edition_rule="wb_csv_last_updated")
    dest = tmp_path / "real"
    with pytest.raises(DownloadError, match=r"BAD.zip: .*expected a member API_BAD_\*\.csv, "
                                            r"found members README.txt"):
        fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=(good, bad),
                         retries=0, timeout_s=5)
    assert (dest / good.path).read_bytes() == body
    assert read_lock(dest)[good.path]["edition"] == "2026-07-01"
    assert revisions.wb_zip_values(body) == {(code, "DNK", "2020"): 97.9,
                                             (code, "DNK", "2021"): 98.1}


# -- Data360, TI, SDG, UIS, Natural Earth --------------------------------------------------

def test_data360_csv_lands_byte_identical_with_last_modified_edition(hosts, tmp_path):
    body = data360_widef([2022, 2024], {"DNK": ["0.9717", "0.98474"], "AZE": ["0.6937", ""]})
    hosts[D360].expect_request("/data360-data/data/UN_EGDI/UN_EGDI_EGDI_WIDEF.csv"
                               ).respond_with_data(body, content_type="text/csv", headers={
                                   "Last-Modified": "Tue, 01 Jul 2025 10:00:00 GMT"})
    cat = (ep("egov", "un_egov/data360/UN_EGDI_EGDI_WIDEF.csv", "data360_csv", "UN_EGDI_EGDI",
              f"https://{D360}/data360-data/data/UN_EGDI/UN_EGDI_EGDI_WIDEF.csv"),)
    dest = tmp_path / "real"
    fetch_publishers(["egov"], dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    assert (dest / cat[0].path).read_bytes() == body
    assert read_lock(dest)[cat[0].path]["edition"] == "Tue, 01 Jul 2025 10:00:00 GMT"
    assert revisions.data360_values(body)[("AZE", "UN_EGDI_EGDI", "SCORE", "2022")] == 0.6937


def test_ti_cdn_307_redirect_is_followed(hosts, tmp_path):
    workbook = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    storage = hosts["storage.example"]  # where TI's CDN redirects to
    storage.expect_request("/blob/CPI2025_Results.xlsx").respond_with_data(workbook)
    hosts[TI].expect_request("/images/CPI2025_Results.xlsx").respond_with_data(
        "", status=307, headers={"Location": storage.url_for("/blob/CPI2025_Results.xlsx")})
    cat = (ep("cpi", "ti_cpi/CPI2025_Results.xlsx", "ti_xlsx", "CPI",
              f"https://{TI}/images/CPI2025_Results.xlsx", edition_rule="year", edition="2025"),)
    dest = tmp_path / "real"
    fetch_publishers(["cpi"], dest, update=True, hosts={TI: hosts.urls[TI]}, catalogue=cat,
                     retries=0)
    assert (dest / "ti_cpi/CPI2025_Results.xlsx").read_bytes() == workbook
    assert hosts.paths(TI) == ["/images/CPI2025_Results.xlsx"]
    assert hosts.paths("storage.example") == ["/blob/CPI2025_Results.xlsx"]
    entry = read_lock(dest)["ti_cpi/CPI2025_Results.xlsx"]
    assert entry["url"] == f"https://{TI}/images/CPI2025_Results.xlsx" and entry["edition"] == "2025"


def sdg_ep(form="seriesCodes={code}"):
    return ep("sdg", "un_sdg/IT_MOB_OWN.csv", "sdg_csv", "IT_MOB_OWN",
              f"https://{SDG}/SDGAPI/v1/sdg/Series/DataCSV", method="POST", form=form,
              accept="application/octet-stream", edition_rule="sdg_release")


def serve_sdg(server: HTTPServer, body: bytes) -> None:
    server.expect_request("/SDGAPI/v1/sdg/Series/DataCSV", method="POST",
                          data="seriesCodes=IT_MOB_OWN",
                          headers={"Accept": "application/octet-stream",
                                   "Content-Type": "application/x-www-form-urlencoded"}
                          ).respond_with_data(body, content_type="application/octet-stream")


def test_sdg_post_sends_the_form_body_the_server_checks(hosts, tmp_path):
    body = sdg_csv("2025.Q2.G.01", [("4", "FEMALE", 2019, 20.5), ("4", "MALE", 2019, 60.25)])
    serve_sdg(hosts[SDG], body)
    dest = tmp_path / "real"
    fetch_publishers(["sdg"], dest, update=True, hosts=hosts.urls, catalogue=(sdg_ep(),),
                     retries=0)
    assert (dest / "un_sdg/IT_MOB_OWN.csv").read_bytes() == body
    entry = read_lock(dest)["un_sdg/IT_MOB_OWN.csv"]
    assert (entry["method"], entry["form"], entry["edition"]) == (
        "POST", "seriesCodes=IT_MOB_OWN", "2025.Q2.G.01")
    # another form body is not what the server expects: no handler, HTTP 500
    with pytest.raises(DownloadError, match=r"un_sdg/IT_MOB_OWN.csv: .*found HTTP 500"):
        fetch_publishers(["sdg"], tmp_path / "other", update=True, hosts=hosts.urls,
                         catalogue=(sdg_ep("seriesCode={code}"),), retries=0)


def test_uis_json_is_checked_and_kept(hosts, tmp_path):
    body = json.dumps({"hints": [], "records": [
        {"indicatorId": "LR.AG15T99", "geoUnit": "AZE", "year": 2019, "value": 99.8,
         "magnitude": None, "qualifier": None}], "indicatorMetadata": []}).encode()
    hosts[UIS].expect_request("/api/public/data/indicators",
                              query_string={"indicator": "LR.AG15T99"}).respond_with_data(body)
    hosts[UIS].expect_request("/api/public/data/indicators",
                              query_string={"indicator": "LR.BAD"}).respond_with_data(
        b'{"error": "unknown indicator"}')
    url = f"https://{UIS}/api/public/data/indicators?indicator={{code}}"
    cat = (ep("unesco", "unesco_literacy/uis_api/{code}.json", "uis_json", "LR.AG15T99", url),
           ep("unesco", "unesco_literacy/uis_api/{code}.json", "uis_json", "LR.BAD", url))
    dest = tmp_path / "real"
    with pytest.raises(DownloadError, match=r"uis_api/LR.BAD.json: .*expected UIS JSON "
                                            r"\{\"records\": \[...\]\}, found 30 bytes"):
        fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    assert (dest / "unesco_literacy/uis_api/LR.AG15T99.json").read_bytes() == body
    assert not (dest / "unesco_literacy/uis_api/LR.BAD.json").exists()
    assert revisions.uis_values(body) == {("LR.AG15T99", "AZE", "2019"): 99.8}


def test_natural_earth_zip_is_kept(hosts, tmp_path):
    body = zip_of({f"ne_110m_admin_0_countries.{ext}": ext.encode()
                   for ext in ("shp", "shx", "dbf", "prj", "cpg")})
    hosts[NE].expect_request("/naturalearth/110m/cultural/ne_110m_admin_0_countries.zip"
                             ).respond_with_data(body, content_type="application/zip")
    cat = (ep("natural_earth", "natural_earth/ne_110m_admin_0_countries.zip", "zip",
              "ne_110m_admin_0_countries",
              f"https://{NE}/naturalearth/110m/cultural/ne_110m_admin_0_countries.zip"),)
    dest = tmp_path / "real"
    fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    assert (dest / cat[0].path).read_bytes() == body
    assert files_under(dest) == [cat[0].path, publishers.LOCK_NAME]  # no temporary files


# -- update, reproduce, mismatch ------------------------------------------------------------

def ti_eps():
    return (ep("cpi", "ti_cpi/CPI{year}_Results.xlsx", "ti_xlsx", "CPI",
               f"https://{TI}/images/CPI{{year}}_Results.xlsx", edition_rule="year",
               edition="next"),
            ep("cpi", "ti_cpi/CPI2025_Results.xlsx", "ti_xlsx", "CPI",
               f"https://{TI}/images/CPI2025_Results.xlsx", edition_rule="year", edition="2025"))


def serve_edition(hosts: Hosts, version: int) -> tuple:
    """Edition 1 or 2 of a WB JSON (2 pages), a Data360 CSV, an SDG CSV and TI's workbook;
    edition 2 adds a year, revises values and publishes CPI 2026."""
    for host in (WB, D360, SDG, TI):
        hosts[host].clear()
    code = "GOV_WGI_CC.EST"
    if version == 1:
        wb = [wb_page(code, 1, 2, [("DNK", 2023, 2.1), ("SOM", 2023, -1.7)], "2025-09-01"),
              wb_page(code, 2, 2, [("AZE", 2023, -0.9)], "2025-09-01")]
        d360 = data360_widef([2022, 2024], {"DNK": ["0.97", "0.98"], "AZE": ["0.69", "0.76"]})
        sdg = sdg_csv("2025.Q2.G.01", [("4", "FEMALE", 2019, 20.5)])
        hosts[TI].expect_request("/images/CPI2026_Results.xlsx").respond_with_data(
            "not found", status=404)
    else:
        wb = [wb_page(code, 1, 2, [("DNK", 2023, 2.2), ("SOM", 2023, -1.7), ("DNK", 2024, 2.0)],
                      "2026-03-18"),
              wb_page(code, 2, 2, [("AZE", 2023, -0.95), ("AZE", 2024, None)], "2026-03-18")]
        d360 = data360_widef([2022, 2024, 2026], {"DNK": ["0.97", "0.985", "0.99"],
                                                  "AZE": ["0.69", "0.76", "0.8"]})
        sdg = sdg_csv("2026.Q1.G.01", [("4", "FEMALE", 2019, 21.0), ("4", "FEMALE", 2024, 30.0)])
        hosts[TI].expect_request("/images/CPI2026_Results.xlsx").respond_with_data(
            zip_of({"[Content_Types].xml": b"<Types/>", "cpi2026": b"2026"}))
    serve_wb(hosts[WB], code, wb)
    hosts[D360].expect_request("/d/UN_EGDI_EGDI_WIDEF.csv").respond_with_data(d360)
    serve_sdg(hosts[SDG], sdg)
    hosts[TI].expect_request("/images/CPI2025_Results.xlsx").respond_with_data(
        zip_of({"[Content_Types].xml": b"<Types/>", "cpi2025": b"2025"}))
    return (wb_ep(), ep("egov", "un_egov/data360/UN_EGDI_EGDI_WIDEF.csv", "data360_csv",
                        "UN_EGDI_EGDI", f"https://{D360}/d/UN_EGDI_EGDI_WIDEF.csv"),
            sdg_ep(), *ti_eps())


def test_update_rewrites_lock_and_reports_new_years_and_revised_values(hosts, tmp_path, capsys,
                                                                        monkeypatch):
    cat = serve_edition(hosts, 1)
    dest = tmp_path / "real"
    first = fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    assert {c.path: c.status for c in first.changes} == {
        "wb_wgi/api_v2_json/CC.EST.json": "new", "un_egov/data360/UN_EGDI_EGDI_WIDEF.csv": "new",
        "un_sdg/IT_MOB_OWN.csv": "new", "ti_cpi/CPI2025_Results.xlsx": "new"}
    ti_change = next(c for c in first.changes if c.path.startswith("ti_cpi"))
    assert "edition 2026 not found" in ti_change.note and "HTTP 404" in ti_change.note
    assert hosts.paths(TI) == ["/images/CPI2026_Results.xlsx", "/images/CPI2025_Results.xlsx"]
    lock1 = read_lock(dest)

    serve_edition(hosts, 2)
    # the CLI: catalogue from config, every host redirected with --host-url
    catalogue_csv = tmp_path / "publishers.csv"
    with open(catalogue_csv, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=publishers.COLUMNS)
        writer.writeheader()
        for e in cat:
            writer.writerow({f.name: getattr(e, f.name) for f in fields(Endpoint)})
    monkeypatch.setattr(config, "PUBLISHERS_CSV", catalogue_csv)
    capsys.readouterr()
    argv = ["fetch", "--update", "--dest", str(dest)]
    for host, url in hosts.urls.items():
        argv += ["--host-url", f"{host}={url}"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    report = {line.split(": ")[1]: line for line in out if line.count(": ") >= 2}
    assert report["wb_wgi/api_v2_json/CC.EST.json"] == (
        "divides fetch: wb_wgi/api_v2_json/CC.EST.json: changed; edition 2025-09-01 -> "
        f"2026-03-18; sha256 {lock1['wb_wgi/api_v2_json/CC.EST.json']['sha256'][:12]} -> "
        f"{read_lock(dest)['wb_wgi/api_v2_json/CC.EST.json']['sha256'][:12]}; new years 2024; "
        "2 values revised, 1 added, 0 removed")
    assert report["un_egov/data360/UN_EGDI_EGDI_WIDEF.csv"].endswith(
        "new years 2026; 1 values revised, 2 added, 0 removed")
    assert report["un_sdg/IT_MOB_OWN.csv"].count("edition 2025.Q2.G.01 -> 2026.Q1.G.01") == 1
    assert report["un_sdg/IT_MOB_OWN.csv"].endswith("new years 2024; 1 values revised, 1 added, "
                                                    "0 removed")
    assert report["ti_cpi/CPI2025_Results.xlsx"].endswith(
        "removed; dropped from the lock (file left in place)")
    assert report["ti_cpi/CPI2026_Results.xlsx"] == (
        "divides fetch: ti_cpi/CPI2026_Results.xlsx: new; edition 2026")
    lock2 = read_lock(dest)
    assert sorted(lock2) == ["ti_cpi/CPI2026_Results.xlsx", "un_egov/data360/UN_EGDI_EGDI_WIDEF.csv",
                             "un_sdg/IT_MOB_OWN.csv", "wb_wgi/api_v2_json/CC.EST.json"]
    assert lock2["ti_cpi/CPI2026_Results.xlsx"]["url"] == f"https://{TI}/images/CPI2026_Results.xlsx"
    assert all(lock2[p]["sha256"] != lock1[p]["sha256"] for p in lock2 if p in lock1)

    # the same editions again: nothing changed, the lock keeps its retrieval times
    again = fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    assert {c.status for c in again.changes} == {"unchanged"}
    assert read_lock(dest) == lock2


def test_reproduce_downloads_the_locked_urls_and_verifies(hosts, tmp_path):
    cat = serve_edition(hosts, 1)
    dest = tmp_path / "real"
    fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    kept = {p: (dest / p).read_bytes() for p in read_lock(dest)}
    lock_bytes = (dest / publishers.LOCK_NAME).read_bytes()
    for path in kept:
        (dest / path).unlink()
    for server in hosts.servers.values():
        server.clear_log()
    result = fetch_publishers(None, dest, hosts=hosts.urls, catalogue=cat, retries=0)
    assert {p.relative_to(dest).as_posix() for p in result.paths} == set(kept)
    assert {p: (dest / p).read_bytes() for p in kept} == kept
    assert (dest / publishers.LOCK_NAME).read_bytes() == lock_bytes  # only read
    page = "/v2/country/all/indicator/GOV_WGI_CC.EST?source=3&format=json&per_page=20000"
    assert hosts.paths(WB) == [page, page + "&page=2"]
    assert hosts.paths(TI) == ["/images/CPI2025_Results.xlsx"]  # the locked edition, no guess
    # present and verified: nothing downloaded again
    for server in hosts.servers.values():
        server.clear_log()
    fetch_publishers(None, dest, hosts=hosts.urls, catalogue=cat, retries=0)
    assert all(not s.log for s in hosts.servers.values())


def test_reproduce_reports_a_changed_publisher_file_and_keeps_the_old_one(hosts, tmp_path, capsys,
                                                                        monkeypatch):
    cat = serve_edition(hosts, 1)
    dest = tmp_path / "real"
    fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    locked = read_lock(dest)["un_sdg/IT_MOB_OWN.csv"]
    serve_edition(hosts, 2)  # the publishers changed their files
    (dest / "un_sdg/IT_MOB_OWN.csv").write_bytes(b"an older local copy\n")  # kept (case 5)
    with pytest.raises(DownloadError) as info:
        fetch_publishers(["sdg"], dest, hosts=hosts.urls, catalogue=cat, retries=0)
    message = str(info.value)
    assert message.startswith(f"un_sdg/IT_MOB_OWN.csv: {hosts.urls[SDG]}/SDGAPI/v1/sdg/Series/"
                              f"DataCSV: expected sha256 {locked['sha256']}")
    assert ("the publisher changed the file; run `divides fetch --update` to take the new "
            "edition; the file already at " in message)
    assert message.endswith("was left as it is")
    assert (dest / "un_sdg/IT_MOB_OWN.csv").read_bytes() == b"an older local copy\n"
    assert not [p for p in files_under(dest) if fileio.TEMP_PREFIX in p]

    monkeypatch.setattr(config, "PUBLISHERS_CSV", tmp_path / "none.csv")  # never read: --base-url
    assert cli.main(["fetch", "--from", "publishers", "--base-url", "http://127.0.0.1:9"]) == 2
    assert "--base-url applies to --from pinned" in capsys.readouterr().err
    assert cli.main(["fetch", "--update", "--from", "pinned"]) == 2
    assert "does not apply to --from pinned" in capsys.readouterr().err
    assert cli.main(["fetch", "--host-url", f"{WB}=http://127.0.0.1:9"]) == 2
    assert "--host-url applies to --from publishers" in capsys.readouterr().err


def test_without_lock_the_seed_of_known_hashes_is_reproduced(hosts, tmp_path):
    body = zip_of({"[Content_Types].xml": b"<Types/>"})
    hosts[TI].expect_request("/images/CPI2025_Results.xlsx").respond_with_data(body)
    import hashlib

    seeded = ep("cpi", "ti_cpi/CPI2025_Results.xlsx", "ti_xlsx", "CPI",
                f"https://{TI}/images/CPI2025_Results.xlsx", edition_rule="year",
                edition="2025", known_sha256=hashlib.sha256(body).hexdigest(),
                known_size_bytes=str(len(body)))
    unseeded = ep("unesco", "u/x.json", "uis_json", "LR.X", f"https://{UIS}/x")
    dest = tmp_path / "real"
    result = fetch_publishers(None, dest, hosts=hosts.urls, catalogue=(seeded, unseeded),
                              retries=0)
    assert result.seeded and result.paths == [dest / "ti_cpi/CPI2025_Results.xlsx"]
    assert not (dest / publishers.LOCK_NAME).exists()
    with pytest.raises(DividesError, match=r"unknown publisher host 'nowhere.org'; the "
                                           r"catalogue's hosts: api.uis.unesco.org, "):
        fetch_publishers(None, dest, hosts={"nowhere.org": "http://127.0.0.1:9"},
                         catalogue=(seeded, unseeded))


def test_compare_counts_new_years_revisions_and_ignores_missing_values():
    old = {("A", "DNK", "2020"): 1.0, ("A", "AZE", "2020"): 2.0, ("A", "SOM", "2020"): None}
    new = {("A", "DNK", "2020"): 1.5, ("A", "AZE", "2020"): 2.0, ("A", "SOM", "2020"): 3.0,
           ("A", "DNK", "2021"): 4.0}
    diff = revisions.compare(old, new)
    assert (diff.new_years, diff.revised, diff.added, diff.removed) == (("2021",), 1, 2, 0)
    assert revisions.compare(new, new).describe() == (
        "no new years; 0 values revised, 0 added, 0 removed")
    assert revisions.compare_bytes("ti_xlsx", b"a", b"b") is None  # by sha256 only
    assert revisions.compare_bytes("sdg_csv", b"\xff\xfe", b"x") is None  # unparsable
