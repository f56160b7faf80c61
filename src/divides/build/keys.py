"""The keys that decide whether a read or a build can be reused.

The code key is the sha256 of the package's own files (code and data files), found by
walking the package, so no module or data file can be left out by hand. Only the layers
above the build (models, figures, runner, CLI, codebook), which the build never imports,
are outside it; a test checks that no module a build imports is among them.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import metadata as importlib_metadata

from divides import config

LIBRARIES = ("pandas", "numpy", "pyarrow", "pandera", "openpyxl", "xlrd", "python-calamine")
#: Package paths (relative, top level) that the build never imports: outside the code key.
NOT_BUILD_CODE = ("models", "figures", "report", "runner.py", "pipeline.py", "narrative.py",
                  "cli.py", "codebook.py", "api.py", "revisions.py", "publishers.py", "fetch.py",
                  "downloads.py")


def key(*parts: object) -> str:
    """sha256 of the JSON of ``parts`` (the one hash of build, read and cache keys)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def build_code_files() -> list:
    """Every package file in the code key (sorted), ``__pycache__`` excluded."""
    base = config.PACKAGE_DIR
    return sorted(p for p in base.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
                  and p.relative_to(base).parts[0] not in NOT_BUILD_CODE)


@lru_cache(maxsize=1)
def _code_key_cached(stamp: tuple) -> str:
    h = hashlib.sha256()
    for p in build_code_files():
        h.update(str(p.relative_to(config.PACKAGE_DIR)).encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


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
