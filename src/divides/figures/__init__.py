"""Figures: the registry of the project's figures, the charts and maps, and their export.

``divides.figures.export_all(data, ...)`` writes every figure of a run for a journal
(:func:`divides.figures.gallery.export_all`; ``divides figures`` on the command line).
"""


def export_all(*args, **kwargs):
    """Every figure of a run for a journal: see :func:`divides.figures.gallery.export_all`."""
    from divides.figures import gallery

    return gallery.export_all(*args, **kwargs)
