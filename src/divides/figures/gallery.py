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
from pathlib import Path, PurePosixPath

import pandas as pd

from divides import config
from divides.figures import export, registry

#: Where ``divides figures`` writes by default, inside the run's figures folder (the
#: figures the notebooks saved stay as they are).
EXPORT_DIR = "export"


@dataclass
class GalleryResult:
    written: dict[str, list[Path]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    formats: tuple[str, ...] = export.FORMATS

    def summary(self) -> str:
        lines = [f"wrote {len(self.written)} figures ({', '.join(self.formats)})"]
        lines += [f"  skipped {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def load_build(data: str) -> dict[str, pd.DataFrame]:
    from divides import build

    return {"panel": build.load_panel(data=data), "gaps": build.load_gaps(data=data)}


def run_inputs(figures_dir: Path) -> set[str] | None:
    """Names of the saved figure inputs the last run of this folder wrote (its ``run.json``),
    or None when there is no manifest (every saved input counts)."""
    manifest = Path(figures_dir).parent / "run.json"
    if not manifest.exists():
        return None
    run = json.loads(manifest.read_text(encoding="utf-8"))
    files = set(run.get("figures", []))
    for nb in run.get("notebooks", {}).values():
        files |= set(nb.get("files", []))
    return {PurePosixPath(f).name for f in files
            if PurePosixPath(f).parent.as_posix() == f"figures/{registry.INPUTS_DIR}"}


def planned(figures_dir: Path, only: list[str] | None = None,
            stale: dict[str, str] | None = None) -> list[tuple[str, dict[str, object]]]:
    """(registry name, parameters) to draw: what the notebooks saved, then build-only defaults.
    A saved input the last run did not write (an earlier run's, perhaps of a figure since
    renamed) is not drawn: it goes into ``stale`` (file stem -> why)."""
    plans: dict[str, tuple[str, dict]] = {}
    listed = run_inputs(figures_dir)
    for record in sorted((Path(figures_dir) / registry.INPUTS_DIR).glob("*.json")):
        if listed is not None and record.name not in listed:
            if stale is not None:
                stale[record.stem] = (f"{record.name} was left by an earlier run (not in "
                                      "run.json): not drawn")
            continue
        saved = json.loads(record.read_text(encoding="utf-8"))
        plans[record.stem] = (saved["figure"], saved["parameters"])
    for name, fig_spec in registry.FIGURES.items():
        if fig_spec.stem() not in plans:
            plans[fig_spec.stem()] = (name, {})
    if only:
        known = {n for n, _ in plans.values()} | set(plans)
        unknown = [o for o in only if o not in known]
        if unknown:
            raise ValueError(f"only: expected registry names or file stems, found {unknown}; "
                             f"known names: {sorted(registry.FIGURES)}")
    return [plan for stem, plan in sorted(plans.items())
            if not only or plan[0] in only or stem in only]


def drawn(data: str = "demo", figures_dir: str | Path | None = None,
          only: list[str] | None = None, width: str | float | None = None,
          grayscale: bool = False, build: dict[str, pd.DataFrame] | None = None):
    """Yield ``(stem, figure or None, reason skipped)`` for every figure of ``data``: the
    build figures, and the model figures from the inputs the notebooks saved in
    ``figures_dir`` (default ``reports/<data>/figures``), at ``width``, in colour or gray."""
    import matplotlib

    matplotlib.use("Agg")
    source = Path(figures_dir) if figures_dir is not None else \
        config.reports_dir(data) / "figures"
    stale: dict[str, str] = {}
    plans = planned(source, only, stale)  # unknown names fail before the build is read
    if not only:
        yield from ((stem, None, why) for stem, why in stale.items())
    build = build if build is not None else load_build(data)
    for name, params in plans:
        stem = registry.spec(name).stem(**params)
        try:
            inputs = registry.load_inputs(name, source, build, **params)
        except registry.Unavailable as why:
            yield stem, None, str(why)
            continue
        yield stem, registry.draw(name, inputs, width=width, grayscale=grayscale,
                                  **params), ""


def export_all(data: str = "demo", width: str | float | None = "single", dpi: int = 600,
               formats: tuple[str, ...] = ("tiff", "eps", "pdf"), grayscale: bool = False,
               decorations: bool = True, only: list[str] | None = None,
               out_dir: str | Path | None = None,
               figures_dir: str | Path | None = None) -> GalleryResult:
    """Every figure of the run of ``data`` (model figures included) for a journal.

    Written into ``out_dir`` (default ``reports/<data>/figures/export/``) as
    ``<stem>.<format>`` at ``width`` (``"single"`` 3.5 in, ``"double"`` 7.2 in, or inches;
    None: as drawn), ``dpi`` for TIFF and PNG, in ``grayscale`` or colour, with or without
    the drawn title and footer (``decorations``). A model figure whose notebook has not run
    is skipped with the reason (:attr:`GalleryResult.skipped`); nothing is fitted here.

    >>> import divides.figures
    >>> divides.figures.export_all("demo", width="single", dpi=600,
    ...                            formats=("tiff", "eps", "pdf"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    unknown = [f for f in formats if f not in export.ALL_FORMATS]
    if unknown:
        raise ValueError(f"formats: expected some of {export.ALL_FORMATS}, found {unknown}")
    figures_dir = Path(figures_dir) if figures_dir is not None else \
        config.reports_dir(data) / "figures"
    out = Path(out_dir) if out_dir is not None else figures_dir / EXPORT_DIR
    result = GalleryResult(formats=tuple(formats))
    for stem, fig, why in drawn(data, figures_dir, only, width=width, grayscale=grayscale):
        if fig is None:
            result.skipped[stem] = why
            continue
        result.written[stem] = export.save_figure(fig, stem, out, formats=tuple(formats),
                                                  dpi=dpi, decorations=decorations,
                                                  twins=False)
        plt.close("all")
    print(f"divides figures --data {data} into {out}: {result.summary()}")
    return result


def write_all(data: str = "demo", out_dir: str | Path | None = None,
              only: list[str] | None = None, formats=export.FORMATS,
              dpi: int | None = None) -> GalleryResult:
    """Redraw the figures of ``data`` into ``reports/<data>/figures`` (or ``out_dir``) as the
    notebooks drew them (their width, colour, title and footer).

    ``only`` limits the run to some registry names or file stems; ``dpi`` overrides the print
    resolution (tests).
    """
    import matplotlib.pyplot as plt

    out = Path(out_dir) if out_dir is not None else config.reports_dir(data) / "figures"
    result = GalleryResult(formats=tuple(formats))
    for stem, fig, why in drawn(data, out, only):
        if fig is None:
            result.skipped[stem] = why
            continue
        kwargs = {} if dpi is None else {"dpi": dpi}
        result.written[stem] = export.save_figure(fig, stem, out, formats=formats, **kwargs)
        plt.close("all")
    print(f"divides figures --data {data} into {out}: {result.summary()}")
    return result
