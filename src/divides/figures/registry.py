"""One registry of the project's figures: name -> builder, inputs, parameters.

The notebooks draw every figure through :func:`save`, and ``divides figures`` redraws them
through :func:`redraw` from the very inputs the notebooks saved, so one figure has one
owner and one recipe. A figure's file name carries the parameters that change it
(``event_study_AZE_post_soviet_2013_wgi_cc_estimate``): runs with other parameters never
write the same file.

Inputs are either ``panel``/``gaps`` (the build, loaded with :mod:`divides.build.loaders`) or a frame a
notebook computed (model results, the spec-curve table). :func:`save` keeps each computed
frame beside the figure as ``figures/inputs/<file stem>.<input>.parquet``, so the figure can be
redrawn without fitting anything again; a missing one is reported, never made up. Beside
them, ``<file stem>.json`` records the figure's registry name and parameters.

>>> save("event_study", figures_dir, es=es, treated="AZE", donor_group="post_soviet",
...      treatment_year=2013, outcome="wgi_cc_estimate")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from divides.figures import case as case_figures
from divides.figures import charts, export, maps, style

#: Inputs loaded from the build rather than saved beside the figure.
BUILD_INPUTS = ("panel", "gaps")
INPUTS_DIR = "inputs"


@dataclass(frozen=True)
class FigureSpec:
    """A figure: its file-name pattern, builder, inputs and the parameters that change it."""

    pattern: str
    builder: Callable[..., object]
    inputs: tuple[str, ...]
    parameters: dict[str, object] = field(default_factory=dict)
    notebook: str = ""

    def stem(self, **params) -> str:
        """The file stem for these parameters (defaults for those not given)."""
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            raise ValueError(f"figure {self.pattern!r}: unknown parameters {unknown}; "
                             f"expected some of {sorted(self.parameters)}")
        values = {k: _text(v) for k, v in {**self.parameters, **params}.items()}
        return re.sub(r"[^A-Za-z0-9_+-]+", "_", self.pattern.format(**values))


def _text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "+".join(_text(v) for v in value) or "none"
    return str(value)


def _country_name(iso3: str) -> str:
    from divides import countries

    names = countries.countries().set_index("iso3")["name"]
    return str(names.get(iso3, iso3))


def _spec_curve(curve_table: pd.DataFrame, curve_inference: pd.DataFrame, key_regressor: str):
    from types import SimpleNamespace

    from divides.figures import speccurve

    curve = SimpleNamespace(table=curve_table, data_kind=str(curve_table["data_kind"].iloc[0]))
    inputs = list(speccurve.figure_inputs(curve, keys=[key_regressor]))
    if not inputs:
        raise ValueError(f"spec curve: no estimated specification for {key_regressor!r}")
    _, frame, kwargs = inputs[0]
    kwargs["choices"] = [c for c in kwargs["choices"] if frame[c].nunique() > 1]
    kwargs["tests"] = speccurve.tests_note(curve_inference, key_regressor)
    return charts.specification_curve(frame, **kwargs)


def _curve_decomposition(curve_table: pd.DataFrame):
    from divides.models import speccurve

    return charts.curve_decomposition(speccurve.decompose(curve_table), curve_table)


FIGURES: dict[str, FigureSpec] = {
    "coverage_heatmap": FigureSpec(
        "coverage_heatmap", lambda panel, gaps: charts.coverage_heatmap(panel, gaps=gaps),
        ("panel", "gaps"), notebook="00"),
    "gap_dumbbell_area": FigureSpec(
        "gap_dumbbell_area_{indicator}",
        lambda panel, gaps, indicator: charts.gap_dumbbell(gaps, "area", indicator=indicator,
                                                           panel=panel),
        ("panel", "gaps"), {"indicator": "itu_internet_users_pct"}, "01"),
    "gap_dumbbell_sex": FigureSpec(
        "gap_dumbbell_sex_{indicator}",
        lambda panel, gaps, indicator: charts.gap_dumbbell(gaps, "sex", indicator=indicator,
                                                           panel=panel),
        ("panel", "gaps"), {"indicator": "itu_internet_users_pct"}, "01"),
    "parity_vs_internet": FigureSpec(
        "parity_vs_internet_{indicator}",
        lambda panel, gaps, indicator: charts.parity_vs_internet(gaps, panel, "sex",
                                                                 indicator=indicator),
        ("panel", "gaps"), {"indicator": "itu_internet_users_pct"}, "01"),
    "map_gap_sex": FigureSpec(
        "map_gap_sex_{indicator}",
        lambda gaps, indicator: maps.gap_map(gaps, "sex", indicator=indicator,
                                             scheme="fisherjenks"),
        ("gaps",), {"indicator": "itu_internet_users_pct"}, "01"),
    "map_internet_users": FigureSpec(
        "map_internet_users", lambda panel: maps.choropleth(panel, "internet_users_pct"),
        ("panel",), notebook="01"),
    "access_gap_coefficients": FigureSpec(
        "02_access_gap_coefficients_{outcome}_{year}_{controls}",
        lambda results, outcome, year, controls: charts.coefficient_plot(results),
        ("results",), {"outcome": "cpi_score", "year": 2019, "controls": ["log_gdp_pc_ppp"]},
        "02"),
    "outcome_vs_regressor": FigureSpec(
        "{outcome}_vs_{regressor}",
        lambda panel, outcome, regressor: charts.cpi_vs_egdi(panel, x=regressor, y=outcome),
        ("panel",), {"outcome": "wgi_cc_estimate", "regressor": "egdi"}, "03"),
    "map_regressor": FigureSpec(
        "map_{regressor}",
        lambda panel, regressor: maps.choropleth(panel, regressor, scheme="fisherjenks"),
        ("panel",), {"regressor": "egdi"}, "03"),
    "map_outcome": FigureSpec(
        "map_{outcome}", lambda panel, outcome: maps.choropleth(panel, outcome), ("panel",),
        {"outcome": "wgi_cc_estimate"}, "03"),
    "coef_pooled_vs_twfe": FigureSpec(
        "coef_pooled_vs_twfe_{outcome}_{regressor}_{controls}",
        lambda results, outcome, regressor, controls: charts.coefficient_plot(
            results, terms=(regressor,)),
        ("results",), {"outcome": "wgi_cc_estimate", "regressor": "egdi",
                       "controls": ["log_gdp_pc_ppp"]}, "03"),
    "event_study": FigureSpec(
        "event_study_{treated}_{donor_group}_{treatment_year}_{outcome}",
        lambda es, treated, donor_group, treatment_year, outcome: charts.event_study_plot(
            es, f"{_country_name(treated)}'s treatment year {treatment_year}"),
        ("es",), {"treated": "AZE", "donor_group": "post_soviet", "treatment_year": 2013,
                  "outcome": "wgi_cc_estimate"}, "04"),
    "synth": FigureSpec(
        "synth_{treated}_{donor_group}_{treatment_year}_{outcome}",
        lambda paths, treated, donor_group, treatment_year, outcome:
            charts.synthetic_control_plot(paths, treated_label=_country_name(treated)),
        ("paths",), {"treated": "AZE", "donor_group": "post_soviet", "treatment_year": 2013,
                     "outcome": "wgi_cc_estimate"}, "04"),
    "synth_leave_one_out": FigureSpec(
        "synth_leave_one_out_{treated}_{donor_group}_{treatment_year}_{outcome}",
        lambda loo, treated, donor_group, treatment_year, outcome:
            case_figures.leave_one_out_plot(loo, treated_label=_country_name(treated),
                                            years=str(loo["years"].iloc[0])),
        ("loo",), {"treated": "AZE", "donor_group": "post_soviet", "treatment_year": 2013,
                   "outcome": "wgi_cc_estimate"}, "04"),
    "case_survey_waves": FigureSpec(
        "case_survey_waves_{treated}_{donor_group}_{treatment_year}_{wave_outcome}",
        lambda waves, treated, donor_group, treatment_year, wave_outcome:
            case_figures.survey_waves_plot(waves, treated_label=_country_name(treated),
                                           treatment_year=treatment_year),
        ("waves",), {"treated": "AZE", "donor_group": "post_soviet", "treatment_year": 2013,
                     "wave_outcome": "bribery_incidence_pct"}, "04"),
    "spec_curve": FigureSpec(
        "spec_curve_{key_regressor}", _spec_curve, ("curve_table", "curve_inference"),
        {"key_regressor": "egdi"}, "05"),
    "spec_curve_decomposition": FigureSpec(
        "spec_curve_decomposition", _curve_decomposition, ("curve_table",), notebook="05"),
}


def spec(name: str) -> FigureSpec:
    try:
        return FIGURES[name]
    except KeyError:
        raise ValueError(f"figure {name!r}: not in the registry; known: {sorted(FIGURES)}") \
            from None


def draw(name: str, inputs: dict[str, object], width: str | float | None = None,
         grayscale: bool = False, **params):
    """Build figure ``name`` from its inputs with these parameters (defaults otherwise).

    ``width`` (``"single"``, ``"double"`` or inches) and ``grayscale`` reach every chart the
    builder draws (:func:`divides.figures.style.drawing`), model figures included.
    """
    fig_spec = spec(name)
    missing = [i for i in fig_spec.inputs if i not in inputs]
    extra = sorted(set(inputs) - set(fig_spec.inputs))
    if missing or extra:
        raise ValueError(f"figure {name!r}: expected inputs {list(fig_spec.inputs)}, "
                         f"missing {missing}, unexpected {extra}")
    fig_spec.stem(**params)  # checks the parameter names
    with style.drawing(width=width, grayscale=grayscale):
        return fig_spec.builder(**inputs, **{**fig_spec.parameters, **params})


def input_path(figures_dir: Path, stem: str, input_name: str) -> Path:
    return Path(figures_dir) / INPUTS_DIR / f"{stem}.{input_name}.parquet"


def save(name: str, figures_dir: Path | str, close: bool = False,
         formats: tuple[str, ...] = export.FORMATS, dpi: int | None = None,
         **inputs_and_params) -> list[Path]:
    """Draw figure ``name`` and write it (and its computed inputs) into ``figures_dir``.

    Keyword arguments are the figure's inputs (frames) and parameters, by name.
    """
    fig_spec = spec(name)
    inputs = {k: v for k, v in inputs_and_params.items() if k in fig_spec.inputs}
    params = {k: v for k, v in inputs_and_params.items() if k not in fig_spec.inputs}
    stem = fig_spec.stem(**params)
    fig = draw(name, inputs, **params)
    record = Path(figures_dir) / INPUTS_DIR / f"{stem}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"figure": name, "parameters": params}, sort_keys=True)
                      + "\n", encoding="utf-8")
    for input_name, frame in inputs.items():
        if input_name in BUILD_INPUTS:
            continue
        path = input_path(figures_dir, stem, input_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path)
    kwargs = {} if dpi is None else {"dpi": dpi}
    paths = export.save_figure(fig, stem, figures_dir, formats=formats, close=close, **kwargs)
    _announce(stem)
    return paths


#: Output metadata key naming the figure a notebook cell saved (the report places the
#: saved file there, numbered and captioned).
FIGURE_MARKER = "divides_figure"


def _announce(stem: str) -> None:
    """In a notebook, an output that names the saved figure (text for the reader, metadata
    for :mod:`divides.report`); outside IPython nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is None:
        return
    display({"text/plain": f"saved figure: {stem}"}, raw=True,
            metadata={FIGURE_MARKER: stem})


class Unavailable(Exception):
    """A figure's saved input is missing (the reason is reported, the figure skipped)."""


def load_inputs(name: str, figures_dir: Path | str, build: dict[str, pd.DataFrame],
                **params) -> dict[str, object]:
    """The inputs of ``name``: build frames from ``build``, the rest as a notebook saved them."""
    fig_spec = spec(name)
    stem = fig_spec.stem(**params)
    inputs: dict[str, object] = {}
    for input_name in fig_spec.inputs:
        if input_name in BUILD_INPUTS:
            inputs[input_name] = build[input_name]
            continue
        path = input_path(figures_dir, stem, input_name)
        if not path.exists():
            raise Unavailable(f"{path} not found: run notebook {fig_spec.notebook} "
                              f"(divides run --only {fig_spec.notebook}) with these parameters")
        inputs[input_name] = pd.read_parquet(path)
    return inputs
