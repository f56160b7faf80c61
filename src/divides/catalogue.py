"""The indicator catalogue (``data/build/indicators.csv``): every series the readers keep.

One row per (source, publisher_code, breakdown, group): the project's ``indicator`` code,
its name and unit, the valid range used by the schemas, and the panel column it feeds
(empty when it feeds none). ``breakdown``/``group`` of ``*`` mean the reader derives them
(e.g. Findex code suffixes).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from divides import config


@lru_cache(maxsize=1)
def indicators() -> pd.DataFrame:
    """The whole catalogue as a frame."""
    table = pd.read_csv(config.INDICATORS_CSV, dtype=str, keep_default_na=False)
    for col in ("min_value", "max_value"):
        table[col] = table[col].astype(float)
    return table


def for_source(source: str) -> pd.DataFrame:
    """Catalogue rows of one source."""
    table = indicators()
    return table[table["source"] == source].reset_index(drop=True)


def indicator_ranges() -> pd.DataFrame:
    """Valid [min, max] per indicator code (the widest over its rows)."""
    return indicators().groupby("indicator").agg(min_value=("min_value", "min"),
                                                  max_value=("max_value", "max"))


def indicator_codes() -> set[str]:
    return set(indicators()["indicator"])
