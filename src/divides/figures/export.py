"""Save a figure as PNG, SVG and PDF, byte-identical across runs.

matplotlib stamps its version and the time into every file; the metadata below removes
them, and the fixed SVG hash salt makes element ids stable (TECH-NOTES, "Deterministic
figures"). A figure without a footer is refused: every exported figure says where its
numbers come from.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from divides.figures import style

FORMATS = ("png", "svg", "pdf")
#: Per-format metadata that keeps the files free of versions and timestamps.
METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def save_figure(fig, name: str, out_dir: Path | str, formats: tuple[str, ...] = FORMATS,
                dpi: int = style.PRINT_DPI, close: bool = True) -> list[Path]:
    """Write ``fig`` as ``<out_dir>/<name>.<fmt>`` for each format; returns the paths.

    ``dpi`` applies to PNG (vector formats keep their geometry). The folder is created
    when missing. ``close`` closes the figure afterwards (the gallery makes many).

    >>> save_figure(fig, "cpi_vs_egdi", config.reports_dir("demo") / "figures")  # doctest: +SKIP
    """
    unknown = [f for f in formats if f not in METADATA]
    if unknown:
        raise ValueError(f"formats: expected some of {FORMATS}, found {unknown}")
    if not name or "/" in name or "." in name:
        raise ValueError(f"name: expected a bare file stem such as 'cpi_vs_egdi', found {name!r}")
    if style.footer_of(fig) is None:
        raise ValueError(f"figure {name!r}: expected a footer (style.add_footer), found none")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    engine = fig.get_layout_engine()
    try:
        with mpl.rc_context(style.RC_PARAMS):
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                fig.savefig(path, format=fmt, dpi=dpi, metadata=METADATA[fmt],
                            facecolor="white")
                if fmt == "svg":
                    _renumber_svg_ids(path)
                paths.append(path)
                # The layout solved for the first format serves the others: one geometry
                # in every format, and constrained layout is not solved three times.
                fig.set_layout_engine("none")
    finally:
        if not close and engine is not None:
            fig.set_layout_engine(engine)
    if close:
        plt.close(fig)
    return paths


_SVG_ID = re.compile(r'(?<=id=")([a-z])[0-9a-f]{10}(?=")')


def _renumber_svg_ids(path: Path) -> None:
    """Replace matplotlib's hashed SVG ids by sequential ones (``p1``, ``p2``, ...).

    matplotlib hashes each clip rectangle's float bounds into its id (with the fixed
    ``svg.hashsalt``), so a last-bit difference in a computed axis limit, invisible in the
    drawn coordinates, changes the bytes. Ids numbered by first appearance are stable.
    """
    text = path.read_text(encoding="utf-8")
    mapping: dict[str, str] = {}
    for m in _SVG_ID.finditer(text):
        old = m.group(0)
        if old not in mapping:
            mapping[old] = f"{m.group(1)}{len(mapping) + 1}"
    if mapping:
        pattern = re.compile("|".join(re.escape(k) for k in mapping))
        text = pattern.sub(lambda m: mapping[m.group(0)], text)
    path.write_text(text, encoding="utf-8", newline="\n")
