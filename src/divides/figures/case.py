"""Figures of the case study's fragility checks (models/case.py): leave-one-out donors."""

from __future__ import annotations

import pandas as pd

from divides.figures import style
from divides.figures.style import house_style


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
        colours = [style.OKABE_ITO[5] if w > 0.001 else style.OKABE_ITO[0]
                   for w in rest["weight"]]
        ax.barh(rest["dropped"] + "  (w " + rest["weight"].round(2).astype(str) + ")",
                rest["post_gap_mean"], color=colours)
        if len(full):
            ax.axvline(float(full["post_gap_mean"].iloc[0]), color="black", linestyle="--",
                       linewidth=0.9, label="all donors")
            ax.legend(loc="lower right")
        ax.axvline(0, color=style.ROLE_COLOURS["reference"], linewidth=0.8)
        outcome = str(loo["outcome"].iloc[0]) if "outcome" in loo.columns else "outcome"
        ax.set_xlabel(f"Mean post-treatment gap, {style.label(outcome)}")
        ax.set_ylabel("Donor left out (its weight in the full fit)")
        fig.suptitle(f"{treated_label}: synthetic-control gap without each donor",
                     x=0.01, ha="left", fontsize=9, fontweight="bold")
        footer = style.make_footer(loo, sources=style.sources_for_columns([outcome]),
                                   years=years or "",
                                   n_countries=int(loo["n_donors"].max()) + 1,
                                   note="Dark bars: donors with positive weight")
    return style.add_footer(fig, footer)
