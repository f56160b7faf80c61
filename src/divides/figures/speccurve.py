"""Adapter from the spec curve (models.speccurve) to figures.charts.specification_curve."""

from __future__ import annotations

import re

import pandas as pd

from divides import provenance

FIGURE_CHOICES = ("outcome", "estimator", "controls", "lag", "sample")
#: Each choice of the curve in words: the figure's rows read "Estimator: pooled OLS".
CHOICE_WORDS = {"outcome": "Outcome", "estimator": "Estimator", "controls": "Controls",
                "lag": "Lag (years)", "sample": "Sample"}


def choice_value_words(choice: str, value: object, grid: dict | None = None) -> str:
    """One option of a choice in words: an outcome by its figure label, an estimator by
    :data:`divides.figures.charts.ESTIMATOR_WORDS`, a control set by its columns' labels
    (from the curve's grid), a sample by its group."""
    from divides.figures import charts, style

    text = str(value)
    if choice == "outcome":
        return style.short_label(text)
    if choice == "estimator":
        return charts.ESTIMATOR_WORDS.get(text, text)
    if choice == "controls":
        if grid is None:
            from divides.models import speccurve

            grid = speccurve.load_grid()
        columns = grid.get("controls", {}).get(text)
        if columns is None:
            raise ValueError(f"spec curve: control set {text!r}: expected one of the grid's "
                             f"[controls] {sorted(grid.get('controls', {}))}")
        return ", ".join(style.short_label(c) for c in columns) or "none"
    if choice == "sample":
        return "all countries" if text == "all" else text.split("=", 1)[-1]
    return text


def figure_inputs(curve, keys=None):
    """(name, frame, kwargs) per key regressor for figures.charts.specification_curve.

    The frame carries standardised estimates in ``coef/ci_low/ci_high`` (CPI and WGI
    have different scales; see :data:`STD_NOTE`), each spec's ``significant`` (its
    ``p_spec``: the wild bootstrap below 30 countries) and the choice columns as text.
    """
    table = curve.table[curve.table["status"] == "ok"]
    for key in keys or sorted(table["key_regressor"].unique()):
        sub = table[table["key_regressor"] == key]
        if sub.empty:
            continue
        frame = pd.DataFrame({
            "coef": sub["coef_std"], "ci_low": sub["ci_low_std"], "ci_high": sub["ci_high_std"],
            **({"significant": sub["significant"].astype(bool)}
               if "significant" in sub.columns else {}),
            "n_countries": sub["n_countries"], "sources": sub["sources"],
            "data_kind": sub["data_kind"], "term": f"{_what(sub, key)} (standardised)",
            **{CHOICE_WORDS[c]: [choice_value_words(c, v) for v in sub[c]]
               for c in FIGURE_CHOICES}}).reset_index(drop=True)
        frame.attrs = {provenance.META_KEY: {"data": curve.data_kind}}
        years = f"{int(sub['year_first'].min())}-{int(sub['year_last'].max())}"
        kwargs = {"choices": [CHOICE_WORDS[c] for c in FIGURE_CHOICES], "years": years}
        if "significant" in sub.columns:
            kwargs["significance"] = significance_rule(sub)
        yield f"speccurve_{key}", frame, kwargs


def significance_rule(sub: pd.DataFrame) -> str:
    """How the specs of ``sub`` were judged significant, from their own columns."""
    wild = sub[sub["wild_draws"] > 0] if "wild_draws" in sub.columns else sub.iloc[:0]
    text = "Significant: the specification's p < 0.05, "
    if len(wild):
        text += (f"by the wild cluster bootstrap (WCR) for the {len(wild)} specs with "
                 f"{int(wild['n_countries'].min())}-{int(wild['n_countries'].max())} "
                 f"countries, by t on clustered errors for the other {len(sub) - len(wild)}")
    else:
        text += "by t on clustered errors"
    return text + "; bars: 95% CI by t"


def _what(sub: pd.DataFrame, key: str) -> str:
    """The key regressor in words (its figure label; a gap family with the groups it
    compares, from the curve's ``key_definition``: ``... : male - female``)."""
    from divides.figures import style

    what = style.short_label(key)
    definition = str(sub["key_definition"].iloc[0]) if "key_definition" in sub.columns else ""
    indicator = re.match(r"gap_pp of (\w+) \(", definition)
    if indicator and key.startswith("gap_"):  # the family's indicator, by its catalogue name
        what = f"{what.split(':')[0]}: {style.indicator_label(indicator.group(1))}"
    groups = definition.rsplit("): ", 1)[-1] if "): " in definition else ""
    return f"{what}, {groups.replace('_', ' ')}" if groups else what


def tests_note(inference: pd.DataFrame, key: str, estimator: str = "all") -> str:
    """The curve-level tests of ``key`` in words, each saying what it tests (for the
    figure's footer): the studentised median, the direction-free share, the directional
    shares."""
    rows = inference[(inference["key_regressor"] == key)
                     & (inference["estimator"] == estimator)]
    if rows.empty or not int(rows["n_draws"].iloc[0]):
        return "no curve-level test (no bootstrap draws)"
    r = rows.iloc[0]
    return (f"Curve tests, null imposed in each spec ({int(r['n_draws'])} draws, "
            f"{_estimator_words(estimator)} specifications): median t {r['median_t']:+.2f}, p {r['p_median_t']:.3f} "
            f"(two-sided); share significant in either direction "
            f"{max(r['share_sig_pos'], r['share_sig_neg']):.2f}, p {r['p_share']:.3f} "
            f"(direction-free); directional, one-sided: positive {r['share_sig_pos']:.2f} "
            f"p {r['p_share_pos']:.3f}, negative {r['share_sig_neg']:.2f} "
            f"p {r['p_share_neg']:.3f}")


def _estimator_words(estimator: str) -> str:
    from divides.figures import charts

    return "all" if estimator == "all" else charts.ESTIMATOR_WORDS.get(estimator, estimator)
