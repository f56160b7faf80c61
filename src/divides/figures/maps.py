"""Choropleth world maps on Natural Earth 1:110m admin-0, in the Equal Earth projection.

Countries are joined on ``iso3``, which the Natural Earth reader derives from ``ADM0_A3``
checked against ``ISO_A3_EH`` (never ``ISO_A3``: it is ``-99`` for France, Norway and
Kosovo). Classes come from mapclassify (``quantiles`` or ``fisherjenks``, by parameter);
the legend gives each class's breaks and country count. Values of both signs (a gap that
crosses zero) get a diverging colour map centred at zero, with zero as a class break, so
the sign of every class is read from its hue. Countries on the map without a
value are drawn hatched grey and counted in the footer, as are countries with a value
that are too small to appear at 1:110m. Antarctica is left out (no data, a fifth of the
height).

The world map is the project's shipped derived copy of Natural Earth (public domain),
``divides.sources.natural_earth.load_world()``, so maps work offline.
"""

from __future__ import annotations

import warnings

import mapclassify
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from divides.figures import charts, style
from divides.figures.style import house_style

#: Equal Earth (Savric, Patterson & Jenny 2018), Greenwich-centred: an equal-area world
#: projection, so a country's ink is proportional to its area.
EQUAL_EARTH = "EPSG:8857"
#: mapclassify scheme names accepted by ``scheme``.
SCHEMES = {"quantiles": "Quantiles", "fisherjenks": "FisherJenks",
           "equalinterval": "EqualInterval"}
LEFT_OUT = ("ATA",)
MISSING_HATCH = "////"


def _world(world):
    if world is not None:
        return world
    from divides import build

    return build.load_world()


def map_values(frame: pd.DataFrame, column: str, year: int | str | None = None
               ) -> tuple[pd.DataFrame, str]:
    """One value per country: ``iso3, year, value``, and a description of the year rule.

    ``year`` an int: that year; ``"latest"``: each country's latest year with a value;
    None: the year in which most countries have a value (latest on ties).
    """
    charts.require(frame, ["iso3", "year", column], "map data")
    rows = frame.dropna(subset=[column])
    if year == "latest":
        rows = rows.sort_values(["iso3", "year"]).groupby("iso3").tail(1)
        rule = "latest year per country"
    else:
        year = charts.best_year(frame, [column]) if year is None else int(year)
        rows = rows[rows["year"] == year]
        rule = str(year)
    if rows["iso3"].duplicated().any():
        dup = sorted(rows.loc[rows["iso3"].duplicated(), "iso3"].unique())
        raise ValueError(f"map data: column iso3: expected one row per country and year, "
                         f"found repeats {dup[:5]}")
    out = rows[["iso3", "year", column]].rename(columns={column: "value"})
    return out.reset_index(drop=True), rule


def _format_break(value: float, span: float) -> str:
    digits = 0 if span >= 20 else 1 if span >= 2 else 2 if span >= 0.2 else 3
    return f"{value:,.{digits}f}".replace("-", "\u2212")  # a real minus sign


def class_labels(values: np.ndarray, bins: np.ndarray, counts) -> list[str]:
    """Legend text per class: ``lower - upper (n)``, the lowest bound being the minimum."""
    span = float(np.nanmax(values) - np.nanmin(values)) if len(values) else 1.0
    lows = [float(np.nanmin(values))] + list(bins[:-1])
    return [f"{_format_break(lo, span)} \u2013 {_format_break(hi, span)}  ({int(n)})"
            for lo, hi, n in zip(lows, bins, counts)]


def class_colours(cmap_name: str, bins: np.ndarray, lowest: float, diverging: bool
                  ) -> np.ndarray:
    """RGBA per class: evenly along a sequential map, or, diverging, by each class's midpoint
    on a scale centred at zero (negative classes on one side, positive on the other)."""
    cmap = mpl.colormaps[cmap_name]
    k = len(bins)
    if not diverging:
        return cmap(np.linspace(0.0, 1.0, k)) if k > 1 else cmap([0.5])
    lows = np.concatenate([[lowest], bins[:-1]])
    mids = (lows + bins) / 2
    norm = mpl.colors.CenteredNorm(vcenter=0.0, halfrange=float(np.max(np.abs([lowest,
                                                                                 *bins]))))
    # 0.1-0.9 of the map: the darkest ends print as near-black
    return cmap(0.5 + 0.8 * (norm(mids) - 0.5))


@style.sized
def choropleth(frame: pd.DataFrame, column: str, year: int | str | None = None,
               scheme: str = "quantiles", k: int = 5, world=None, title: str | None = None,
               legend_title: str | None = None, cmap: str | None = None,
               sources: list[str] | None = None, note: str = ""):
    """World choropleth of one column of a country-year frame; returns the figure.

    ``frame``: ``iso3, year, <column>`` (the panel, or any tagged frame). ``scheme``: one of
    :data:`SCHEMES`; ``k`` classes. ``cmap``: default sequential, or diverging centred at
    zero (zero then a class break) when the values have both signs. ``world``: a GeoDataFrame with ``iso3`` and geometry
    (default: the shipped Natural Earth copy). ``sources`` defaults to the column's source.
    The figure keeps what it drew in ``fig._divides_map`` (``missing``: iso3 codes drawn
    as no data; ``not_drawn``: iso3 codes with a value but no 1:110m polygon).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: expected one of {sorted(SCHEMES)}, found {scheme!r}")
    kind_source = frame  # provenance is read from the input itself
    values, rule = map_values(frame, column, year)
    world = _world(world)
    charts.require(world, ["iso3", "geometry"], "world map")
    world = world[~world["iso3"].isin(LEFT_OUT)].to_crs(EQUAL_EARTH)
    joined = world.merge(values, on="iso3", how="left")
    have = joined[joined["value"].notna()]
    missing = joined[joined["value"].isna()]
    not_drawn = sorted(set(values["iso3"]) - set(world["iso3"]))
    y = have["value"].to_numpy(dtype=float)
    k_used = max(1, min(k, len(np.unique(y))))
    diverging = bool(len(y)) and float(y.min()) < 0 < float(y.max())
    # in gray a diverging map's two ends look alike: one light-to-dark scale instead, zero
    # still a class break (the legend gives each class's sign)
    gray = style.palette() is style.GRAYSCALE
    cmap = cmap or (style.DIVERGING_CMAP if diverging and not gray else style.SEQUENTIAL_CMAP)
    with warnings.catch_warnings():
        # mapclassify's pure-Python Fisher-Jenks is fast enough for ~200 countries.
        warnings.filterwarnings("ignore", message="Numba not installed")
        classifier = getattr(mapclassify, SCHEMES[scheme])(y, k=k_used) if len(y) else None
        if classifier is not None and diverging:
            # zero as a break: no class holds both signs, so each class's hue gives its sign
            bins = np.unique(np.concatenate([classifier.bins, [0.0]]))
            classifier = mapclassify.UserDefined(y, bins=list(bins))
            k_used = len(classifier.bins)

    with house_style():
        fig, ax = style.new_figure(height_in=4.1 if not style.is_narrow() else 3.9)
        handles = []
        if classifier is not None:
            colours = class_colours(cmap, classifier.bins, float(y.min()),
                                    diverging and cmap == style.DIVERGING_CMAP)
            counts = np.bincount(classifier.yb, minlength=len(classifier.bins))
            have = have.assign(colour=[mpl.colors.to_hex(colours[b]) for b in classifier.yb])
            have.plot(ax=ax, color=have["colour"], edgecolor="white", linewidth=0.25)
            for label_text, colour in zip(class_labels(y, classifier.bins, counts), colours):
                handles.append(Patch(facecolor=colour, edgecolor="none", label=label_text))
        if len(missing):
            missing.plot(ax=ax, facecolor=style.ROLE_COLOURS["missing"], edgecolor="#8C8C8C",
                         hatch=MISSING_HATCH, linewidth=0.2, gid="divides-missing")
        handles.append(Patch(facecolor=style.ROLE_COLOURS["missing"], edgecolor="#8C8C8C",
                             hatch=MISSING_HATCH, linewidth=0.3,
                             label=f"no data  ({len(missing)})"))
        ax.set_axis_off()
        minx, miny, maxx, maxy = world.total_bounds
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal")
        scheme_name = {"quantiles": "quantiles", "fisherjenks": "Fisher-Jenks natural breaks",
                       "equalinterval": "equal intervals"}[scheme]
        # outside the map: a legend on the map covers countries at a column's width
        fig.legend(handles=handles, loc="outside right center" if not style.is_narrow()
                   else "outside lower center", ncols=2 if style.is_narrow() else 1,
                   title=legend_title or textwrap_label(column),
                   handlelength=1.6, handleheight=1.1, alignment="left")
        fig.suptitle(title or f"{style.short_label(column)}, {rule}", x=0.01, ha="left",
                     fontsize=9, fontweight="bold")
        parts = [(f"{k_used} classes by {scheme_name} (mapclassify)"
                  + ("" if not diverging else "; zero added as a break, colours diverge "
                     "from zero" if cmap == style.DIVERGING_CMAP else "; zero added as a break")
                  + "; Equal Earth projection, Antarctica left out"),
                 f"{len(missing)} countries on the map without a value (hatched)"]
        if not_drawn:
            parts.append(f"{len(not_drawn)} countries with a value too small for a 1:110m "
                         "polygon")
        if note:
            parts.append(note)
        footer = style.make_footer(kind_source,
                                   sources=(sources or style.sources_for_columns([column]))
                                   + ["natural_earth"],
                                   years=have["year"] if rule != str(year) else rule,
                                   n_countries=len(have), note="; ".join(parts))
    fig = style.add_footer(fig, footer)
    fig._divides_map = {"missing": sorted(missing["iso3"]), "not_drawn": not_drawn,
                        "bins": [] if classifier is None else [float(b) for b in
                                                               classifier.bins],
                        "colours": [] if classifier is None else
                        [mpl.colors.to_hex(c) for c in colours], "cmap": cmap}
    return fig


def textwrap_label(column: str, width: int = 28) -> str:
    """Legend title: the column's label with its unit, wrapped."""
    import textwrap

    return textwrap.fill(style.label(column), width)


@style.sized
def gap_map(gaps: pd.DataFrame, dimension: str = "sex", indicator: str | None = None,
            measure: str = "gap_pp", **kwargs):
    """Choropleth of one gap measure (default: the difference in percentage points),
    each country's latest year with both group rates."""
    latest = charts.latest_gaps(gaps, dimension, indicator)
    frame = latest[["iso3", "year", measure]].copy()
    frame.attrs = dict(gaps.attrs)  # the gaps' provenance travels with the values
    adv = "/".join(sorted(latest["advantaged_group"].astype(str).unique()))
    dis = "/".join(sorted(latest["disadvantaged_group"].astype(str).unique()))
    what = charts.indicator_text(latest["indicator"].iloc[0]) if len(latest) else dimension
    kwargs.setdefault("title", f"{what}: gap {adv} minus {dis}, latest year per country")
    kwargs.setdefault("legend_title", f"{adv} minus {dis}\n({style.label(measure, unit=False)})"
                      if measure == "gap_pp" else textwrap_label(measure))
    if measure == "gap_pp":
        kwargs["legend_title"] = f"Gap, {adv} minus {dis}\n(percentage points)"
    kwargs.setdefault("sources", list(latest["source"].unique()))
    kwargs.setdefault("note", "gap and both rates from the same survey year and source")
    return choropleth(frame, measure, year="latest", **kwargs)
