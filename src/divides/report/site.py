"""The report of a run: HTML and PDF, built with Sphinx and myst-nb from a run folder.

A run folder holds the executed notebooks (``<run>/notebooks/*.ipynb``), the figures they
saved (``<run>/figures/*.png``) and their tables (``<run>/tables/*.csv``); ``divides run``
writes ``reports/<data>/`` in that shape. :func:`build` writes

* ``<run>/report/index.html`` and one page per notebook: code folded, papermill's parameter
  cells left out, every saved figure shown after the cell that saved it, numbered and
  captioned with its title and footer (read from the PNG's ``Title`` and ``Description``);
* a front page (date of the run, data kind, editions and releases from the build manifest,
  parameters, package versions), a tables page (each CSV as a numbered table) and a
  sources page (citations from :mod:`divides.report.codebook`);
* ``<run>/report/report.pdf``: the document typeset with Typst (:mod:`divides.report.typeset`),
  code left out, figures and tables numbered in the same order as the HTML (:func:`outline`).

See docs/report.md.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat
import pandas as pd

from divides import config
from divides.figures import export
from divides.figures.registry import FIGURE_MARKER
from divides.report import codebook

#: Rows of a table shown in the report (the CSV linked beside it has them all).
TABLE_ROWS = 25
#: Packages whose versions the front page lists.
VERSIONED = ("divides", "pandas", "numpy", "statsmodels", "linearmodels", "pyfixest",
             "matplotlib", "geopandas", "mapclassify", "papermill", "sphinx", "myst-nb",
             "typst")
#: Cells papermill adds or the notebook reads its parameters in: shown on the front page.
PARAMETER_TAGS = {"parameters", "injected-parameters"}
_SAVE_CALL = re.compile(r"save_figure\(\s*\w+\s*,\s*(f?)[\"']([^\"']+)[\"']")
#: A table a code cell writes: ``tables_dir / "name.csv"`` or ``tables_dir / f"02_{x}"``.
_TABLE_WRITE = re.compile(r"tables_dir\s*/\s*(f?)[\"']([^\"']+)[\"']")


@dataclass
class Report:
    html: Path
    pdf: Path | None
    figures: int
    tables: int


def _listed(run_dir: Path, key: str) -> list[str] | None:
    """The files of ``key`` (``figures``, ``tables``) in the run manifest (``run.json``,
    written by :mod:`divides.run.runner`), or None when the folder has no manifest."""
    manifest = run_dir / "run.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get(key, [])


def run_notebooks(run_dir: Path) -> list[Path]:
    """The run's executed notebooks: those its manifest lists (an executed copy an earlier
    run left in the folder is not this run's), else every ``NN_*.ipynb``."""
    manifest = run_dir / "run.json"
    if manifest.exists():
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("notebooks", {})
        found = sorted(run_dir / e["executed"] for e in entries.values()
                       if e.get("status") != "failed")
    else:
        found = sorted((run_dir / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(f"{run_dir / 'notebooks'}: expected executed notebooks "
                                "(NN_name.ipynb), found none; run `divides run` first")
    return found


def run_figures(run_dir: Path) -> list[Path]:
    """The PNG figures of the run: those its run manifest (``run.json``, written by
    :mod:`divides.run.runner`) lists, so that files of an earlier run in the same folder never
    enter the report; without a manifest, every PNG in ``figures/``."""
    listed = _listed(run_dir, "figures")
    if listed is None:
        return sorted(p for p in (run_dir / "figures").glob("*.png")
                      if not export.is_plain_twin(p))
    return sorted(run_dir / f for f in listed if f.endswith(".png")
                  and Path(f).parent.name == "figures" and not export.is_plain_twin(f))


def run_tables(run_dir: Path) -> list[Path]:
    """The CSV tables of the run, as its manifest lists them (like :func:`run_figures`)."""
    listed = _listed(run_dir, "tables")
    if listed is None:
        return sorted((run_dir / "tables").glob("*.csv"))
    return sorted(run_dir / f for f in listed
                  if f.endswith(".csv") and Path(f).parent.name == "tables")


def figure_caption(png: Path) -> tuple[str, str]:
    """(title, footer) that :func:`divides.figures.export.save_figure` wrote into a PNG."""
    from PIL import Image

    with Image.open(png) as image:
        text = dict(getattr(image, "text", {}) or {})
    return text.get("Title", "") or png.stem.replace("_", " "), text.get("Description", "")


def saved_figures(source: str, figures_dir: Path) -> list[Path]:
    """PNG files a code cell saves with ``save_figure`` (f-string names matched as globs)."""
    found: list[Path] = []
    for is_f, name in _SAVE_CALL.findall(source):
        pattern = re.sub(r"\{[^}]*\}", "*", name) if is_f else name
        found += sorted(p for p in figures_dir.glob(f"{pattern}.png")
                        if not export.is_plain_twin(p))
    return found


def written_tables(source: str, tables: list[Path]) -> list[Path]:
    """The run's CSV tables a code cell writes to ``tables_dir`` (f-string names as globs)."""
    found: list[Path] = []
    for is_f, name in _TABLE_WRITE.findall(source):
        stem = name.removesuffix(".csv")
        pattern = re.compile(re.escape(stem).replace(r"\*", "*") if not is_f else
                             ".*".join(re.escape(p) for p in re.split(r"\{[^}]*\}", stem)))
        found += [t for t in tables if pattern.fullmatch(t.stem)]
    return found


@dataclass
class Chapter:
    """One notebook's part of the report: its executed file, and its figures and tables in
    the order the notebook saved them."""

    notebook: Path
    figures: list[Path]
    tables: list[Path]


def outline(run_dir: Path) -> tuple[list[Chapter], list[Path]]:
    """The run's chapters (one per notebook, in order) and the tables no notebook's code names
    (written by a library step, e.g. ``speccurve.csv``): HTML and PDF both number figures and
    tables in this one order."""
    figures_dir, tables = run_dir / "figures", run_tables(run_dir)
    chapters, claimed = [], set()
    for path in run_notebooks(run_dir):
        nb = nbformat.read(path, as_version=4)
        figs: list[Path] = []
        tabs: list[Path] = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            figs += cell_figures(cell, figures_dir)
            tabs += [t for t in written_tables(cell.source, tables) if t not in claimed]
            claimed |= set(tabs)
        chapters.append(Chapter(path, list(dict.fromkeys(figs)), list(dict.fromkeys(tabs))))
    return chapters, [t for t in tables if t not in claimed]


def cell_figures(cell, figures_dir: Path) -> list[Path]:
    """PNG figures a code cell saved (by its source, or marked in its outputs)."""
    marked = [o for o in cell.get("outputs", []) if FIGURE_MARKER in (o.get("metadata") or {})]
    pngs = saved_figures(cell.source, figures_dir) + [
        figures_dir / f"{o['metadata'][FIGURE_MARKER]}.png" for o in marked]
    return [p for p in dict.fromkeys(pngs) if p.exists()]


def figure_image(png: Path) -> Path:
    """The image the HTML shows for a saved figure: its twin without drawn title and footer
    (``export.PLAIN_PNG``; the caption and note say them), else the PNG itself."""
    plain = export.plain_twin(png)
    return plain if plain.exists() else png


def figure_block(png: Path, rel: str) -> str:
    """A numbered MyST figure: the image without its drawn title and footer
    (:func:`figure_image`), the caption its title, the footer (sources and editions) the
    legend below it: each said once. Text is escaped (:func:`md_text`)."""
    title, footer = figure_caption(png)
    image = figure_image(png)
    rel = str(Path(rel).with_name(image.name)) if image != png else rel
    legend = f"\n\n{md_text(footer)}" if footer else ""
    alt = " ".join(title.splitlines())
    return (f":::{{figure}} {rel}\n:name: fig-{png.stem.replace('_', '-')}\n"
            f":alt: {alt}\n:width: 100%\n\n{md_text(title.rstrip('.'))}.{legend}\n:::\n")


def prepare_notebook(executed: Path, figures_dir: Path, out: Path) -> tuple[dict, int]:
    """Copy of an executed notebook for the report; returns (its parameters, figures placed).

    Parameter cells are dropped (the front page lists the values), code is folded, image
    outputs of cells that save a figure are replaced by the saved figure, numbered and
    captioned, in a Markdown cell right after the code.
    """
    nb = nbformat.read(executed, as_version=4)
    params = dict(nb.metadata.get("papermill", {}).get("parameters", {}) or {})
    cells, placed = [], 0
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and tags & PARAMETER_TAGS:
            continue
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        cell.metadata["tags"] = sorted(tags | {"hide-input"})
        marked = [o for o in cell.get("outputs", [])
                  if FIGURE_MARKER in (o.get("metadata") or {})]
        pngs = cell_figures(cell, figures_dir)
        if pngs or marked:
            cell.outputs = [o for o in cell.outputs if "image/png" not in o.get("data", {})
                            and FIGURE_MARKER not in (o.get("metadata") or {})]
        cells.append(cell)
        for png in pngs:
            cells.append(nbformat.v4.new_markdown_cell(figure_block(png, f"figures/{png.name}")))
            placed += 1
    nb.cells = cells
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return params, placed


def run_date(notebooks: list[Path]) -> str:
    """When the run finished: the latest papermill end time of its notebooks (a run's own
    date, so rebuilding the report of one run gives the same front page)."""
    ends = []
    for path in notebooks:
        meta = nbformat.read(path, as_version=4).metadata.get("papermill", {})
        if meta.get("end_time"):
            ends.append(str(meta["end_time"]))
    return max(ends)[:16].replace("T", " ") + " UTC" if ends else "not recorded"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


#: Markdown punctuation that could start emphasis, a link, a role or a directive.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$])")


def md_text(value) -> str:
    """``value`` as literal text in MyST Markdown: HTML escaped (MyST passes raw HTML
    through, so a file named ``x<img src=x onerror=...>.csv`` would run in the report),
    Markdown punctuation backslash-escaped, line breaks made spaces."""
    text = " ".join(str(value).splitlines())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _md_table(frame: pd.DataFrame) -> str:
    """A Markdown table whose every header and cell is literal text (:func:`md_text`)."""
    cols = [md_text(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.astype(str).itertuples(index=False):
        lines.append("| " + " | ".join(md_text(v) for v in row) + " |")
    return "\n".join(lines)


def front_page(data: str, date: str, params: dict[str, dict], manifest: dict,
               pages: list[str]) -> str:
    """Markdown of the front page."""
    kind = ("synthetic demo data (invented values, not the publishers')" if data == "demo"
            else "real published data")
    out = [f"# divides report: {data} data", "",
           f"**Run finished:** {date}  ", f"**Data:** {kind}  ",
           f"**divides** {package_version('divides')}, Python {sys.version.split()[0]}", ""]
    if data == "demo":
        out += [(":::{warning}\nEvery number in this report comes from the synthetic demo "
                 "set, not from the publishers.\n:::"), ""]
    out += ["## Contents", "", "```{toctree}", ":maxdepth: 1", "", *pages, "tables",
            "sources", "```", "", "[The whole report as a PDF](report.pdf)", ""]
    releases = manifest.get("releases") or []
    out += ["## Editions and releases", ""]
    if releases:
        rows = pd.DataFrame([{
            "source": r.get("source", ""), "indicator": r.get("indicator", ""),
            "release": r.get("release", ""), "years": "-".join(str(y) for y in r.get("years", [])),
            "status": r.get("status", ""), "files": ", ".join(r.get("files", []))}
            for r in releases])
        out += [_md_table(rows), ""]
    files = manifest.get("file_releases") or {}
    if files:
        out += ["Edition of each input file, read from its content:", "",
                _md_table(pd.DataFrame({"file": list(files), "edition": list(files.values())})),
                ""]
    if not releases and not files:
        out += ["The build manifest records no releases for this data.", ""]
    out += ["## Parameters", ""]
    rows = [{"notebook": nb, "parameter": k, "value": json.dumps(v)}
            for nb, p in params.items() for k, v in sorted(p.items())]
    out += [_md_table(pd.DataFrame(rows)) if rows else "No parameters recorded.", ""]
    out += ["## Package versions", "",
            _md_table(pd.DataFrame({"package": list(VERSIONED),
                                    "version": [package_version(p) for p in VERSIONED]})), ""]
    return "\n".join(out)


def tables_page(tables: list[Path], staging: Path) -> tuple[str, int]:
    """Markdown of the tables page: each CSV as a numbered table (first rows), linked whole."""
    out = ["# Tables", "", (f"Each table the notebooks wrote, its first {TABLE_ROWS} rows at "
                            "most; the link gives the whole CSV."), ""]
    target = staging / "tables"
    target.mkdir(parents=True, exist_ok=True)
    n = 0
    for csv in tables:
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        shutil.copy2(csv, target / csv.name)
        shown = frame.head(TABLE_ROWS)
        shown.to_csv(target / f"{csv.stem}.shown.csv", index=False, lineterminator="\n")
        note = (f" (first {TABLE_ROWS} of {len(frame)} rows)" if len(frame) > TABLE_ROWS
                else "")
        out += [f":::{{csv-table}} {md_text(csv.stem)}{note}", f":name: tab-{csv.stem.replace('_', '-')}",
                f":file: tables/{csv.stem}.shown.csv", ":header-rows: 1", ":::", "",
                f"{{download}}`{csv.name} <tables/{csv.name}>`", ""]
        n += 1
    if not n:
        out += ["This run wrote no tables.", ""]
    return "\n".join(out), n


def sources_page() -> str:
    """Markdown of the sources and citations page (``data/sources.csv``)."""
    table = codebook.citations_table()
    out = ["# Sources and citations", "",
           ("Every source the project reads, as it asks to be cited. `divides codebook` writes "
            "the same entries as BibTeX and CSL-JSON with the releases a build used."), ""]
    for row in table.itertuples(index=False):
        licence = f" Licence: {md_text(row.licence)}." if row.licence else ""
        who = f"**{md_text(row.publisher)}** ({md_text(row.source)})"
        out += [f"{who}: {md_text(row.citation)} <{row.url}>{licence}", ""]
    return "\n".join(out)


CONF = '''# Sphinx configuration written by divides.report (not edited by hand).
project = {title!r}
author = "divides"
extensions = ["myst_nb"]
nb_execution_mode = "off"
nb_merge_streams = True
numfig = True
numfig_format = {{"figure": "Figure %s", "table": "Table %s"}}
myst_enable_extensions = ["colon_fence"]
html_theme = "alabaster"
html_title = {title!r}
html_theme_options = {{"page_width": "1100px", "sidebar_width": "230px"}}
html_show_sourcelink = False
html_copy_source = False
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]
'''


def _sphinx(builder: str, src: Path, out: Path, *extra: str) -> None:
    cmd = [sys.executable, "-m", "sphinx", "-b", builder, "-q", "-d", str(src / "_doctrees"),
           *extra, str(src), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"sphinx -b {builder} failed ({done.returncode}):\n"
                           f"{done.stderr[-3000:]}")


def build(run_dir: str | Path, data: str | None = None, pdf: bool = True) -> Report:
    """Write the report of the run in ``run_dir`` into ``<run_dir>/report/`` (HTML and PDF).

    ``data`` defaults to the ``data`` parameter the notebooks ran with.
    """
    run_dir = Path(run_dir)
    notebooks = run_notebooks(run_dir)
    figures_dir = run_dir / "figures"
    staging = run_dir / "_report_src"
    out = run_dir / "report"
    for d in (staging, out):
        if d.exists():
            shutil.rmtree(d)
    (staging / "figures").mkdir(parents=True)
    for png in run_figures(run_dir):
        shutil.copy2(png, staging / "figures" / png.name)
        if figure_image(png) != png:
            shutil.copy2(figure_image(png), staging / "figures" / figure_image(png).name)
    params, pages, placed = {}, [], 0
    for nb in notebooks:
        p, n = prepare_notebook(nb, figures_dir, staging / nb.name)
        params[nb.stem], placed, pages = p, placed + n, pages + [nb.stem]
    data = data or next((str(p["data"]) for p in params.values() if "data" in p), None)
    if data is None:
        raise ValueError(f"{run_dir}: expected a 'data' parameter in the executed notebooks' "
                         "papermill metadata, found none; pass data=")
    manifest_path = config.processed_dir(data) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    date = run_date(notebooks)
    (staging / "index.md").write_text(front_page(data, date, params, manifest, pages),
                                      encoding="utf-8")
    chapters, further = outline(run_dir)
    ordered = [t for c in chapters for t in c.tables] + further
    text, n_tables = tables_page(ordered, staging)
    (staging / "tables.md").write_text(text, encoding="utf-8")
    (staging / "sources.md").write_text(sources_page(), encoding="utf-8")
    title = f"divides report: {data} data"
    (staging / "conf.py").write_text(CONF.format(
        title=title, date=date, subtitle="synthetic demo data" if data == "demo"
        else "real published data"), encoding="utf-8")
    _sphinx("html", staging, out)
    pdf_path = None
    if pdf:
        from divides.report import typeset  # typst: only when a PDF is asked for

        pdf_path = typeset.write_pdf(run_dir, out / "report.pdf", data).path
    shutil.rmtree(staging)
    return Report(html=out / "index.html", pdf=pdf_path, figures=placed, tables=n_tables)
