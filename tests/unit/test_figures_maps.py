"""Choropleths: join on iso3, classes from mapclassify with breaks in the legend, countries
without a value drawn hatched and counted in the footer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from divides import provenance
from divides.figures import maps, style

pytestmark = pytest.mark.unit

CODES = ["FRA", "NOR", "DEU", "KEN", "BRA", "IND", "AZE", "PER", "EGY", "CAN"]


def box_world(codes=CODES):
    geoms = [box(-170 + 30 * i, -40 + 5 * i, -150 + 30 * i, -20 + 5 * i) for i in range(len(codes))]
    return gpd.GeoDataFrame({"iso3": codes, "name": codes}, geometry=geoms, crs="EPSG:4326")


def frame(values: dict, year=2020, data="demo"):
    f = pd.DataFrame({"iso3": list(values), "year": year, "cpi_score": list(values.values())})
    return provenance.tag(f, data=data)


def map_legend(fig):
    """The map's legend: outside the map, on the figure's content panel."""
    legends = [leg for sub in fig.subfigs for leg in sub.legends]
    assert len(legends) == 1, legends
    return legends[0]


def missing_artist_paths(fig) -> int:
    ax = fig.axes[0]
    colls = [c for c in ax.collections if c.get_gid() == "divides-missing"]
    assert len(colls) == 1 and colls[0].get_hatch() == maps.MISSING_HATCH
    return len(colls[0].get_paths())


def test_known_missing_country_drawn_hatched_and_counted():
    values = {c: 10.0 * i for i, c in enumerate(CODES) if c != "NOR"}
    values["SGP"] = 80.0  # has a value but no polygon (too small at 1:110m)
    fig = maps.choropleth(frame(values), "cpi_score", world=box_world(), k=3)
    drawn = fig._divides_map
    assert drawn["missing"] == ["NOR"] and drawn["not_drawn"] == ["SGP"]
    assert missing_artist_paths(fig) == 1
    text = style.footer_artist(fig).get_text().replace("\n", " ")
    assert "Countries: n = 9." in text
    assert "1 countries on the map without a value (hatched)" in text
    assert text.lower().count(provenance.DEMO_LABEL) == 1
    legend = [t.get_text() for t in map_legend(fig).get_texts()]
    assert legend[-1].startswith("no data") and "(1)" in legend[-1]
    plt.close(fig)


@pytest.mark.parametrize("scheme", ["quantiles", "fisherjenks"])
def test_legend_shows_class_breaks(scheme):
    values = {c: float(v) for c, v in zip(CODES, [1, 2, 3, 10, 11, 12, 50, 51, 52, 53])}
    fig = maps.choropleth(frame(values), "cpi_score", world=box_world(), k=3, scheme=scheme)
    bins = fig._divides_map["bins"]
    assert len(bins) == 3 and bins[-1] == 53
    labels = [t.get_text() for t in map_legend(fig).get_texts()][:-1]
    counts = [int(lab.rsplit("(", 1)[1].rstrip(")")) for lab in labels]
    assert sum(counts) == 10
    assert labels[0].startswith("1 \u2013")  # the lowest bound is the minimum
    if scheme == "fisherjenks":
        assert counts == [3, 3, 4]
    plt.close(fig)


def test_shipped_world_joins_france_and_norway():
    """ISO_A3 is -99 for France and Norway in Natural Earth: the join must still find them."""
    from divides.sources import natural_earth

    world = natural_earth.load_world()
    values = {c: float(i) for i, c in enumerate(["FRA", "NOR", "DEU", "KEN", "BRA", "IND"])}
    fig = maps.choropleth(frame(values, data="real"), "cpi_score", world=world, k=3)
    missing = fig._divides_map["missing"]
    assert "FRA" not in missing and "NOR" not in missing
    assert "USA" in missing and "ATA" not in missing  # Antarctica is left out
    assert len(missing) == len(world) - 1 - len(values)
    assert provenance.DEMO_LABEL not in style.footer_artist(fig).get_text().lower()
    plt.close(fig)


def test_gap_map_uses_latest_gap_year():
    gaps = pd.DataFrame({
        "iso3": ["KEN", "KEN", "IND"], "year": [2017, 2021, 2019], "dimension": "sex",
        "indicator": "itu_internet_users_pct", "source": "itu", "advantaged_group": "male",
        "disadvantaged_group": "female", "advantaged_pct": [40.0, 50.0, 60.0],
        "disadvantaged_pct": [30.0, 45.0, 40.0]})
    gaps["gap_pp"] = gaps["advantaged_pct"] - gaps["disadvantaged_pct"]
    gaps["parity_ratio"] = gaps["disadvantaged_pct"] / gaps["advantaged_pct"]
    provenance.tag(gaps, data="demo")
    fig = maps.gap_map(gaps, "sex", world=box_world(), k=2)
    # latest gaps KEN 5 (2021, not 10 from 2017) and IND 20: quantile break at their median
    assert np.allclose(fig._divides_map["bins"], [12.5, 20.0])
    text = style.footer_artist(fig).get_text().replace("\n", " ")
    assert "Years: 2019, 2021." in text and "Sources: ITU;" in text
    plt.close(fig)


def test_unknown_scheme_refused():
    with pytest.raises(ValueError, match="scheme"):
        maps.choropleth(frame({"FRA": 1.0}), "cpi_score", world=box_world(), scheme="jenks")
