"""The keys that decide whether a read or a build can be reused.

The code key is the sha256 of the build's own files, found by walking the build's folders
(:data:`BUILD_CODE`): the shared vocabulary at the package's top level, ``build/``,
``sources/`` and the build's data tables in ``data/build/``. Every other folder (acquire,
models, figures, report, run, demo, and their settings under ``data/``) is outside it, so
editing the spec-curve grid or a figure label never rebuilds the panel; a test checks that
no module a build imports lives outside these folders.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata as importlib_metadata

import pandas as pd

from divides import config, fileio

LIBRARIES = ("pandas", "numpy", "pyarrow", "pandera", "openpyxl", "xlrd", "python-calamine")
#: The build's own folders (relative to the package): everything in them is in the code key,
#: and so are the modules at the package's top level (the shared vocabulary).
BUILD_CODE = ("build", "sources", "data/build")
#: Tables of the build's folders that the build reads only in part: they enter the key by
#: the fields it reads, not by their bytes. The column registry also holds each column's
#: label, unit, figure label and definition, which only the codebook and the figures read:
#: editing those rebuilds nothing; a role, a requirement or a derivation rebuilds.
BUILD_FIELDS = {"data/build/columns.csv": ("table", "column", "role", "required",
                                           "derived_from", "transform")}


#: sha256 of the JSON of ``parts`` (the one hash of build, read and cache keys).
key = fileio.json_sha256


def build_code_files() -> list:
    """Every package file in the code key (sorted), ``__pycache__`` excluded."""
    base = config.PACKAGE_DIR
    files = [p for p in base.glob("*.py")]
    for folder in BUILD_CODE:
        files += [p for p in (base / folder).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return sorted(files)


@lru_cache(maxsize=1)
def _code_key_cached(stamp: tuple) -> str:
    h = hashlib.sha256()
    for p in build_code_files():
        rel = p.relative_to(config.PACKAGE_DIR).as_posix()
        h.update(rel.encode() + b"\0")
        h.update(_build_view(p, BUILD_FIELDS[rel]) if rel in BUILD_FIELDS else p.read_bytes())
    return h.hexdigest()


def _build_view(path, fields: tuple[str, ...]) -> bytes:
    """The fields of a CSV table that the build reads, as CSV bytes (rows in file order)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [f for f in fields if f not in table.columns]
    if missing:  # a renamed field must not drop out of the key silently
        raise ValueError(f"{path}: missing fields {missing}; the build reads {list(fields)}")
    return table[list(fields)].to_csv(index=False, lineterminator="\n").encode()


def code_key() -> str:
    """sha256 over the build's code and data files (recomputed when any file changes)."""
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in build_code_files())
    return _code_key_cached(stamp)


def library_versions() -> dict[str, str]:
    out = {}
    for lib in LIBRARIES:
        try:
            out[lib] = importlib_metadata.version(lib)
        except importlib_metadata.PackageNotFoundError:
            out[lib] = "absent"
    return out
