"""The data-kind flag that travels with every derived frame, and the demo folder's marker.

Figures and tables made from the synthetic demo set must say so on themselves. The
flag lives in the data (``frame.attrs["divides"]``, stored in the parquet metadata by
the panel layer), so later layers read it instead of being told.

A raw folder written by ``divides demo`` carries :data:`DEMO_MARKER_FILE` with the
fingerprint of what made it; :func:`demo_state` tells the build whether the folder is
there and current without importing the generator (the build reads, it never writes it).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pandas as pd

from divides import config

META_KEY = "divides"
DEMO_LABEL = "synthetic demo data"
DATA_KINDS = ("demo", "real")
#: The file that marks a raw folder as the generated demo set.
DEMO_MARKER_FILE = "SYNTHETIC_DEMO_DATA.md"
#: How to write (or rewrite) the demo set; errors name it.
DEMO_COMMAND = "divides demo"


def demo_fingerprint(seed: int | None = None) -> str:
    """Checksum of what the demo set is made from: parameters, countries, generator code.

    Written into the marker file, so a build can tell a stale demo folder (made by an
    older generator or other parameters) from a current one.
    """
    with open(config.DEMO_PARAMS_TOML, "rb") as fh:
        params = tomllib.load(fh)
    seed = int(params["seed"] if seed is None else seed)
    h = hashlib.sha256(f"seed={seed}\n".encode())
    files = [config.DEMO_PARAMS_TOML, config.DEMO_COUNTRIES_CSV,
             *sorted(config.DEMO_PACKAGE_DIR.glob("*.py"))]
    for f in files:
        h.update(f.name.encode() + b"\0" + Path(f).read_bytes())
    return h.hexdigest()[:16]


def is_demo_dir(path: Path | str) -> bool:
    """Whether a raw-data folder is a generated demo set (it carries the marker file)."""
    return (Path(path) / DEMO_MARKER_FILE).exists()


def demo_state(path: Path | str, seed: int | None = None) -> str:
    """``current`` (made by this generator with these parameters), ``stale`` (a demo folder
    made otherwise), ``missing`` (no folder, or an empty one) or ``other`` (files without
    the marker: not a demo set)."""
    path = Path(path)
    if not path.is_dir() or not any(path.iterdir()):
        return "missing"
    marker = path / DEMO_MARKER_FILE
    if not marker.exists():
        return "other"
    text = marker.read_text(encoding="utf-8")
    return "current" if f"- generator sha256: {demo_fingerprint(seed)}" in text else "stale"


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
