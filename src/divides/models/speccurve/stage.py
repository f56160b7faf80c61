"""The whole curve as a stage of the pipeline: estimated once per build, grid and draws.

Layout: ``data/processed/<data>/specs/draws-<n>/`` holds ``table.parquet`` and
``inference.parquet`` (exact dtypes and floats) and, written last, ``stage.json``: the
stage key, the curve's notes and each parquet's sha256. :func:`load` returns the stored
curve only when the key and both checksums match; anything else (another build, grid,
model code, library version or seed; a damaged or edited file) is estimated again, never
reused. ``divides run`` schedules :func:`ensure` as the graph's ``specs`` task
(:mod:`divides.run.graph`); a notebook opened by hand gets the same result through
:func:`load`.
"""

from __future__ import annotations

import json
import warnings
from importlib import metadata as importlib_metadata
from pathlib import Path

import filelock
import pandas as pd

from divides import __version__, config, fileio, provenance
from divides.models.speccurve.grid import load_grid
from divides.models.speccurve.run import SpecCurve, run

STAGE_FILE = "stage.json"
TABLES = {"table": "table.parquet", "inference": "inference.parquet"}
#: Libraries whose versions can change an estimate (part of the stage key).
LIBRARIES = ("numpy", "pandas", "scipy")
#: The package folder whose code makes the curve (part of the stage key).
MODELS_DIR = config.PACKAGE_DIR / "models"


class StageWarning(UserWarning):
    """A stored curve that could not be used (it is estimated again)."""


def stage_dir(data: str, draws: int) -> Path:
    return config.processed_dir(data) / "specs" / f"draws-{int(draws)}"


def code_files() -> list[Path]:
    """The files the curve's code key covers: the models package (the grid file is keyed
    by its content, through the grid itself)."""
    return sorted(p for p in MODELS_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def stage_key(panel: pd.DataFrame, grid: dict, draws: int, seed: int | None) -> str:
    """What the stored curve must have been made from: the build, grid, draws, seed, the
    models code and the versions of the numerical libraries."""
    code = fileio.json_sha256(*[(p.relative_to(MODELS_DIR).as_posix(), p.read_bytes().hex())
                 for p in code_files()])
    versions = {lib: importlib_metadata.version(lib) for lib in LIBRARIES}
    build_key = provenance.meta(panel).get("build_key")
    if not build_key:
        raise ValueError("the panel carries no build key (attrs['divides']['build_key']): "
                         "load it with divides.load_panel, so the stored curve can be "
                         "matched to its build")
    return fileio.json_sha256(build_key, provenance.data_kind(panel), grid,
               int(draws), seed, code, versions, __version__)


def _stored(folder: Path, want: str) -> SpecCurve | None:
    """The curve in ``folder`` when its key is ``want`` and its files are intact."""
    meta_path = folder / STAGE_FILE
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["key"] != want:
            return None
        frames = {}
        for name, file in TABLES.items():
            path = folder / file
            if fileio.sha256_file(path) != meta["sha256"][file]:
                raise ValueError(f"{path} does not match the sha256 in {meta_path}")
            frames[name] = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any damage: estimate again, never reuse
        warnings.warn(f"spec-curve stage {folder} is unusable ({type(exc).__name__}: {exc}); "
                      "estimating the curve again", StageWarning, stacklevel=3)
        return None
    return SpecCurve(table=frames["table"], inference=frames["inference"],
                     data_kind=meta["data_kind"], notes=meta["notes"])


def _store(folder: Path, curve: SpecCurve, stage: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STAGE_FILE).unlink(missing_ok=True)  # the stage counts only once it is whole
    shas = {}
    for name, file in TABLES.items():
        with fileio.atomic_path(folder / file) as tmp:
            getattr(curve, name).to_parquet(tmp, index=False)
        shas[file] = fileio.sha256_file(folder / file)
    meta = {"key": stage, "data_kind": curve.data_kind, "notes": curve.notes, "sha256": shas}
    fileio.write_text(folder / STAGE_FILE, json.dumps(meta, indent=1, sort_keys=True) + "\n")


def load(data: str = "demo", draws: int | None = None, backend: str = "serial",
         seed: int | None = None, workers: int = 2, force: bool = False) -> SpecCurve:
    """The curve of ``data``'s current build: the stored one when it was made from the same
    build, grid, draws, seed and code, else (or with ``force``) estimated now on
    ``backend`` and stored."""
    from divides import build

    panel, gaps = build.load_panel(data), build.load_gaps(data)
    grid = load_grid()
    n_draws = int(grid.get("inference", {}).get("draws", 999) if draws is None else draws)
    folder = stage_dir(data, n_draws)
    want = stage_key(panel, grid, n_draws, seed)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # two runs at once (two run folders) estimate and store one stage one after the other
    with filelock.FileLock(folder.parent / f".{folder.name}.lock"):
        curve = None if force else _stored(folder, want)
        if curve is None:
            curve = run(panel, gaps, backend=backend, draws=n_draws, grid=grid, seed=seed,
                        workers=workers)
            _store(folder, curve, want)
    return curve


def ensure(data: str = "demo", draws: int | None = None, backend: str = "serial",
           force: bool = False) -> Path:
    """Make the stage current (the pipeline's ``specs`` task); returns its folder."""
    curve = load(data, draws=draws, backend=backend, force=force)
    return stage_dir(data, curve.notes["draws"])


def targets(data: str, draws: int) -> list[Path]:
    """The files of a complete stage (what the pipeline's ``specs`` task makes)."""
    folder = stage_dir(data, draws)
    return [folder / f for f in (*TABLES.values(), STAGE_FILE)]
