"""The report's PDF, typeset with Typst (the ``typst`` package: offline, fonts embedded).

:func:`write_pdf` writes ``report.pdf`` from a run folder alone: front matter (title, authors
and abstract from ``data/report/front_matter.toml`` or the run's ``report.toml``, then a
summary made of the sentences the notebooks computed from their results), one chapter per
notebook (its Markdown text and computed sentences, its figures as vector PDF and its tables
from the CSVs, in the order :func:`divides.report.site.outline` gives the HTML too; code left
out), appendices (editions and releases, files, parameters in effect, package versions,
sources) and a bibliography from the run's ``citations.bib``. The same run gives the same
bytes: a fixed timestamp, no system fonts, no ``@preview`` package.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import string
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
from markdown_it import MarkdownIt

from divides import config
from divides.figures.export import PLAIN_PDF
from divides.models import tables as model_tables
from divides.report import site

#: Rows of a table typeset in the PDF (the CSV in ``tables/`` has them all); as in the HTML.
TABLE_ROWS = site.TABLE_ROWS
#: Width of the text block in characters of the tables' 7.5 pt type (upright, sideways),
#: estimated from 0.5 em per character; a table wider than sideways room is split by columns
#: into upright groups.
PORTRAIT_CHARS, LANDSCAPE_CHARS = 78, 120
#: Width of a sideways table: the text block's height (A4, 25 mm margins) less a little.
SIDEWAYS_WIDTH_MM = 240
#: Millimetres per character of the tables' 7.5 pt type (0.5 em and a little).
MM_PER_CHAR = 1.45
#: A table cell wraps at spaces; its column is sized for at most this many characters a line.
WRAP_CHARS = 22
#: A regression table's row labels wrap beyond this many characters; its model names beyond
#: this many.
REG_LABEL_CHARS, REG_HEADER_CHARS = 26, 12
#: A regression table's detail rows (estimator, errors) wrap beyond this many characters.
REG_DETAIL_CHARS = 13
#: Width of the text block (A4 less 22 mm margins each side).
TEXT_WIDTH_MM = 166
#: Fixed creation time of every PDF (byte-identical output): 2000-01-01 00:00 UTC.
TIMESTAMP = 946684800
_ESCAPE = {c: "\\" + c for c in string.punctuation}
_P_COLUMNS = {"p", "p_value", "pvalue", "p_wild", "placebo_p"}


@dataclass
class Pdf:
    path: Path
    chapters: list[str]
    figures: int
    tables: int


# -- text ---------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Plain text as Typst markup: every ASCII punctuation mark escaped, so nothing in a
    notebook's text can open a function, a label or a comment."""
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    return "".join(_ESCAPE.get(ch, ch) for ch in text)


def string_literal(text: str) -> str:
    """``text`` as a Typst string literal."""
    text = "".join(ch for ch in str(text) if ch.isprintable())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _inline(tokens) -> str:
    out = []
    for tok in tokens:
        kind = tok.type
        if kind == "text":
            out.append(escape(tok.content))
        elif kind == "code_inline":
            out.append(f"#raw({string_literal(tok.content)})")
        elif kind in ("strong_open", "em_open"):
            out.append("#strong[" if kind == "strong_open" else "#emph[")
        elif kind in ("strong_close", "em_close", "link_close"):
            out.append("]")
        elif kind == "link_open":
            out.append(f"#link({string_literal(tok.attrs.get('href', ''))})[")
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\\ ")
        elif kind in ("html_inline", "image"):
            out.append(escape(tok.content))
    return "".join(out)


def markdown(text: str, first_heading: bool = False) -> tuple[str, str | None]:
    """Typst markup of a Markdown text, and the text of its first level-1 heading when
    ``first_heading`` (the chapter's title, left to the caller; a later level-1 heading
    becomes level 2, so that each notebook is one top-level entry)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list[str] = []
    title = None
    lists: list[str] = []
    for i, tok in enumerate(tokens):
        kind = tok.type
        if kind == "heading_open":
            level = int(tok.tag[1])
            content = _inline(tokens[i + 1].children or [])
            if level == 1 and first_heading and title is None:
                title = tokens[i + 1].content
                tokens[i + 1].children = []
                continue
            level = max(level, 2)
            out.append("\n" + "=" * level + " " + content + "\n")
            tokens[i + 1].children = []
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("-" if kind == "bullet_list_open" else "+")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            out.append("\n")
        elif kind == "list_item_open":
            out.append("\n" + "  " * (len(lists) - 1) + lists[-1] + " ")
        elif kind == "inline" and tok.children:
            out.append(_inline(tok.children))
        elif kind == "paragraph_close" and not lists:
            out.append("\n\n")
        elif kind in ("fence", "code_block"):
            out.append(f"\n#raw(block: true, {string_literal(tok.content)})\n")
    return "".join(out), title


# -- tables -------------------------------------------------------------------------------


#: A table's headers, cells and notes in words: shared with the HTML report and notebooks.
header_words = model_tables.header_words
words_for_columns = model_tables.words_for_columns
format_column = model_tables.format_column


@dataclass
class TableText:
    parts: list[str]  # Typst code of each part (a wide table's column groups)
    chars: list[int]  # estimated width of each part, in characters
    landscape: bool
    note: str
    keep_together: bool = False  # on one page (a regression table)


def _longest_word(texts: list[str]) -> int:
    return max((len(w) for text in texts for w in text.split()), default=1)


def _width(header: str, cells: list[str]) -> int:
    """Characters a column needs: its longest cell or header up to :data:`WRAP_CHARS`
    (wrapping at spaces), never less than its longest word. Narrower estimates let Typst
    squeeze columns until numbers run into their neighbours (the PDF test catches it)."""
    words = [w for text in [header, *cells] for w in text.split()]
    longest_word = max((len(w) for w in words), default=1)
    longest = max((len(c) for c in cells), default=1)
    return max(longest_word, min(longest, WRAP_CHARS), min(len(header), WRAP_CHARS)) + 2


def table(csv: Path) -> TableText:
    """Typst code of a CSV table: a regression table for tidy model rows
    (:func:`regression_table`); else constant columns as a note below ("In every row:
    ..."), numbers formatted, headers in words, the first :data:`TABLE_ROWS` rows
    (:func:`divides.models.tables.display_frame`); upright when it fits, sideways when it
    fits so, else split into column groups that repeat the first (key) column."""
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if model_tables.is_tidy(frame):
        return regression_table(model_tables.read_regression(csv))
    shown, note = model_tables.display_frame(frame, TABLE_ROWS, f"tables/{csv.name}")
    headers = list(shown.columns)
    cells = [shown.iloc[:, i].tolist() for i in range(len(headers))]
    widths = [_width(h, c) for h, c in zip(headers, cells)]
    numeric = [all(v == "" or re.fullmatch(r"[\u2212<>\d., -]+", v) for v in c) for c in cells]
    return layout(headers, cells, widths, numeric, note)


def regression_table(reg) -> TableText:
    """Typst code of a :class:`divides.models.tables.RegressionTable`: models as columns,
    coefficients over their errors, a rule above the model details, the note below."""
    body = reg.body
    headers = ["", *body.columns]
    cells = [list(body.index), *[body.iloc[:, i].tolist() for i in range(body.shape[1])]]
    # model columns as wide as their numbers (text in the detail rows wraps at spaces), the
    # labels' column up to REG_LABEL_CHARS
    widths = [max(_longest_word(cells[0]), min(max(map(len, cells[0])), REG_LABEL_CHARS)) + 2]
    for header, column in zip(headers[1:], cells[1:]):
        numbers, details = column[:reg.n_coef_rows], column[reg.n_coef_rows:]
        widths.append(max(max(map(len, numbers), default=1), _longest_word([header, *column]),
                          min(max(map(len, details), default=1), REG_DETAIL_CHARS),
                          min(len(header), REG_HEADER_CHARS)) + 2)
    numeric = [False] + [True] * body.shape[1]
    # its columns have set widths, so the whole text block (or page, sideways) is usable
    return layout(headers, cells, widths, numeric, reg.note, rule_after=reg.n_coef_rows,
                   center=True, portrait_chars=int(TEXT_WIDTH_MM / MM_PER_CHAR),
                   landscape_chars=int(SIDEWAYS_WIDTH_MM / MM_PER_CHAR) - 8)


def layout(headers: list[str], cells: list[list[str]], widths: list[int],
            numeric: list[bool], note: str, rule_after: int | None = None,
            center: bool = False, portrait_chars: int = PORTRAIT_CHARS,
            landscape_chars: int = LANDSCAPE_CHARS) -> TableText:
    """Typst tables of the columns: upright when they fit the text block, sideways when
    they fit so, else upright in column groups that repeat the row-naming columns, one under
    the other (a table turned sideways in pieces, with the text running on below the last
    piece, is not how journals print). ``rule_after`` draws a thin rule after that many body
    rows (a regression table's coefficients)."""
    landscape = portrait_chars < sum(widths) <= landscape_chars
    limit = landscape_chars if landscape else portrait_chars
    groups: list[list[int]] = [list(range(len(headers)))]
    if sum(widths) > limit:
        # every group repeats the leading text columns that name a row (e.g. key regressor
        # and estimator), as long as they leave a third of the width to the others
        keys = [0]
        while (len(keys) < len(headers) - 1 and not numeric[len(keys)]
               and sum(widths[i] for i in keys) + widths[len(keys)] <= 2 * limit // 3):
            keys.append(len(keys))
        key_width = sum(widths[i] for i in keys)
        groups, current, used = [], list(keys), key_width
        for i in range(len(keys), len(headers)):
            if used + widths[i] > limit and len(current) > len(keys):
                groups.append(current)
                current, used = list(keys), key_width
            current.append(i)
            used += widths[i]
        groups.append(current)
    n_rows = len(cells[0]) if cells else 0
    parts, chars = [], []
    for group in groups:
        used = sum(widths[i] for i in group)
        if rule_after is None:
            # a group with room to spare is as wide as its cells unwrapped (up to the
            # sideways width): a long cell wraps only where it must, so that the rows of a
            # sideways table stay within the page
            natural = sum(max([len(c) for c in cells[i]] + [_longest_word([headers[i]])]) + 2
                          for i in group)
            used = max(used, min(natural, limit))
        chars.append(used)
        align = ", ".join(("center" if center else "right") if numeric[i] else "left"
                          for i in group)
        head = ", ".join(f"[#strong({string_literal(headers[i])})]" for i in group)
        # each column as wide as its estimate (a regression table's), else sized by Typst
        cols = ("(" + ", ".join(f"{widths[i] * MM_PER_CHAR:.1f}mm" for i in group) + ",)"
                if rule_after is not None else str(len(group)))
        rows = [", ".join(string_literal(cells[i][r]) for i in group) for r in range(n_rows)]
        if rule_after is not None:
            # a coefficient's label spans its row and its error's, so the two stay together
            # beside a label that wraps
            for r in range(0, min(rule_after, n_rows - 1), 2):
                label = f"table.cell(rowspan: 2, {string_literal(cells[group[0]][r])})"
                rows[r] = ", ".join([label, *(string_literal(cells[i][r]) for i in group[1:])])
                rows[r + 1] = ", ".join(string_literal(cells[i][r + 1]) for i in group[1:])
        if rule_after is not None and 0 < rule_after < n_rows:
            rows.insert(rule_after, "table.hline(stroke: 0.5pt)")
        body = ",\n    ".join(rows)
        parts.append(f"table(columns: {cols}, align: ({align},), stroke: none, "
                     f"inset: (x: 3pt, y: 2pt),\n  table.hline(), table.header({head}), "
                     f"table.hline(stroke: 0.5pt),\n    {body},\n  table.hline())")
    return TableText(parts, chars, landscape, note, keep_together=rule_after is not None)

# -- the document -------------------------------------------------------------------------


def _caption(csv: Path) -> str:
    """A table's caption: the one the notebook gave (its caption file), else from its file
    name (:func:`divides.models.tables.table_caption`)."""
    return model_tables.table_caption(csv)


def figure_source(png: Path) -> tuple[Path, bool]:
    """The vector twin of a saved figure and whether its title and footer are drawn in it:
    the PDF without them (``export.PLAIN_PDF``), else the PDF or SVG, else the PNG."""
    plain = png.parent / f"{png.stem}{PLAIN_PDF}"
    if plain.exists():
        return plain, False
    for suffix in (".pdf", ".svg"):
        if png.with_suffix(suffix).exists():
            return png.with_suffix(suffix), True
    return png, True


def _figure(png: Path, rel: str) -> str:
    title, footer = site.figure_caption(png)
    note = f"#block(width: 100%, text(size: 8pt)[{escape(footer)}])" if footer else ""
    label = "fig-" + png.stem.replace("_", "-")
    return (f"#block(breakable: false)[#figure(image({string_literal(rel)}, width: 100%, "
            f"height: auto), caption: [{escape(title.rstrip('.'))}.]) <{label}>\n{note}]\n")


def _table_block(csv: Path) -> str:
    """A numbered table with its note. A table wider than the text block is set sideways
    (turned a quarter, as journals print wide tables; a page may hold several), in the flow
    so that tables keep their numbers' order; each column group of a split table is its
    own sideways block."""
    t = table(csv)
    label = "tab-" + csv.stem.replace("_", "-").replace(".", "-")
    note = f"\n#text(size: 8pt)[{escape(t.note)}]" if t.note else ""
    first = (f"#figure({t.parts[0]}, caption: [{escape(_caption(csv))}.], kind: table) "
             f"<{label}>")
    rest = [f"#block[#emph[@{label}, continued.]]\n#align(center, {p})" for p in t.parts[1:]]
    setting = "#set text(size: 7.5pt, hyphenate: false)\n#set par(justify: false)"
    if not t.landscape:
        # a regression table (shorter than a page) stays on one page with its caption
        opening = "#block(breakable: false)[" if t.keep_together else "#["
        return f"{opening}{setting}\n{first}\n{chr(10).join(rest)}{note}]\n"
    blocks = [first, *rest]
    blocks[-1] += note
    return "".join(
        f"#block(breakable: false, rotate(-90deg, reflow: true, "
        f"block(width: {min(SIDEWAYS_WIDTH_MM, round(n * MM_PER_CHAR) + 12)}mm)"
        f"[{setting}\n{b}]))\n" for b, n in zip(blocks, t.chars, strict=True))


def _notebook_parameters(nb) -> dict:
    """Parameters in effect: the parameters cell's literal defaults, overridden by the values
    papermill injected."""
    values: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                        node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        values[node.targets[0].id] = ast.unparse(node.value)
    values.update(nb.metadata.get("papermill", {}).get("parameters", {}) or {})
    return values


def _shown_value(value) -> str:
    """A parameter's value, never a machine path (a folder is named as such)."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    if isinstance(value, str) and ("/" in value or "\\" in value) and Path(value).is_absolute():
        return "(a folder on the machine that ran it)"
    return text if text else "(empty)"


def _simple_table(headers: list[str], rows: list[list[str]], widths: str = "") -> str:
    widths = widths or str(len(headers))
    head = ", ".join(f"[#strong({string_literal(h)})]" for h in headers)
    body = ",\n  ".join(", ".join(string_literal(v) for v in row) for row in rows)
    return (f"#[#set text(size: 8pt)\n#table(columns: {widths}, stroke: none, "
            f"inset: (x: 3pt, y: 2pt), align: left, table.hline(), table.header({head}), "
            f"table.hline(stroke: 0.5pt),\n  {body},\n table.hline())]\n")


def front_matter(run_dir: Path) -> dict:
    """Title, subtitle, authors and abstract: the package defaults, then the run's
    ``report.toml``."""
    values = tomllib.loads(config.FRONT_MATTER_TOML.read_text(encoding="utf-8"))
    own = run_dir / "report.toml"
    if own.exists():
        values.update(tomllib.loads(own.read_text(encoding="utf-8")))
    return values


def _computed_sentences(nb) -> list[str]:
    """The Markdown the notebook's code displayed (sentences computed from results)."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = (o.get("data") or {}).get("text/markdown")
            if text:
                out.append(text if isinstance(text, str) else "".join(text))
    return out


def _bib_keys(bib: Path) -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", bib.read_text(encoding="utf-8"), flags=re.MULTILINE)


def document(run_dir: Path, data: str, staging: Path) -> tuple[str, list[str], int, int]:
    """The Typst source of the report (figures and the bibliography copied into
    ``staging``); returns (source, chapter titles, figures, tables)."""
    chapters, further = site.outline(run_dir)
    fm = front_matter(run_dir)
    (staging / "figures").mkdir(parents=True, exist_ok=True)
    bib = next((p for p in (run_dir / "citations.bib", config.reports_dir(data) / "citations.bib")
                if p.exists()), None)
    keys = _bib_keys(bib) if bib else []
    if bib:
        shutil.copyfile(bib, staging / "citations.bib")
    title = fm.get("title", "divides report")
    authors = fm.get("authors", [])
    kind = ("synthetic demo data: invented values, not the publishers'" if data == "demo"
            else "real published data")
    run_notebooks = [c.notebook for c in chapters]
    out = [
        (f"#set document(title: {string_literal(title)}, "
        f"author: ({', '.join(string_literal(a) for a in authors)},), date: none)"),
        ('#set page(paper: "a4", margin: (x: 22mm, y: 25mm), numbering: "1", '
        'number-align: center)'),
        '#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en")',
        "#set par(justify: true)",
        '#set heading(numbering: "1.1")',
        "#show heading.where(level: 1): it => { pagebreak(weak: true); it; v(0.6em) }",
        "#show figure: set block(breakable: true)",
        "#show figure.where(kind: table): set figure.caption(position: top)",
        '#show link: set text(fill: rgb("#1f4e79"))',
        "",
        f"#align(center)[#text(size: 20pt, weight: \"bold\")[{escape(title)}]]",
        f"#align(center)[#text(size: 13pt)[{escape(fm.get('subtitle', ''))}]]",
        f"#align(center)[{escape(', '.join(authors))}]",
        (f"#align(center)[#text(size: 9pt)[Data: {escape(kind)}. Run finished "
        f"{escape(site.run_date(run_notebooks))}.]]"),
        "#v(1em)",
        "#heading(level: 2, numbering: none, outlined: false, bookmarked: false)[Abstract]",
        escape(" ".join(fm.get("abstract", "").split())),
        "",
    ]
    nbs = [nbformat.read(p, as_version=4) for p in run_notebooks]
    summary = site.run_summary(nbs)
    out += ["#heading(level: 2, numbering: none, outlined: false, bookmarked: false)[Summary]"]
    if summary:
        out += [markdown(summary)[0].strip(), ""]
    else:
        out += ["The notebooks of this run computed no sentence from their results.", ""]
    if keys:
        cites = ", ".join(f"#cite(label({string_literal(k)}))" for k in keys)
        out += [(f"Data: the publishers' series {cites}; their editions are listed in "
                "the appendix."), ""]
    out += ["#outline(depth: 1)", ""]
    n_fig = n_tab = 0
    titles = []
    for chapter, nb in zip(chapters, nbs):
        figs, tabs = list(chapter.figures), list(chapter.tables)
        heading = None
        body: list[str] = []
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                text, found = markdown(cell.source, first_heading=heading is None)
                heading = heading or found
                body.append(text)
            elif cell.cell_type == "code":
                if {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", [])):
                    continue
                body += [markdown(t)[0] for t in _computed_sentences(nbformat.from_dict(
                    {"cells": [cell]}))]
                for png in site.cell_figures(cell, run_dir / "figures"):
                    if png in figs:
                        figs.remove(png)
                        src, _ = figure_source(png)
                        shutil.copyfile(src, staging / "figures" / src.name)
                        body.append(_figure(png, f"figures/{src.name}"))
                        n_fig += 1
                for csv in site.written_tables(cell.source, tabs):
                    tabs.remove(csv)
                    body.append(_table_block(csv))
                    n_tab += 1
        heading = heading or chapter.notebook.stem.replace("_", " ")
        titles.append(heading)
        out += [f"= {escape(heading)}", *body]
    out += ["#counter(heading).update(0)", '#set heading(numbering: "A.1")',
            "= Appendices"]
    if further:
        out += ["== Further tables", ("Tables written by the run's library steps "
                "rather than by a notebook's own code.")]
        for csv in further:
            out.append(_table_block(csv))
            n_tab += 1
    out += _appendices(run_dir, data, nbs, run_notebooks, keys)
    if bib:
        out += ['#bibliography("citations.bib", title: "Bibliography", full: true, style: "chicago-author-date")']
    return "\n".join(out) + "\n", titles, n_fig, n_tab


def _appendices(run_dir: Path, data: str, nbs, paths, keys: list[str]) -> list[str]:
    manifest_path = config.processed_dir(data) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    out = ["== Editions and releases"]
    releases = manifest.get("releases") or []
    if releases:
        out.append(_simple_table(
            ["Source", "Indicator", "Release", "Years", "Status"],
            [[r.get("source", ""), r.get("indicator", ""), str(r.get("release", "")),
              "–".join(str(y) for y in r.get("years", [])), r.get("status", "")]
             for r in releases]))
    else:
        out.append("The build manifest records no releases for this data.")
    out.append("== Files")
    files = manifest.get("file_releases") or {}
    if files:
        out += ["The edition of each input file, read from its content.",
                _simple_table(["File", "Edition"], [[Path(f).name, str(e)]
                                                    for f, e in files.items()],
                              "(auto, 1fr)")]
    else:
        out.append("The build manifest lists no input files.")
    out += ["== Parameters in effect",
            "Each notebook's parameters as it ran: its defaults, with the values the run set."]
    rows = [[p.stem, k, _shown_value(v)] for p, nb in zip(paths, nbs)
            for k, v in sorted(_notebook_parameters(nb).items())]
    out.append(_simple_table(["Notebook", "Parameter", "Value"], rows, "(auto, auto, 1fr)")
               if rows else "No parameters recorded.")
    out += ["== Package versions", _simple_table(
        ["Package", "Version"], [[p, site.package_version(p)] for p in site.VERSIONED]
        + [["python", sys.version.split()[0]]])]
    out += ["== Sources", "Every source the project reads, as it asks to be cited."]
    from divides.report import codebook

    for row in codebook.citations_table().itertuples(index=False):
        key = getattr(row, "key", "")
        cite = f" #cite(label({string_literal(key)}))" if key in keys else ""
        licence = f" Licence: {escape(row.licence)}." if row.licence else ""
        out.append(f"#strong[{escape(row.publisher)}] ({escape(row.source)}): "
                   f"{escape(row.citation)}{cite}.{licence}\n")
    return out


def write_pdf(run_dir: str | Path, out: str | Path, data: str) -> Pdf:
    """Typeset the run in ``run_dir`` into the PDF ``out`` (byte-identical for the same run)."""
    import typst

    run_dir, out = Path(run_dir), Path(out)
    staging = run_dir / "_typst"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        source, titles, n_fig, n_tab = document(run_dir, data, staging)
        (staging / "report.typ").write_text(source, encoding="utf-8")
        pdf = typst.compile(str(staging / "report.typ"), root=str(staging),
                            ignore_system_fonts=True, timestamp=TIMESTAMP)
    except Exception as exc:
        raise RuntimeError(f"{staging / 'report.typ'}: Typst could not typeset the report: "
                           f"{exc}") from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    shutil.rmtree(staging)
    return Pdf(out, titles, n_fig, n_tab)
