"""pandera schemas: the observation contract, and indicator ranges from the catalogue.

``validate_observations`` is what every reader calls last. A violation raises
:class:`divides.errors.ValidationError` naming the file, the offending rows (by their key)
and the column, and what was expected.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from divides import catalogue, config
from divides.errors import ValidationError
from divides.observations import KEY

ISO3_PATTERN = r"^[A-Z]{3}$"

OBSERVATION_SCHEMA = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(ISO3_PATTERN)),
        "year": pa.Column("int64", pa.Check.in_range(1950, 2100)),
        "indicator": pa.Column(str, pa.Check.isin(sorted(catalogue.indicator_codes()))),
        "value": pa.Column("float64", pa.Check(lambda s: s.notna() & (s.abs() != np.inf),
                                               error="finite, non-missing value")),
        "breakdown": pa.Column(str, pa.Check.str_length(min_value=1)),
        "group": pa.Column(str, pa.Check.str_length(min_value=1)),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
        "file": pa.Column(str),
    },
    unique=KEY,
    strict=True,
    ordered=True,
    coerce=False,
    name="observations",
)


@lru_cache(maxsize=1)
def range_exceptions() -> pd.DataFrame:
    return pd.read_csv(config.RANGE_EXCEPTIONS_CSV,
                       dtype={"indicator": str, "year": "int64", "max_value": float, "reason": str})


def _describe_rows(frame: pd.DataFrame, limit: int = 5) -> str:
    shown = [
        f"{r.iso3} {r.year} {r.indicator} {r.breakdown}/{r.group} = {r.value!r}"
        for r in frame.head(limit).itertuples()
    ]
    more = f" and {len(frame) - limit} more" if len(frame) > limit else ""
    return "; ".join(shown) + more


def check_ranges(obs: pd.DataFrame, file: str) -> None:
    """Each value within its indicator's catalogue range (named exceptions aside)."""
    ranges = catalogue.indicator_ranges()
    merged = obs.join(ranges, on="indicator")
    exc = range_exceptions()
    if len(exc):
        merged = merged.merge(exc[["indicator", "year", "max_value"]].rename(
            columns={"max_value": "exception_max"}), on=["indicator", "year"], how="left")
        merged["max_value"] = merged["exception_max"].fillna(merged["max_value"])
    bad = merged[(merged["value"] < merged["min_value"]) | (merged["value"] > merged["max_value"])]
    if len(bad):
        first = bad.iloc[0]
        raise ValidationError(
            f"{file}: column 'value': {len(bad)} values outside the catalogue range of their "
            f"indicator (e.g. {first['indicator']} expected {first['min_value']:g}.."
            f"{first['max_value']:g}): {_describe_rows(bad)}"
        )


def describe_failures(exc: pa.errors.SchemaErrors, limit: int = 5) -> str:
    """The first pandera failure cases as 'column X check Y failed at row i (value v)'."""
    cases = exc.failure_cases.head(limit)
    return "; ".join(
        f"column {c!r} check {k!r} failed at row {i} (value {v!r})"
        for c, k, i, v in zip(cases["column"], cases["check"], cases["index"],
                              cases["failure_case"]))


def validate_observations(obs: pd.DataFrame, file: str) -> pd.DataFrame:
    """Enforce the observation contract and the indicator ranges; return ``obs``."""
    dupes = obs[obs.duplicated(KEY, keep=False)]
    if len(dupes):
        raise ValidationError(
            f"{file}: {len(dupes)} rows share a key (iso3, year, indicator, breakdown, group); "
            f"expected one value per key: {_describe_rows(dupes.sort_values(KEY))}"
        )
    try:
        OBSERVATION_SCHEMA.validate(obs, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ValidationError(f"{file}: observations break the contract: "
                              f"{describe_failures(exc)}") from None
    check_ranges(obs, file)
    return obs
