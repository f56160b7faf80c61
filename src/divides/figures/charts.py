"""The project's charts: each takes tidy frames with documented columns, returns a figure.

Every chart draws a footer (sources, years, number of countries, and "synthetic demo data"
when the input is demo) from the data it actually plots; the data kind comes from the
frames' provenance. Save with :func:`divides.figures.export.save_figure`.

Inputs:

* ``panel``: the country-year panel (``iso3, country_name, region, income_group, year,
  cpi_score, egdi, internet_users_pct, ...``), as from ``divides.load_panel``.
* ``gaps``: long gap table (``iso3, year, dimension, indicator, source, advantaged_group,
  disadvantaged_group, advantaged_pct, disadvantaged_pct, gap_pp, parity_ratio,
  relative_gap``), as from ``divides.load_gaps``.
* model tables: see each function.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from divides.figures import style
from divides.figures.style import house_style
from divides.models import narrative

#: Columns of a model result table that are statistics or provenance, not choices.
RESULT_STAT_COLUMNS = frozenset({
    "spec_id", "term", "coef", "stderr", "ci_low", "ci_high", "p_value", "pvalue", "t_stat",
    "n_obs", "n_countries", "data_kind", "data", "sources", "years", "year_min", "year_max",
    "significant", "rank",
})


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: expected columns {list(columns)}, missing {missing}; "
                         f"present: {list(frame.columns)}")


def _split_sources(values) -> list[str]:
    """Source ids from a column of strings such as ``"wdi;cpi"`` (first-seen order)."""
    found: list[str] = []
    for value in values:
        if pd.isna(value):
            continue
        for part in re.split(r"[;,|+]", str(value)):
            part = part.strip()
            if part and part not in found:
                found.append(part)
    return found


def _result_years(results: pd.DataFrame, years: str | None) -> str:
    """Years behind a model table: ``years`` argument, ``years`` column, ``year_min/max``."""
    if years:
        return years
    if "years" in results.columns and results["years"].notna().any():
        return "; ".join(dict.fromkeys(results["years"].dropna().astype(str)))
    for first, last in (("year_first", "year_last"), ("year_min", "year_max")):
        if {first, last} <= set(results.columns) and results[first].notna().any():
            return style.format_years(range(int(results[first].min()),
                                            int(results[last].max()) + 1))
    meta = results.attrs.get("divides", {})
    if "years" in meta:
        return str(meta["years"])
    return "not stated in the model table"


def _result_sources(results: pd.DataFrame) -> list[str]:
    if "sources" in results.columns:
        return _split_sources(results["sources"])
    return list(results.attrs.get("divides", {}).get("sources", []))


def _country_names(panel: pd.DataFrame | None) -> dict[str, str]:
    if panel is None or "country_name" not in panel.columns:
        return {}
    names = panel.dropna(subset=["country_name"]).drop_duplicates("iso3")
    return dict(zip(names["iso3"], names["country_name"]))


def _pick_indicator(gaps: pd.DataFrame, indicator: str | None) -> str:
    available = sorted(gaps["indicator"].dropna().unique())
    if indicator is not None:
        if indicator not in available:
            raise ValueError(f"gaps: indicator: expected one of {available}, found {indicator!r}")
        return indicator
    if len(available) == 1:
        return available[0]
    internet = [i for i in available if "internet" in i]
    if len(internet) == 1:
        return internet[0]
    # ITU also publishes daily internet use by group: "use" (any, last 3 months) is the default
    users = [i for i in internet if i.endswith("internet_users_pct")]
    if len(users) == 1:
        return users[0]
    raise ValueError(f"gaps: indicator: expected a choice among {available}, found none given")


def indicator_text(code: str) -> str:
    """An indicator code in words (:func:`divides.figures.style.indicator_label`)."""
    return style.indicator_label(code)


def latest_gaps(gaps: pd.DataFrame, dimension: str, indicator: str | None = None
                ) -> pd.DataFrame:
    """One row per country: the latest year with both group rates for one gap.

    A gap is only meaningful when both rates come from one survey year and source, which
    the gap table guarantees row by row; taking a country's latest row keeps that.
    """
    require(gaps, ["iso3", "year", "dimension", "indicator", "source", "advantaged_group",
                    "disadvantaged_group", "advantaged_pct", "disadvantaged_pct", "gap_pp",
                    "parity_ratio"], "gaps")
    rows = gaps[gaps["dimension"] == dimension]
    if rows.empty:
        raise ValueError(f"gaps: dimension: expected {dimension!r} among "
                         f"{sorted(gaps['dimension'].dropna().unique())}, found no rows")
    indicator = _pick_indicator(rows, indicator)
    rows = rows[rows["indicator"] == indicator]
    rows = rows.dropna(subset=["advantaged_pct", "disadvantaged_pct"])
    rows = rows.sort_values(["iso3", "year", "source"]).groupby("iso3", sort=False).tail(1)
    return rows.reset_index(drop=True)


# --- gaps ---------------------------------------------------------------------------------

@style.sized
def gap_dumbbell(gaps: pd.DataFrame, dimension: str = "area", indicator: str | None = None,
                 panel: pd.DataFrame | None = None, rows_per_column: int = 45):
    """Dumbbells of the advantaged and disadvantaged groups' rates, one row per country.

    Latest year per country; sorted by the gap (advantaged minus disadvantaged, percentage
    points), largest at the top. Long lists wrap into side-by-side columns of
    ``rows_per_column``. ``panel`` (optional) gives country names.
    """
    with house_style():
        pal = style.palette()
        latest = latest_gaps(gaps, dimension, indicator)
        latest = latest.sort_values(["gap_pp", "iso3"], ascending=[False, True])
        names = _country_names(panel)
        latest["label"] = [names.get(c, c) for c in latest["iso3"]]
        adv = "/".join(sorted(latest["advantaged_group"].astype(str).unique()))
        dis = "/".join(sorted(latest["disadvantaged_group"].astype(str).unique()))
        n = len(latest)
        ncols = max(1, min(1 if style.is_narrow() else 3, math.ceil(n / rows_per_column)))
        per_col = math.ceil(n / ncols) if n else 1
        height = max(2.6, 0.125 * per_col + 1.3)
        fig, axes = style.new_figure(height_in=height, ncols=ncols, sharex=True, squeeze=False)
        axes = axes[0]
        for i, ax in enumerate(axes):
            chunk = latest.iloc[i * per_col:(i + 1) * per_col]
            y = np.arange(len(chunk))[::-1]
            ax.hlines(y, chunk["disadvantaged_pct"], chunk["advantaged_pct"],
                      color="#9A9A9A", linewidth=1.0, zorder=1)
            ax.scatter(chunk["advantaged_pct"], y, s=12, color=pal.roles["advantaged"],
                       marker=pal.markers[0], zorder=2, label=adv, linewidths=0)
            ax.scatter(chunk["disadvantaged_pct"], y, s=12, marker=pal.markers[1],
                       color=pal.roles["disadvantaged"], zorder=2, label=dis,
                       linewidths=0)
            ax.set_yticks(y, chunk["label"], fontsize=6 if per_col > 30 else 7)
            ax.set_ylim(-0.8, per_col - 0.2)
            ax.tick_params(axis="y", length=0)
            ax.grid(axis="y", visible=False)
            ax.set_xlim(0, 100)
            ax.set_xlabel(f"{indicator_text(latest['indicator'].iloc[0])} (% of group)"
                          if n else "% of group")
            ax.spines["left"].set_visible(False)
        indicator_name = indicator_text(latest["indicator"].iloc[0]) if n else dimension
        fig.suptitle(f"{indicator_name}: {adv} vs {dis}, latest year per country, "
                     "largest gap (percentage points) first",
                     x=0.01, ha="left", fontsize=9, fontweight="bold")
        handles = [Line2D([], [], marker=m, linestyle="", color=pal.roles[r],
                          markersize=4, label=lab)
                   for r, lab, m in (("advantaged", adv, pal.markers[0]),
                                     ("disadvantaged", dis, pal.markers[1]))]
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
        footer = style.make_footer(gaps, *(p for p in [panel] if p is not None),
                                   sources=latest["source"].unique(), years=latest["year"],
                                   n_countries=latest["iso3"].nunique(),
                                   note="Gap = advantaged minus disadvantaged rate, "
                                        "both from the same survey year and source")
    return style.add_footer(fig, footer)


def parity_data(gaps: pd.DataFrame, panel: pd.DataFrame, dimension: str = "sex",
                indicator: str | None = None) -> tuple[pd.DataFrame, int]:
    """Latest gap per country joined with that year's total internet use; returns the rows
    with both and the number of countries left out for want of internet use that year."""
    latest = latest_gaps(gaps, dimension, indicator)
    require(panel, ["iso3", "year", "internet_users_pct"], "panel")
    # the gaps table may carry income_group/country_name itself: take them once
    cols = ["iso3", "year", "internet_users_pct"] + [
        c for c in ("income_group", "country_name")
        if c in panel.columns and c not in latest.columns]
    joined = latest.merge(panel[cols], on=["iso3", "year"], how="left")
    no_use = int(joined["internet_users_pct"].isna().sum())
    return joined.dropna(subset=["internet_users_pct", "parity_ratio"]), no_use


@style.sized
def parity_vs_internet(gaps: pd.DataFrame, panel: pd.DataFrame, dimension: str = "sex",
                       indicator: str | None = None, label_lowest: int = 5):
    """Parity ratio (disadvantaged / advantaged) against internet use of the whole population.

    One point per country, latest gap year, internet use from the panel in that same year;
    coloured by income group. The shaded band is ITU's parity range 0.98-1.02; ratios above
    1 (the disadvantaged group ahead) are drawn as they are, never capped.
    """
    with house_style():
        latest = latest_gaps(gaps, dimension, indicator)
        joined, no_use = parity_data(gaps, panel, dimension, indicator)
        fig, ax = style.new_figure(height_in=4.2)
        ax.axhspan(0.98, 1.02, color="#EDEDED", zorder=0, linewidth=0)
        ax.axhline(1.0, color=style.ROLE_COLOURS["reference"], linewidth=0.8, zorder=1)
        ax.text(1.5, 1.0, "parity (0.98-1.02)", fontsize=6.5, va="bottom",
                color=style.ROLE_COLOURS["reference"])
        groups = joined.get("income_group", pd.Series("all", index=joined.index))
        for group, colour, marker in _income_colours(groups):
            sub = joined[groups.fillna("not classified") == group]
            ax.scatter(sub["internet_users_pct"], sub["parity_ratio"], s=16, color=colour,
                       marker=marker, alpha=0.9, linewidths=0.3,
                       edgecolors=style.palette().edge, label=f"{group} ({len(sub)})", zorder=2)
        _label_points(ax, joined.nsmallest(label_lowest, "parity_ratio"),
                      "internet_users_pct", "parity_ratio")
        ax.set_xlim(0, 100)
        ax.set_xlabel(f"{style.label('internet_users_pct')}, same year")
        adv = "/".join(sorted(latest["advantaged_group"].astype(str).unique()))
        dis = "/".join(sorted(latest["disadvantaged_group"].astype(str).unique()))
        ax.set_ylabel(f"Parity ratio, {dis} / {adv} internet use (1 = parity)")
        # the title's direction is the data's (Spearman, narrative.association), not assumed
        says = {"rises": "rises with", "falls": "falls as", "unclear":
                "shows no clear relation to"}[
            narrative.association(joined, "internet_users_pct", "parity_ratio").direction]
        ax.set_title(f"Internet-use parity ({dis} / {adv}) {says} overall internet use"
                     + (" rises" if says == "falls as" else ""), loc="left")
        if style.is_narrow():
            style.legend_below(fig, title="Income group (countries)")
        else:
            fig.legend(title="Income group (countries)", loc="outside right upper")
        note = f"Latest gap year per country; parity ratio = {dis} rate / {adv} rate"
        if no_use:
            note += f"; {no_use} countries without total internet use that year left out"
        footer = style.make_footer(gaps, panel,
                                   sources=list(joined["source"].unique()) + ["wdi"],
                                   years=joined["year"], n_countries=joined["iso3"].nunique(),
                                   note=note)
    return style.add_footer(fig, footer)


def _label_points(ax, rows: pd.DataFrame, x: str, y: str, text: str = "iso3") -> None:
    """Label a few points with their codes, nudging labels apart so none overlap."""
    ax.figure.canvas.draw_idle()
    placed: list[tuple[float, float]] = []
    offsets = ((4, 0), (4, 7), (4, -7), (-22, 0), (4, 14), (4, -14))
    for _, row in rows.sort_values(x).iterrows():
        px, py = ax.transData.transform((row[x], row[y]))
        for dx, dy in offsets:
            if all(abs(px + dx - qx) > 22 or abs(py + dy - qy) > 7 for qx, qy in placed):
                break
        placed.append((px + dx, py + dy))
        ax.annotate(row[text], (row[x], row[y]), xytext=(dx, dy), textcoords="offset points",
                    fontsize=6, va="center", color="#222222")


def _income_colours(groups: pd.Series):
    """(group, colour, marker) in income order, then any other groups with the spare colours
    and shapes; colours from the chart's palette (colour or grayscale)."""
    pal = style.palette()
    present = list(dict.fromkeys(groups.fillna("not classified")))
    ordered = [g for g in style.INCOME_GROUP_ORDER if g in present]
    others = sorted(g for g in present if g not in ordered)
    spare = iter([c for c in pal.cycle if c not in pal.income.values()]
                 + ["#7F7F7F"] * len(others))
    markers = dict(zip(style.INCOME_GROUP_ORDER, pal.markers))
    spare_markers = iter(pal.markers[len(style.INCOME_GROUP_ORDER):] + ("o",) * len(others))
    return ([(g, pal.income[g], markers[g]) for g in ordered]
            + [(g, next(spare), next(spare_markers)) for g in others])


# --- association --------------------------------------------------------------------------

def best_year(panel: pd.DataFrame, columns: Sequence[str]) -> int:
    """The year in which most countries have every one of ``columns`` (latest on ties)."""
    counts = panel.dropna(subset=list(columns)).groupby("year")["iso3"].nunique()
    if counts.empty:
        raise ValueError(f"panel: no year has values of all of {list(columns)}")
    return int(counts[counts == counts.max()].index.max())


@style.sized
def cpi_vs_egdi(panel: pd.DataFrame, year: int | None = None, x: str = "egdi",
                y: str = "cpi_score"):
    """``y`` (by default the CPI score) against ``x`` (by default EGDI) for one year, coloured
    by income group, OLS line per group; title and axes name the two columns.

    ``year`` defaults to the year with the most countries having both values (EGDI is
    biennial). Lines are least-squares fits within each income group over its own range;
    the legend gives each slope per 0.1 of ``x`` when ``x`` lies within 0-1, else per unit.
    """
    with house_style():
        require(panel, ["iso3", "year", x, y, "income_group"], "panel")
        year = best_year(panel, [x, y]) if year is None else int(year)
        data = panel[panel["year"] == year].dropna(subset=[x, y])
        fig, ax = style.new_figure(height_in=4.4)
        unit_scale = bool(data[x].between(0, 1).all())
        for group, colour, marker in _income_colours(data["income_group"]):
            sub = data[data["income_group"].fillna("not classified") == group]
            ax.scatter(sub[x], sub[y], s=16, color=colour, alpha=0.85, linewidths=0.3,
                       marker=marker, edgecolors=style.palette().edge, zorder=2)
            text = f"{group} (n = {len(sub)})"
            if len(sub) >= 3 and sub[x].nunique() > 1:
                slope, intercept = np.polyfit(sub[x], sub[y], 1)
                xs = np.linspace(sub[x].min(), sub[x].max(), 20)
                ax.plot(xs, intercept + slope * xs, color=colour, linewidth=1.6, zorder=3)
                text += (f", slope {slope / 10:+.3g} per 0.1" if unit_scale
                         else f", slope {slope:+.3g} per unit")
            ax.plot([], [], marker=marker, color=colour, label=text, markersize=4,
                    markeredgecolor=style.palette().edge, markeredgewidth=0.3)
        ax.set_xlabel(style.label(x))
        ax.set_ylabel(style.label(y))
        if unit_scale:
            ax.set_xlim(0, 1)
        if data[y].between(0, 100).all() and data[y].max() > 1:
            ax.set_ylim(0, 100)
        ax.set_title(f"{style.label(y, unit=False)} and {style.label(x, unit=False)}, {year}",
                     loc="left")
        style.legend_below(fig, handles=ax.get_legend_handles_labels()[0],
                           title="Income group: OLS fit within group")
        footer = style.make_footer(panel, sources=style.sources_for_columns([x, y]),
                                   years=[year], n_countries=data["iso3"].nunique(),
                                   note="Income groups as in the panel (World Bank)")
    return style.add_footer(fig, footer)


#: Estimators in words, for titles and footers.
ESTIMATOR_WORDS = {"cross_section": "cross-section", "pooled": "pooled OLS",
                   "twfe": "within-country (two-way fixed effects)", "between": "between"}


def coefficient_plot_title(estimators: Sequence[str]) -> str:
    """The coefficient plot's title from the estimators it draws (never a fixed text)."""
    words = [ESTIMATOR_WORDS.get(e, str(e)) for e in estimators]
    if not words:
        return "Estimates"
    if len(words) == 1:
        return f"{words[0][0].upper()}{words[0][1:]} estimates"
    return f"{words[0][0].upper()}{words[0][1:]} vs " + " vs ".join(words[1:]) + " estimates"


@style.sized
def coefficient_plot(results: pd.DataFrame, terms: Sequence[str] | None = None,
                     years: str | None = None):
    """Coefficients with confidence intervals, one row per term and estimator.

    ``results`` columns: ``term, coef, ci_low, ci_high, estimator, n_obs, n_countries,
    outcome`` and ``sources`` (``"wdi;cpi"``), optionally ``years`` or
    ``year_first/year_last``. One panel per outcome; estimators (e.g. pooled OLS vs two-way
    FE) are dodged and coloured, so a pooled association that vanishes within countries
    shows. Each panel's legend gives that panel's own models' countries and observations,
    and the footer each panel's countries and years (outcomes cover different years).
    """
    with house_style():
        require(results, ["term", "coef", "ci_low", "ci_high", "estimator", "n_obs",
                           "n_countries", "outcome"], "results")
        data = results if terms is None else results[results["term"].isin(terms)]
        data = data[data["term"].astype(str).str.lower() != "intercept"]
        data = data[~data["term"].astype(str).str.lower().isin(["const", "(intercept)"])]
        outcomes = list(dict.fromkeys(data["outcome"]))
        estimators = list(dict.fromkeys(data["estimator"]))
        term_order = list(dict.fromkeys(data["term"]))
        n_panels = max(1, len(outcomes))
        narrow = style.is_narrow()
        legend_in = 0.3 * len(estimators)
        height = max(2.8, 0.42 * len(term_order) * max(1, len(estimators)) ** 0.5 + 2.0)
        panel, first_ax = style.new_figure(height_in=(height + legend_in) * (
            0.8 * n_panels if narrow else 1.0))
        panel.delaxes(first_ax)
        # one subfigure per outcome, so each panel carries its own legend under it
        subs = np.atleast_1d(panel.subfigures(n_panels if narrow else 1,
                                              1 if narrow else n_panels)).ravel()
        pal = style.palette()
        colours = dict(zip(estimators, pal.cycle))
        markers = dict(zip(estimators, pal.markers))
        step = 0.7 / max(1, len(estimators))
        axes, n_countries, years_by = [], {}, {}
        for sub, outcome in zip(subs, outcomes):
            ax = sub.subplots()
            if axes and not narrow:
                ax.sharey(axes[0])
                ax.tick_params(labelleft=False)
            axes.append(ax)
            rows_o = data[data["outcome"] == outcome]
            handles = []
            for k, est in enumerate(estimators):
                rows = rows_o[rows_o["estimator"] == est]
                if rows.empty:
                    continue
                pos = [len(term_order) - 1 - term_order.index(t) + 0.35 - step * (k + 0.5)
                       for t in rows["term"]]
                ax.hlines(pos, rows["ci_low"], rows["ci_high"], color=colours[est],
                          linewidth=1.4)
                ax.scatter(rows["coef"], pos, color=colours[est], s=18, zorder=3,
                           marker=markers[est])
                # one model per (outcome, estimator): its sample, not the largest of any
                countries, obs = int(rows["n_countries"].max()), int(rows["n_obs"].max())
                # the sample on a line of its own: side by side, a panel's legend is half
                # the figure wide
                handles.append(Line2D([], [], color=colours[est], marker=markers[est],
                                      markersize=4,
                                      label=(f"{ESTIMATOR_WORDS.get(est, est)}\n"
                                             f"({countries:,} countries, {obs:,} obs.)")))
            ax.axvline(0, color=style.ROLE_COLOURS["reference"], linewidth=0.8)
            ax.set_title(style.label(outcome), loc="left", fontsize=8)
            ax.set_xlabel("Coefficient (95% CI)")
            ax.grid(axis="y", visible=False)
            sub.legend(handles=handles, loc="outside lower center", ncols=1)
            # per estimator where their samples differ (a cross-section year against pooled
            # years): one n or one year range would be the largest model's only
            per_n = {ESTIMATOR_WORDS.get(e, e): int(r["n_countries"].max())
                     for e, r in rows_o.groupby("estimator", sort=False)}
            per_years = {ESTIMATOR_WORDS.get(e, e): _result_years(r, years)
                         for e, r in rows_o.groupby("estimator", sort=False)}
            n_countries[outcome] = (next(iter(per_n.values())) if len(set(per_n.values())) < 2
                                    else ", ".join(f"{n} {e}" for e, n in per_n.items()))
            years_by[outcome] = (next(iter(per_years.values()))
                                 if len(set(per_years.values())) < 2
                                 else ", ".join(f"{y} {e}" for e, y in per_years.items()))
        for ax in axes if narrow else axes[:1]:
            ax.set_yticks(range(len(term_order))[::-1],
                          [textwrap.fill(style.label(t), 28) for t in term_order])
            ax.set_ylim(-0.6, len(term_order) - 0.4)
        panel.suptitle(coefficient_plot_title(estimators), x=0.01,
                       ha="left", fontsize=9, fontweight="bold")
        note = ("Coefficient = change in the outcome (in its units) per unit of the term; "
                "95% confidence intervals as reported by each estimator")
        if len(outcomes) > 1:
            years_text = "; ".join(f"{style.short_label(o)} {years_by[o]}" for o in outcomes)
            countries = (", ".join(f"{n_countries[o]} ({style.short_label(o)})"
                                   for o in outcomes)
                         if all(isinstance(n_countries[o], int) for o in outcomes)
                         else "; ".join(f"{style.short_label(o)}: {n_countries[o]}"
                                        for o in outcomes))
        else:
            years_text = years_by[outcomes[0]] if outcomes else _result_years(results, years)
            countries = next(iter(n_countries.values()), 0)
        footer = style.make_footer(results, sources=_result_sources(results),
                                   years=years_text, n_countries=countries, note=note)
    return style.add_footer(panel, footer)


# --- case study ---------------------------------------------------------------------------

@style.sized
def event_study_plot(es: pd.DataFrame, treatment_label: str = "treatment",
                     reference_period: int = -1, years: str | None = None):
    """Event-study coefficients by event time with confidence intervals.

    ``es`` columns: ``event_time`` (years relative to treatment, int), ``coef, ci_low,
    ci_high, n_countries, sources`` and optionally ``outcome`` (one panel each) and
    ``years``. The omitted ``reference_period`` is drawn at 0 as an open marker.
    """
    with house_style():
        require(es, ["event_time", "coef", "ci_low", "ci_high", "n_countries"], "event study")
        outcomes = list(dict.fromkeys(es["outcome"])) if "outcome" in es.columns else [None]
        # models.case gives placebo intervals (donors' placebo estimates), not sampling CIs
        interval = "placebo interval" if "placebo_p" in es.columns else "95% CI"
        fig, axes = style.new_figure(height_in=3.2, ncols=len(outcomes), squeeze=False)
        for ax, outcome in zip(axes[0], outcomes):
            sub = es if outcome is None else es[es["outcome"] == outcome]
            sub = sub.sort_values("event_time")
            est = sub[sub["event_time"] != reference_period]
            pre = est["event_time"] < 0
            pal = style.palette()
            for mask, colour, what, marker in ((pre, pal.roles["before"], "before", "o"),
                                               (~pre, pal.roles["after"], "after", "s")):
                part = est[mask]
                ax.vlines(part["event_time"], part["ci_low"], part["ci_high"], color=colour,
                          linewidth=1.3)
                ax.scatter(part["event_time"], part["coef"], color=colour, s=18, zorder=3,
                           marker=marker, label=f"{what} ({interval})")
            ax.scatter([reference_period], [0], facecolors="white", edgecolors="black", s=18,
                       zorder=4, label=f"reference period ({reference_period:+d})")
            ax.axhline(0, color=style.ROLE_COLOURS["reference"], linewidth=0.8)
            ax.axvline(-0.5, color=style.ROLE_COLOURS["reference"], linewidth=0.8,
                       linestyle="--")
            ticks = sorted(set(sub["event_time"]) | {reference_period})
            # at a column's width two-digit event times touch: label every other one (the
            # reference period always), keep every tick mark
            step = 2 if style.is_narrow() and len(ticks) > 10 else 1
            ax.set_xticks(ticks, [str(t).replace("-", "\u2212")
                                  if (t - reference_period) % step == 0 else ""
                                  for t in ticks])
            ax.set_xlabel(f"Years relative to {treatment_label}")
            ylab = f"Coefficient ({interval})"
            if outcome is not None:
                ylab = textwrap.fill(f"{style.label(outcome)}, relative to reference period",
                                     44)
            ax.set_ylabel(ylab)
        style.legend_below(fig, axes[0][0].get_legend_handles_labels()[0], ncols=3)
        fig.suptitle(f"Event study around {treatment_label}: exploratory, not a causal "
                     "estimate", x=0.01, ha="left", fontsize=9, fontweight="bold")
        footer = style.make_footer(es, sources=_result_sources(es),
                                   years=_result_years(es, years),
                                   n_countries=int(es["n_countries"].max()),
                                   note="Intervals: " + (
                                       "estimate minus the 97.5 and 2.5 percentiles of the "
                                       "donors' placebo estimates" if interval ==
                                       "placebo interval" else "95% confidence intervals"))
    return style.add_footer(fig, footer)


@style.sized
def synthetic_control_plot(paths: pd.DataFrame, treatment_year: int | None = None,
                           outcome: str | None = None, treated_label: str | None = None):
    """Treated vs synthetic path, and the treated gap among placebo gaps ("spaghetti").

    ``paths`` columns: ``year, unit, role`` (``treated`` or ``placebo``), ``actual,
    synthetic`` (outcome of the unit and of its synthetic control) and ``sources``;
    optionally ``treatment_year`` and ``outcome``. The note ranks the treated unit's
    post/pre RMSPE ratio among all units (the placebo-in-space p-value).
    """
    with house_style():
        require(paths, ["year", "unit", "role", "actual", "synthetic"], "synthetic control")
        if treatment_year is None:
            if "treatment_year" not in paths.columns:
                raise ValueError("synthetic control: expected a treatment_year argument or "
                                 "column, found neither")
            treatment_year = int(paths["treatment_year"].dropna().iloc[0])
        if outcome is None and "outcome" in paths.columns:
            outcome = str(paths["outcome"].dropna().iloc[0])
        data = paths.assign(gap=paths["actual"] - paths["synthetic"])
        treated = data[data["role"] == "treated"].sort_values("year")
        if treated["unit"].nunique() != 1:
            raise ValueError(f"synthetic control: role: expected one treated unit, found "
                             f"{sorted(treated['unit'].unique())}")
        unit = treated["unit"].iloc[0]
        treated_label = treated_label or unit
        placebos = data[data["role"] == "placebo"]
        pal = style.palette()
        if style.is_narrow():  # stacked: two panels side by side leave no room at 3.5 in
            fig, (ax_path, ax_gap) = style.new_figure(height_in=5.2, nrows=2)
        else:
            fig, (ax_path, ax_gap) = style.new_figure(height_in=3.5, ncols=2)
        ax_path.plot(treated["year"], treated["actual"], color=pal.roles["treated"],
                     label=f"{treated_label} (actual)")
        ax_path.plot(treated["year"], treated["synthetic"],
                     color=pal.roles["synthetic"], linestyle="--",
                     label=f"synthetic {treated_label}")
        ylab = textwrap.fill(style.label(outcome), 40) if outcome else "Outcome"
        ax_path.set_ylabel(ylab)
        ax_path.set_title("Actual and synthetic path", loc="left", fontsize=8)
        for _, part in placebos.groupby("unit"):
            part = part.sort_values("year")
            ax_gap.plot(part["year"], part["gap"], color=pal.roles["placebo"],
                        linewidth=0.6, alpha=0.8)
        ax_gap.plot(treated["year"], treated["gap"], color=pal.roles["treated"],
                    linewidth=1.8)
        ax_gap.axhline(0, color=style.ROLE_COLOURS["reference"], linewidth=0.8)
        ax_gap.set_ylabel("Actual minus synthetic (outcome units)")
        ax_gap.set_title("Gap: treated and placebo runs on the donors", loc="left", fontsize=8)
        style.legend_below(fig, ax_path.get_legend_handles_labels()[0] + [
            Line2D([], [], color=pal.roles["placebo"], linewidth=0.8,
                   label=f"placebo gaps ({placebos['unit'].nunique()} donors)")], ncols=3)
        for ax in (ax_path, ax_gap):
            ax.axvline(treatment_year - 0.5, color=style.ROLE_COLOURS["reference"],
                       linestyle=":", linewidth=0.9)
            ax.set_xlabel("Year")
            ax.xaxis.get_major_locator().set_params(integer=True)
        ratios = _rmspe_ratios(data, treatment_year)
        note = f"Treatment from {treatment_year} (dotted line)"
        if unit in ratios.index and len(ratios) > 1:
            rank = int((ratios >= ratios[unit]).sum())
            note += (f"; post/pre RMSPE ratio of {treated_label} ranks {rank} of {len(ratios)} "
                     f"(placebo p = {rank / len(ratios):.2f})")
        fig.suptitle(f"Synthetic control for {treated_label}: exploratory, not a causal "
                     "estimate", x=0.01, ha="left", fontsize=9, fontweight="bold")
        footer = style.make_footer(paths, sources=_result_sources(paths), years=data["year"],
                                   n_countries=data["unit"].nunique(), note=note)
    return style.add_footer(fig, footer)


def _rmspe_ratios(data: pd.DataFrame, treatment_year: int) -> pd.Series:
    """Post/pre root-mean-squared prediction error ratio per unit."""
    def ratio(part):
        pre = part.loc[part["year"] < treatment_year, "gap"]
        post = part.loc[part["year"] >= treatment_year, "gap"]
        pre_rmspe = float(np.sqrt(np.mean(pre ** 2))) if len(pre) else np.nan
        post_rmspe = float(np.sqrt(np.mean(post ** 2))) if len(post) else np.nan
        return post_rmspe / pre_rmspe if pre_rmspe else np.nan
    return data.groupby("unit")[["year", "gap"]].apply(ratio).dropna()


# --- robustness ---------------------------------------------------------------------------

@style.sized
def specification_curve(specs: pd.DataFrame, choices: Sequence[str] | None = None,
                        term: str | None = None, years: str | None = None,
                        significance: str = "", tests: str = ""):
    """Sorted estimates of one term across specifications, with the choices beneath.

    ``specs`` columns: ``coef, ci_low, ci_high, n_countries, sources`` plus one column per
    modelling choice (``choices``; default: every other text column with more than one
    value, e.g. ``outcome, estimator, controls, sample, lag``). Significant estimates are
    blue, the others grey: by the ``significant`` column when there is one (its rule in
    words: ``significance``), else by whether the interval excludes 0. ``tests``: the
    curve-level tests in words, for the footer.
    """
    with house_style():
        require(specs, ["coef", "ci_low", "ci_high", "n_countries"], "spec curve")
        data = specs if term is None or "term" not in specs.columns else specs[
            specs["term"] == term]
        if choices is None:
            choices = [c for c in data.columns if c not in RESULT_STAT_COLUMNS
                       and not pd.api.types.is_numeric_dtype(data[c])
                       and data[c].nunique() > 1]
        data = data.sort_values(["coef"] + list(choices)).reset_index(drop=True)
        x = np.arange(len(data))
        by_column = "significant" in data.columns
        significant = (data["significant"].astype(bool) if by_column
                       else (data["ci_low"] > 0) | (data["ci_high"] < 0))
        yes, no = (("significant", "not significant") if by_column
                   else ("CI excludes 0", "CI includes 0"))
        options = [(c, str(v)) for c in choices for v in sorted(data[c].astype(str).unique())]
        fig, (ax, ax_ch) = style.new_figure(  # narrow: the legend takes three rows
            height_in=2.6 + 0.13 * len(options) + (0.45 if style.is_narrow() else 0.0),
            nrows=2, sharex=True,
            gridspec_kw={"height_ratios": [2.2, max(0.8, 0.13 * len(options))]})
        pal = style.palette()
        colours = np.where(significant, pal.roles["significant"], pal.roles["not_significant"])
        ax.vlines(x, data["ci_low"], data["ci_high"], colors=colours, linewidth=0.8,
                  alpha=0.7)
        ax.scatter(x, data["coef"], c=colours, s=8 if len(data) < 200 else 3, zorder=3)
        ax.axhline(0, color=style.ROLE_COLOURS["reference"], linewidth=0.8)
        median = float(data["coef"].median()) if len(data) else 0.0
        ax.axhline(median, color=pal.roles["median"], linewidth=0.8, linestyle="--")
        term_name = term or (data["term"].iloc[0] if "term" in data.columns and len(data)
                             else "term")
        ax.set_ylabel("Coefficient (95% CI)")
        ax.grid(axis="x", visible=False)
        style.legend_below(fig, [
            Line2D([], [], color=pal.roles["significant"], marker="o", markersize=3,
                   label=f"{yes} ({int(significant.sum())})"),
            Line2D([], [], color=pal.roles["not_significant"], marker="o",
                   markersize=3, label=f"{no} ({int((~significant).sum())})"),
            Line2D([], [], color=pal.roles["median"], linestyle="--",
                   label=f"median {median:.3g}")], ncols=3)
        for row, (col, value) in enumerate(options):
            used = data[col].astype(str) == value
            ax_ch.scatter(x[used.to_numpy()], np.full(int(used.sum()), row), s=5,
                          color="#333333", marker="s", linewidths=0)
        ax_ch.set_yticks(range(len(options)), [f"{c}: {v}" for c, v in options], fontsize=6)
        ax_ch.set_ylim(len(options) - 0.5, -0.5)
        ax_ch.grid(axis="x", visible=False)
        ax_ch.tick_params(axis="y", length=0)
        for boundary in np.cumsum([data[c].nunique() for c in choices])[:-1]:
            ax_ch.axhline(boundary - 0.5, color="#CCCCCC", linewidth=0.6)
        ax_ch.set_xlabel(f"Specification, sorted by estimate ({len(data)} specifications)")
        ax_ch.set_xlim(-1, max(len(data), 1))
        term_text = style.label(term_name) if style.has_label(term_name) else term_name
        fig.suptitle(f"Specification curve: coefficient on {term_text}",
                     x=0.01, ha="left", fontsize=9, fontweight="bold")
        nmin, nmax = int(data["n_countries"].min()), int(data["n_countries"].max())
        note = "Countries per specification " + (f"{nmin}-{nmax}" if nmin != nmax else str(nmax))
        note = ". ".join(t for t in (note, significance if by_column else "", tests) if t)
        footer = style.make_footer(specs, sources=_result_sources(specs),
                                   years=_result_years(specs, years), n_countries=nmax,
                                   note=note)
    return style.add_footer(fig, footer)


#: Decisions of the curve in words, for the decomposition's axis.
DECISION_WORDS = {"outcome": "Outcome (CPI or WGI)", "controls": "Control set",
                  "estimator": "Estimator (pooled or two-way FE)",
                  "lag": "Lag of the key regressor", "sample": "Sample (all or an income group)",
                  "family": "Key regressor (family)"}


@style.sized
def curve_decomposition(decomposition: pd.DataFrame, specs: pd.DataFrame):
    """Bars of each decision's Shapley share of the variance of the curve's estimates.

    ``decomposition``: :func:`divides.models.speccurve.decompose` (``decision, levels,
    r2_shapley, n_specs``; the last row what no decision explains alone); ``specs``: the
    curve table it was computed from (sources, years and countries for the footer).
    """
    with house_style():
        require(decomposition, ["decision", "levels", "r2_shapley", "n_specs"],
                "curve decomposition")
        data = decomposition.iloc[::-1].reset_index(drop=True)
        labels = [f"{DECISION_WORDS[d]} ({n} options)" if d in DECISION_WORDS
                  else d[0].upper() + d[1:]
                  for d, n in zip(data["decision"], data["levels"])]
        panel, ax = style.new_figure(height_in=1.6 + 0.3 * len(data))
        pal = style.palette()
        colours = [pal.cycle[0] if d in DECISION_WORDS else pal.roles["not_significant"]
                   for d in data["decision"]]
        y = np.arange(len(data))
        ax.barh(y, data["r2_shapley"], color=colours, height=0.6)
        for yi, v in zip(y, data["r2_shapley"]):
            ax.text(v, yi, f" {v:.0%}", va="center", fontsize=7)
        ax.set_yticks(y, labels)
        ax.set_xlim(0, min(1.0, float(data["r2_shapley"].max()) * 1.2 + 0.02))
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_xlabel("Share of the variance of the standardised estimates (Shapley R²)")
        ax.grid(axis="y", visible=False)
        n = int(decomposition["n_specs"].iloc[0])
        panel.suptitle(f"What moves the curve: the variance of {n:,} estimates by decision",
                       x=0.01, ha="left", fontsize=9, fontweight="bold")
        r2 = float(decomposition.loc[decomposition["decision"].isin(list(DECISION_WORDS)),
                                     "r2_shapley"].sum())
        note = (f"Standardised coefficients of the estimable specifications regressed on each "
                f"decision's options (main effects, R² {r2:.2f}); a decision's share is its "
                f"average gain in R² over every order of entry (Shapley, LMG); the rest is "
                f"interactions between decisions")
        ok = specs.loc[specs["status"] == "ok"] if "status" in specs.columns else specs
        footer = style.make_footer(specs, sources=_result_sources(ok),
                                   years=_result_years(ok, None),
                                   n_countries=int(ok["n_countries"].max()), note=note)
    return style.add_footer(panel, footer)


# --- coverage -----------------------------------------------------------------------------

#: Panel columns shown in the coverage heatmap by default (those present are used).
COVERAGE_COLUMNS = (
    "internet_users_pct", "cpi_score", "wgi_cc_estimate", "egdi", "osi",
    "gdp_pc_ppp_const2021_usd", "population", "urban_pct", "literacy_adult_pct",
    "literacy_adult_female_pct", "mobile_subs_per100", "fixed_broadband_per100",
)


#: The heatmap starts in the first year any of these has a value (population and urban
#: share go back to 1960 and would otherwise fill half the figure with empty years).
COVERAGE_START_COLUMNS = ("internet_users_pct", "cpi_score", "wgi_cc_estimate", "egdi")


@style.sized
def coverage_heatmap(panel: pd.DataFrame, columns: Sequence[str] | None = None,
                     gaps: pd.DataFrame | None = None, first_year: int | None = None):
    """Countries with a value, by variable (rows) and year (columns).

    ``columns`` defaults to the :data:`COVERAGE_COLUMNS` present in the panel. With
    ``gaps``, one row per gap dimension is added (countries with that gap that year).
    ``first_year`` defaults to the first year with a value of any
    :data:`COVERAGE_START_COLUMNS` (the footer states the years shown).
    """
    with house_style():
        require(panel, ["iso3", "year"], "panel")
        columns = [c for c in (columns or COVERAGE_COLUMNS) if c in panel.columns]
        years = sorted(panel["year"].dropna().astype(int).unique())
        if first_year is None:
            starts = [panel.loc[panel[c].notna(), "year"].min()
                      for c in COVERAGE_START_COLUMNS if c in panel.columns]
            starts = [int(y) for y in starts if pd.notna(y)]
            first_year = min(starts) if starts else years[0] if years else None
        years = [y for y in years if first_year is None or y >= first_year]
        rows, labels = [], []
        for col in columns:
            counts = panel.dropna(subset=[col]).groupby("year")["iso3"].nunique()
            rows.append(counts.reindex(years, fill_value=0).to_numpy())
            labels.append(textwrap.fill(style.abbreviated_label(col), 24)
                          if style.is_narrow() else style.short_label(col))
        if gaps is not None:
            for dim, part in gaps.dropna(subset=["gap_pp"]).groupby("dimension"):
                counts = part.groupby("year")["iso3"].nunique()
                rows.append(counts.reindex(years, fill_value=0).to_numpy())
                labels.append(f"{style.short_label('gap_pp').split(' (')[0]} by {dim}")
        matrix = np.vstack(rows) if rows else np.zeros((0, len(years)))
        fig, ax = style.new_figure(height_in=max(2.2, 0.27 * len(rows) + 1.4)
                                   + (0.9 if style.is_narrow() else 0.0))
        n_total = panel["iso3"].nunique()
        image = ax.imshow(matrix, aspect="auto", cmap=style.SEQUENTIAL_CMAP, vmin=0,
                          vmax=max(1, n_total), interpolation="nearest")
        # three-digit counts need about 0.2 in per cell
        if len(years) <= 24 and style.current_width() / max(1, len(years)) >= 0.2:
            for (r, c), value in np.ndenumerate(matrix):
                if value:
                    ax.text(c, r, str(int(value)), ha="center", va="center", fontsize=5,
                            color="white" if value < 0.6 * n_total else "black")
        step = max(1, math.ceil(len(years) / (16 if not style.is_narrow() else 10)))
        ax.set_xticks(range(0, len(years), step), [str(y) for y in years[::step]],
                      rotation=90)
        ax.set_yticks(range(len(labels)), labels)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(length=0)
        ax.set_xlabel("Year")
        colourbar = (fig.colorbar(image, ax=ax, location="bottom", shrink=0.8, aspect=30)
                     if style.is_narrow() else
                     fig.colorbar(image, ax=ax, shrink=0.9, pad=0.01, aspect=25))
        colourbar.set_label(f"Countries with a value (of {n_total})")
        colourbar.outline.set_visible(False)
        ax.set_title("Coverage: countries with a value, by variable and year", loc="left")
        sources = style.sources_for_columns(columns)
        if gaps is not None:
            sources += [s for s in gaps["source"].dropna().unique() if s not in sources]
        footer = style.make_footer(panel, *(g for g in [gaps] if g is not None),
                                   sources=sources, years=years, n_countries=n_total)
    return style.add_footer(fig, footer)


__all__ = [
    "best_year",
    "coefficient_plot",
    "coverage_heatmap",
    "cpi_vs_egdi",
    "event_study_plot",
    "gap_dumbbell",
    "latest_gaps",
    "parity_vs_internet",
    "specification_curve",
    "synthetic_control_plot",
]
