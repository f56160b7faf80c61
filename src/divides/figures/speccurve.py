"""Adapter from the spec curve (models.speccurve) to figures.charts.specification_curve."""

from __future__ import annotations

import pandas as pd

from divides import provenance

FIGURE_CHOICES = ("outcome", "estimator", "controls", "lag", "sample")


def figure_inputs(curve, keys=None):
    """(name, frame, kwargs) per key regressor for figures.charts.specification_curve.

    The frame carries standardised estimates in ``coef/ci_low/ci_high`` (CPI and WGI
    have different scales; see :data:`STD_NOTE`) and the choice columns as text.
    """
    table = curve.table[curve.table["status"] == "ok"]
    for key in keys or sorted(table["key_regressor"].unique()):
        sub = table[table["key_regressor"] == key]
        if sub.empty:
            continue
        frame = pd.DataFrame({
            "coef": sub["coef_std"], "ci_low": sub["ci_low_std"], "ci_high": sub["ci_high_std"],
            "n_countries": sub["n_countries"], "sources": sub["sources"],
            "data_kind": sub["data_kind"], "term": f"{_what(sub, key)} (standardised)",
            **{c: sub[c].astype(str) for c in FIGURE_CHOICES}}).reset_index(drop=True)
        frame.attrs = {provenance.META_KEY: {"data": curve.data_kind}}
        years = f"{int(sub['year_first'].min())}-{int(sub['year_last'].max())}"
        yield f"speccurve_{key}", frame, {"choices": list(FIGURE_CHOICES), "years": years}


def _what(sub: pd.DataFrame, key: str) -> str:
    """The key regressor with what it is (a gap family's indicator, source and groups)."""
    if "key_definition" not in sub.columns:
        return key
    what = str(sub["key_definition"].iloc[0])
    return key if what in ("", key, "nan") else f"{key}: {what}"
