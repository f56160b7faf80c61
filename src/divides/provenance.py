"""The data-kind flag that travels with every derived frame.

Figures and tables made from the synthetic demo set must say so on themselves. The
flag lives in the data (``frame.attrs["divides"]``, stored in the parquet metadata by
the panel layer), so later layers read it instead of being told.
"""

from __future__ import annotations

import pandas as pd

META_KEY = "divides"
DEMO_LABEL = "synthetic demo data"
DATA_KINDS = ("demo", "real")


def tag(frame: pd.DataFrame, data: str, **extra) -> pd.DataFrame:
    """Set the data kind (and any extra provenance) on ``frame``; returns it."""
    if data not in DATA_KINDS:
        raise ValueError(f"data kind must be one of {DATA_KINDS}, got {data!r}")
    meta = dict(frame.attrs.get(META_KEY, {}))
    meta.update(extra, data=data)
    frame.attrs[META_KEY] = meta
    return frame


def meta(frame: pd.DataFrame) -> dict:
    """The provenance dict of a frame (raises when the frame was never tagged)."""
    try:
        return frame.attrs[META_KEY]
    except KeyError:
        raise ValueError("frame carries no divides provenance (attrs['divides']); "
                         "load it with divides.load_panel/load_gaps or tag() it") from None


def data_kind(frame: pd.DataFrame) -> str:
    """``demo`` or ``real``."""
    return meta(frame)["data"]


def is_demo(frame: pd.DataFrame) -> bool:
    return data_kind(frame) == "demo"
