"""Natural Earth admin-0 countries (1:110m, v5.1.1): country geometries, not observations.

Quirk: ``ISO_A3`` is ``-99`` for France, Norway, Northern Cyprus, Somaliland and Kosovo,
so it is never used. ``iso3`` comes from ``ADM0_A3`` through the ``natural_earth`` alias
table (``SAH`` -> ESH, ``PSX`` -> PSE, ``SDS`` -> SSD, ``KOS`` -> XKX) and must agree with
``ISO_A3_EH`` wherever that is not ``-99`` (it gives FRA and NOR). Northern Cyprus
(``CYN``) and Somaliland (``SOL``) have no ISO3 code: they are kept with their own code
and ``has_iso3 = False``, so maps draw them as "no data" instead of as holes.

:func:`write_world` writes the small shippable copy (six columns, geometry unchanged
apart from RFC 7946 ring orientation) into ``config.NATURAL_EARTH_DIR``; :func:`load_world`
reads it back. Natural Earth is public domain, which is why this one derived copy of a
real file is committed.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from divides import config
from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport

SOURCE = "natural_earth"
#: No observation files: this module gives geometries (see OTHER_PATTERNS).
PATTERNS: tuple[str, ...] = ()
OTHER_PATTERNS = {
    "natural_earth/ne_110m_admin_0_countries.shp": "read_countries",
    "natural_earth/ne_110m_admin_0_countries.geojson": "read_countries",
    # the publisher's own download (naciscdn.org): the zipped shapefile, read in place
    "natural_earth/ne_110m_admin_0_countries.zip": "read_countries",
}

VERSION = "5.1.1"
WORLD_FILE = "ne_110m_countries.geojson"
#: Natural Earth units without an ISO 3166 code, kept under their own ADM0_A3 code.
NO_ISO3 = {"CYN": "Northern Cyprus (no ISO 3166 code)", "SOL": "Somaliland (no ISO 3166 code)"}
FIELDS = {"ADM0_A3": "adm0_a3", "ISO_A3_EH": "iso_a3_eh", "NAME": "name",
          "CONTINENT": "continent", "REGION_UN": "region_un", "SUBREGION": "subregion"}
COLUMNS = ["iso3", "has_iso3", "name", "continent", "region_un", "subregion", "geometry"]
#: None keeps the shapefile coordinates unchanged (the copy is ~0.3 MB without rounding).
COORD_DECIMALS: int | None = None


def read(path: str | Path):
    """Not an observation source: use :func:`read_countries` (geometries)."""
    raise TypeError(f"{Path(path).name}: natural_earth gives country geometries, not "
                    "observations; use divides.sources.natural_earth.read_countries(path)")


def read_countries(path: str | Path) -> gpd.GeoDataFrame:
    """Shapefile (plain or zipped, as Natural Earth ships it) or GeoJSON -> GeoDataFrame iso3, has_iso3, name, continent, region_un,
    subregion, geometry (WGS84), one row per feature, sorted by iso3."""
    return read_countries_report(path)[0]


def read_countries_report(path: str | Path) -> tuple[gpd.GeoDataFrame, ReadReport]:
    """:func:`read_countries` plus its read report (one record per feature)."""
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "file", "an existing file", found="no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises its own types for damaged files
        raise SourceFormatError(path, "file", "a readable shapefile, zipped shapefile or GeoJSON",
                                found=f"{type(exc).__name__}: {exc}") from None
    missing = [f for f in FIELDS if f not in frame.columns]
    if missing:
        raise SourceFormatError(path, f"attribute field(s) {missing}", "present",
                                found=f"fields {list(frame.columns)[:20]}")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise SourceFormatError(path, "crs", "WGS84 lon/lat (EPSG:4326)", found=str(frame.crs))
    report = ReadReport(SOURCE, path.name, rows_read=len(frame))
    adm0 = frame["ADM0_A3"].astype(str).str.strip()
    eh = frame["ISO_A3_EH"].astype(str).str.strip()
    known = ~adm0.isin(NO_ISO3)
    resolved = Harmoniser(SOURCE).resolve_codes(adm0[known])
    bad = resolved["reason"].notna()
    if bad.any():
        rows = resolved.index[bad]
        raise SourceFormatError(path, f"feature(s) {list(rows[:5])} field ADM0_A3",
                                "an ISO3 code, an alias in countries/natural_earth.csv, or "
                                f"one of {sorted(NO_ISO3)}", found=sorted(set(adm0[rows])))
    iso3 = adm0.copy()
    iso3[known] = resolved["iso3"]
    disagree = (eh != "-99") & (eh != iso3)
    if disagree.any():
        i = disagree[disagree].index[0]
        raise SourceFormatError(path, f"feature {i} ({frame.at[i, 'NAME']})",
                                f"ISO_A3_EH to agree with ADM0_A3 -> {iso3[i]}", found=eh[i])
    for code, why in NO_ISO3.items():
        if (adm0 == code).any():
            report.notes.append(f"{code}: {why}; kept with has_iso3=False")
    if iso3.duplicated().any():
        raise SourceFormatError(path, "field ADM0_A3", "one feature per country",
                                found=f"repeats {sorted(set(iso3[iso3.duplicated()]))}")
    out = gpd.GeoDataFrame({
        "iso3": iso3.astype(str),
        "has_iso3": known.astype(bool),
        "name": frame["NAME"].astype(str),
        "continent": frame["CONTINENT"].astype(str),
        "region_un": frame["REGION_UN"].astype(str),
        "subregion": frame["SUBREGION"].astype(str),
    }, geometry=frame.geometry.values, crs=frame.crs)
    out = out.sort_values("iso3", kind="mergesort").reset_index(drop=True)
    report.rows_kept = len(out)
    report.observations = 0
    report.check()
    return out, report


def _round(coords, decimals: int | None):
    if decimals is None:
        return coords
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(v), decimals) for v in coords]
    return [_round(part, decimals) for part in coords]


def _to_lists(coords):
    """Nested tuples of shapely's mapping -> lists of floats (stable JSON)."""
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [float(v) for v in coords]
    return [_to_lists(part) for part in coords]


def world_geojson(countries: gpd.GeoDataFrame, decimals: int | None = COORD_DECIMALS) -> str:
    """Deterministic compact GeoJSON text (RFC 7946: exterior rings counter-clockwise)."""
    features = []
    for row in countries.sort_values("iso3", kind="mergesort").itertuples(index=False):
        geom = shapely.orient_polygons(row.geometry)  # exterior CCW, holes CW
        mapping = shapely.geometry.mapping(geom)
        features.append({
            "type": "Feature",
            "properties": {"iso3": row.iso3, "has_iso3": bool(row.has_iso3), "name": row.name,
                           "continent": row.continent, "region_un": row.region_un,
                           "subregion": row.subregion},
            "geometry": {"type": mapping["type"],
                         "coordinates": _to_lists(_round(mapping["coordinates"], decimals))},
        })
    doc = {"type": "FeatureCollection",
           "name": f"Natural Earth {VERSION} admin-0 countries 1:110m (divides subset)",
           "features": features}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_world(source_path: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the shippable copy from the Natural Earth shapefile; return its path."""
    countries = read_countries(source_path)
    out_dir = Path(out_dir) if out_dir is not None else config.NATURAL_EARTH_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / WORLD_FILE
    out.write_text(world_geojson(countries), encoding="utf-8")
    return out


def load_world(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """The shipped world map (``config.NATURAL_EARTH_DIR``): iso3, has_iso3, name,
    continent, region_un, subregion, geometry; EPSG:4326, sorted by iso3."""
    path = Path(path) if path is not None else config.NATURAL_EARTH_DIR / WORLD_FILE
    if not path.exists():
        raise SourceFormatError(path, "file", "the shipped world map (run "
                                "natural_earth.write_world on the Natural Earth shapefile)",
                                found="no such file")
    frame = gpd.read_file(path)
    missing = [col for col in COLUMNS if col not in frame.columns]
    if missing:
        raise SourceFormatError(path, f"propertie(s) {missing}", "present",
                                found=f"columns {list(frame.columns)}")
    frame = frame[COLUMNS].copy()
    frame["has_iso3"] = frame["has_iso3"].astype(bool)
    if frame.crs is None:
        frame = frame.set_crs(4326)
    return gpd.GeoDataFrame(frame, geometry="geometry").sort_values(
        "iso3", kind="mergesort").reset_index(drop=True)


def world_table(countries: gpd.GeoDataFrame) -> pd.DataFrame:
    """The attribute table without geometry (for joins and codebooks)."""
    return pd.DataFrame(countries.drop(columns="geometry"))
