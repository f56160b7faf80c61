"""Writers: the latent demo values in each publisher's own file format, with its quirks.

Each ``write_<source>(world, root)`` writes that source's folder under ``root`` (laid out
like ``../shared/data/real``) and returns the *truth*: one row per value written that a
reader should turn into an observation (file, iso3, year, indicator, breakdown, group,
value). Tests compare the readers' output with it. Formats follow SOURCES.md; the readers
are the ones used on real files (no demo branch).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from divides.countries import aggregates, countries
from divides.demo._files import csv_line, write_text, write_xlsx
from divides.demo.dgp import World

TRUTH_COLUMNS = ["file", "iso3", "year", "indicator", "breakdown", "group", "value"]


def fmt(value: float, decimals: int) -> str:
    """A number as a publisher prints it: fixed decimals, trailing zeros cut, no exponent."""
    text = f"{round(float(value), decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Truth:
    """Collects the values a reader should return."""

    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, file: str, iso3: str, year: int, indicator: str, value: float | str,
            breakdown: str = "total", group: str = "all") -> None:
        self.rows.append((file, iso3, int(year), indicator, breakdown, group, float(value)))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=TRUTH_COLUMNS)


# --------------------------------------------------------------------------------------
# World Bank WDI: bulk-API CSVs, Metadata_Country, Metadata_Indicator, DataBank export.

WDI_API_SERIES = {
    # code: (grid name, decimals, file number, indicator name, catalogue indicator, breakdown, group)
    "IT.NET.USER.ZS": ("internet_pct", 2, 384634, "Individuals using the Internet (% of population)",
                       "wdi_internet_users_pct", "total", "all"),
    "SP.POP.TOTL": ("population", 0, 391465, "Population, total", "wdi_population", "total", "all"),
    "NY.GDP.PCAP.CD": ("gdp_pc_usd", 3, 391545, "GDP per capita (current US$)",
                       "wdi_gdp_pc_current_usd", "total", "all"),
    "NY.GDP.PCAP.PP.KD": ("gdp_pc_ppp", 3, 1423,
                          "GDP per capita, PPP (constant 2021 international $)",
                          "wdi_gdp_pc_ppp_const2021_usd", "total", "all"),
    "SP.URB.TOTL.IN.ZS": ("urban_pct", 3, 380445, "Urban population (% of total population)",
                          "wdi_urban_pct", "total", "all"),
    "SE.ADT.LITR.ZS": ("literacy_pct", 4, 69,
                       "Literacy rate, adult total (% of people ages 15 and above)",
                       "wdi_literacy_adult_pct", "total", "all"),
    "SE.ADT.LITR.FE.ZS": ("literacy_female_pct", 4, 4635,
                          "Literacy rate, adult female (% of females ages 15 and above)",
                          "wdi_literacy_adult_pct", "sex", "female"),
    "SE.ADT.LITR.MA.ZS": ("literacy_male_pct", 4, 4636,
                          "Literacy rate, adult male (% of males ages 15 and above)",
                          "wdi_literacy_adult_pct", "sex", "male"),
}
#: Aggregate rows mixed in with countries (codes from data/build/aggregates.csv).
WDI_AGGREGATES = ("ARB", "EUU", "HIC", "LMY", "SSF", "ECS", "WLD", "IDA", "LTE")


def _wdi_missing(world: World, code: str) -> np.ndarray:
    """Which country-years WDI leaves empty (True = empty), per series."""
    n, t = len(world.countries), len(world.years)
    rng = world.rng(f"wdi:missing:{code}")
    empty = rng.random((n, t)) < 0.02
    if code == "NY.GDP.PCAP.PP.KD":
        empty |= (rng.random((n, 1)) < 0.06)          # a few economies without PPP data
    if code == "IT.NET.USER.ZS":
        empty[:, -1] |= rng.random(n) < 0.15            # latest year not yet reported
    if code.startswith("SE.ADT.LITR"):
        empty = _literacy_mask(world, "wdi")
    return empty


def _literacy_mask(world: World, which: str) -> np.ndarray:
    """Sparse literacy: survey years of some non-high-income countries (True = empty)."""
    p = world.params["literacy"]
    rng = world.rng(f"literacy:mask:{which}")
    n, t = len(world.countries), len(world.years)
    empty = np.ones((n, t), dtype=bool)
    share = p[f"{which}_share_countries"]
    years_max = p[f"{which}_years_max"]
    high = (world.countries["income_group"] == "High income").to_numpy()
    lo, hi = (2003, 2023) if which == "wdi" else (2010, 2018)
    for i in range(n):
        if high[i] or rng.random() > share:
            continue
        k = int(rng.integers(1, years_max + 1))
        for year in rng.choice(np.arange(lo, hi + 1), size=k, replace=False):
            empty[i, world.col(int(year))] = False
    return empty


def write_wdi(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    folder = root / "wb_wdi" / "api_csv"
    c = world.countries
    agg = aggregates().set_index("code")
    all_years = list(range(1960, 2025))
    for code, (name, dec, number, label, ind, brk, grp) in WDI_API_SERIES.items():
        fname = f"API_{code}_DS2_en_csv_v2_{number}.csv"
        values = world.grid[name]
        empty = _wdi_missing(world, code)
        rows = []
        for i, r in enumerate(c.itertuples()):
            cells = [""] * len(all_years)
            for j, year in enumerate(world.years):
                if not empty[i, j]:
                    text = fmt(values[i, j], dec)
                    cells[year - 1960] = text
                    truth.add(fname, r.iso3, year, ind, text, brk, grp)
            rows.append((r.wb_name, r.iso3, cells))
        weights = world.grid["population"]
        for code_agg in WDI_AGGREGATES:
            cells = [""] * len(all_years)
            if code_agg == "WLD" or (code_agg == "HIC" and not code.startswith("SE.")):
                mask = (np.ones(len(c), bool) if code_agg == "WLD"
                        else (c["income_group"] == "High income").to_numpy())
                for j, year in enumerate(world.years):
                    v = np.average(values[mask, j], weights=weights[mask, j])
                    cells[year - 1960] = fmt(v, dec)
            rows.append((agg.loc[code_agg, "name"], code_agg, cells))
        rows.append(("Not classified", "INX", [""] * len(all_years)))
        rows.sort(key=lambda x: x[0].casefold())
        last = "2026-02-24" if code.startswith("SE.") or code == "NY.GDP.PCAP.PP.KD" else "2025-04-15"
        eol = "\n" if code.startswith("SE.") or code == "NY.GDP.PCAP.PP.KD" else "\r\n"
        lines = ['"Data Source","World Development Indicators",', "",
                 f'"Last Updated Date","{last}",', "",
                 csv_line(["Country Name", "Country Code", "Indicator Name", "Indicator Code",
                           *map(str, all_years)], quote_all=True) + ","]
        for cname, ccode, cells in rows:
            lines.append(csv_line([cname, ccode, label, code, *cells], quote_all=True) + ",")
        write_text(folder / fname, eol.join(lines) + eol, bom=True)
        meta = [csv_line(["INDICATOR_CODE", "INDICATOR_NAME", "SOURCE_NOTE",
                          "SOURCE_ORGANIZATION"], quote_all=True) + ",",
                csv_line([code, label, f"{label}: synthetic demo data (divides.demo).",
                          "divides synthetic demo generator"], quote_all=True) + ","]
        write_text(folder / f"Metadata_Indicator_{fname}", "\r\n".join(meta) + "\r\n", bom=True)
    # Metadata_Country: region and income group per code; aggregates with an empty region;
    # no row for INX (as in the real file).
    meta_rows = [(r.iso3, r.region, "" if pd.isna(r.income_group) else r.income_group, "",
                  r.wb_name) for r in c.itertuples()]
    meta_rows += [(a, "", "", "", agg.loc[a, "name"]) for a in WDI_AGGREGATES]
    meta_rows.sort()
    lines = [csv_line(["Country Code", "Region", "IncomeGroup", "SpecialNotes", "TableName"],
                      quote_all=True) + ","]
    lines += [csv_line(r, quote_all=True) + "," for r in meta_rows]
    write_text(folder / "Metadata_Country_API_IT.NET.USER.ZS_DS2_en_csv_v2_384634.csv",
               "\r\n".join(lines) + "\r\n", bom=True)
    truth_db = _write_wdi_databank(world, root)
    truth_json = write_wdi_api_json(world, root)
    return pd.concat([truth.frame(), truth_db, truth_json], ignore_index=True)


DATABANK_SERIES = {
    "IT.NET.USER.ZS": ("internet_pct", None, "Individuals using the Internet (% of population)",
                       "wdi_internet_users_pct"),
    "IT.CEL.SETS": ("mobile_per100", "count", "Mobile cellular subscriptions",
                    "wdi_mobile_subs_count"),
    "IT.CEL.SETS.P2": ("mobile_per100", None, "Mobile cellular subscriptions (per 100 people)",
                       "wdi_mobile_subs_per100"),
    "IT.NET.BBND": ("broadband_per100", "count", "Fixed broadband subscriptions",
                    "wdi_fixed_broadband_count"),
    "IT.NET.BBND.P2": ("broadband_per100", None, "Fixed broadband subscriptions (per 100 people)",
                       "wdi_fixed_broadband_per100"),
    "IT.MLT.MAIN": ("fixed_phone_per100", "count", "Fixed telephone subscriptions",
                    "wdi_fixed_phone_count"),
    "IT.MLT.MAIN.P2": ("fixed_phone_per100", None, "Fixed telephone subscriptions (per 100 people)",
                       "wdi_fixed_phone_per100"),
    "IT.NET.SECR": ("secure_servers_per_million", "count_million", "Secure Internet servers",
                    "wdi_secure_servers_count"),
    "IT.NET.SECR.P6": ("secure_servers_per_million", None,
                       "Secure Internet servers (per 1 million people)",
                       "wdi_secure_servers_per_million"),
}


def _write_wdi_databank(world: World, root: Path) -> pd.DataFrame:
    """DataBank export 1991-2020: BOM, '..' missing, 5 footer lines, aggregates mixed in."""
    truth = Truth()
    fname = "world_bank_internet_data.csv"
    years = list(range(1991, 2021))
    pop = world.grid["population"]
    agg = aggregates().set_index("code")
    lines = [csv_line(["Country Name", "Country Code", "Series Name", "Series Code",
                       *[f"{y} [YR{y}]" for y in years]])]
    rng = world.rng("wdi:databank:missing")
    entries = [(r.wb_name, r.iso3, i) for i, r in enumerate(world.countries.itertuples())]
    entries += [(agg.loc[a, "name"], a, None) for a in ("WLD", "HIC", "SSF")]
    entries.sort(key=lambda x: x[0].casefold())
    for cname, ccode, i in entries:
        for code, (name, kind, label, ind) in DATABANK_SERIES.items():
            cells = [".."] * len(years)
            for k, year in enumerate(years):
                if year < world.years[0]:
                    continue
                j = world.col(year)
                if i is None:
                    v = float(np.average(world.grid[name][:, j], weights=pop[:, j]))
                    scale = float(pop[:, j].sum())
                else:
                    if rng.random() < 0.02:
                        continue
                    v, scale = float(world.grid[name][i, j]), float(pop[i, j])
                if kind == "count":
                    text = fmt(v * scale / 100, 0)
                elif kind == "count_million":
                    text = fmt(v * scale / 1e6, 0)
                else:
                    text = fmt(v, 6)
                cells[k] = text
                if i is not None:
                    truth.add(fname, ccode, year, ind, text)
            lines.append(csv_line([cname, ccode, label, code, *cells]))
    blank = "," * (len(years) + 3)
    lines += [blank, blank, blank,
              "Data from database: World Development Indicators" + "," * (len(years) + 3),
              "Last Updated: 05/25/2022" + "," * (len(years) + 3)]
    write_text(root / "wb_wdi" / "databank_extract" / fname, "\n".join(lines) + "\n", bom=True)
    return truth.frame()


# --------------------------------------------------------------------------------------
# World Bank Indicators API v2 JSON (``divides fetch`` from api.worldbank.org, WDI source 2):
# the Enterprise Surveys series, published only in each country's survey waves.

ES_API_SERIES = {
    # code: (grid name, indicator name, catalogue indicator, pages)
    "IC.FRM.BRIB.ZS": ("bribery", ("Bribery incidence (% of firms experiencing at least one "
                                   "bribe payment request)"), "wdi_bribery_incidence_pct", 2),
    "IC.FRM.CORR.ZS": ("informal_payments", "Informal payments to public officials (% of firms)",
                       "wdi_informal_payments_pct", 1),
    "IC.TAX.GIFT.ZS": ("tax_gift", ("Firms expected to give gifts in meetings with tax "
                                    "officials (% of firms)"), "wdi_tax_gift_expected_pct", 1),
}
ES_LASTUPDATED = "2025-07-01"


def write_wdi_api_json(world: World, root: Path) -> pd.DataFrame:
    """``wb_wdi/api_v2_json/<code>.json``: aggregates first, then economies by name, dates
    newest first, ``null`` outside survey waves, one decimal; IC.FRM.BRIB.ZS saved as the
    list of its two pages (as ``divides fetch`` saves a paginated answer)."""
    truth = Truth()
    iso2 = dict(zip(countries()["iso3"], countries()["iso2"]))
    agg = aggregates().set_index("code")
    waves = world.es_waves
    c = world.countries
    order = np.argsort(c["wb_name"].str.casefold().to_numpy(), kind="stable")
    entities = [(a, "", agg.loc[a, "name"], None) for a in WDI_AGGREGATES]
    entities += [(c.iloc[i]["iso3"], iso2.get(c.iloc[i]["iso3"], ""), c.iloc[i]["wb_name"], i)
                 for i in order]
    years = world.years[::-1]
    for code, (name, label, ind, n_pages) in ES_API_SERIES.items():
        fname = f"{code}.json"
        published = waves if code != "IC.TAX.GIFT.ZS" else waves[waves["tax_question"]]
        keys = set(zip(published["iso3"], published["year"]))
        records = []
        for iso3, two, cname, i in entities:
            for year in years:
                value = None
                if i is not None and (iso3, int(year)) in keys:
                    value = round(float(world.grid[name][i, world.col(int(year))]), 1)
                    truth.add(fname, iso3, int(year), ind, value)
                records.append({"indicator": {"id": code, "value": label},
                                "country": {"id": two or iso3[:2], "value": cname},
                                "countryiso3code": iso3, "date": str(int(year)),
                                "value": value, "unit": "", "obs_status": "", "decimal": 1})
        per_page = -(-len(records) // n_pages)
        pages = []
        for k in range(n_pages):
            meta = {"page": k + 1, "pages": n_pages, "per_page": per_page,
                    "total": len(records), "sourceid": "2", "lastupdated": ES_LASTUPDATED}
            pages.append([meta, records[k * per_page:(k + 1) * per_page]])
        doc = pages[0] if n_pages == 1 else pages
        write_text(root / "wb_wdi" / "api_v2_json" / fname,
                   json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    return truth.frame()


# --------------------------------------------------------------------------------------
# WGI: one long sheet, values as text, '..' for missing, legacy World Bank codes.

WGI_DIMS = ("cc", "ge", "pv", "rl", "rq", "va")


def write_wgi(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    fname = "wgidataset.xlsx"
    c = world.countries
    rng = world.rng("wgi:format")
    n = len(c)
    order = np.argsort(c["wgi_name"].str.casefold().to_numpy(), kind="stable")
    header = ["codeindyr", "code", "countryname", "year", "indicator", "estimate", "stddev",
              "nsource", "pctrank", "pctranklower", "pctrankupper"]
    p = world.params["corruption"]
    nsource = rng.integers(3, 13, n)
    codes, names, isos = (c[k].to_numpy() for k in ("wgi_code", "wgi_name", "iso3"))
    rows = [header]
    for dim in WGI_DIMS:
        for year in world.years:
            j = world.col(year)
            est = world.grid[dim][:, j]
            missing = rng.random(n) < 0.01
            ok = ~missing
            ranks = pd.Series(est[ok]).rank(method="average").to_numpy()
            pct = np.full(n, np.nan)
            pct[ok] = 100 * (ranks - 1) / max(ok.sum() - 1, 1)
            ns = np.clip(nsource + rng.integers(-1, 2, n), 1, 14)
            sd = np.clip(p["stderr_max"] - 0.02 * ns + rng.normal(0, 0.01, n),
                         p["stderr_min"], p["stderr_max"])
            for i in order:
                code, cname, iso = codes[i], names[i], isos[i]
                # as in the real file: numbers are numeric cells, '..' a text cell
                key = [f"{code}{dim}{year}", code, cname, int(year), dim]
                if missing[i]:
                    rows.append(key + [".."] * 6)
                    continue
                width = 100 * 1.64 * sd[i] / 2.0
                vals = [repr(float(est[i])), repr(float(sd[i])), str(int(ns[i])),
                        repr(float(pct[i])), repr(float(max(pct[i] - width, 0.0))),
                        repr(float(min(pct[i] + width, 100.0)))]
                rows.append(key + [int(v) if k == 2 else float(v) for k, v in enumerate(vals)])
                for stat, text in zip(("estimate", "stderr", "nsource", "pctrank"), vals[:4]):
                    ind = f"wgi_{dim}_{stat}"
                    truth.add(fname, iso, year, ind, text)
    write_xlsx(root / "wb_wgi" / fname, [("Sheet1", rows)])
    return truth.frame()


# --------------------------------------------------------------------------------------
# TI CPI: the 2023 GlobalResultsTrends workbook and the datahub legacy 0-10 CSV.

CPI_SOURCES = ["African Development Bank CPIA", "Bertelsmann Foundation Sustainable Governance Index",
               "Bertelsmann Foundation Transformation Index", "Economist Intelligence Unit Country Ratings",
               "Freedom House Nations in Transit", "Global Insights Country Risk Ratings",
               "IMD World Competitiveness Yearbook", "PERC Asia Risk Guide",
               "PRS International Country Risk Guide", "Varieties of Democracy Project",
               "World Bank CPIA", "World Economic Forum EOS", "World Justice Project Rule of Law Index"]


def _cpi_table(world: World) -> pd.DataFrame:
    """Scores 2012-2023 with rank, sources, standard error; NaN where TI has no score."""
    p = world.params["cpi"]
    rng = world.rng("cpi:format")
    c = world.countries
    rows = []
    gappy = c["iso3"] == p["gappy_iso3"]
    for year in range(2012, world.years[-1] + 1):
        j = world.col(year)
        score = world.grid["cpi"][:, j].copy()
        score[rng.random(len(c)) < p["missing_share"]] = np.nan
        if year in (2014, 2015, 2021, 2022, 2023):
            score[gappy.to_numpy()] = np.nan
        rank = pd.Series(-score).rank(method="min")
        sources = rng.integers(3, 10, len(c))
        stderr = np.round(rng.uniform(1.0, 6.5, len(c)), 6)
        for i, r in enumerate(c.itertuples()):
            rows.append({"iso3": r.iso3, "year": year, "score": score[i],
                         "rank": rank[i], "sources": sources[i], "stderr": stderr[i]})
    return pd.DataFrame(rows)


def write_cpi(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    c = world.countries.set_index("iso3")
    last = int(world.years[-1])
    table = _cpi_table(world)
    wide = {(r.iso3, r.year): r for r in table.itertuples()}
    fname = f"CPI{last}_GlobalResultsTrends.xlsx"
    title = [f"Corruption Perceptions Index {last}: Score timeseries since 2012"]
    embargo = [f"EMBARGOED UNTIL 30.01.{last + 1}"]
    header = ["Country / Territory", "ISO3", "Region"]
    for year in range(last, 2011, -1):
        label = "CPI Score" if year <= 2013 else "CPI score"
        header += [f"{label} {year}"] + ([f"Rank {year}"] if year >= 2017 else []) + [
            f"Sources {year}", f"Standard error {year}"]
    ts = [title, embargo, [None], header]
    order = sorted(c.index, key=lambda k: c.loc[k, "cpi_name"].casefold())
    for iso in order:
        row = [c.loc[iso, "cpi_name"], iso, c.loc[iso, "ti_region"]]
        for year in range(last, 2011, -1):
            r = wide[(iso, year)]
            has = not np.isnan(r.score)
            row += [int(r.score) if has else None]
            if year >= 2017:
                row += [int(r.rank) if has else None]
            row += [int(r.sources) if has else None, float(r.stderr) if has else None]
            if has:
                truth.add(fname, iso, year, "cpi_score", r.score)
                if year >= 2017:
                    truth.add(fname, iso, year, "cpi_rank", r.rank)
                truth.add(fname, iso, year, "cpi_sources_n", r.sources)
                truth.add(fname, iso, year, "cpi_stderr", r.stderr)
        ts.append(row)
    # The one-year sheet "CPI <last>" (scores, rank, CI, source columns), sorted by rank.
    rng = world.rng("cpi:sources")
    one = [[f"Corruption Perceptions Index {last}: Global scores"], embargo, [None],
           ["Country / Territory", "ISO3", "Region", f"CPI score {last}", "Rank",
            "Standard error", "Number of sources", "Lower CI", "Upper CI", *CPI_SOURCES]]
    cur = table[(table["year"] == last) & table["score"].notna()].sort_values(
        ["rank", "iso3"])
    for r in cur.itertuples():
        src = [round(float(v), 5) if u < 0.6 else None
               for v, u in zip(np.clip(r.score + rng.normal(0, 6, len(CPI_SOURCES)), 0, 100),
                               rng.random(len(CPI_SOURCES)))]
        one.append([c.loc[r.iso3, "cpi_name"], r.iso3, c.loc[r.iso3, "ti_region"], int(r.score),
                    int(r.rank), float(r.stderr), int(r.sources),
                    round(r.score - 1.64 * r.stderr, 5), round(r.score + 1.64 * r.stderr, 5),
                    *src])
    write_xlsx(root / "ti_cpi" / fname, [(f"CPI {last}", one),
                                         (f"CPI Timeseries 2012 - {last}", ts)])
    # The one-year sheet repeats the timeseries values of its year (the CPI reader takes the
    # timeseries sheet of a GlobalResultsTrends workbook), so it adds no truth rows.
    return pd.concat([truth.frame(), _write_cpi_legacy(world, root)], ignore_index=True)


def _write_cpi_legacy(world: World, root: Path) -> pd.DataFrame:
    """datahub.io cpi.csv: cp1252, CR CR LF line ends, 0-10 scale everywhere, 0.0 = not assessed.

    Written for 2003-2017 like the packagers' file: up to 2011 TI's 0-10 index, 2012-2017
    the 0-100 scores divided by 10 (which the reader drops as out of scope).
    """
    truth = Truth()
    fname = "cpi.csv"
    rng = world.rng("cpi:legacy")
    c = world.countries
    years = list(range(2003, 2018))
    table = _cpi_table(world).set_index(["iso3", "year"])["score"]
    lines = [csv_line(["country", *map(str, years)])]
    order = np.argsort(c["cpi_legacy_name"].str.casefold().to_numpy(), kind="stable")
    for i in order:
        r = c.iloc[i]
        cells = []
        for year in years:
            if year <= 2011:
                assessed = rng.random() > 0.06
                v = world.grid["cpi10"][i, world.col(year)]
                text = fmt(v, 1) if assessed else "0.0"
                if assessed:
                    text = f"{float(text):.1f}"
                    truth.add(fname, r.iso3, year, "cpi_score_0_10_legacy", text)
            else:
                s = table.get((r.iso3, year), np.nan)
                text = "0.0" if np.isnan(s) else f"{s / 10:.1f}"
            cells.append(text)
        lines.append(csv_line([r.cpi_legacy_name, *cells]))
    write_text(root / "ti_cpi" / "datahub_core" / fname, "\r\r\n".join(lines) + "\r\r\n",
               encoding="cp1252")
    package = ('{\n  "name": "corruption-perceptions-index",\n  "title": "Corruption Perceptions '
               'Index (synthetic demo data)",\n  "resources": [{"name": "cpi", "path": '
               '"data/cpi.csv", "format": "csv", "encoding": "utf-8"}]\n}\n')
    write_text(root / "ti_cpi" / "datahub_core" / "datapackage.json", package)
    return truth.frame()


# --------------------------------------------------------------------------------------
# UN E-Government Survey: one CSV per survey year.

def write_egov(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    c = world.countries.set_index("iso3")
    survey = world.egov
    header = ("Survey Year,Country Name,E-Government Rank,E-Government Index,E-Participation Index,"
              "Online Service Index,Human Capital Index,Telecommunication Infrastructure Index")
    names = c["egov_name"].dropna()
    # Rows are not sorted: alphabetical blocks in an odd order (start at a letter, wrap).
    alpha = sorted(names.index, key=lambda k: names[k].strip().casefold())
    start = next(k for k, iso in enumerate(alpha) if names[iso].strip().startswith("I"))
    order = alpha[start:] + alpha[:start]
    inds = [("egov_egdi", "egdi"), ("egov_epi", "epi"), ("egov_osi", "osi"), ("egov_hci", "hci"),
            ("egov_tii", "tii")]
    for year, rows in survey.groupby("year"):
        fname = f"EGOV_DATA_{year}.csv"
        rows = rows.set_index("iso3")
        lines = [header]
        for iso in order:
            r = rows.loc[iso]
            name = names[iso]
            cell = f'"{name}"' if name != name.rstrip() else name
            vals = [f"{r[k]:.5f}" for _, k in inds]
            lines.append(",".join([str(year), cell, str(int(r["rank"])), *vals]))
            if not r["assessed"]:
                continue  # EGDI 0.00000 = not assessed: the reader drops the whole row
            for (ind, _), text in zip(inds, vals):
                truth.add(fname, iso, year, ind, text)
            truth.add(fname, iso, year, "egov_rank", r["rank"])
        write_text(root / "un_egov" / fname, "\n".join(lines) + "\n")
    return truth.frame()


# --------------------------------------------------------------------------------------
# ITU: latest-year internet use by sex/area (2021 edition layout) and subscriptions.

def write_itu(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    c = world.countries.set_index("iso3")
    lat = world.itu_latest.set_index("iso3")
    fname = "IndividualsUsingInternetByGender.xlsx"
    title = [("Individuals using the Internet (from any location), by gender and urban/rural "
              "location (%)")] + [None] * 23
    h1 = ["", None, "Latest", "All", None, "Gender", None, None, None, "", "Urban", None, None,
          None, None, None, "", "Rural", None, None, None, None, None, None]
    h2 = ["Economy name", None, "year", "Individuals", None, "Male", None, "Female", None, "",
          "Total", None, "Male", None, "Female", None, "", "Total", None, "Male", None, None,
          "Female", None]
    positions = {"all": 3, "male": 5, "female": 7, "urban": 10, "urban_male": 12,
                 "urban_female": 14, "rural": 17, "rural_male": 19, "rural_female": 22}
    groups = {"all": ("total", "all"), "male": ("sex", "male"), "female": ("sex", "female"),
              "urban": ("area", "urban"), "rural": ("area", "rural"),
              "urban_male": ("area_sex", "urban_male"), "urban_female": ("area_sex", "urban_female"),
              "rural_male": ("area_sex", "rural_male"), "rural_female": ("area_sex", "rural_female")}
    rows = [title, h1, h2]
    order = sorted(lat.index, key=lambda k: c.loc[k, "itu_name"].casefold())
    for iso in order:
        r = lat.loc[iso]
        row = [c.loc[iso, "itu_name"], None, int(r["year"])] + [""] * 21
        row[21] = None
        for key, pos in positions.items():
            v = r[key]
            row[pos] = "..." if pd.isna(v) else f"{v:.1f}"
            if not pd.isna(v):
                truth.add(fname, iso, r["year"], "itu_internet_users_pct", f"{v:.1f}", *groups[key])
        rows.append(row)
    rows += [[None] * 24, [None] * 24,
             ["Source:", "ITU World Telecommunication/ICT Indicators database."] + [None] * 22,
             [None] * 24,
             [('Age scope of population varies across countries. See table on "in-scope '
               'population"')] + [None] * 23]
    scope = [["Country", "In-scope population"]]
    rng = world.rng("itu:scope")
    for iso in order:
        scope.append([c.loc[iso, "itu_name"],
                      str(rng.choice(["Population age 15+", "Population age 16-74",
                                      "Population age 10+", "Population age 6+"]))])
    write_xlsx(root / "itu" / fname, [("10. Individuals using the Inter", rows),
                                      ("in-scope population", scope)])
    subs = [
        ("MobileCellularSubscriptions_2000-2020.xlsx", "mobile_per100", 2000,
         [("i271", "Mobile-cellular telephone subscriptions;", "itu_mobile_subs_count", True),
          ("i911", "Mobile-cellular subscriptions per 100 inhabitants", "itu_mobile_subs_per100",
           False)]),
        ("FixedBroadbandSubscriptions_2000-2020.xlsx", "broadband_per100", 2000,
         [("i4213tfbb", "Fixed-broadband subscriptions", "itu_fixed_broadband_count", True),
          ("i992b", "Fixed-broadband subscriptions per 100 inhabitants",
           "itu_fixed_broadband_per100", False)]),
        ("MobileBroadbandSubscriptions_2007-2020.xlsx", "mobile_broadband_per100", 2007,
         [("i271mw", "Active mobile-broadband subscriptions", "itu_mobile_broadband_count", True),
          ("i911mw", "Active mobile-broadband subscriptions per 100 inhabitants",
           "itu_mobile_broadband_per100", False)]),
    ]
    pop = world.grid["population"]
    notes = ["Estimate.", "Calendar year data.", "Break in comparability."]
    sources = ["National regulator (synthetic).", "Ministry of Communications (synthetic).",
               "ITU estimate."]
    all_order = sorted(c.index, key=lambda k: c.loc[k, "itu_name"].casefold())
    for fname_s, grid_name, first, sheets in subs:
        years = list(range(first, 2021))
        book = []
        rng = world.rng(f"itu:{fname_s}")
        for code, label, ind, is_count in sheets:
            header = ["Indicator", "Country"]
            for y in years:
                header += [f"{y}_value", f"{y}_notes", f"{y}_source"]
            rows = [header]
            for iso in all_order:
                i = int(np.flatnonzero(world.iso3 == iso)[0])
                row = [label, c.loc[iso, "itu_name"]]
                for y in years:
                    if y < world.years[0] or rng.random() < 0.02:
                        row += [None, None, None]
                        continue
                    j = world.col(y)
                    v = world.grid[grid_name][i, j]
                    text = fmt(v * pop[i, j] / 100, 0) if is_count else repr(float(v))
                    row += [text, notes[int(rng.integers(3))] if rng.random() < 0.05 else None,
                            sources[int(rng.integers(3))] if rng.random() < 0.3 else None]
                    truth.add(fname_s, iso, y, ind, text)
                rows.append(row)
            book.append((code, rows))
        book.append(("Definitions", [["Indicator Name", "Indicator Description",
                                      "Indicator Definition"]] +
                     [[code, label, f"{label} (synthetic demo data)"]
                      for code, label, _, _ in sheets]))
        write_xlsx(root / "itu" / fname_s, book)
    return truth.frame()


# --------------------------------------------------------------------------------------
# Global Findex: DataBank xlsx (fin14a.t.d by group) and the wide 2018 CSV (g20.t by sex).

FINDEX_GROUPS = [  # suffix, breakdown, group, label in the series name, share of adults, factor
    ("1", "sex", "female", ", female (% age 15+)", None, "sex"),
    ("2", "sex", "male", ", male (% age 15+)", None, "sex"),
    ("3", "age", "15_24", ", young (% ages 15-24)", None, "age"),
    ("4", "age", "25plus", ", older (% age 25+)", None, "age"),
    ("5", "education", "primary_or_less", ", primary education or less (% ages 15+)", None,
     "education"),
    ("6", "education", "secondary_or_more", ", secondary education or more (% ages 15+)", None,
     "education"),
    ("7", "income", "poorest_40", ", income, poorest 40% (% ages 15+)", None, "income"),
    ("8", "income", "richest_60", ", income, richest 60% (% ages 15+)", None, "income"),
    ("9", "area", "rural", ", rural (% age 15+)", None, "area"),
    ("10", "area", "urban", ", urban (% age 15+)", None, "area"),
    ("11", "labour", "out_of_labour_force", ", out of labor force (% age 15+)", None, "labor"),
    ("12", "labour", "in_labour_force", ", in labor force (% age 15+)", None, "labor"),
]
#: (advantaged suffix, disadvantaged suffix, share of adults in the advantaged group)
FINDEX_PAIRS = {"sex": ("2", "1", 0.5), "age": ("3", "4", 0.25), "education": ("6", "5", 0.5),
                "income": ("8", "7", 0.6), "area": ("10", "9", 0.5), "labor": ("12", "11", 0.6)}


def _findex_rates(world: World, which: str) -> dict[str, np.ndarray]:
    """Total and group rates (countries x Findex years) for one series."""
    from divides.demo.dgp import logistic, split

    p = world.params["findex"]
    q = p[which]
    rng = world.rng(f"findex:{which}")
    years = np.array(p["years"])
    cols = [world.col(y) for y in years]
    z = world.grid["z"][:, cols]
    n = len(world.countries)
    total = 100 * logistic(q["a"] + q["b"] * z + q["c"] * (years - 2014)
                            + rng.normal(0, q["u_sd"], (n, 1)))
    g = world.params["gaps"]["finance"]
    u = rng.normal(0, g["u_sd"], (n, 1))
    base_r = np.clip(g["r0"] - g["r_income"] * z - g["r_time"] * (years - 2003) + u,
                     g["r_min"], g["r_max"])
    out = {"total": total}
    for name, (adv, dis, share) in FINDEX_PAIRS.items():
        r = np.clip(base_r * g["factor"][name] + rng.normal(0, g["e_sd"], (n, len(years))),
                    g["r_min"], g["r_max"])
        out[adv], out[dis] = split(total, r, share)
    return out


def write_findex(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    p = world.params["findex"]
    c = world.countries
    rng = world.rng("findex:coverage")
    surveyed = rng.random(len(c)) < p["share_countries"]
    surveyed |= c["iso3"].to_numpy() == world.params["case_iso3"]
    high = (c["income_group"] == "High income").to_numpy()
    years = p["years"]
    rates = _findex_rates(world, "bills")
    fname = "Data_Extract_From_Global_Financial_Inclusion.xlsx"
    stem, label = "fin14a.t.d", "Used a mobile phone or the internet to pay bills"
    header = ["Country Name", "Country Code", "Series Name", "Series Code",
              *[f"{y} [YR{y}]" for y in years]]
    data = [header]
    series = [("", "total", "all", " (% age 15+)")] + [
        ("." + s, b, g, lab) for s, b, g, lab, _, _ in FINDEX_GROUPS]
    order = np.argsort(c["wb_name"].str.casefold().to_numpy(), kind="stable")
    for i in order:
        if not surveyed[i]:
            continue
        r = c.iloc[i]
        for suffix, brk, grp, lab in sorted(series, key=lambda s: s[0]):
            key = "total" if suffix == "" else suffix[1:]
            cells = []
            for k, year in enumerate(years):
                ok = year != 2011  # the 2011 column is empty for these series (as published)
                if year == p["case_not_surveyed"] and r.iso3 == world.params["case_iso3"]:
                    ok = False
                if brk == "area" and (year != 2021 or high[i]):
                    ok = False     # rural/urban only in 2021, only developing economies
                if ok:
                    text = fmt(rates[key][i, k], 2)
                    cells.append(text)
                    truth.add(fname, r.iso3, year, "findex_paid_bills_online_pct", text, brk, grp)
                else:
                    cells.append("..")
            data.append([r.wb_name, r.iso3, label + lab, stem + suffix, *cells])
    data += [[None] * 8] * 3 + [["Data from database: Global Financial Inclusion"],
                                ["Last Updated: 06/28/2022"]]
    meta = [["Code", "License Type", "Indicator Name", "Short definition", "Long definition",
             "Source", "Topic", "Dataset", "Unit of measure", "Periodicity", "Reference period",
             "Aggregation method", "License URL"]]
    for suffix, _, _, lab in series:
        meta.append([stem + suffix, "CC BY-4.0", label + lab, "Synthetic demo series.",
                     "Synthetic demo series (divides.demo).", "Global Findex database", "Usage",
                     "Global Findex", "Percent", "Triennial", "2021 variable", "Weighted average",
                     "https://datacatalog.worldbank.org/public-licenses#cc-by"])
    write_xlsx(root / "wb_findex" / fname, [("Data", data), ("Series - Metadata", meta)])
    cmeta = [["Code", "Long Name", "Income Group", "Region", "Lending category", "Other groups"]]
    for i in order:
        if surveyed[i]:
            r = c.iloc[i]
            cmeta.append([r.iso3, r.wb_name, None if pd.isna(r.income_group) else r.income_group,
                          r.region, None, None])
    write_xlsx(root / "wb_findex" / "Data_Extract_From_Global_Financial_Inclusion_Metadata.xlsx",
               [("Series - Metadata", meta), ("Country - Metadata", cmeta)])
    # Wide 2018 export: g20.t, female [g20.t.2], male [g20.t.1] for 2011/2014/2017.
    pay = _findex_rates(world, "payments")
    fname2 = "made_or_received_digitalpayments.csv"
    base = "Made or received digital payments in the past year"
    cols = [(f"{base} (% age 15+) [g20.t]", "total", "total", "all"),
            (f"{base}, female  (% age 15+) [g20.t.2]", "1", "sex", "female"),
            (f"{base}, male  (% age 15+) [g20.t.1]", "2", "sex", "male")]
    wide_years = [y for y in years if y <= 2017]
    head = ["Country Name", "Country Code"] + [f"{name} - {y} [YR{y}]" for name, *_ in cols
                                               for y in wide_years]
    lines = [csv_line(head)]
    for i in order:
        if not surveyed[i]:
            continue
        r = c.iloc[i]
        cells = []
        for name, key, brk, grp in cols:
            for year in wide_years:
                k = years.index(year)
                if year == 2011 and rng.random() < 0.5:
                    cells.append("..")
                    continue
                text = repr(round(float(pay[key][i, k]), 8))
                cells.append(text)
                truth.add(fname2, r.iso3, year, "findex_digital_payments_pct", text, brk, grp)
        lines.append(csv_line([r.wb_name, r.iso3, *cells]))
    blank = "," * (len(head) - 1)
    lines += [blank] * 3 + ["Data from database: Global Financial Inclusion" + blank,
                            "Last Updated: 10/15/2018" + blank]
    write_text(root / "wb_findex" / fname2, "\n".join(lines) + "\n", bom=True)
    return truth.frame()


# --------------------------------------------------------------------------------------
# UN SDG Global Database CSVs (67 columns, M49 codes).

SDG_HEADER = ["ID", "Goal", "Target", "Indicator", "ReleaseStatus", "ReleaseName", "SeriesID", "SeriesCode", "isDSDSeries", "SeriesDescription", "SeriesObservationCount", "GeoAreaCode", "GeoAreaName", "TimePeriod", "Value", "ValueType", "Time_Detail", "TimeCoverage", "UpperBound", "LowerBound", "BasePeriod", "Source", "GeoInfoUrl", "FootNote", "ObservationID", "Age", "Freq", "Location", "Nature", "Sex", "UnitMultiplier", "Units", "Level/Status", "Name of international agreement", "Education level", "Type of product", "Type of facilities", "Name of international institution", "Type of occupation", "Tariff regime (status)", "Type of skill", "Mode of transportation", "Type of mobile technology", "Name of non-communicable disease", "Type of speed", "Migratory status", "Disability status", "Hazard type", "IHR Capacity", "Cities", "Reporting Type", "Quantile", "Activity", "Observation Status", "Policy Domains", "Policy instruments", "Sampling Stations", "Type of waste treatment", "Grounds of discrimination", "Parliamentary committees", "Cause of death", "Substance use disorders", "Mountain Elevation", "Deviation Level", "Frequency of Chlorophyll-a concentration", "Food Waste Sector", "Fiscal intervention stage"]
SKILLS = {"COPA": 1.0, "EMAIL": 0.85, "SOFT": 0.6, "EPRS": 0.45, "PCPR": 0.08, "INST": 0.55,
          "ARSP": 0.35, "TRAF": 0.7, "CMFL": 0.9}


def write_sdg(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    c = world.countries
    idx = {h: k for k, h in enumerate(SDG_HEADER)}
    specs = [
        ("sdg_database_ict_literacy.csv", "4", "4.4", "4.4.1", "2852", "SE_ADT_ACTS",
         ("Proportion of youth and adults with information and communications technology (ICT) "
          "skills, by sex and type of skill (%)"), range(2014, 2020),
         world.params["sdg"]["ict_skills_countries"], list(SKILLS)),
        ("sdg_database_ind_own_mobile.csv", "5", "5.b", "5.b.1", "1897", "IT_MOB_OWN",
         "Proportion of individuals who own a mobile telephone, by sex (%)", range(2013, 2019),
         world.params["sdg"]["mobile_own_countries"], [None]),
    ]
    obs_id = 6000000
    for fname, goal, target, indicator, sid, code, desc, yrs, k, skills in specs:
        rng = world.rng(f"sdg:{code}")
        chosen = np.sort(rng.choice(len(c), size=min(k, len(c)), replace=False))
        if world.params["case_iso3"] in c["iso3"].to_numpy():
            case_i = int(np.flatnonzero(c["iso3"].to_numpy() == world.params["case_iso3"])[0])
            chosen = np.unique(np.append(chosen, case_i))
        records = []
        for i in chosen:
            r = c.iloc[i]
            for year in sorted(rng.choice(list(yrs), size=int(rng.integers(1, 4)), replace=False)):
                j = world.col(int(year))
                base = world.grid["internet_pct"][i, j] if skills[0] else min(
                    world.grid["mobile_per100"][i, j] * 0.8, 99.0)
                gap = world.grid["gap_sex_internet"][i, j]
                for skill in skills:
                    level = base * (SKILLS[skill] if skill else 1.0)
                    male, female = min(level * (1 + gap / 2), 99.9), min(level * (1 - gap / 2), 99.9)
                    for sex, v in (("BOTHSEX", level), ("FEMALE", female), ("MALE", male)):
                        records.append((r, int(year), skill, sex, round(float(v), 5)))
        lines = [",".join(SDG_HEADER)]
        for n_row, (r, year, skill, sex, v) in enumerate(records):
            row = [""] * len(SDG_HEADER)
            row[idx["ID"]] = str(900000 + n_row)
            row[idx["Goal"]], row[idx["Target"]], row[idx["Indicator"]] = goal, target, indicator
            row[idx["ReleaseStatus"]], row[idx["ReleaseName"]] = "Published", "2020.Q4.G.02"
            row[idx["SeriesID"]], row[idx["SeriesCode"]], row[idx["isDSDSeries"]] = sid, code, "1"
            row[idx["SeriesDescription"]] = desc
            row[idx["SeriesObservationCount"]] = str(len(records))
            row[idx["GeoAreaCode"]], row[idx["GeoAreaName"]] = str(int(r.m49)), r.sdg_name
            row[idx["TimePeriod"]], row[idx["Value"]] = str(year), repr(v)
            row[idx["ValueType"]], row[idx["Time_Detail"]] = "Float", str(year)
            row[idx["Source"]] = "National statistical office (synthetic)"
            row[idx["FootNote"]] = ""
            obs_id += 1
            row[idx["ObservationID"]] = str(obs_id)
            row[idx["Sex"]], row[idx["Units"]] = sex, "PERCENT"
            row[idx["Reporting Type"]] = "G"
            if skill:
                row[idx["Type of skill"]] = skill
            cells = [csv_line([x]) for x in row]
            cells[idx["SeriesDescription"]] = '"' + desc + '"'
            cells[idx["FootNote"]] = '""'
            lines.append(",".join(cells))
            ind = (f"sdg_ict_skill_{skill.lower()}_pct" if skill else "sdg_mobile_own_pct")
            brk, grp = ("total", "all") if sex == "BOTHSEX" else ("sex", sex.lower())
            truth.add(fname, r.iso3, year, ind, v, brk, grp)
        write_text(root / "un_sdg" / fname, "\n".join(lines) + "\n")
    return truth.frame()


# --------------------------------------------------------------------------------------
# UNESCO UIS literacy (Makeover Monday extract): ; separator, decimal comma, cp1252, CRLF.

def write_unesco(world: World, root: Path) -> pd.DataFrame:
    truth = Truth()
    fname = "Literacy rates (no pw2).csv"
    c = world.countries
    empty = _literacy_mask(world, "unesco")
    ages = {"15+": ("literacy_pct", "literacy_female_pct", "literacy_male_pct",
                    "unesco_literacy_15plus_pct"),
            "15-24": ("literacy_15_24_pct", None, None, "unesco_literacy_15_24_pct"),
            "25-64": ("literacy_25_64_pct", None, None, "unesco_literacy_25_64_pct"),
            "65+": ("literacy_65plus_pct", None, None, "unesco_literacy_65plus_pct")}
    lines = ["Country;Year;Age;Gender;Literacy rate"]
    order = np.argsort(c["unesco_name"].fillna("").str.casefold().to_numpy(), kind="stable")
    for i in order:
        r = c.iloc[i]
        if pd.isna(r.unesco_name):
            continue
        for j, year in enumerate(world.years):
            if empty[i, j]:
                continue
            gap_sex = world.grid["gap_sex_literacy"][i, j]
            for age, (tot, fem, mal, ind) in ages.items():
                total = world.grid[tot][i, j]
                if fem:
                    female, male = world.grid[fem][i, j], world.grid[mal][i, j]
                else:
                    female = min(total * (1 - gap_sex / 2), 99.9)
                    male = min(total * (1 + gap_sex / 2), 99.9)
                for gender, v in (("female", female), ("male", male), ("total", total)):
                    share = f"{v / 100:.6f}"
                    lines.append(f"{r.unesco_name};{year};{age};{gender};{share.replace('.', ',')}")
                    brk, grp = ("total", "all") if gender == "total" else ("sex", gender)
                    truth.add(fname, r.iso3, year, ind, float(share) * 100, brk, grp)
    write_text(root / "unesco_literacy" / fname, "\r\n".join(lines) + "\r\n", encoding="cp1252")
    return truth.frame()


WRITERS = {"wdi": write_wdi, "wgi": write_wgi, "cpi": write_cpi, "itu": write_itu,
           "egov": write_egov, "findex": write_findex, "sdg": write_sdg, "unesco": write_unesco}
