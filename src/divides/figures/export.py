"""Save a figure as PNG, SVG, PDF, TIFF or EPS at a journal's column width, byte-identical
across runs.

matplotlib stamps its version and the time into every file; the metadata below removes
them (EPS: the creation date line is dropped after writing), and SVG element ids are
renumbered so they do not depend on float bounds (see docs/figures.md, "Deterministic
figures"). A figure without a footer is refused: every exported figure says where its
numbers come from. A figure with text outside its canvas is refused too: nothing is clipped.
"""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from divides.figures import style

FORMATS = ("png", "svg", "pdf")
#: Every format save_figure writes (TIFF and EPS are what many journals ask for).
ALL_FORMATS = ("png", "svg", "pdf", "tiff", "eps")
#: Per-format metadata that keeps the files free of versions and timestamps.
METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    "tiff": None,  # Pillow writes no software or date tag
    "eps": {"Creator": "divides"},
}
#: LZW: lossless, accepted by the journals that ask for TIFF, and a tenth of the size.
PIL_KWARGS = {"tiff": {"compression": "tiff_lzw"}}
#: Suffix of the PDF twin without drawn title and footer, which the report's PDF shows under
#: the figure's caption and note (so that they are said once).
PLAIN_PDF = ".plain.pdf"
#: Suffix of the PNG twin without drawn title and footer, which the HTML report shows
#: under the figure's caption and note (the same words are not said twice on a page).
PLAIN_PNG = ".plain.png"
PLAIN_SUFFIXES = (PLAIN_PDF, PLAIN_PNG)
_EPS_DATE = re.compile(rb"^%%CreationDate:[^\n]*\n", re.MULTILINE)


def save_figure(fig, name: str, out_dir: Path | str, formats: tuple[str, ...] = FORMATS,
                dpi: int = style.PRINT_DPI, close: bool = True,
                width: str | float | None = None, height: float | None = None,
                decorations: bool = True, twins: bool = True) -> list[Path]:
    """Write ``fig`` as ``<out_dir>/<name>.<fmt>`` for each format; returns the paths.

    ``width``: ``"single"`` (3.5 in), ``"double"`` (7.2 in) or inches; a chart from
    :mod:`divides.figures.charts` or :mod:`divides.figures.maps` is redrawn at that width
    (wrapping, legend columns and stacking are its own), any other figure is resized and
    its footer rewrapped. ``dpi`` applies to PNG and TIFF (vector formats keep their
    geometry). The folder is created when missing. ``close`` closes the figure afterwards.
    ``decorations=False`` leaves the drawn title and footer out (for a journal whose caption
    and note carry them); the footer must exist all the same. TIFF is RGB (no alpha
    channel, which many journals refuse) with LZW compression. With decorations, a PDF and
    a PNG also get twins without them (``<name>.plain.pdf``, ``.plain.png``: the report's
    images under their captions) unless ``twins=False``.

    >>> save_figure(fig, "cpi_vs_egdi", out, width="single", dpi=600,
    ...             formats=("tiff", "eps", "pdf"))  # doctest: +SKIP
    """
    unknown = [f for f in formats if f not in METADATA]
    if unknown:
        raise ValueError(f"formats: expected some of {ALL_FORMATS}, found {unknown}")
    if not name or "/" in name or "." in name:
        raise ValueError(f"name: expected a bare file stem such as 'cpi_vs_egdi', found {name!r}")
    if style.footer_of(fig) is None:
        raise ValueError(f"figure {name!r}: expected a footer (style.add_footer), found none")
    if width is not None or height is not None:
        fig = _resize(fig, width, height, close)
    outside = style.texts_outside_canvas(fig)
    if outside:
        raise ValueError(f"figure {name!r}: expected every text inside the "
                         f"{fig.get_figwidth():.2f} x {fig.get_figheight():.2f} in canvas, "
                         f"found {len(outside)} outside: {outside[:3]}")
    if not decorations:
        strip_decorations(fig)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    engine = fig.get_layout_engine()
    try:
        with mpl.rc_context(style.RC_PARAMS):
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                extra = {"pil_kwargs": PIL_KWARGS[fmt]} if fmt in PIL_KWARGS else {}
                metadata = METADATA[fmt]
                if fmt == "png":  # the report captions each figure from these two
                    metadata = {**metadata, "Title": figure_title(fig),
                                "Description": style.footer_of(fig).text}
                with _no_eps_transparency_notice(fmt), _opaque_for_eps(fig, fmt):
                    fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata,
                                facecolor="white", **extra)
                if fmt == "svg":
                    _renumber_svg_ids(path)
                if fmt == "eps":
                    path.write_bytes(_EPS_DATE.sub(b"", path.read_bytes(), count=1))
                if fmt == "tiff":
                    _tiff_rgb(path)
                paths.append(path)
                # The layout solved for the first format serves the others: one geometry
                # in every format, and constrained layout is not solved three times.
                fig.set_layout_engine("none")
            plain = [f for f in ("pdf", "png") if f in formats] if decorations and twins \
                else []
            if plain:
                _save_plain(fig, out, name, plain, engine, dpi)
    finally:
        if not close and engine is not None:
            fig.set_layout_engine(engine)
    if close:
        plt.close(fig)
    return paths


@contextlib.contextmanager
def _no_eps_transparency_notice(fmt: str):
    """Silence matplotlib's notice that PostScript has no transparency (printed on every EPS
    save): EPS is a journals' format and renders translucent marks opaque by design;
    every other message of the backend still shows."""
    if fmt != "eps":
        yield
        return
    logger = logging.getLogger("matplotlib.backends.backend_ps")
    notice = _TransparencyNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def _on_white(rgba) -> tuple[float, float, float, float]:
    """An RGBA colour as the opaque colour it shows on white paper."""
    r, g, b, a = rgba
    return (1 - a + a * r, 1 - a + a * g, 1 - a + a * b, 1.0)


@contextlib.contextmanager
def _opaque_for_eps(fig, fmt: str):
    """PostScript has no transparency: matplotlib would print a translucent mark (alpha
    0.7) at full strength. For EPS every translucent face, edge and line is drawn in the
    opaque colour it has on white instead (overlaps of translucent marks then hide rather
    than mix); the figure is restored afterwards."""
    if fmt != "eps":
        yield
        return
    from matplotlib import colors
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    undo = []
    for artist in fig.findobj(lambda a: isinstance(a, (Collection, Line2D, Patch))):
        alpha = artist.get_alpha()
        if isinstance(artist, Line2D):
            rgba = colors.to_rgba(artist.get_color(), alpha)
            if rgba[3] < 1:
                undo.append((artist.set_color, artist.get_color()))
                undo.append((artist.set_alpha, alpha))
                artist.set_alpha(None)
                artist.set_color(_on_white(rgba))
            continue
        face, edge = artist.get_facecolor(), artist.get_edgecolor()  # alpha applied
        if (alpha is None or alpha >= 1) and not any(
                len(c) and (colors.to_rgba_array(c)[:, 3] < 1).any() for c in (face, edge)):
            continue
        undo += [(artist.set_alpha, alpha), (artist.set_facecolor, face),
                 (artist.set_edgecolor, edge)]
        artist.set_alpha(None)
        for setter, value in ((artist.set_facecolor, face), (artist.set_edgecolor, edge)):
            arr = colors.to_rgba_array(value)
            if not len(arr):
                continue
            keep = arr[:, 3] > 0  # fully transparent stays invisible
            if keep.any():
                arr[keep] = [_on_white(c) for c in arr[keep]]
            setter(arr if len(arr) > 1 else arr[0])
    try:
        yield
    finally:
        for setter, value in reversed(undo):
            setter(value)


class _TransparencyNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "does not support transparency" not in record.getMessage()


def _save_plain(fig, out: Path, name: str, formats: list[str], engine, dpi: int) -> None:
    """``fig`` without its drawn title and footer as ``<name>.plain.pdf`` and/or
    ``.plain.png`` (the layout solved again for the room they leave); the figure's title and
    footer are shown again afterwards. The PNG keeps the caption's Title and Description."""
    hidden = [a for a in (title_artist(fig), style.footer_artist(fig)) if a is not None]
    grid = getattr(fig, "_divides_grid", None)
    ratios = grid.get_height_ratios() if grid is not None else None
    metadata = {"pdf": METADATA["pdf"],
                "png": {**METADATA["png"], "Title": figure_title(fig),
                        "Description": style.footer_of(fig).text}}
    if engine is not None:
        fig.set_layout_engine(engine)
    strip_decorations(fig)
    try:
        for fmt in formats:
            suffix = PLAIN_PDF if fmt == "pdf" else PLAIN_PNG
            fig.savefig(out / f"{name}{suffix}", format=fmt, metadata=metadata[fmt],
                        facecolor="white", **({"dpi": dpi} if fmt == "png" else {}))
            fig.set_layout_engine("none")
    finally:
        for artist in hidden:
            artist.set_visible(True)
            artist.set_in_layout(True)
        if ratios is not None:
            grid.set_height_ratios(ratios)
        fig.set_layout_engine("none")


def plain_twin(path: Path, suffix: str = PLAIN_PNG) -> Path:
    """The twin of a saved figure without drawn title and footer (it may not exist)."""
    path = Path(path)
    return path.parent / f"{path.name.split('.')[0]}{suffix}"


def is_plain_twin(path: Path | str) -> bool:
    return str(path).endswith(PLAIN_SUFFIXES)


def _tiff_rgb(path: Path) -> None:
    """Rewrite matplotlib's RGBA TIFF as RGB on white, LZW, its resolution kept."""
    from PIL import Image

    with Image.open(path) as im:
        dpi = im.info.get("dpi")
        rgb = Image.new("RGB", im.size, "white")
        rgb.paste(im, mask=im.getchannel("A") if im.mode == "RGBA" else None)
    rgb.save(path, format="TIFF", compression="tiff_lzw", **({"dpi": dpi} if dpi else {}))


def strip_decorations(fig) -> None:
    """Hide the drawn title (:func:`title_artist`) and the footer strip, and give their room
    back to the plot: the caption and the note below it say them instead."""
    for artist in (title_artist(fig), style.footer_artist(fig)):
        if artist is not None:
            artist.set_visible(False)
            artist.set_in_layout(False)
    grid = getattr(fig, "_divides_grid", None)
    if grid is not None:
        grid.set_height_ratios([1.0, 1e-4])


def title_artist(fig):
    """The text drawn as the figure's title: its suptitle, else its first axes title (None
    when it has neither)."""
    texts = [getattr(sub, "_suptitle", None) for sub in [fig, *fig.subfigs]]
    texts += [ax.title for ax in fig.get_axes()] + [ax._left_title for ax in fig.get_axes()]
    return next((t for t in texts if t is not None and t.get_text().strip()), None)


def figure_title(fig) -> str:
    """The figure's title on one line: its suptitle, else its first axes title."""
    text = title_artist(fig)
    return " ".join(text.get_text().split()) if text is not None else ""


def _resize(fig, width, height, close: bool):
    """The figure at ``width``/``height``: redrawn by its chart when it can be, else resized."""
    width_in = style.column_width(width) if width is not None else fig.get_figwidth()
    redraw = getattr(fig, "_divides_redraw", None)
    if redraw is not None:
        new = redraw(width=width_in, height=height)
        if close:
            plt.close(fig)
        return new
    if height is not None:
        fig._divides_content_in = None  # the height asked for is the whole figure's
    fig.set_size_inches(width_in, height if height is not None else fig.get_figheight())
    style.layout_footer(fig)
    style.fit_text(fig)
    return fig


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
