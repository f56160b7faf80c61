"""The small Python API the notebooks use: load the built tables, building on first use.

>>> import divides
>>> panel = divides.load_panel(data="demo")      # builds data/processed/demo/ if needed
>>> divides.provenance.data_kind(panel)
'demo'

Every loader first calls :func:`divides.build.panel.build`, which does no work when the inputs,
code and library versions are unchanged (a checksum comparison), and shows a progress
bar on long steps when run in a terminal or notebook. Frames come back tagged with their
provenance (``frame.attrs["divides"]``: data kind, input sha256s, versions). The build
never writes raw files: ``divides.load_*`` (the package's re-exports, what notebooks call)
first write the demo set when it is missing or stale, so a notebook opened in JupyterLab
works on a fresh clone; these functions themselves ask for ``divides demo`` instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from divides import config, fileio


def current_build(data: str = "demo", build: bool = True) -> Path:
    """The current build folder (resolved, so that every table read comes from one build),
    after checking that its files match its manifest and carry its build key; ``build``:
    bring it up to date first."""
    from divides.build import panel, store

    out = panel.build(data=data).out_dir if build else config.processed_dir(data)
    current = store.current_dir(out)
    if current is None:
        raise FileNotFoundError(f"{out} has no build; run `divides build --data {data}`")
    store.verify(current)
    return current


def _tagged_csv(path: Path, data: str) -> pd.DataFrame:
    from divides import provenance

    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    manifest = json.loads((path.parent / "manifest.json").read_text())
    return provenance.tag(frame, data=data, input_sha256=manifest["input_sha256"],
                          build_key=manifest["build_key"])


def load_panel(data: str = "demo", build: bool = True) -> pd.DataFrame:
    """The country-year panel (one row per iso3, year), tagged with its provenance."""
    return fileio.read_parquet(current_build(data, build) / "panel.parquet")


def load_cell_sources(data: str = "demo", build: bool = True) -> pd.DataFrame:
    """Which file gave each non-missing panel cell: iso3, year, panel_column, value, source,
    file, release, series and (for a derived column) the column it is computed from."""
    return fileio.read_parquet(current_build(data, build) / "cell_sources.parquet")


def load_gaps(data: str = "demo", build: bool = True) -> pd.DataFrame:
    """Gap metrics: one row per (iso3, year, dimension, indicator, source)."""
    return fileio.read_parquet(current_build(data, build) / "gaps.parquet")


def load_observations(data: str = "demo", build: bool = True) -> pd.DataFrame:
    """Every harmonised observation of every file (the tidy layer)."""
    return fileio.read_parquet(current_build(data, build) / "observations.parquet")


def load_drops(data: str = "demo", build: bool = True) -> pd.DataFrame:
    """The drop ledger (stage, source, file, reason, rows, of_rows)."""
    return _tagged_csv(current_build(data, build) / "drops.csv", data)


def load_coverage(data: str = "demo", build: bool = True) -> pd.DataFrame:
    """Countries with data per variable and year, overall and per region."""
    return _tagged_csv(current_build(data, build) / "coverage.csv", data)


def load_overlaps(data: str = "demo", build: bool = True) -> pd.DataFrame:
    """Values that lost to a higher-priority file or source, beside the winner."""
    return _tagged_csv(current_build(data, build) / "overlaps.csv", data)


def load_manifest(data: str = "demo", build: bool = True) -> dict:
    """``manifest.json`` of the build: data kind, input sha256s, versions, summaries."""
    return json.loads((current_build(data, build) / "manifest.json").read_text())


def load_world():
    """The shipped Natural Earth 1:110m countries (a GeoDataFrame with ``iso3``), read by
    its reader: the maps take their geometry from the build's face, never from a reader."""
    from divides.sources import natural_earth

    return natural_earth.load_world()
