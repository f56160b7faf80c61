"""pandera schemas of the panel and the gaps tables (the analysis layer's contract).

Value ranges come from the catalogue (the series feeding each panel column); the
structural rules are here: one row per (iso3, year), no aggregate codes, the CPI's two
scales never share a column, gaps consistent with their rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from divides import catalogue
from divides.build.rules import DERIVED_COLUMNS, PANEL_ID_COLUMNS, panel_candidates, panel_columns
from divides.countries import aggregates
from divides.errors import ValidationError
from divides.schemas import ISO3_PATTERN, describe_failures, range_exceptions

CPI_0_100_FIRST_YEAR = 2012


def _panel_ranges() -> dict[str, tuple[float, float]]:
    cand = panel_candidates()
    ranges = catalogue.indicator_ranges()
    # Named exceptions (e.g. EGOV 2003 HCI > 1, kept as published) widen the panel range.
    exc = range_exceptions().groupby("indicator")["max_value"].max()
    out = {}
    for col, grp in cand.groupby("panel_column"):
        inds = sorted(set(grp["indicator"]))
        r = ranges.loc[inds]
        hi = max([float(r["max_value"].max())] + [float(exc[i]) for i in inds if i in exc])
        out[col] = (float(r["min_value"].min()), hi)
    return out


def _close(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise closeness as a Series (pandera's frame checks want a Series, not an array)."""
    return pd.Series(np.isclose(a.to_numpy(), b.to_numpy(), equal_nan=True), index=a.index)


def _rates_in_range(df: pd.DataFrame) -> pd.Series:
    ranges = catalogue.indicator_ranges()["max_value"]
    exc = range_exceptions().set_index(["indicator", "year"])["max_value"]
    hi = df["indicator"].map(ranges).fillna(100.0).to_numpy()
    keys = pd.MultiIndex.from_arrays([df["indicator"], df["year"]])
    hi = np.fmax(hi, exc.reindex(keys).to_numpy(dtype=float))
    ok = (df["advantaged_pct"].to_numpy() <= hi) & (df["disadvantaged_pct"].to_numpy() <= hi)
    return pd.Series(ok, index=df.index)


def _not_aggregate(s: pd.Series) -> pd.Series:
    codes = set(aggregates().loc[lambda t: t["code"] != "", "code"])
    return ~s.isin(codes)


def _id_columns() -> dict[str, pa.Column]:
    """iso3 (never an aggregate), names and classifications, year: shared by both tables."""
    return {
        "iso3": pa.Column(str, [pa.Check.str_matches(ISO3_PATTERN),
                                pa.Check(_not_aggregate, error="not an aggregate code")]),
        "country_name": pa.Column(str, nullable=True),
        "region": pa.Column(str, nullable=True),
        "income_group": pa.Column(str, nullable=True),
        "year": pa.Column("int64", pa.Check.in_range(1950, 2100)),
    }


def panel_schema() -> pa.DataFrameSchema:
    ranges = _panel_ranges()
    cols = {
        **_id_columns(),
    }
    for col in panel_columns():
        checks = []
        if col in ranges:
            lo, hi = ranges[col]
            checks.append(pa.Check.in_range(lo, hi, ignore_na=True))
        cols[col] = pa.Column("float64", checks, nullable=True)
    assert list(cols)[:len(PANEL_ID_COLUMNS)] == PANEL_ID_COLUMNS
    src = {k: v[0] for k, v in DERIVED_COLUMNS.items()}
    return pa.DataFrameSchema(
        cols,
        unique=["iso3", "year"],
        strict=True,
        ordered=True,
        checks=[
            pa.Check(lambda df: df["cpi_score"].isna() | (df["year"] >= CPI_0_100_FIRST_YEAR),
                     error="cpi_score (0-100) only from 2012"),
            pa.Check(lambda df: df["cpi_score_0_10_legacy"].isna()
                     | (df["year"] < CPI_0_100_FIRST_YEAR),
                     error="cpi_score_0_10_legacy (0-10) only before 2012"),
            pa.Check(lambda df: _close(df["log_gdp_pc_ppp"], np.log(df[src["log_gdp_pc_ppp"]])),
                     error="log_gdp_pc_ppp = ln(gdp_pc_ppp_const2021_usd)"),
        ],
        name="panel",
    )


def gaps_schema() -> pa.DataFrameSchema:
    from divides.build.gaps import DIMENSIONS, GAP_COLUMNS, GAP_KEY

    pct = [pa.Check.ge(0)]
    cols = {
        **_id_columns(),
        "dimension": pa.Column(str, pa.Check.isin(DIMENSIONS)),
        "indicator": pa.Column(str, pa.Check.str_length(min_value=1)),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
        "advantaged_group": pa.Column(str, pa.Check.str_length(min_value=1)),
        "disadvantaged_group": pa.Column(str, pa.Check.str_length(min_value=1)),
        "advantaged_pct": pa.Column("float64", pct),
        "disadvantaged_pct": pa.Column("float64", pct),
        "gap_pp": pa.Column("float64", pa.Check.in_range(-100, 100)),
        "parity_ratio": pa.Column("float64", pa.Check.ge(0), nullable=True),
        "relative_gap": pa.Column("float64", pa.Check.le(1), nullable=True),
        "file": pa.Column(str, pa.Check.str_length(min_value=1)),
    }
    assert list(cols) == GAP_COLUMNS
    return pa.DataFrameSchema(
        cols,
        unique=GAP_KEY,
        strict=True,
        ordered=True,
        checks=[
            pa.Check(lambda df: _rates_in_range(df),
                     error="rates within the catalogue range of their indicator (0-100 % "
                           "unless data/build/range_exceptions.csv names the indicator and year)"),
            pa.Check(lambda df: _close(df["gap_pp"],
                                       df["advantaged_pct"] - df["disadvantaged_pct"]),
                     error="gap_pp = advantaged_pct - disadvantaged_pct"),
            pa.Check(lambda df: _close(df["parity_ratio"] * df["advantaged_pct"],
                                       df["disadvantaged_pct"]) | df["parity_ratio"].isna(),
                     error="parity_ratio = disadvantaged_pct / advantaged_pct"),
        ],
        name="gaps",
    )


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, what: str) -> pd.DataFrame:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ValidationError(f"{what}: {len(exc.failure_cases)} schema failures: "
                              f"{describe_failures(exc, limit=8)}") from None
    return frame


def validate_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Raise :class:`ValidationError` naming the column, row and rule; return ``panel``."""
    return _validate(panel, panel_schema(), "panel.parquet")


def validate_gaps(gaps: pd.DataFrame) -> pd.DataFrame:
    return _validate(gaps, gaps_schema(), "gaps.parquet")
