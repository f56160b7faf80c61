"""divides: digital divides and good governance, from published files to notebooks."""

__version__ = "0.1.0"

#: Loaders re-exported lazily (importing divides stays fast: no pandas until used).
_API = ("load_panel", "load_cell_sources", "load_gaps", "load_observations", "load_drops",
        "load_coverage", "load_overlaps", "load_manifest")


def __getattr__(name: str):
    if name in _API:
        from divides.build import loaders as api

        return getattr(api, name)
    if name == "provenance":
        import importlib

        return importlib.import_module("divides.provenance")
    raise AttributeError(f"module 'divides' has no attribute {name!r}")
