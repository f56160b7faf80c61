"""The house style: fonts, sizes, colour-blind-safe palettes, labels and the footer.

One place for how every figure looks, so a change of font or palette is one edit. The
footer says where the numbers come from (sources, years, number of countries) and, for
figures made from the synthetic demo set, says so; the data kind is read from the frames'
provenance (``frame.attrs["divides"]``), never from a caller's parameter.

Importing this module does not choose a matplotlib backend (the gallery and CLI do).
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd

from divides import catalogue, provenance

#: Print width of a full-width figure (inches; fits A4 and US letter text blocks).
WIDTH_IN = 7.0
#: Journal column widths (inches): Nature's 89 mm single and 183 mm double column; Elsevier
#: (90 / 190 mm), Science (2.3 / 4.7 / 7.3 in) and PLOS (3.25-7.5 in) are within a few mm.
JOURNAL_WIDTHS_IN = {"single": 3.5, "double": 7.2}
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
    "before": OKABE_ITO[0],
    "after": OKABE_ITO[5],
    "median": OKABE_ITO[1],
}
#: World Bank income groups in their natural order, each with a fixed colour.
INCOME_GROUP_ORDER = ("Low income", "Lower middle income", "Upper middle income", "High income")
INCOME_GROUP_COLOURS = dict(zip(INCOME_GROUP_ORDER, (OKABE_ITO[5], OKABE_ITO[1],
                                                    OKABE_ITO[2], OKABE_ITO[0])))

#: Marker shapes by position (income groups, estimators): a second cue besides colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


@dataclass(frozen=True)
class Palette:
    """Colours (and marker edge) a chart draws with; :data:`COLOUR` or :data:`GRAYSCALE`."""

    name: str
    cycle: tuple[str, ...]
    roles: dict[str, str]
    income: dict[str, str]
    edge: str = "white"
    markers: tuple[str, ...] = field(default=MARKERS)


COLOUR = Palette("colour", OKABE_ITO, ROLE_COLOURS, INCOME_GROUP_COLOURS)
#: For print in black and white: colours chosen so their luminance (ITU-R 601 Y, what a
#: grayscale conversion keeps) is at least ~50 of 255 apart in the order they are used;
#: shapes differ too. Okabe-Ito hues, so it stays colour-blind safe in colour.
GRAYSCALE = Palette(
    "grayscale",
    cycle=("#000000", "#E69F00", "#0072B2", "#F0E442", "#7F7F7F"),
    roles={**ROLE_COLOURS, "advantaged": "#000000", "disadvantaged": "#E69F00",
           "treated": "#000000", "synthetic": "#7F7F7F", "placebo": "#C8C8C8",
           "significant": "#000000", "not_significant": "#B8B8B8", "before": "#000000",
           "after": "#E69F00", "median": "#0072B2"},
    income=dict(zip(INCOME_GROUP_ORDER, ("#000000", "#0072B2", "#E69F00", "#F0E442"))),
    edge="#000000",
)

#: Size and palette of the chart being drawn (set by :func:`sized` from a chart's
#: ``width``, ``height`` and ``grayscale`` arguments).
_CURRENT: ContextVar[dict | None] = ContextVar("divides_figure_options", default=None)


def _options() -> dict:
    return _CURRENT.get() or {}


def column_width(width: str | float | None) -> float:
    """Inches of a width given as ``"single"``, ``"double"`` or a number of inches."""
    if width is None:
        return WIDTH_IN
    if isinstance(width, str):
        if width not in JOURNAL_WIDTHS_IN:
            raise ValueError(f"width: expected one of {sorted(JOURNAL_WIDTHS_IN)} or inches, "
                             f"found {width!r}")
        return JOURNAL_WIDTHS_IN[width]
    width = float(width)
    if not 1.5 <= width <= 20:
        raise ValueError(f"width: expected 1.5-20 inches, found {width}")
    return width


def palette() -> Palette:
    """The palette of the chart being drawn (colour unless ``grayscale=True`` was asked)."""
    return GRAYSCALE if _options().get("grayscale") else COLOUR


def current_width() -> float:
    """Width (inches) of the chart being drawn."""
    return _options().get("width_in", WIDTH_IN)


def is_narrow() -> bool:
    """True below 5 inches: legends go to one or two columns, panels stack."""
    return current_width() < 5.0


def sized(chart):
    """Give a chart function ``width`` (``"single"``, ``"double"`` or inches), ``height``
    (inches) and ``grayscale`` arguments; the figure remembers how to redraw itself at another
    size, which :func:`divides.figures.export.save_figure` uses for ``width=``."""
    @functools.wraps(chart)
    def wrapper(*args, width=None, height=None, grayscale=False, **kwargs):
        outer = _options()  # a chart drawn by another (gap_map -> choropleth) inherits
        options = {"width_in": column_width(width) if width is not None
                   else outer.get("width_in", WIDTH_IN),
                   "grayscale": bool(grayscale or outer.get("grayscale"))}
        if height is not None or "height_in" in outer:
            options["height_in"] = float(height if height is not None else outer["height_in"])
        token = _CURRENT.set(options)
        try:
            fig = chart(*args, **kwargs)
        finally:
            _CURRENT.reset(token)
        fig._divides_redraw = functools.partial(wrapper, *args,
                                                grayscale=options["grayscale"], **kwargs)
        fig._divides_palette = "grayscale" if options["grayscale"] else "colour"
        return fig
    return wrapper


@contextmanager
def drawing(width: str | float | None = None, height: float | None = None,
            grayscale: bool = False):
    """Context in which every chart drawn (through :func:`sized`) gets this width, height
    and palette unless its call says otherwise: how the registry and ``divides figures``
    draw a figure whose builder does not pass them on."""
    options = {"width_in": column_width(width), "grayscale": bool(grayscale)}
    if height is not None:
        options["height_in"] = float(height)
    token = _CURRENT.set(options)
    try:
        yield
    finally:
        _CURRENT.reset(token)


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
    "ps.fonttype": 42,  # EPS: embedded TrueType (journals refuse Type 3 bitmap-like fonts)
    "hatch.color": "#8C8C8C",
    "hatch.linewidth": 0.5,
    "image.cmap": SEQUENTIAL_CMAP,
}


@contextmanager
def house_style():
    """Context in which figures get the house rcParams (fonts, sizes, palette)."""
    with mpl.rc_context(RC_PARAMS):
        yield


def new_figure(width_in: float | None = None, height_in: float = 4.0, **subplot_kw):
    """A figure in the house style; returns ``(panel, axes)``.

    The figure is split into a content ``panel`` (a matplotlib SubFigure: use its
    ``suptitle``, ``legend``, ``colorbar`` like a figure's) above a footer strip, both under
    constrained layout, so titles, "outside" legends and the footer never overlap.
    ``subplot_kw`` goes to ``panel.subplots`` (``nrows``, ``ncols``, ``gridspec_kw`` ...).
    Finish with ``fig = add_footer(panel, footer)``, which returns the whole figure.
    Width and height default to the chart's ``width``/``height`` arguments (:func:`sized`).
    """
    options = _options()
    width_in = width_in or options.get("width_in", WIDTH_IN)
    height_in = options.get("height_in", height_in)
    with house_style():
        fig = plt.figure(figsize=(width_in, height_in), layout="constrained")
        grid = fig.add_gridspec(2, 1, height_ratios=[1.0, 0.05])
        panel = fig.add_subfigure(grid[0])
        fig._divides_footer_panel = fig.add_subfigure(grid[1])
        fig._divides_grid = grid
        if "height_in" not in options:  # the footer adds its own height (layout_footer)
            fig._divides_content_in = height_in
        axes = panel.subplots(**subplot_kw)
    return panel, axes


def legend_below(panel, handles=None, ncols: int = 2, **kwargs):
    """A legend under the plots (outside every axes, so it never covers data); one column
    in a narrow figure."""
    kwargs.setdefault("loc", "outside lower center")
    if handles is not None:
        kwargs["handles"] = handles
    return panel.legend(ncols=1 if is_narrow() else ncols, **kwargs)


# --- labels -------------------------------------------------------------------------------

#: A model's gap column (:func:`divides.models.frames.gap_column_name`, or a spec-curve gap
#: family such as ``gap_sex_internet_pp``): dimension, indicator stem, measure, latest.
_GAP_COLUMN = re.compile(r"^gap_(?P<dimension>[a-z]+)_(?P<stem>[a-z0-9_]+?)_"
                         r"(?P<measure>pp|parity|relgap)(?P<latest>_latest)?$")
_GAP_UNITS = {"pp": "percentage points", "parity": "ratio, 1 = parity",
              "relgap": "share of the advantaged rate"}
_GAP_MEASURES = {"pp": "gap", "parity": "parity ratio", "relgap": "relative gap"}


def indicator_label(code: str) -> str:
    """An indicator code in words: its catalogue name (``data/build/indicators.csv``, the
    whole-population row), without the trailing parenthesis (``Individuals using the
    Internet``); a code the catalogue lacks is read from its words, source prefix and
    ``_pct`` dropped."""
    table = catalogue.indicators()
    rows = table[table["indicator"] == str(code)]
    if len(rows):
        total = rows[rows["breakdown"].isin(["total", "*"])]
        name = str((total if len(total) else rows)["name"].iloc[0])
        return re.sub(r"\s*\([^)]*\)$", "", name)
    text = re.sub(r"_(pct|share|rate)$", "", str(code))
    text = re.sub(r"^(itu|wdi|findex|sdg|unesco|wgi|cpi|egov)_", "", text).replace("_", " ")
    return text[:1].upper() + text[1:]


def _gap_column_label(match: re.Match) -> tuple[str, str]:
    stem = match["stem"]
    codes = set(catalogue.indicators()["indicator"])
    code = next((c for c in (f"{stem}_pct", stem) if c in codes), None)
    what = indicator_label(code) if code else stem.replace("_", " ")
    name = f"{_GAP_MEASURES[match['measure']].capitalize()} by {match['dimension']}: {what}"
    unit_text = _GAP_UNITS[match["measure"]]
    if match["latest"]:
        unit_text += ", latest survey year"
    return name, unit_text


def has_label(column: str) -> bool:
    """Whether :func:`label` knows ``column`` (registry row, or a model's gap column)."""
    parts = [re.sub(r"_lag\d+$", "", p) for p in str(column).split(":")]
    return all(catalogue.has_column(p) or _GAP_COLUMN.match(p) is not None for p in parts)


def label(column: str, unit: bool = True) -> str:
    """Axis label of a column, with its unit: ``"CPI score (0-100, 100 = very clean)"``.

    From the column registry's ``figure_label``/``figure_unit`` (``data/build/columns.csv``);
    a model's gap column (``gap_sex_itu_internet_users_pp_latest``) from the indicator
    catalogue's name of its indicator and its measure's unit. Any other name raises: a
    figure never shows a column name for want of its words.
    """
    if ":" in str(column):  # an interaction term of a model
        return " \u00d7 ".join(label(part, unit=False) for part in str(column).split(":"))
    lagged = re.fullmatch(r"(.+)_lag(\d+)", str(column))
    if lagged and has_label(lagged.group(1)):  # a model's lagged regressor: egdi_lag1
        years = int(lagged.group(2))
        base = label(lagged.group(1), unit=False)
        unit_text = label(lagged.group(1))[len(base):]
        return f"{base}, lagged {years} year{'s' if years != 1 else ''}" + (
            unit_text if unit else "")
    if catalogue.has_column(column):
        row = catalogue.column_row(column)
        name, unit_text = row["figure_label"], row["figure_unit"]
    elif (match := _GAP_COLUMN.match(str(column))) is not None:
        name, unit_text = _gap_column_label(match)
    else:
        raise ValueError(f"column {column!r}: no figure label; expected a row in the column "
                         "registry (data/build/columns.csv, figure_label and figure_unit) or "
                         "a gap column gap_<dimension>_<indicator>_<pp|parity|relgap>")
    name = name[:1].upper() + name[1:]
    return f"{name} ({unit_text})" if unit and unit_text else name


def short_label(column: str) -> str:
    """Label of a column without its unit (legends, titles)."""
    return label(column, unit=False)


def abbreviated_label(column: str) -> str:
    """Label of a column for narrow rows: the acronym its figure label gives in brackets
    (``E-Government Development Index (EGDI)`` -> ``EGDI``), else the label without unit."""
    name = short_label(column)
    found = re.fullmatch(r"(.+?)\s*\(([A-Z][A-Za-z]*[A-Z])\)", name)
    if found:  # only an acronym of the words before it: not "GDP per capita (PPP)"
        initials = "".join(w[0] for w in re.split(r"[\s-]+", found.group(1)) if w)
        if initials.upper() == found.group(2).upper():
            return found.group(2)
    return name


def column_source(column: str) -> str | None:
    """The publisher of a column's first-priority series (the registry's first source), or
    None for a column computed by divides alone or one the registry lacks."""
    if not catalogue.has_column(column):
        return None
    found = catalogue.column_sources(column)
    return found[0] if found and found[0] != "derived" else None


def source_label(source: str) -> str:
    """How a source id is written in a footer (``figure_label`` of ``data/sources.csv``;
    unknown ids are shown as given)."""
    table = catalogue.sources()
    rows = table[table["source"] == source]
    return rows["figure_label"].iloc[0] if len(rows) and rows["figure_label"].iloc[0] else source


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
    n_countries: int | str  # a count, or one count per panel: "172 (CPI score), 185 (...)"
    data_kind: str
    note: str = ""
    #: (source, editions text) for the sources whose build recorded its editions
    editions: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        editions = dict(self.editions)
        sources = "; ".join(source_label(s) + (f" ({editions[s]})" if s in editions else "")
                            for s in self.sources) or "not stated"
        parts = []
        if self.data_kind == "demo":
            parts.append(f"{provenance.DEMO_LABEL.upper()}, not real published values.")
        parts.append(f"Sources: {sources}.")
        parts.append(f"Years: {self.years}.")
        parts.append(f"Countries: n = {self.n_countries}.")
        if self.note:
            parts.append(self.note.rstrip(".") + ".")
        return " ".join(parts)


def editions_text(editions: Iterable[str]) -> str:
    """``edition 2025``, ``editions 2003-2022`` (years), ``releases 2022-05-25, 2025-04-15``."""
    values = sorted({str(e) for e in editions if str(e)})
    if all(v.isdigit() and len(v) == 4 for v in values):
        return ("edition " if len(values) == 1 else "editions ") + format_years(values)
    return ("release " if len(values) == 1 else "releases ") + ", ".join(values)


def source_editions(*frames: pd.DataFrame) -> dict[str, str]:
    """Per source, the editions the build took its values from (provenance
    ``source_editions``, written by :func:`divides.build.panel.build`), as footer text."""
    found: dict[str, set[str]] = {}
    for frame in frames:
        meta = frame.attrs.get(provenance.META_KEY, {})
        for source, editions in (meta.get("source_editions") or {}).items():
            found.setdefault(source, set()).update(editions)
    return {s: editions_text(v) for s, v in found.items() if v}


def make_footer(*frames: pd.DataFrame, sources: Iterable[str], years: Iterable | str,
                n_countries: int | str, note: str = "") -> Footer:
    """Footer for data drawn from ``frames`` (their provenance decides the data kind and
    names the editions of each source, where the build recorded them)."""
    years_text = years if isinstance(years, str) else format_years(years)
    sources = tuple(dict.fromkeys(s for s in sources if s))
    editions = source_editions(*frames)
    return Footer(sources=sources, years=years_text,
                  n_countries=n_countries if isinstance(n_countries, str)
                  else int(n_countries), data_kind=data_kind_of(*frames), note=note,
                  editions=tuple((s, editions[s]) for s in sources if s in editions))


def add_footer(panel, footer: Footer):
    """Draw ``footer`` in the strip under ``panel`` (from :func:`new_figure`).

    The text is wrapped to the figure width and the strip sized to it; then titles and axis
    labels too long for the width are wrapped (:func:`fit_text`). Returns the whole figure,
    ready for :func:`divides.figures.export.save_figure`.
    """
    fig = panel.get_figure(root=True)
    fig._divides_footer = footer  # read by tests and by save_figure's checks
    layout_footer(fig)
    fit_text(fig)
    return fig


def layout_footer(fig) -> None:
    """(Re)draw the footer text wrapped to the figure's current width, strip sized to it."""
    footer = footer_of(fig)
    strip = fig._divides_footer_panel
    for old in [t for t in strip.texts if t.get_gid() == FOOTER_GID]:
        old.remove()
    width_in = fig.get_figwidth()
    # DejaVu Sans averages about 0.55 em per character; measured below and narrowed if wider.
    chars_per_line = max(30, int(width_in * 72 / (FOOTER_FONTSIZE * 0.55)) - 4)
    renderer = fig.canvas.get_renderer()
    with house_style():
        artist = strip.text(0.06 / width_in, 1.0, "", ha="left", va="top",
                            fontsize=FOOTER_FONTSIZE, color="#333333", gid=FOOTER_GID,
                            linespacing=1.25)
    room_px = (width_in - 0.12) * fig.dpi
    while True:
        # Keep "n = 120" on one line: textwrap does not break at no-break spaces.
        wrapped = textwrap.fill(footer.text.replace("n = ", "n\u00a0=\u00a0"),
                                width=chars_per_line).replace("\u00a0", " ")
        artist.set_text(wrapped)
        if artist.get_window_extent(renderer).width <= room_px or chars_per_line <= 20:
            break
        chars_per_line -= max(1, chars_per_line // 12)
    n_lines = wrapped.count("\n") + 1
    line_in = FOOTER_FONTSIZE * 1.25 * 1.2 / 72
    footer_in = n_lines * line_in + 0.06
    content_in = getattr(fig, "_divides_content_in", None)
    if content_in is not None:
        # the chart keeps the height it asked for; a long footer (narrow widths wrap it
        # into many lines) makes the figure taller instead of squeezing the plot
        fig.set_figheight(content_in + footer_in)
    else:
        content_in = max(fig.get_figheight() - footer_in, 0.5)
    fig._divides_grid.set_height_ratios([content_in, footer_in])


def _rewrap(text, room_px: float, renderer, vertical: bool = False) -> bool:
    """Wrap ``text`` (a matplotlib Text) at word boundaries until it fits ``room_px``."""
    raw = getattr(text, "_divides_raw", None)
    if raw is None:
        raw = text._divides_raw = text.get_text()
    flat = " ".join(raw.split())

    def size() -> float:
        box = text.get_window_extent(renderer)
        return box.height if vertical else box.width

    text.set_text(raw)
    if size() <= room_px:
        return False
    text.set_text(flat)
    chars = max(8, int(len(flat) * room_px / max(size(), 1.0)))
    while True:
        text.set_text(textwrap.fill(flat, chars))
        if size() <= room_px or chars <= 8:
            return True
        chars -= max(1, chars // 10)


def fit_text(fig, rounds: int = 3) -> None:
    """Wrap suptitles, axes titles, axis labels and legend titles that are wider than their
    room (the canvas, or their axes), then lay the figure out again; text never clips."""
    for _ in range(rounds):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        canvas = fig.bbox
        changed = False
        for sub in [fig, *fig.subfigs]:
            title = getattr(sub, "_suptitle", None)
            if title is not None and title.get_text():
                x0 = title.get_window_extent(renderer).x0
                changed |= _rewrap(title, canvas.x1 - max(x0, 0) - 4, renderer)
        boxes = [ax.get_window_extent(renderer) for ax in fig.get_axes()]
        for ax, box in zip(fig.get_axes(), boxes):
            if not ax.get_visible():
                continue
            # a title may run on to the next axes to its right, or to the canvas edge
            right = min([o.x0 for o in boxes if o.x0 >= box.x1 - 1
                         and o.y0 < box.y1 and o.y1 > box.y0] + [canvas.x1])
            for title in (ax.title, ax._left_title, ax._right_title):
                if title.get_text():
                    x0 = max(title.get_window_extent(renderer).x0, 0)
                    changed |= _rewrap(title, max(right - x0 - 8, 60), renderer)
            if ax.axison:
                if ax.xaxis.label.get_text():
                    changed |= _rewrap(ax.xaxis.label, max(box.width, 60), renderer)
                if ax.yaxis.label.get_text():
                    changed |= _rewrap(ax.yaxis.label, max(box.height, 60), renderer,
                                       vertical=True)
        if not changed:
            return


def drawn_texts(fig) -> list:
    """Every non-empty text artist the figure draws (tick labels only of ticks in view)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    hidden: set[int] = set()
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            # Axis._update_ticks is what Axis.draw uses to pick the ticks it draws.
            shown = set() if not ax.axison else {id(t) for t in axis._update_ticks()}
            hidden.update(id(lab) for t in ticks if id(t) not in shown
                          for lab in (t.label1, t.label2))
            if not ax.axison:
                hidden.update((id(axis.label), id(axis.offsetText)))
        if not ax.get_visible():
            hidden.update(id(t) for t in ax.findobj(Text))
    return [t for t in fig.findobj(Text) if id(t) not in hidden and t.get_visible()
            and t.get_text().strip()]


def texts_outside_canvas(fig, tolerance_px: float = 1.0) -> list[tuple[str, tuple]]:
    """(text, window extent) of each drawn text that does not lie wholly inside the canvas."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    out = []
    for t in texts:
        box = t.get_window_extent(renderer)
        if (box.x0 < canvas.x0 - tolerance_px or box.y0 < canvas.y0 - tolerance_px
                or box.x1 > canvas.x1 + tolerance_px or box.y1 > canvas.y1 + tolerance_px):
            out.append((t.get_text(), tuple(round(v, 1) for v in box.extents)))
    return out


def overlapping_texts(fig, tolerance_px: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of drawn texts (:func:`drawn_texts`) whose window extents overlap by more than
    ``tolerance_px`` both ways: labels that collide (tick labels, axis labels, legend,
    annotations, titles, footer)."""
    import numpy as np

    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = np.array([t.get_window_extent(renderer).extents for t in texts]).reshape(-1, 4)
    found = []
    for i in range(len(texts)):
        dx = np.minimum(boxes[i, 2], boxes[i + 1:, 2]) - np.maximum(boxes[i, 0], boxes[i + 1:, 0])
        dy = np.minimum(boxes[i, 3], boxes[i + 1:, 3]) - np.maximum(boxes[i, 1], boxes[i + 1:, 1])
        for j in np.flatnonzero((dx > tolerance_px) & (dy > tolerance_px)):
            found.append((texts[i].get_text(), texts[i + 1 + j].get_text()))
    return found


def footer_of(fig) -> Footer | None:
    """The :class:`Footer` drawn on a figure (None when it has none)."""
    return getattr(fig, "_divides_footer", None)


def footer_artist(fig):
    """The footer's text artist (gid ``divides-footer``), or None."""
    strip = getattr(fig, "_divides_footer_panel", None)
    found = [t for t in (strip.texts if strip is not None else []) if t.get_gid() == FOOTER_GID]
    return found[0] if found else None
