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
from divides.models import narrative
from divides.models import tables as model_tables
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


def table_display(csv: Path):
    """What the report shows of a CSV table: the regression table of tidy model rows, else
    the frame in words and sensible digits (:mod:`divides.models.tables`), first
    :data:`TABLE_ROWS` rows."""
    return model_tables.read_table(csv, TABLE_ROWS)


def table_block(csv: Path, number: int, rel: str = "tables") -> str:
    """MyST of a numbered table: a raw HTML block (caption "Table N: ...", the table in a
    block that scrolls sideways when wider than the column, its note), then a link to the
    whole CSV. ``number`` is its place in :func:`outline`, as in the PDF."""
    shown = table_display(csv)
    anchor = "tab-" + re.sub(r"[^A-Za-z0-9]+", "-", csv.stem).strip("-").lower()
    caption = f"Table {number}: {model_tables.table_caption(csv).rstrip('.')}."
    body = shown.to_html(caption=caption).replace(
        '<div class="table-wrap"', f'<div class="table-wrap" id="{anchor}"', 1)
    return (f"```{{raw}} html\n{body}\n```\n\n"
            f"{{download}}`The whole table (CSV) <{rel}/{safe_name(csv)}>`\n")


def safe_name(csv: Path) -> str:
    """The name a table's CSV is copied under for the report: letters, digits, ``._-``
    only (a file name is text from outside; it never reaches a link or markup as is)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", csv.name)


def table_numbers(chapters: list, further: list[Path]) -> dict[Path, int]:
    """Each table's number: its place in :func:`outline` (notebook tables in the order their
    cells write them, then the library steps'), the order the PDF numbers them in."""
    ordered = [t for c in chapters for t in c.tables] + further
    return {t: i + 1 for i, t in enumerate(ordered)}


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


def _is_saved_table(output) -> bool:
    """Whether an output displays a table the notebook saved (marked by
    :mod:`divides.models.tables`): the report shows the saved one, numbered, instead."""
    html_text = (output.get("data") or {}).get("text/html", "")
    html_text = html_text if isinstance(html_text, str) else "".join(html_text)
    return model_tables.SAVED_ATTR in html_text


def prepare_notebook(executed: Path, figures_dir: Path, out: Path,
                     numbers: dict[Path, int] | None = None) -> tuple[dict, int]:
    """Copy of an executed notebook for the report; returns (its parameters, figures placed).

    Parameter cells are dropped (the front page lists the values), code is folded, image
    outputs of cells that save a figure are replaced by the saved figure, numbered and
    captioned, in a Markdown cell right after the code; so are the HTML tables of a cell
    that writes a table (``numbers``: each run table's number, :func:`table_numbers`),
    by the table read back from its CSV, numbered as in the PDF.
    """
    numbers = dict(numbers or {})
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
        written = written_tables(cell.source, list(numbers))
        if written:
            cell.outputs = [o for o in cell.outputs if not _is_saved_table(o)]
        cells.append(cell)
        for png in pngs:
            cells.append(nbformat.v4.new_markdown_cell(figure_block(png, f"figures/{png.name}")))
            placed += 1
        for csv in written:
            cells.append(nbformat.v4.new_markdown_cell(table_block(csv, numbers.pop(csv))))
    nb.cells = cells
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return params, placed


def headlines(nb) -> list[str]:
    """The Markdown a notebook displayed as its headline findings
    (:data:`divides.models.narrative.HEADLINE`)."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = (o.get("data") or {}).get("text/markdown")
            if text and narrative.is_headline(o):
                out.append(text if isinstance(text, str) else "".join(text))
    return out


def run_summary(nbs) -> str:
    """The report's summary: one short paragraph, the first sentence of each notebook's
    headline findings (:func:`divides.models.narrative.summary`)."""
    return narrative.summary([h for nb in nbs for h in headlines(nb)])


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
               pages: list[str], summary: str = "") -> str:
    """Markdown of the front page: what the run is, the summary (:func:`run_summary`) and the
    contents; editions, files, parameters and versions are the appendix
    (:func:`appendix_page`)."""
    kind = ("synthetic demo data (invented values, not the publishers')" if data == "demo"
            else "real published data")
    out = [f"# divides report: {data} data", "",
           f"**Run finished:** {date}  ", f"**Data:** {kind}  ",
           f"**divides** {package_version('divides')}, Python {sys.version.split()[0]}", ""]
    if data == "demo":
        out += [(":::{warning}\nEvery number in this report comes from the synthetic demo "
                 "set, not from the publishers.\n:::"), ""]
    if summary:
        out += ["## Summary", "", summary, ""]
    out += ["## Contents", "", "```{toctree}", ":maxdepth: 1", "", *pages, "tables",
            APPENDIX, "sources", "```", "", "[The whole report as a PDF](report.pdf)", ""]
    return "\n".join(out)


def _indicator_words(indicator: str) -> str:
    """An indicator's name in the catalogue (its publisher's wording), else the registry's
    label of it (:func:`divides.models.tables.cell_words`)."""
    from divides import catalogue

    names = catalogue.indicators().drop_duplicates("indicator").set_index("indicator")["name"]
    found = names.get(indicator)
    return str(found) if isinstance(found, str) and found else \
        model_tables.cell_words("indicator", indicator)


#: The appendix page's name (editions, files, parameters in effect, package versions).
APPENDIX = "appendix"


def appendix_page(params: dict[str, dict], manifest: dict) -> str:
    """Markdown of the appendix: the editions and releases the build used (sources and
    indicators in words), the edition of each input file, each notebook's parameters in
    effect and the package versions."""
    out = ["# Appendix: editions, files, parameters and versions", ""]
    releases = manifest.get("releases") or []
    out += ["## Editions and releases", ""]
    if releases:
        rows = pd.DataFrame([{
            "Source": model_tables.cell_words("source", str(r.get("source", ""))),
            "Indicator": _indicator_words(str(r.get("indicator", ""))),
            "Release": r.get("release", ""),
            "Years": "-".join(str(y) for y in r.get("years", [])),
            "Status": str(r.get("status", "")).replace("_", " "),
            "Files": ", ".join(r.get("files", []))} for r in releases])
        out += [_md_table(rows), ""]
    files = manifest.get("file_releases") or {}
    if files:
        out += ["## Files", "", "The edition of each input file, read from its content.", "",
                _md_table(pd.DataFrame({"File": list(files), "Edition": list(files.values())})),
                ""]
    if not releases and not files:
        out += ["The build manifest records no releases for this data.", ""]
    out += ["## Parameters in effect", ""]
    rows = [{"Notebook": nb, "Parameter": k, "Value": json.dumps(v)}
            for nb, p in params.items() for k, v in sorted(p.items())]
    out += [_md_table(pd.DataFrame(rows)) if rows else "No parameters recorded.", ""]
    out += ["## Package versions", "",
            _md_table(pd.DataFrame({"Package": list(VERSIONED),
                                    "Version": [package_version(p) for p in VERSIONED]})), ""]
    return "\n".join(out)


def tables_page(tables: list[Path], staging: Path,
                numbers: dict[Path, int] | None = None) -> tuple[str, int]:
    """Markdown of the tables page: each table as the notebook pages show it, with its
    number (``numbers``, default: their order here), caption and note, linked whole."""
    out = ["# Tables", "", ("Every table of the run, numbered as in the notebook pages and "
                            f"the PDF; a table longer than {TABLE_ROWS} rows shows its first "
                            f"{TABLE_ROWS}, and its link gives the whole CSV."), ""]
    target = staging / "tables"
    target.mkdir(parents=True, exist_ok=True)
    n = 0
    for i, csv in enumerate(tables):
        shutil.copy2(csv, target / safe_name(csv))
        number = (numbers or {}).get(csv, i + 1)
        out += [table_block(csv, number), ""]
        n += 1
    if not n:
        out += ["This run wrote no tables.", ""]
    return "\n".join(out), n


#: The sweeps of a default run's folder (``divides sweep``, :mod:`divides.run.sweep`).
SWEEPS_FOLDER = "sweeps"
#: The sweep table's columns the report shows (besides the swept parameters).
SWEEP_SHOWN = ("status", "name", "estimate", "ci_low", "ci_high", "p_value", "n")


def sweeps_page(run_dir: Path, staging: Path) -> tuple[str, int]:
    """Markdown of the sweeps page: each sweep in ``<run_dir>/sweeps/`` (its command, its
    forest figure, its table of headline estimates, one row per member and estimate);
    ``("", 0)`` when there is none."""
    found = sorted((run_dir / SWEEPS_FOLDER).glob("*/sweep.json"))
    if not found:
        return "", 0
    out = ["# Sweeps", "", ("Each sweep ran a notebook once per combination of parameter values "
                            "(`divides sweep`); its members' headline estimates are gathered "
                            "below, one row per member and estimate, with the interval and "
                            "p-value each notebook declares."), ""]
    target = staging / "sweeps"
    target.mkdir(parents=True, exist_ok=True)
    for i, manifest_path in enumerate(found, 1):
        folder = manifest_path.parent
        staged = f"sweep-{i}"  # the folder's name has '+' (URL-quoted by Sphinx)
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        table = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
        grid = list(manifest.get("grid", {}))
        shown = table[[c for c in (*grid, *SWEEP_SHOWN) if c in table.columns]]
        failed = int((table.get("status", pd.Series(dtype=str)) == "failed").sum())
        out += [(f"## {md_text(', '.join(manifest['notebooks']))}: "
                 f"{md_text(' x '.join(grid))}"), "",
                f"`{manifest['command']}`: {len(manifest['members'])} members"
                + (f", {failed} failed" if failed else "") + ".", ""]
        if manifest.get("figure") and (folder / manifest["figure"]).exists():
            png = target / f"{staged}.png"
            shutil.copy2(folder / manifest["figure"], png)
            out += [(f"![Headline estimates by member: {md_text(', '.join(grid))}]"
                     f"(sweeps/{png.name})"), ""]
        shown.to_csv(target / f"{staged}.csv", index=False, lineterminator="\n")
        out += [":::{csv-table} Headline estimates by member",
                f":file: sweeps/{staged}.csv", ":header-rows: 1", ":::", ""]
    return "\n".join(out), len(found)


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
html_static_path = ["_static"]
html_css_files = ["divides.css"]
html_show_sourcelink = False
html_copy_source = False
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]
'''


#: The report's own style: no output wider than the text column (wide tables and code
#: scroll sideways in their block, images shrink), tables set as in a journal.
CSS = """div.body { min-width: 0; max-width: 100%; }
div.table-wrap, div.cell_output, div.output, div.highlight, div.body pre {
  max-width: 100%; overflow-x: auto; }
div.body table.docutils { display: block; max-width: 100%; overflow-x: auto; }
div.body img { max-width: 100%; height: auto; }
div.table-wrap { margin: 1.2em 0; }
div.table-wrap table { border-collapse: collapse; font-size: 0.88em;
  border-top: 1.5px solid #222; border-bottom: 1.5px solid #222; }
div.table-wrap caption { caption-side: top; text-align: left; font-weight: bold;
  padding-bottom: 0.4em; }
div.table-wrap thead th { border-bottom: 1px solid #222; }
div.table-wrap table.regression-table { font-size: 0.82em; }
a.download code { font-family: inherit; font-size: 0.85em; font-weight: normal;
  background: none; }
table.data-table td, table.data-table th { max-width: 24em; }
div.table-wrap td { font-variant-numeric: tabular-nums; }
p.table-note { font-size: 0.82em; color: #333; margin-top: 0.4em; max-width: 100%; }
"""


#: JavaScript that lists the outputs of a page wider than its text column (``div.body``,
#: the main article): every table, image, figure, code block and cell output whose box
#: (with any content spilling out of it), or the block that scrolls it sideways, reaches
#: past the column; and the page itself
#: when it scrolls sideways. The browser tests run it on every page of the report.
OVERFLOW_JS = """
const column = document.querySelector('[role=main]') || document.querySelector('div.body');
if (!column) { return [['no content column', 0, 0]]; }
const limit = column.getBoundingClientRect();
const bad = [];
const scroller = (el) => {
  for (let e = el; e && e !== column; e = e.parentElement) {
    const x = getComputedStyle(e).overflowX;
    if (x === 'auto' || x === 'scroll') { return e; }
  }
  return null;
};
const what = 'table, img, svg, pre, figure, div.cell_output, div.output, div.table-wrap';
for (const el of column.querySelectorAll(what)) {
  const own = el.getBoundingClientRect();
  if (own.width === 0) { continue; }
  const scrolls = scroller(el);
  const box = (scrolls || el).getBoundingClientRect();
  // content that spills out of a block that does not scroll is as wide as its content
  const spill = !scrolls && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
  const right = spill ? box.left + el.scrollWidth : box.right;
  if (box.left < limit.left - 1 || right > limit.right + 1) {
    bad.push([el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' +
              (el.className && el.className.baseVal === undefined ? el.className : ''),
              Math.round(right - box.left), Math.round(limit.width)]);
  }
}
if (document.documentElement.scrollWidth > window.innerWidth) {
  bad.push(['page', document.documentElement.scrollWidth, window.innerWidth]);
}
return bad;
"""


def run_sphinx(builder: str, src: Path, out: Path, *extra: str) -> None:
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
    chapters, further = outline(run_dir)
    numbers = table_numbers(chapters, further)
    own = {c.notebook: {t: numbers[t] for t in c.tables} for c in chapters}
    params, pages, placed = {}, [], 0
    for nb in notebooks:
        p, n = prepare_notebook(nb, figures_dir, staging / nb.name, own.get(nb, {}))
        params[nb.stem], placed, pages = p, placed + n, pages + [nb.stem]
    data = data or next((str(p["data"]) for p in params.values() if "data" in p), None)
    if data is None:
        raise ValueError(f"{run_dir}: expected a 'data' parameter in the executed notebooks' "
                         "papermill metadata, found none; pass data=")
    manifest_path = config.processed_dir(data) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    date = run_date(notebooks)
    summary = run_summary([nbformat.read(nb, as_version=4) for nb in notebooks])
    text, n_tables = tables_page(list(numbers), staging, numbers)
    (staging / "_static").mkdir(exist_ok=True)
    (staging / "_static" / "divides.css").write_text(CSS, encoding="utf-8")
    (staging / "tables.md").write_text(text, encoding="utf-8")
    (staging / "sources.md").write_text(sources_page(), encoding="utf-8")
    sweeps_text, n_sweeps = sweeps_page(run_dir, staging)
    if n_sweeps:
        (staging / "sweeps.md").write_text(sweeps_text, encoding="utf-8")
    (staging / "index.md").write_text(front_page(data, date, params, manifest,
                                                 pages + (["sweeps"] if n_sweeps else []),
                                                 summary), encoding="utf-8")
    (staging / f"{APPENDIX}.md").write_text(appendix_page(params, manifest), encoding="utf-8")
    title = f"divides report: {data} data"
    (staging / "conf.py").write_text(CONF.format(
        title=title, date=date, subtitle="synthetic demo data" if data == "demo"
        else "real published data"), encoding="utf-8")
    run_sphinx("html", staging, out)
    pdf_path = None
    if pdf:
        from divides.report import typeset  # typst: only when a PDF is asked for

        pdf_path = typeset.write_pdf(run_dir, out / "report.pdf", data).path
    shutil.rmtree(staging)
    return Report(html=out / "index.html", pdf=pdf_path, figures=placed, tables=n_tables)
