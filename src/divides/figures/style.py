"""The house style: fonts, sizes, colour-blind-safe palettes, labels and the footer.

One place for how every figure looks, so a change of font or palette is one edit. The
footer says where the numbers come from (sources, years, number of countries) and, for
figures made from the synthetic demo set, says so; the data kind is read from the frames'
provenance (``frame.attrs["divides"]``), never from a caller's parameter.

Importing this module does not choose a matplotlib backend (the gallery and CLI do).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd

from divides import catalogue, config, provenance

LABELS_DIR = config.PACKAGE_DATA_DIR / "figures"

#: Print width of a full-width figure (inches; fits A4 and US letter text blocks).
WIDTH_IN = 7.0
#: Export resolution for raster output (dots per inch).
PRINT_DPI = 300
#: Salt for SVG element ids: fixed, so SVG output is byte-identical across runs.
SVG_HASHSALT = "divides"
FOOTER_GID = "divides-footer"
FOOTER_FONTSIZE = 6.5

#: Okabe & Ito (2008) categorical palette: distinguishable with all common colour-vision
#: deficiencies. Black is left out (kept for text and reference lines).
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
)
#: Sequential colour map for maps and heatmaps (perceptually uniform, colour-blind safe).
SEQUENTIAL_CMAP = "viridis"
#: Diverging colour map (colour-blind safe: purple-orange, no red-green).
DIVERGING_CMAP = "PuOr"
#: Fixed colours by role, used across figures so the same thing looks the same.
ROLE_COLOURS = {
    "advantaged": OKABE_ITO[0],
    "disadvantaged": OKABE_ITO[1],
    "treated": OKABE_ITO[5],
    "synthetic": OKABE_ITO[0],
    "placebo": "#B0B0B0",
    "significant": OKABE_ITO[0],
    "not_significant": "#9A9A9A",
    "missing": "#D9D9D9",
    "reference": "#444444",
}
#: World Bank income groups in their natural order, each with a fixed colour.
INCOME_GROUP_ORDER = ("Low income", "Lower middle income", "Upper middle income", "High income")
INCOME_GROUP_COLOURS = dict(zip(INCOME_GROUP_ORDER, (OKABE_ITO[5], OKABE_ITO[1],
                                                    OKABE_ITO[2], OKABE_ITO[0])))

RC_PARAMS = {
    "font.family": "DejaVu Sans",  # bundled with matplotlib: same glyphs on every machine
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO)),
    "lines.linewidth": 1.4,
    "figure.dpi": 100,
    "savefig.dpi": PRINT_DPI,
    "svg.hashsalt": SVG_HASHSALT,
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the font
    "pdf.fonttype": 42,
    "hatch.color": "#8C8C8C",
    "hatch.linewidth": 0.5,
    "image.cmap": SEQUENTIAL_CMAP,
}


@contextmanager
def house_style():
    """Context in which figures get the house rcParams (fonts, sizes, palette)."""
    with mpl.rc_context(RC_PARAMS):
        yield


def new_figure(width_in: float = WIDTH_IN, height_in: float = 4.0, **subplot_kw):
    """A figure in the house style; returns ``(panel, axes)``.

    The figure is split into a content ``panel`` (a matplotlib SubFigure: use its
    ``suptitle``, ``legend``, ``colorbar`` like a figure's) above a footer strip, both under
    constrained layout, so titles, "outside" legends and the footer never overlap.
    ``subplot_kw`` goes to ``panel.subplots`` (``nrows``, ``ncols``, ``gridspec_kw`` ...).
    Finish with ``fig = add_footer(panel, footer)``, which returns the whole figure.
    """
    with house_style():
        fig = plt.figure(figsize=(width_in, height_in), layout="constrained")
        grid = fig.add_gridspec(2, 1, height_ratios=[1.0, 0.05])
        panel = fig.add_subfigure(grid[0])
        fig._divides_footer_panel = fig.add_subfigure(grid[1])
        fig._divides_grid = grid
        axes = panel.subplots(**subplot_kw)
    return panel, axes


# --- labels -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _column_labels() -> pd.DataFrame:
    return pd.read_csv(LABELS_DIR / "columns.csv", dtype=str, keep_default_na=False
                       ).set_index("column")


@lru_cache(maxsize=1)
def _source_labels() -> dict[str, str]:
    table = pd.read_csv(LABELS_DIR / "sources.csv", dtype=str, keep_default_na=False)
    return dict(zip(table["source"], table["label"]))


def _catalogue_row(column: str) -> pd.Series | None:
    table = catalogue.indicators()
    rows = table[table["panel_column"] == column]
    return None if rows.empty else rows.iloc[0]


def label(column: str, unit: bool = True) -> str:
    """Axis label of a column, with its unit: ``"CPI score (0-100, 100 = very clean)"``."""
    labels = _column_labels()
    if column in labels.index:
        name, unit_text = labels.at[column, "label"], labels.at[column, "unit"]
    else:
        row = _catalogue_row(column)
        if row is None:
            name, unit_text = column.replace("_", " "), ""
        else:
            name, unit_text = row["name"], row["unit"]
    return f"{name} ({unit_text})" if unit and unit_text else name


def short_label(column: str) -> str:
    """Label of a column without its unit (legends, titles)."""
    return label(column, unit=False)


def column_source(column: str) -> str | None:
    """Source id of a panel column (figure labels first, then the catalogue)."""
    labels = _column_labels()
    if column in labels.index and labels.at[column, "source"]:
        return labels.at[column, "source"]
    row = _catalogue_row(column)
    return None if row is None else row["source"]


def source_label(source: str) -> str:
    """How a source id is written in a footer (unknown ids are shown as given)."""
    return _source_labels().get(source, source)


def sources_for_columns(columns: Iterable[str]) -> list[str]:
    """Source ids behind the given panel columns, in first-seen order."""
    found: list[str] = []
    for column in columns:
        source = column_source(column)
        if source and source not in found:
            found.append(source)
    return found


# --- footer -------------------------------------------------------------------------------

def data_kind_of(*frames: pd.DataFrame) -> str:
    """Data kind behind a figure: ``demo`` if any input frame is demo, else ``real``.

    Reads ``frame.attrs["divides"]`` (the panel layer's provenance). Model result tables
    that lost their attrs may carry the kind in a ``data_kind`` (or ``data``) column.
    Raises ``ValueError`` when a frame carries neither: a figure never guesses its data.
    """
    kinds = set()
    for frame in frames:
        if provenance.META_KEY in frame.attrs:
            kinds.add(provenance.data_kind(frame))
            continue
        for col in ("data_kind", "data"):
            if col in frame.columns:
                values = set(frame[col].dropna().astype(str))
                if not values <= set(provenance.DATA_KINDS) or not values:
                    raise ValueError(f"column {col!r}: expected data kinds "
                                     f"{provenance.DATA_KINDS}, found {sorted(values)}")
                kinds |= values
                break
        else:
            provenance.data_kind(frame)  # raises the provenance layer's message
    return "demo" if "demo" in kinds else "real"


def format_years(years: Iterable) -> str:
    """``2012-2023`` for a run of years, ``2013, 2017, 2021`` for a few, ``2022`` for one."""
    values = sorted({int(y) for y in years if pd.notna(y)})
    if not values:
        return "none"
    if len(values) == 1:
        return str(values[0])
    if values == list(range(values[0], values[-1] + 1)) or len(values) > 4:
        return f"{values[0]}-{values[-1]}"
    return ", ".join(str(v) for v in values)


@dataclass(frozen=True)
class Footer:
    """What a figure says about its data; ``text`` is what is drawn."""

    sources: tuple[str, ...]
    years: str
    n_countries: int
    data_kind: str
    note: str = ""

    @property
    def text(self) -> str:
        sources = "; ".join(source_label(s) for s in self.sources) or "not stated"
        parts = []
        if self.data_kind == "demo":
            parts.append(f"{provenance.DEMO_LABEL.upper()}: {provenance.DEMO_LABEL}, "
                         "not real published values.")
        parts.append(f"Sources: {sources}.")
        parts.append(f"Years: {self.years}.")
        parts.append(f"Countries: n = {self.n_countries}.")
        if self.note:
            parts.append(self.note.rstrip(".") + ".")
        return " ".join(parts)


def make_footer(*frames: pd.DataFrame, sources: Iterable[str], years: Iterable | str,
                n_countries: int, note: str = "") -> Footer:
    """Footer for data drawn from ``frames`` (their provenance decides the data kind)."""
    years_text = years if isinstance(years, str) else format_years(years)
    return Footer(sources=tuple(dict.fromkeys(s for s in sources if s)), years=years_text,
                  n_countries=int(n_countries), data_kind=data_kind_of(*frames), note=note)


def add_footer(panel, footer: Footer):
    """Draw ``footer`` in the strip under ``panel`` (from :func:`new_figure`).

    The text is wrapped to the figure width and the strip sized to it. Returns the whole
    figure, ready for :func:`divides.figures.export.save_figure`.
    """
    fig = panel.get_figure(root=True)
    strip = fig._divides_footer_panel
    width_in = fig.get_figwidth()
    # DejaVu Sans averages about 0.55 em per character.
    chars_per_line = max(40, int(width_in * 72 / (FOOTER_FONTSIZE * 0.55)) - 4)
    # Keep "n = 120" on one line: textwrap does not break at no-break spaces.
    wrapped = textwrap.fill(footer.text.replace("n = ", "n\u00a0=\u00a0"),
                            width=chars_per_line).replace("\u00a0", " ")
    n_lines = wrapped.count("\n") + 1
    line_in = FOOTER_FONTSIZE * 1.35 / 72
    footer_in = n_lines * line_in + 0.04
    content_in = max(fig.get_figheight() - footer_in, 0.5)
    fig._divides_grid.set_height_ratios([content_in, footer_in])
    with house_style():
        strip.text(0.06 / width_in, 1.0, wrapped, ha="left", va="top",
                   fontsize=FOOTER_FONTSIZE, color="#333333", gid=FOOTER_GID,
                   linespacing=1.25)
    fig._divides_footer = footer  # read by tests and by save_figure's checks
    return fig


def footer_of(fig) -> Footer | None:
    """The :class:`Footer` drawn on a figure (None when it has none)."""
    return getattr(fig, "_divides_footer", None)


def footer_artist(fig):
    """The footer's text artist (gid ``divides-footer``), or None."""
    strip = getattr(fig, "_divides_footer_panel", None)
    found = [t for t in (strip.texts if strip is not None else []) if t.get_gid() == FOOTER_GID]
    return found[0] if found else None
