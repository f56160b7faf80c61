"""The figure registry: one recipe per figure, names that carry its parameters, and a
gallery that redraws byte-identical figures from what the notebooks saved."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

from divides import config
from divides.figures import gallery, registry
from divides.run import notebooks

pytestmark = pytest.mark.unit

_spec = importlib.util.spec_from_file_location(
    "figures_fixtures", Path(__file__).with_name("test_figures_charts.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

BUILD_ONLY = sorted(n for n, s in registry.FIGURES.items()
                    if set(s.inputs) <= set(registry.BUILD_INPUTS))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_names_are_unique_and_carry_parameters():
    stems = [s.stem() for s in registry.FIGURES.values()]
    assert len(stems) == len(set(stems))
    es = registry.spec("event_study")
    assert es.stem() == "event_study_AZE_post_soviet_2013_wgi_cc_estimate"
    assert es.stem(donor_group="eap") != es.stem()
    assert es.stem(outcome="cpi_score") != es.stem()
    coef = registry.spec("coef_pooled_vs_twfe")
    assert coef.stem(regressor="osi") == "coef_pooled_vs_twfe_wgi_cc_estimate_osi_log_gdp_pc_ppp"
    assert coef.stem(controls=[]) == "coef_pooled_vs_twfe_wgi_cc_estimate_egdi_none"
    assert registry.spec("map_outcome").stem(outcome="cpi_score") == "map_cpi_score"
    with pytest.raises(ValueError, match=r"unknown parameters \['donor'\]"):
        es.stem(donor="eap")
    with pytest.raises(ValueError, match="not in the registry"):
        registry.spec("nothing")


def test_every_parameter_of_a_figure_is_its_notebooks_parameter_with_its_default():
    # the gallery's default names must be the names the default notebook run writes
    aliases = {("01", "indicator"): "gap_indicator_sex", ("04", "outcome"): "outcomes",
               ("04", "wave_outcome"): "wave_outcomes", ("05", "key_regressor"): "key_regressor"}
    for name, fig_spec in registry.FIGURES.items():
        nb = notebooks.find([fig_spec.notebook])[0]
        defaults = notebooks.parameters(nb)
        for param, value in fig_spec.parameters.items():
            nb_param = aliases.get((fig_spec.notebook, param), param)
            assert nb_param in defaults, (name, param)
            expected = defaults[nb_param]
            if nb_param in ("outcomes", "wave_outcomes"):
                expected = expected[0]
            assert value == expected, (name, param, value, expected)


def test_notebooks_draw_only_through_the_registry():
    for py in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py")):
        text = py.read_text(encoding="utf-8")
        assert "save_figure(" not in text and "savefig(" not in text, py.name


def test_inputs_must_match_the_registry():
    with pytest.raises(ValueError, match=r"missing \['es'\], unexpected \['frame'\]"):
        registry.draw("event_study", {"frame": fx.make_event_study()})


def test_gallery_redraws_what_a_notebook_saved_byte_for_byte(tmp_path, monkeypatch):
    build = {"panel": fx.make_panel(), "gaps": fx.make_gaps()}
    monkeypatch.setattr(gallery, "load_build", lambda data: build)
    fig_dir = tmp_path / "figures"
    params = {"treated": "AZE", "donor_group": "eap", "treatment_year": 2014,
              "outcome": "cpi_score"}
    first = registry.save("event_study", fig_dir, close=True, formats=("png", "svg"), dpi=40,
                          es=fx.make_event_study(), **params)
    stem = registry.spec("event_study").stem(**params)
    assert [p.name for p in first] == [f"{stem}.png", f"{stem}.svg"]
    before = {p.name: _sha(p) for p in first}
    for p in first:
        p.unlink()
    result = gallery.write_all("demo", out_dir=fig_dir, dpi=40, formats=("png", "svg"),
                               only=["event_study"])
    assert list(result.written) == [stem]
    assert {p.name: _sha(p) for p in result.written[stem]} == before


def test_inputs_an_earlier_run_left_are_not_drawn(tmp_path, monkeypatch):
    """A figure input the last run did not write (here: of a figure since renamed, which the
    registry no longer knows) stopped `divides figures` with 'not in the registry'."""
    import json

    build = {"panel": fx.make_panel(), "gaps": fx.make_gaps()}
    monkeypatch.setattr(gallery, "load_build", lambda data: build)
    fig_dir = tmp_path / "run" / "figures"
    params = {"treated": "AZE", "donor_group": "eap", "treatment_year": 2014,
              "outcome": "cpi_score"}
    registry.save("event_study", fig_dir, close=True, formats=("png",), dpi=30,
                  es=fx.make_event_study(), **params)
    stem = registry.spec("event_study").stem(**params)
    inputs = fig_dir / registry.INPUTS_DIR
    (inputs / "cpi_vs_egdi.json").write_text('{"figure": "cpi_vs_egdi", "parameters": {}}')
    (tmp_path / "run" / "run.json").write_text(json.dumps({"notebooks": {"04": {"files": [
        f"figures/{registry.INPUTS_DIR}/{p.name}" for p in inputs.iterdir()
        if p.name != "cpi_vs_egdi.json"]}}}))
    stale: dict[str, str] = {}
    plans = gallery.planned(fig_dir, None, stale)
    assert ("event_study", params) in plans and "cpi_vs_egdi" not in {n for n, _ in plans}
    assert stale == {"cpi_vs_egdi": "cpi_vs_egdi.json was left by an earlier run (not in "
                                    "run.json): not drawn"}
    drawn = {s: why for s, fig, why in gallery.drawn("demo", fig_dir, only=["event_study"])}
    assert drawn[stem] == "" and "cpi_vs_egdi" not in drawn
    # without a manifest every saved input counts (and the unknown one fails loudly)
    (tmp_path / "run" / "run.json").unlink()
    with pytest.raises(ValueError, match="'cpi_vs_egdi': not in the registry"):
        list(gallery.drawn("demo", fig_dir, only=["cpi_vs_egdi"]))


def test_gallery_draws_build_figures_and_skips_unsaved_model_figures(tmp_path, monkeypatch):
    gaps = fx.make_gaps()
    gaps["indicator"] = registry.spec("gap_dumbbell_sex").parameters["indicator"]
    monkeypatch.setattr(gallery, "load_build", lambda data: {"panel": fx.make_panel(), "gaps": gaps})
    result = gallery.write_all("demo", out_dir=tmp_path / "f", dpi=30, formats=("png",))
    assert sorted(registry.spec(n).stem() for n in BUILD_ONLY) == sorted(result.written)
    model_figures = {registry.spec(n).stem(): registry.spec(n).notebook
                     for n in registry.FIGURES if n not in BUILD_ONLY}
    assert sorted(result.skipped) == sorted(model_figures)
    for stem, nb in model_figures.items():
        assert f"run notebook {nb}" in result.skipped[stem]
    for stem in result.written:
        assert (tmp_path / "f" / f"{stem}.png").stat().st_size > 1000


def test_specs_command_writes_tables_only(monkeypatch, tmp_path):
    from types import SimpleNamespace

    import pandas as pd

    from divides import config
    from divides.build import loaders as api
    from divides.figures import charts, export
    from divides.models import case, speccurve
    from divides.run import cli

    calls = []

    def fake_run(panel, gaps, **kw):
        calls.append(kw)
        return SimpleNamespace(notes={"n_ok": 0, "n_specs": 0, "draws": 0})

    monkeypatch.setattr(api, "load_panel", lambda data: pd.DataFrame())
    monkeypatch.setattr(api, "load_gaps", lambda data: pd.DataFrame())
    monkeypatch.setattr(speccurve, "run", fake_run)
    monkeypatch.setattr(speccurve, "write", lambda curve, tables: [])
    monkeypatch.setattr(case, "case_specs", lambda panel: pd.DataFrame({"x": [1]}))
    monkeypatch.setattr(config, "reports_dir", lambda data: tmp_path / data)

    def no_drawing(*a, **k):
        raise AssertionError("divides specs drew a figure")

    monkeypatch.setattr(charts, "specification_curve", no_drawing)
    monkeypatch.setattr(export, "save_figure", no_drawing)
    assert cli.main(["specs", "--data", "demo"]) == 0
    assert calls and calls[0]["backend"] == "serial"
    assert sorted(p.relative_to(tmp_path / "demo").as_posix()
                  for p in (tmp_path / "demo").rglob("*") if p.is_file()) == [
        "specs/case_specs.csv"]  # not in tables/, which only the notebooks write


def test_figures_command_exports_at_the_width_dpi_and_formats_asked(tmp_path, monkeypatch):
    from PIL import Image

    from divides.run import cli

    monkeypatch.setattr(gallery, "load_build", lambda data: {"panel": fx.make_panel(),
                                                        "gaps": fx.make_gaps()})
    monkeypatch.setattr(cli, "_demo_step", lambda data, raw_dir=None: None)
    monkeypatch.setattr(config, "reports_dir", lambda data: tmp_path / data)
    assert cli.main(["figures", "--only", "coverage_heatmap", "--width", "single",
                     "--dpi", "50", "--format", "png,eps", "--grayscale",
                     "--no-decorations"]) == 0
    out = tmp_path / "demo" / "figures" / gallery.EXPORT_DIR
    assert sorted(p.name for p in out.iterdir()) == ["coverage_heatmap.eps",
                                                     "coverage_heatmap.png"]
    with Image.open(out / "coverage_heatmap.png") as im:
        assert im.size[0] == round(3.5 * 50)
