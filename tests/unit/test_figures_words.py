"""Every figure of the registry, drawn on the demo run: its text is words from the codebook
(never a panel column name or an internal code), no two labels collide at single-column
width, and every one draws in grayscale and exports to EPS and TIFF."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from divides import catalogue
from divides.figures import charts, export, gallery, registry, style
from divides.figures import speccurve as fig_speccurve
from divides.models import speccurve

pytestmark = pytest.mark.unit

#: Identifiers that are also plain English words (a figure may say "Year" or "sample").
ENGLISH = frozenset({
    "actual", "all", "between", "controls", "dimension", "dropped", "estimator", "file",
    "gap", "income", "indicator", "lag", "model", "none", "outcome", "p", "pooled",
    "population", "region", "role", "sample", "side", "significant", "source", "sources",
    "standardised", "status", "synthetic", "t", "term", "unit", "value", "weight", "year",
    "years",
})
#: Identifiers whose words ("income group") are plain English too.
ENGLISH_PHRASES = frozenset({"income group", "country name", "advantaged group",
                             "disadvantaged group", "parity ratio", "relative gap",
                             "treatment year", "key regressor", "median t", "placebo p"})


@pytest.fixture(scope="module")
def build():
    return gallery.load_build("demo")


@pytest.fixture(scope="module")
def figures_dir(demo_report):
    return demo_report / "figures"


def identifiers(build, figures_dir) -> set[str]:
    """Names a reader must never see: the panel's and gaps' columns, the column registry,
    indicator codes, estimator codes, the spec-curve grid's names (gap families, control
    sets, samples) and every column of every input a notebook saved for a figure."""
    grid = speccurve.load_grid()
    found = set(build["panel"].columns) | set(build["gaps"].columns)
    found |= set(catalogue.columns()["column"]) | set(catalogue.indicators()["indicator"])
    found |= set(charts.ESTIMATOR_WORDS) | set(grid["gap_families"]) | set(grid["controls"])
    found |= {f"{k}={v}" for k, values in grid.get("sample_values", {}).items()
              for v in values}
    for path in sorted((figures_dir / registry.INPUTS_DIR).glob("*.parquet")):
        found |= set(pd.read_parquet(path).columns)
    return {str(i) for i in found if str(i)}


def leaks(text: str, names: set[str]) -> list[str]:
    """The identifiers a text shows: any token with an underscore (no word has one), a
    one-word identifier that is not English (``egdi``, ``twfe``), or the words of a
    many-word identifier (``gap sex itu internet users pp latest``, ``cpi score``)."""
    flat = " ".join(text.split())
    found = [t for t in re.findall(r"[A-Za-z0-9_=]+", flat) if "_" in t]
    single = {n for n in names if "_" not in n and n not in ENGLISH}
    found += [t for t in re.findall(r"[A-Za-z0-9]+", flat) if t in single]
    for name in names:
        words = name.replace("_", " ")
        if "_" in name and words not in ENGLISH_PHRASES and re.search(
                rf"(?<![\w-]){re.escape(words)}(?![\w-])", flat):
            found.append(words)
    found += [n for n in names if "=" in n and n in flat]
    return sorted(set(found))


def every_figure(build, figures_dir, **options):
    """(stem, figure) of every figure of the demo run; fails on a figure it cannot draw."""
    drawn = list(gallery.drawn("demo", figures_dir, build=build, **options))
    skipped = {stem: why for stem, fig, why in drawn if fig is None}
    assert not skipped, skipped
    names = {registry.spec(n).stem() for n in registry.FIGURES}
    assert len(drawn) >= len(names)
    return [(stem, fig) for stem, fig, _ in drawn]


def test_the_leak_check_finds_column_names_and_codes():
    names = {"gap_sex_itu_internet_users_pp_latest", "cpi_score", "twfe", "egdi",
             "income_group", "income_group=Low income", "year", "cross_section"}
    assert leaks("Gap by sex: Individuals using the Internet (percentage points)", names) == []
    assert leaks("Year; Income group (countries); EGDI; pooled OLS", names) == []
    assert leaks("gap sex itu internet users pp\nlatest", names) == [
        "gap sex itu internet users pp latest"]
    assert leaks("Outcome: cpi_score", names) == ["cpi_score"]
    assert leaks("CPI score vs cpi score", names) == ["cpi score"]
    assert leaks("Estimator: twfe (12 countries)", names) == ["twfe"]
    assert "income_group=Low income" in leaks("Sample: income_group=Low income", names)
    assert leaks("cross-section", names) == []


def test_every_figure_speaks_in_words(build, figures_dir):
    """Axis labels, tick labels, legend entries and titles, colour-bar labels, annotations,
    titles and footers of every registry figure, with and without its decorations."""
    names = identifiers(build, figures_dir)
    assert {"cpi_score", "twfe", "gap_sex_internet_pp", "income_urban"} <= names
    problems = {}
    for stem, fig in every_figure(build, figures_dir):
        texts = [t.get_text() for t in style.drawn_texts(fig)]
        decorations = [export.title_artist(fig).get_text(),
                       style.footer_artist(fig).get_text()]
        assert set(decorations) <= set(texts), stem
        export.strip_decorations(fig)
        plain = [t.get_text() for t in style.drawn_texts(fig)]
        assert not set(decorations) & set(plain), stem  # the title and footer went
        found = {lk: t for t in texts + plain for lk in leaks(t, names)}
        if found:
            problems[stem] = found
        plt.close(fig)
    assert not problems, problems


@pytest.mark.parametrize("width", ["single", "double"])
def test_no_two_labels_collide_and_none_runs_off_the_figure(build, figures_dir, width):
    problems = {}
    for stem, fig in every_figure(build, figures_dir, width=width):
        assert fig.get_figwidth() == pytest.approx(style.column_width(width)), stem
        found = style.overlapping_texts(fig) + style.texts_outside_canvas(fig)
        if found:
            problems[stem] = found[:5]
        plt.close(fig)
    assert not problems, problems


def test_the_collision_check_finds_overlapping_labels():
    panel, ax = style.new_figure(width_in=3.5, height_in=2.5)
    ax.set_yticks([0, 0.02], ["first label", "second label"])  # one line apart: 0.02
    fig = style.add_footer(panel, style.Footer(("wdi",), "2020", 3, "real"))
    assert ("first label", "second label") in style.overlapping_texts(fig)
    ax.set_yticks([0, 1], ["first label", "second label"])
    assert style.overlapping_texts(fig) == []
    plt.close(fig)


def test_every_figure_draws_in_grayscale(build, figures_dir):
    for stem, fig in every_figure(build, figures_dir, grayscale=True):
        assert fig._divides_palette == "grayscale", stem
        plt.close(fig)


def test_export_all_writes_model_figures_in_grayscale_eps_and_tiff(tmp_path, demo_report):
    result = gallery.export_all("demo", width="single", dpi=100,
                                formats=("tiff", "eps", "png"), grayscale=True,
                                only=["synth", "spec_curve", "event_study"], out_dir=tmp_path)
    assert not result.skipped and len(result.written) >= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for paths in result.written.values() for p in paths)  # no report twins
    for paths in result.written.values():
        assert [p.suffix for p in paths] == [".tiff", ".eps", ".png"]
        assert paths[1].read_bytes().startswith(b"%!PS-Adobe-3.0 EPSF-3.0")


def test_eps_draws_a_translucent_mark_as_its_colour_on_white(tmp_path):
    """PostScript has no alpha: a 50% blue line is written as the light blue it shows on
    white, not as full blue; the figure keeps its alpha for the other formats."""
    panel, ax = style.new_figure(width_in=3.5, height_in=2.0)
    line, = ax.plot([0, 1], [0, 1], color=(0.0, 0.0, 1.0), alpha=0.5)
    dots = ax.scatter([0.5], [0.2], color=(1.0, 0.0, 0.0), alpha=0.5)
    fig = style.add_footer(panel, style.Footer(("wdi",), "2020", 3, "real"))
    eps, = export.save_figure(fig, "alpha", tmp_path, formats=("eps",), close=False)
    text = eps.read_text(encoding="latin-1")
    assert re.search(r"\b0\.5 0\.5 1 setrgbcolor", text)
    assert re.search(r"\b1 0\.5 0\.5 setrgbcolor", text)
    assert not re.search(r"\b0 0 1 setrgbcolor", text)
    assert line.get_alpha() == 0.5 and dots.get_alpha() == 0.5
    plt.close(fig)


def test_choice_values_and_gap_columns_are_said_in_words():
    assert fig_speccurve.choice_value_words("estimator", "twfe") == \
        charts.ESTIMATOR_WORDS["twfe"]
    grid = speccurve.load_grid()
    assert fig_speccurve.choice_value_words("controls", "none", grid) == "none"
    income = fig_speccurve.choice_value_words("controls", "income", grid)
    assert income == style.short_label(grid["controls"]["income"][0])
    assert fig_speccurve.choice_value_words("sample", "income_group=Low income") == \
        "Low income"
    assert style.label("gap_sex_itu_internet_users_pp_latest") == (
        "Gap by sex: Individuals using the Internet (percentage points, latest survey year)")
    with pytest.raises(ValueError, match="no figure label"):
        style.label("not_a_column")
