"""Figures of the case study's fragility checks (models/case.py): leave-one-out donors."""

from __future__ import annotations

import pandas as pd
from matplotlib.patches import Patch

from divides.figures import style
from divides.figures.style import house_style


@style.sized
def leave_one_out_plot(loo: pd.DataFrame, treated_label: str = "treated", years: str = ""):
    """Post-treatment gap of the synthetic control with each donor left out in turn.

    ``loo``: :func:`divides.models.case.leave_one_out` (columns dropped, weight,
    post_gap_mean, n_donors, outcome, data_kind); the full-pool gap is the reference line.
    Donors are sorted by their weight in the full fit.
    """
    with house_style():
        full = loo[loo["dropped"] == "(none)"]
        rest = loo[loo["dropped"] != "(none)"].sort_values(["weight", "dropped"])
        fig, ax = style.new_figure(height_in=0.25 * len(rest) + 1.6)
        pal = style.palette()
        colours = [pal.roles["treated"] if w > 0.001 else pal.roles["synthetic"]
                   for w in rest["weight"]]
        ax.barh(rest["dropped"] + "  (w " + rest["weight"].round(2).astype(str) + ")",
                rest["post_gap_mean"], color=colours)
        present = {w > 0.001 for w in rest["weight"]}
        handles = [Patch(color=pal.roles[role], label=text) for positive, role, text in (
            (True, "treated", "donor with positive weight"),
            (False, "synthetic", "donor with zero weight")) if positive in present]
        if len(full):
            handles.append(ax.axvline(float(full["post_gap_mean"].iloc[0]), color="black",
                                      linestyle="--", linewidth=0.9,
                                      label="all donors"))
        style.legend_below(fig, handles, ncols=3)  # on the plot it would cover bars
        ax.axvline(0, color=style.ROLE_COLOURS["reference"], linewidth=0.8)
        outcome = str(loo["outcome"].iloc[0]) if "outcome" in loo.columns else "outcome"
        ax.set_xlabel(f"Mean post-treatment gap, {style.label(outcome)}")
        ax.set_ylabel("Donor left out (its weight in the full fit)")
        fig.suptitle(f"{treated_label}: synthetic-control gap without each donor",
                     x=0.01, ha="left", fontsize=9, fontweight="bold")
        footer = style.make_footer(loo, sources=style.sources_for_columns([outcome]),
                                   years=years or "",
                                   n_countries=int(loo["n_donors"].max()) + 1,
                                   note="Each bar: the synthetic control fitted without "
                                        "that donor")
    return style.add_footer(fig, footer)


@style.sized
def survey_waves_plot(waves: pd.DataFrame, treated_label: str = "treated",
                      treatment_year: int | None = None):
    """The treated country's survey waves against its donors' (one point per wave; dotted
    lines join a country's own waves only: nothing between waves is observed or filled).

    ``waves``: :func:`divides.models.case.survey_waves` (outcome, iso3, role, year, value,
    side, data_kind). The treatment year is a dashed line.
    """
    with house_style():
        fig, ax = style.new_figure(height_in=3.4)
        pal = style.palette()
        donors = waves[waves["role"] == "donor"]
        for i, (iso3, part) in enumerate(donors.groupby("iso3", sort=True)):
            ax.plot(part["year"], part["value"], color=pal.roles["placebo"],
                    linewidth=0.8, linestyle=":", marker="o", markersize=3,
                    label="donors (each country's waves)" if i == 0 else None)
        own = waves[waves["role"] == "treated"]
        ax.plot(own["year"], own["value"], color=pal.roles["treated"], linewidth=1.4,
                linestyle=":", marker="o", markersize=5, label=treated_label, zorder=4)
        if treatment_year is not None:
            ax.axvline(treatment_year - 0.5, color=style.ROLE_COLOURS["reference"],
                       linestyle="--", linewidth=0.8)
        outcome = str(waves["outcome"].iloc[0]) if len(waves) else "outcome"
        ax.set_xlabel("Survey year")
        ax.set_ylabel(style.label(outcome))
        if len(waves):
            ax.legend(loc="best")
        fig.suptitle(f"{treated_label}: survey waves before and after {treatment_year}, "
                     "against the donors'", x=0.01, ha="left", fontsize=9, fontweight="bold")
        footer = style.make_footer(waves, sources=style.sources_for_columns([outcome]),
                                   years=waves["year"] if len(waves) else "",
                                   n_countries=int(waves["iso3"].nunique()),
                                   note="Points: survey waves; no value between waves is "
                                        "filled")
    return style.add_footer(fig, footer)
