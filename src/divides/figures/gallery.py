"""Every figure and map of the project, written by ``divides figures --data demo|real``.

:func:`write_all` loads the panel and gaps (``divides.api``), fits the pooled and two-way
fixed-effects models behind the coefficient plot, reads the model tables the models layer
writes into ``reports/<data>/tables/`` (spec curve), runs the ASAN case models and
saves each figure as PNG, SVG and PDF into ``reports/<data>/figures/``. A figure whose
input is missing is reported as skipped with its reason, never drawn from made-up data.

Model tables read from ``reports/<data>/tables/`` (columns as documented in
:mod:`divides.figures.charts`):

* ``speccurve.csv`` (``divides specs``); when absent the curve is estimated here without
  permutations.

The ASAN case (event study and synthetic control for Azerbaijan against its post-Soviet
donors, treatment year 2013) comes from :mod:`divides.models.case`. Its outcome is WGI
Control of Corruption, because the 0-100 CPI starts in 2012 and leaves one pre-year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from divides import config
from divides.figures import charts, export, maps


class Unavailable(Exception):
    """A figure's input is missing (the reason is reported, the figure skipped)."""


@dataclass
class GalleryResult:
    written: dict[str, list[Path]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"wrote {len(self.written)} figures (png, svg, pdf)"]
        lines += [f"  skipped {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def _load(data: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from divides import api

    return api.load_panel(data=data), api.load_gaps(data=data)


def _table(tables_dir: Path, name: str) -> pd.DataFrame:
    path = Path(tables_dir) / name
    if not path.exists():
        raise Unavailable(f"{path} not found (written by the models layer)")
    return pd.read_csv(path)


def pooled_vs_twfe(panel: pd.DataFrame, outcomes=("cpi_score", "wgi_cc_estimate"),
                   regressor: str = "egdi", controls=("log_gdp_pc_ppp",)) -> pd.DataFrame:
    """Tidy results of pooled OLS and two-way FE for each outcome (display labels)."""
    from divides.models import Spec, fit, tidy
    from divides.models.estimators import ESTIMATOR_LABELS

    frames = []
    for outcome in outcomes:
        for estimator in ("pooled", "twfe"):
            result = fit(panel, Spec(outcome, (regressor,), tuple(controls), estimator=estimator))
            frames.append(tidy(result))
    table = pd.concat(frames, ignore_index=True)
    table["estimator"] = table["estimator"].map(lambda e: ESTIMATOR_LABELS.get(e, e))
    return table


def spec_curve_figure(tables_dir: Path, panel, gaps, key_regressor: str = "egdi"):
    """Spec curve of one key regressor on standardised coefficients (CPI and WGI differ in
    scale), from ``speccurve.csv`` when ``divides specs`` wrote it, else estimated here
    without permutations; the frame comes from ``speccurve.figure_inputs``."""
    from types import SimpleNamespace

    from divides.figures import speccurve as speccurve_figures
    from divides.models import speccurve

    try:
        table = _table(tables_dir, "speccurve.csv")
        curve = SimpleNamespace(table=table, data_kind=str(table["data_kind"].iloc[0]))
    except Unavailable:
        curve = speccurve.run(panel, gaps, draws=0)
    inputs = list(speccurve_figures.figure_inputs(curve, keys=[key_regressor]))
    if not inputs:
        raise Unavailable(f"no estimated specification for {key_regressor}")
    _, frame, kwargs = inputs[0]
    kwargs["choices"] = [c for c in kwargs["choices"] if frame[c].nunique() > 1]
    return charts.specification_curve(frame, **kwargs)


def _case(what: str, panel: pd.DataFrame, outcome: str = "wgi_cc_estimate",
          treated: str = "AZE", treatment_year: int = 2013):
    from divides.models import case
    from divides.models.spec import ModelError

    try:
        if what == "event_study":
            return case.event_study(panel, outcome, treated=treated,
                                    treatment_year=treatment_year)
        return case.synthetic_control(panel, outcome, treated=treated,
                                      treatment_year=treatment_year).paths
    except ModelError as exc:
        raise Unavailable(str(exc)) from None


def builders(panel: pd.DataFrame, gaps: pd.DataFrame, tables_dir: Path
             ) -> dict[str, Callable[[], object]]:
    """Figure name -> a function drawing it (names are the saved file stems)."""
    def event_study():
        es = _case("event_study", panel)
        return charts.event_study_plot(es, "ASAN launch (treatment year 2013)")

    def synth():
        return charts.synthetic_control_plot(_case("synth", panel),
                                             treated_label="Azerbaijan")

    return {
        "gap_dumbbell_area": lambda: charts.gap_dumbbell(gaps, "area", panel=panel),
        "gap_dumbbell_sex": lambda: charts.gap_dumbbell(gaps, "sex", panel=panel),
        "parity_vs_internet": lambda: charts.parity_vs_internet(gaps, panel, "sex"),
        "cpi_vs_egdi": lambda: charts.cpi_vs_egdi(panel),
        "coef_pooled_vs_twfe": lambda: charts.coefficient_plot(pooled_vs_twfe(panel),
                                                                 terms=("egdi",)),
        "event_study_asan": event_study,
        "synth_asan": synth,
        "spec_curve_egdi": lambda: spec_curve_figure(tables_dir, panel, gaps),
        "coverage_heatmap": lambda: charts.coverage_heatmap(panel, gaps=gaps),
        "map_internet_users": lambda: maps.choropleth(panel, "internet_users_pct"),
        "map_gap_sex": lambda: maps.gap_map(gaps, "sex", scheme="fisherjenks"),
        "map_cpi_score": lambda: maps.choropleth(panel, "cpi_score"),
        "map_egdi": lambda: maps.choropleth(panel, "egdi", scheme="fisherjenks"),
    }


def write_all(data: str = "demo", out_dir: str | Path | None = None,
              only: list[str] | None = None, formats=export.FORMATS,
              dpi: int | None = None, tables_dir: str | Path | None = None) -> GalleryResult:
    """Write every figure for ``data`` into ``reports/<data>/figures`` (or ``out_dir``).

    Model tables are read from ``reports/<data>/tables`` (or ``tables_dir``); ``only``
    limits the run to some figure names; ``dpi`` overrides the print resolution (tests).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir) if out_dir is not None else config.reports_dir(data) / "figures"
    tables = Path(tables_dir) if tables_dir is not None else config.reports_dir(data) / "tables"
    panel, gaps = _load(data)
    result = GalleryResult()
    for name, build in builders(panel, gaps, tables).items():
        if only and name not in only:
            continue
        try:
            fig = build()
        except Unavailable as why:
            result.skipped[name] = str(why)
            continue
        kwargs = {} if dpi is None else {"dpi": dpi}
        result.written[name] = export.save_figure(fig, name, out, formats=formats, **kwargs)
        plt.close("all")
    print(f"divides figures --data {data} into {out}: {result.summary()}")
    return result
