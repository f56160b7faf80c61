"""The build: raw files -> observations -> country-year panel -> gaps, as one transaction.

This package's namespace is the build's public face, the one the layers above it use
(models, figures, report: an import-linter contract in pyproject.toml holds them to it);
its modules are the build's own parts:

* :mod:`~divides.build.panel`: ``build()`` and ``read_plan()``, the transaction's steps;
* :mod:`~divides.build.inventory`: the one scan of the raw folder (every file, its role);
* :mod:`~divides.build.keys`: the build and code keys; :mod:`~divides.build.readcache`;
* :mod:`~divides.build.rules`, :mod:`~divides.build.assemble`: which value wins a cell;
* :mod:`~divides.build.gaps`, :mod:`~divides.build.ledger`, :mod:`~divides.build.schemas`;
* :mod:`~divides.build.store`: outputs staged, then made current in one step;
* :mod:`~divides.build.capture`: what the codebook needs of the raw folder;
* :mod:`~divides.build.loaders`: the built tables, tagged with their provenance.

Names are loaded on first use, so ``import divides.build`` stays light.

>>> from divides import build
>>> build.load_panel("demo").attrs["divides"]["data"]
'demo'
"""

from __future__ import annotations

import importlib

#: public name -> the module of the build that defines it.
FACE = {
    **dict.fromkeys(("build", "read_plan", "BuildResult", "OUTPUT_FILES"), "panel"),
    **dict.fromkeys(("load_panel", "load_cell_sources", "load_gaps", "load_observations",
                     "load_drops", "load_coverage", "load_overlaps", "load_manifest",
                     "load_world", "current_build"), "loaders"),
    **dict.fromkeys(("file_rule", "panel_candidates", "panel_columns", "DERIVED_COLUMNS",
                     "PANEL_ID_COLUMNS"), "rules"),
    **dict.fromkeys(("gap_definitions",), "gaps"),
    **dict.fromkeys(("DEFINITION_COLUMNS", "INPUT_FILE_COLUMNS", "DEFINITIONS_CSV",
                     "INPUT_FILES_CSV"), "capture"),
}
#: names whose definition in their module carries another name.
_RENAMED = {"gap_definitions": "definitions"}



def __getattr__(name: str):
    if name in FACE:
        module = importlib.import_module(f"divides.build.{FACE[name]}")
        return getattr(module, _RENAMED.get(name, name))
    raise AttributeError(f"module 'divides.build' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(FACE))
