"""Figures a journal accepts: column widths, TIFF and EPS, nothing clipped, legends off the
data, a grayscale-safe palette and a diverging colour map centred at zero for signed gaps."""

from __future__ import annotations

import hashlib
import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from PIL import Image

from divides.figures import charts, export, maps, style
from divides.models import speccurve as sc


def _fixtures():
    """The chart tests' seeded fixture frames (tests are not a package: load by path)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("test_figures_charts.py")
    spec = importlib.util.spec_from_file_location("_figure_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_F = _fixtures()
make_event_study, make_gaps, make_panel = _F.make_event_study, _F.make_gaps, _F.make_panel
make_results, make_specs, make_synth = _F.make_results, _F.make_specs, _F.make_synth

pytestmark = pytest.mark.unit


def decomposable_specs():
    """make_specs with the columns of the project's curve table that the decomposition uses."""
    specs = make_specs()
    return specs.assign(coef_std=specs["coef"], status="ok", sample="all",
                        key_regressor=specs["term"])


def chart_builders():
    panel, gaps = make_panel(), make_gaps()
    signed = make_gaps(seed=5)
    signed["gap_pp"] = signed["gap_pp"] - 8.0  # some countries with the "disadvantaged" ahead
    return {
        "gap_dumbbell": lambda **kw: charts.gap_dumbbell(gaps, "area", panel=panel, **kw),
        "parity_vs_internet": lambda **kw: charts.parity_vs_internet(gaps, panel, **kw),
        "cpi_vs_egdi": lambda **kw: charts.cpi_vs_egdi(panel, **kw),
        "coefficient_plot": lambda **kw: charts.coefficient_plot(make_results(), **kw),
        "event_study": lambda **kw: charts.event_study_plot(make_event_study(),
                                                            "ASAN launch (2013)", **kw),
        "synthetic_control": lambda **kw: charts.synthetic_control_plot(make_synth(), **kw),
        "spec_curve": lambda **kw: charts.specification_curve(make_specs(), **kw),
        "spec_curve_decomposition": lambda **kw: charts.curve_decomposition(
            sc.decompose(decomposable_specs()), decomposable_specs(), **kw),
        "coverage": lambda **kw: charts.coverage_heatmap(panel, gaps=gaps, **kw),
        "map_cpi": lambda **kw: maps.choropleth(panel, "cpi_score", **kw),
        "map_signed_gap": lambda **kw: maps.gap_map(signed, "sex", **kw),
    }


def legends(fig):
    """Every legend: the figure's, its subfigures' (at any depth) and the axes'."""
    found = list(fig.legends)
    for sub in fig.subfigs:
        found += [leg for leg in legends(sub) if leg not in found]
    found += [ax.get_legend() for ax in fig.get_axes() if ax.get_legend() is not None
              and ax.get_legend() not in found]
    return found


def data_points(fig) -> np.ndarray:
    """Display coordinates of every drawn data point, line vertex, polygon vertex and bar
    corner that lies inside its axes."""
    chunks = []
    for ax in fig.get_axes():
        box = ax.get_window_extent()
        for coll in ax.collections:
            if isinstance(coll, PathCollection) and len(coll.get_offsets()):
                pts = coll.get_offset_transform().transform(coll.get_offsets())
            else:
                paths = coll.get_paths()
                if not paths:
                    continue
                pts = coll.get_transform().transform(np.vstack([p.vertices for p in paths]))
            chunks.append(pts)
        for patch in ax.patches:  # bars: their corners
            chunks.append(patch.get_transform().transform(patch.get_path().vertices))
        for line in ax.lines:
            if len(line.get_xydata()):
                chunks.append(line.get_transform().transform(line.get_xydata()))
        if chunks:
            pts = np.vstack(chunks)
            inside = ((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
                      & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1))
            chunks = [pts[inside]]
    return np.vstack(chunks) if chunks else np.zeros((0, 2))


@pytest.mark.parametrize("name", list(chart_builders()))
def test_every_chart_at_single_column_keeps_all_text_and_data_visible(name):
    fig = chart_builders()[name](width="single")
    assert fig.get_figwidth() == pytest.approx(3.5)
    assert style.texts_outside_canvas(fig) == []
    pts = data_points(fig)
    assert len(pts), f"{name}: found no data to check"
    for legend in legends(fig):
        box = legend.get_window_extent()
        covered = ((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1)
                   & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1))
        assert not covered.any(), f"{name}: legend covers {int(covered.sum())} data points"
    plt.close(fig)


def test_the_checks_catch_clipped_text_and_a_legend_on_the_data(tmp_path):
    panel, ax = style.new_figure(width_in=3.5, height_in=3.0)
    ax.scatter([0.1, 0.5, 0.9], [0.9, 0.5, 0.1], label="points")
    ax.legend(loc="center")  # on the middle point
    panel.suptitle("A title far too long to fit in a single column of a journal page " * 2,
                   x=0.01, ha="left")
    fig = style.add_footer(panel, style.Footer(("wdi",), "2020", 3, "real"))
    assert style.texts_outside_canvas(fig) == []  # fit_text wrapped the long title
    box = ax.get_legend().get_window_extent()
    pts = data_points(fig)
    assert ((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0)
             & (pts[:, 1] < box.y1)).any()
    fig.text(0.9, 0.5, "this runs off the right edge of the canvas")
    assert style.texts_outside_canvas(fig)
    with pytest.raises(ValueError, match="outside"):
        export.save_figure(fig, "clipped", tmp_path)


def _png_size(path):
    with Image.open(path) as im:
        return im.size


def test_single_column_600_dpi_tiff_eps_pdf(tmp_path):
    """A chart drawn at the default width, saved for a journal: redrawn at 3.5 in, every
    format the right size, no text outside the canvas, byte-identical twice."""
    digests = []
    for run in ("a", "b"):
        fig = charts.cpi_vs_egdi(make_panel())
        assert fig.get_figwidth() == style.WIDTH_IN
        paths = export.save_figure(fig, "cpi_vs_egdi", tmp_path / run, width="single", dpi=600,
                                   formats=("tiff", "eps", "pdf"))
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]
    tiff, eps, pdf = (tmp_path / "a" / f"cpi_vs_egdi.{ext}" for ext in ("tiff", "eps", "pdf"))
    with Image.open(tiff) as im:
        assert im.size[0] == 3.5 * 600
        assert round(im.info["dpi"][0]) == 600
        assert im.info.get("compression") == "tiff_lzw"
    head = eps.read_bytes()[:2000].decode("latin-1")
    assert head.startswith("%!PS-Adobe-3.0 EPSF-3.0")
    bbox = [float(v) for v in re.search(r"%%BoundingBox: (.*)", head).group(1).split()]
    assert bbox[2] - bbox[0] <= 3.5 * 72 + 1
    assert "CreationDate" not in head and "Matplotlib v" not in head
    assert "FontType 42" in eps.read_text(encoding="latin-1")  # TrueType, not Type 3
    media = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", pdf.read_bytes())
    assert float(media.group(1)) == pytest.approx(3.5 * 72)


def test_resizing_a_plain_figure_rewraps_its_footer(tmp_path):
    panel, ax = style.new_figure(height_in=3.0)
    ax.plot([0, 1], [0, 1])
    fig = style.add_footer(panel, style.Footer(("wdi", "cpi", "wgi"), "2000-2020", 180, "real",
                                               note="a long note " * 12))
    paths = export.save_figure(fig, "plain", tmp_path, width=3.5, formats=("png",), dpi=100,
                               close=False)
    assert _png_size(paths[0])[0] == 350
    assert style.texts_outside_canvas(fig) == []
    plt.close(fig)


def test_widths_and_formats_are_checked():
    assert style.column_width("single") == 3.5
    assert style.column_width("double") == 7.2
    assert style.column_width(5) == 5.0
    with pytest.raises(ValueError, match="single"):
        style.column_width("triple")
    fig = charts.cpi_vs_egdi(make_panel())
    with pytest.raises(ValueError, match="tiff"):
        export.save_figure(fig, "x", "unused", formats=("jpg",))
    plt.close(fig)


def _luminance_of_legend_markers(fig) -> list[float]:
    """Luminance (ITU-R 601, what PIL's grayscale conversion uses) at each legend marker."""
    fig.canvas.draw()
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(),
                             bytes(fig.canvas.buffer_rgba())).convert("RGB").convert("L")
    height = image.size[1]
    legend = legends(fig)[0]
    values = []
    for handle in legend.legend_handles:
        box = handle.get_window_extent()
        x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        values.append(float(image.getpixel((round(x), round(height - y)))))
    return values


def test_grayscale_palette_separates_income_groups_by_luminance_and_shape():
    panel = make_panel()
    colour = charts.cpi_vs_egdi(panel)
    gray = charts.cpi_vs_egdi(panel, grayscale=True)
    lum_colour = _luminance_of_legend_markers(colour)
    lum_gray = _luminance_of_legend_markers(gray)
    assert len(lum_gray) == 4

    def closest(values):
        return min(abs(a - b) for a, b in itertools.combinations(values, 2))

    # the colour palette's income groups are close in gray (what the issue reported) ...
    assert closest(lum_colour) < 25, lum_colour
    # ... the grayscale palette's are far apart, and each group has its own marker
    assert closest(lum_gray) >= 45, lum_gray
    markers = [h.get_marker() for h in legends(gray)[0].legend_handles]
    assert len(set(markers)) == 4, markers
    assert gray._divides_palette == "grayscale"
    plt.close("all")


def test_grayscale_survives_a_redraw_at_another_width(tmp_path):
    fig = charts.parity_vs_internet(make_gaps(), make_panel(), grayscale=True)
    redrawn = fig._divides_redraw(width="single")
    assert redrawn._divides_palette == "grayscale" and redrawn.get_figwidth() == 3.5
    plt.close("all")


def test_diverging_colours_are_centred_at_zero():
    cmap = matplotlib.colormaps[style.DIVERGING_CMAP]
    bins = np.array([-10.0, 0.0, 10.0, 30.0])
    colours = maps.class_colours(style.DIVERGING_CMAP, bins, lowest=-30.0, diverging=True)
    centre = np.array(cmap(0.5))
    low_side, high_side = np.array(cmap(0.1)), np.array(cmap(0.9))

    def side(c):
        return np.sign(np.dot(c[:3] - centre[:3], high_side[:3] - low_side[:3]))

    # classes (-30, -10] and (-10, 0] on the negative side, (0, 10] and (10, 30] positive
    assert [side(c) for c in colours] == [-1, -1, 1, 1]
    # classes with midpoints -5 and +5 of a +-20 range sit at equal distances from the
    # centre of the colour map (used from 0.1 to 0.9): 0.5 -+ 0.8 * 5 / 40
    mirrored = maps.class_colours(style.DIVERGING_CMAP, np.array([-10.0, 0.0, 10.0, 20.0]),
                                  lowest=-20.0, diverging=True)
    np.testing.assert_allclose(mirrored[1], cmap(0.4))
    np.testing.assert_allclose(mirrored[2], cmap(0.6))


def test_signed_gap_map_breaks_at_zero_and_diverges():
    signed = make_gaps(seed=5)
    signed["gap_pp"] = signed["gap_pp"] - 8.0
    latest = charts.latest_gaps(signed, "sex")
    assert (latest["gap_pp"] < 0).any() and (latest["gap_pp"] > 0).any()
    fig = maps.gap_map(signed, "sex")
    drawn = fig._divides_map
    assert drawn["cmap"] == style.DIVERGING_CMAP and 0.0 in drawn["bins"]
    positive = maps.gap_map(make_gaps(), "sex")
    if (charts.latest_gaps(make_gaps(), "sex")["gap_pp"] > 0).all():
        assert positive._divides_map["cmap"] == style.SEQUENTIAL_CMAP
    plt.close("all")


def test_eps_export_says_nothing_about_transparency(tmp_path, caplog):
    """matplotlib logs a transparency notice on every EPS save of a chart with translucent
    marks; the export keeps it off the console, and other formats are untouched."""
    import logging

    fig = charts.cpi_vs_egdi(make_panel())
    with caplog.at_level(logging.DEBUG, logger="matplotlib.backends.backend_ps"):
        export.save_figure(fig, "cpi_vs_egdi", tmp_path, formats=("eps",))
    assert not [r for r in caplog.records if "transparency" in r.getMessage()]


def test_tiff_is_rgb_lzw_and_decorations_can_be_left_out(tmp_path):
    """Journals refuse an alpha channel; a caption that carries the title and sources asks
    for a figure without them drawn."""
    fig = charts.cpi_vs_egdi(make_panel())
    title = export.figure_title(fig)
    footer = style.footer_artist(fig).get_text()
    plain = export.save_figure(fig, "plain", tmp_path, formats=("tiff", "svg", "png"), dpi=80,
                               decorations=False)
    with Image.open(plain[0]) as im:
        assert im.mode == "RGB"
        assert im.info.get("compression") == "tiff_lzw"
        assert round(im.info["dpi"][0]) == 80
    svg = plain[1].read_text(encoding="utf-8")
    assert title not in svg and footer.split("\n")[0] not in svg
    decorated = export.save_figure(charts.cpi_vs_egdi(make_panel()), "full", tmp_path,
                                   formats=("svg", "png"), dpi=80)
    drawn = decorated[0].read_text(encoding="utf-8")
    assert title in drawn and footer.split("\n")[0] in drawn
    # the plot takes the room the title and footer had
    assert _png_size(plain[2])[1] == _png_size(decorated[1])[1]


def test_a_pdf_comes_with_a_plain_twin_for_the_report(tmp_path):
    """The report's PDF puts the title in the caption and the footer in a note below: it
    shows ``<name>.plain.pdf``, the same figure without them drawn; the figure itself keeps
    them (a later save draws them again)."""
    from pypdf import PdfReader

    fig = charts.cpi_vs_egdi(make_panel())
    paths = export.save_figure(fig, "cpi_vs_egdi", tmp_path, formats=("pdf",), close=False)
    assert [p.name for p in paths] == ["cpi_vs_egdi.pdf"]
    def text(path):
        return " ".join(p.extract_text() for p in PdfReader(path).pages)
    plain = tmp_path / f"cpi_vs_egdi{export.PLAIN_PDF}"
    # the figure's own drawn title and the first line of its footer, whatever they say
    title = " ".join(export.figure_title(fig).split()[:3])
    footer = style.footer_artist(fig).get_text().split("\n")[0].split()[0]
    assert title and footer
    assert title in " ".join(text(paths[0]).split()) and footer in text(paths[0])
    assert title not in " ".join(text(plain).split()) and footer not in text(plain)
    again = export.save_figure(fig, "again", tmp_path, formats=("pdf",))
    assert title in " ".join(text(again[0]).split())


def test_a_png_comes_with_a_plain_twin_for_the_html_report(tmp_path):
    """``<name>.plain.png`` is the figure as ``decorations=False`` draws it,
    and keeps the caption's title and footer as metadata."""
    paths = export.save_figure(charts.cpi_vs_egdi(make_panel()), "fig", tmp_path / "a",
                               formats=("png",), dpi=60)
    twin = tmp_path / "a" / f"fig{export.PLAIN_PNG}"
    assert [p.name for p in paths] == ["fig.png"] and twin.exists()
    plain = export.save_figure(charts.cpi_vs_egdi(make_panel()), "fig", tmp_path / "b",
                               formats=("png",), dpi=60, decorations=False)
    with Image.open(twin) as a, Image.open(plain[0]) as b:
        assert a.size == b.size
        x, y = (np.asarray(i.convert("L"), dtype=int) for i in (a, b))
    # the same drawing (the layout solved once more may move a few edge pixels)
    assert (x != y).mean() < 0.001
    assert not (tmp_path / "b" / f"fig{export.PLAIN_PNG}").exists()
    with Image.open(twin) as im, Image.open(paths[0]) as full:
        assert im.text["Title"] == full.text["Title"] and im.text["Title"]
        assert im.text["Description"] == full.text["Description"]


def test_a_signed_gap_map_in_grayscale_runs_light_to_dark():
    """A diverging map's two ends look alike in gray: the grayscale map keeps zero as a
    break but colours its classes on one scale whose luminance rises class by class."""
    signed = make_gaps(seed=5)
    signed["gap_pp"] = signed["gap_pp"] - 8.0
    fig = maps.gap_map(signed, "sex", grayscale=True)
    drawn = fig._divides_map
    assert drawn["cmap"] == style.SEQUENTIAL_CMAP and 0.0 in drawn["bins"]
    luminance = [float(Image.new("RGB", (1, 1), c).convert("L").getpixel((0, 0)))
                 for c in drawn["colours"]]
    assert all(b - a > 10 for a, b in itertools.pairwise(luminance)), luminance
    assert "diverge" not in style.footer_artist(fig).get_text()
    plt.close("all")
