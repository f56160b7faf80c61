"""divides: digital divides and good governance, from published files to notebooks."""

__version__ = "0.1.0"

#: Loaders re-exported lazily (importing divides stays fast: no pandas until used).
_API = ("load_panel", "load_cell_sources", "load_gaps", "load_observations", "load_drops",
        "load_coverage", "load_overlaps", "load_manifest")


def __getattr__(name: str):
    if name in _API:
        return _with_demo(name)
    if name == "provenance":
        import importlib

        return importlib.import_module("divides.provenance")
    raise AttributeError(f"module 'divides' has no attribute {name!r}")


def _with_demo(name: str):
    """The build's loader ``name``, preceded for demo data by the explicit demo step (the
    synthetic set written when missing or stale): a notebook opened in JupyterLab on a
    fresh clone works, while the build itself never writes raw files."""
    import functools

    from divides.build import loaders

    loader = getattr(loaders, name)

    @functools.wraps(loader)
    def load(data: str = "demo", build: bool = True):
        if build and data == "demo":
            from divides import config, demo

            demo.ensure_demo(config.raw_dir(data))
        return loader(data=data, build=build)

    return load
