"""The demo run's PDF as a reader gets it (pdfplumber, pypdf): no blank page, no glyph drawn
over another, one top-level outline entry per notebook, the HTML's figure and table numbers,
and the same bytes when typeset twice. On the session's demo run (``divides run --data demo``,
the ``demo_report`` fixture: made when absent, so these tests run in CI too)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from divides.figures import export
from divides.report import site, typeset

pytestmark = pytest.mark.integration

@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_report):
    run_dir = demo_report
    assert len(json.loads((run_dir / "run.json").read_text())["notebooks"]) == 6
    run = tmp_path_factory.mktemp("demo")
    for name in ("figures", "tables", "notebooks"):
        shutil.copytree(run_dir / name, run / name)
    for name in ("run.json", "citations.bib"):
        shutil.copy2(run_dir / name, run / name)
    report = site.build(run, data="demo")
    again = typeset.write_pdf(run, run / "again.pdf", "demo")
    return run, report, again


def test_pdf_is_byte_identical_when_typeset_twice(built):
    _, report, again = built
    assert report.pdf.read_bytes() == again.path.read_bytes()


def _overlaps(page) -> list[tuple]:
    """Pairs of glyphs on one page whose boxes overlap by more than half the wider glyph
    both ways (kerning such as 'Tr' stays below that)."""
    chars = sorted((c for c in page.chars if c["text"].strip()), key=lambda c: c["x0"])
    found = []
    for i, a in enumerate(chars):
        for b in chars[i + 1:]:
            if b["x0"] >= a["x1"]:
                break
            ox = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            oy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if ox > 0.5 * max(a["width"], b["width"]) and oy > 0.5 * max(a["height"],
                                                                          b["height"]):
                found.append((a["text"], b["text"], round(a["x0"]), round(a["top"])))
    return found


def test_no_blank_page_and_no_glyph_over_another(built):
    import pdfplumber

    _, report, _ = built
    with pdfplumber.open(report.pdf) as pdf:
        assert len(pdf.pages) > 10
        for n, page in enumerate(pdf.pages, 1):
            words = [c for c in page.chars if c["text"].strip()]
            # a page holding its number alone is blank too
            assert len(words) > 3 or page.images, f"page {n} is blank"
            assert not _overlaps(page), f"page {n}: glyphs drawn over glyphs {_overlaps(page)[:3]}"


def test_one_top_level_outline_entry_per_notebook(built):
    from pypdf import PdfReader

    run, report, again = built
    outline = PdfReader(report.pdf).outline
    # "1 Sources and coverage", "A Appendices": the heading number before the title
    top = [re.sub(r"^[0-9A-Z]+\s+", "", e.title) for e in outline if not isinstance(e, list)]
    notebooks = len(site.run_notebooks(run))
    assert top[:notebooks] == again.chapters and len(again.chapters) == notebooks == 6
    assert top[notebooks:] == ["Appendices", "Bibliography"]


def _html_numbers(run, kind: str) -> list[tuple[int, str]]:
    found = []
    for page in ([p.stem for p in site.run_notebooks(run)] + ["tables"]):
        html = (run / "report" / f"{page}.html").read_text(encoding="utf-8")
        found += [(int(n), re.sub(r"\s+", " ", t).strip().rstrip("."))
                  for n, t in re.findall(rf'<span class="caption-number">{kind} (\d+)\s*</span>'
                                         r'<span class="caption-text">([^<]*)', html)]
    return found


def test_figure_and_table_numbers_match_the_html(built):
    from pypdf import PdfReader

    run, report, _ = built
    # pypdf reads sideways (rotated) tables too; a caption may follow the line before it
    text = "\n".join(p.extract_text() or "" for p in PdfReader(report.pdf).pages)
    pdf_figures = [int(n) for n in re.findall(r"Figure\s(\d+): ", text, flags=re.MULTILINE)]
    html_figures = _html_numbers(run, "Figure")
    saved = [f for f in json.loads((run / "run.json").read_text())["figures"]
             if f.endswith(".png") and not export.is_plain_twin(f)]  # twins: the report's
    assert len(html_figures) == report.figures == len(saved) > 0  # every saved figure, once
    assert [n for n, _ in html_figures] == list(range(1, len(saved) + 1)) == pdf_figures
    pdf_titles = re.findall(r"Figure\s\d+: (.+)$", text, flags=re.MULTILINE)
    for (_, html_title), pdf_title in zip(html_figures, pdf_titles):
        assert html_title[:25] == pdf_title.rstrip(".")[:25]
    pdf_tables = [int(n) for n in re.findall(r"Table\s(\d+): ", text, flags=re.MULTILINE)]
    html_tables = _html_numbers(run, "Table")
    assert [n for n, _ in html_tables] == pdf_tables == list(range(1, report.tables + 1))


def test_the_summary_is_sentences_not_headings(built):
    """The front page's summary takes each notebook's first computed sentence; a heading a
    notebook displays (notebook 04's "## Azerbaijan from 2013 ...") printed there as
    "== Azerbaijan ..." in running text."""
    from pypdf import PdfReader

    _, report, _ = built
    first = PdfReader(report.pdf).pages[0].extract_text()
    summary = first.split("Summary", 1)[1]
    assert "==" not in summary and "##" not in summary
    assert "from 2013, against the donor group" not in summary
