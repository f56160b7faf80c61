"""``divides figures --data demo|real``: redraw the figures from the registry.

Every figure comes from :mod:`divides.figures.registry`, the recipe the notebooks use.
Figures drawn from the build alone (panel, gaps) are drawn with their default parameters;
figures drawn from a notebook's results (models, the spec curve) are redrawn from the inputs
that notebook saved in ``<run folder>/figures/inputs/``, with the parameters it used, and are
skipped with the reason when that notebook has not run. Nothing is fitted here and nothing is
made up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from divides import config
from divides.figures import export, registry


@dataclass
class GalleryResult:
    written: dict[str, list[Path]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"wrote {len(self.written)} figures (png, svg, pdf)"]
        lines += [f"  skipped {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def _load(data: str) -> dict[str, pd.DataFrame]:
    from divides import build

    return {"panel": build.load_panel(data=data), "gaps": build.load_gaps(data=data)}


def planned(figures_dir: Path, only: list[str] | None = None
            ) -> list[tuple[str, dict[str, object]]]:
    """(registry name, parameters) to draw: what the notebooks saved, then build-only defaults."""
    plans: dict[str, tuple[str, dict]] = {}
    for record in sorted((Path(figures_dir) / registry.INPUTS_DIR).glob("*.json")):
        saved = json.loads(record.read_text(encoding="utf-8"))
        plans[record.stem] = (saved["figure"], saved["parameters"])
    for name, fig_spec in registry.FIGURES.items():
        if fig_spec.stem() not in plans:
            plans[fig_spec.stem()] = (name, {})
    return [plan for stem, plan in sorted(plans.items())
            if not only or plan[0] in only or stem in only]


def write_all(data: str = "demo", out_dir: str | Path | None = None,
              only: list[str] | None = None, formats=export.FORMATS,
              dpi: int | None = None) -> GalleryResult:
    """Redraw the figures of ``data`` into ``reports/<data>/figures`` (or ``out_dir``).

    ``only`` limits the run to some registry names or file stems; ``dpi`` overrides the print
    resolution (tests).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir) if out_dir is not None else config.reports_dir(data) / "figures"
    build = _load(data)
    result = GalleryResult()
    for name, params in planned(out, only):
        stem = registry.spec(name).stem(**params)
        try:
            inputs = registry.load_inputs(name, out, build, **params)
        except registry.Unavailable as why:
            result.skipped[stem] = str(why)
            continue
        fig = registry.draw(name, inputs, **params)
        kwargs = {} if dpi is None else {"dpi": dpi}
        result.written[stem] = export.save_figure(fig, stem, out, formats=formats, **kwargs)
        plt.close("all")
    print(f"divides figures --data {data} into {out}: {result.summary()}")
    return result
