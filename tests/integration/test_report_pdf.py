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
    html_tables = _html_table_numbers(run, "tables")
    assert [n for n, _ in html_tables] == pdf_tables == list(range(1, report.tables + 1))
    # each notebook page shows its tables with the same numbers and captions
    on_pages = [t for page in site.run_notebooks(run) for t in _html_table_numbers(run, page.stem)]
    assert on_pages == html_tables[:len(on_pages)] and len(on_pages) >= 10
    pdf_captions = re.findall(r"Table\s\d+: (.+)$", text, flags=re.MULTILINE)
    for (_, html_caption), pdf_caption in zip(html_tables, pdf_captions):
        assert html_caption[:25] == pdf_caption[:25]


def _html_table_numbers(run, page: str) -> list[tuple[int, str]]:
    """(number, caption) of the tables of a report page: ``<caption>Table N: ...``."""
    import html as html_mod

    text = (run / "report" / f"{page}.html").read_text(encoding="utf-8")
    return [(int(n), html_mod.unescape(re.sub(r"\s+", " ", c)).strip())
            for n, c in re.findall(r"<caption>Table (\d+): ([^<]*)</caption>", text)]


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


_NUMBER = re.compile(r"(?<![\w.])([-+\u2212]?\d+(?:,\d{3})*(?:\.\d+)?)(?![\w])")


def _table_values(run) -> set[str]:
    """Every number of the run's CSV tables, as text at 0 to 3 decimals (how a sentence
    prints it), signed."""
    import pandas as pd

    found: set[str] = set()
    for csv in site.run_tables(run):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        for value in pd.to_numeric(frame.stack(), errors="coerce").dropna():
            found |= {f"{value:.{d}f}" for d in range(4)}
    return found


def test_the_summary_is_one_short_paragraph_of_numbers_from_the_results(built):
    """The front page's summary (HTML and PDF): one paragraph of at most
    SUMMARY_SENTENCES sentences and SUMMARY_WORDS words, the notebooks' headline findings.
    Each number in it is in the headline sentence it came from (those sentences are tested
    against the data in tests/notebooks/test_narrative_notebooks.py); each estimate (a
    number with decimals, not a p-value or rho) is a value of the run's tables."""
    import html as html_mod

    import nbformat
    from pypdf import PdfReader

    from divides.models import narrative

    run, report, _ = built
    nbs = [nbformat.read(p, as_version=4) for p in site.run_notebooks(run)]
    summary = site.run_summary(nbs)
    said = narrative.sentences(summary)
    assert 2 <= len(said) <= narrative.SUMMARY_SENTENCES, said
    assert len(summary.split()) <= narrative.SUMMARY_WORDS
    assert "\n" not in summary and "_" not in summary.replace("*", "")  # words, one paragraph
    plain = summary.replace("*", "")
    front = html_mod.unescape(re.sub(r"<[^>]+>", "", (run / "report" / "index.html").read_text(
        encoding="utf-8"))).replace("\u2019", "'")  # Sphinx's smart quotes
    assert " ".join(plain.split()) in " ".join(front.split())
    first = " ".join(PdfReader(report.pdf).pages[0].extract_text().split())
    assert " ".join(plain.split())[:60] in first
    sources = " ".join(h for nb in nbs for h in site.headlines(nb))
    tables = _table_values(run)
    checked = 0
    for sentence in said:
        for match in _NUMBER.finditer(sentence):
            number = match.group(1)
            assert number in sources, (number, sentence)
            before = sentence[:match.start()].rstrip()
            if "." in number and not re.search(r"(\bp|rho|[|])\s*[=<>]?$", before):
                value = float(number.replace("\u2212", "-").replace(",", ""))
                decimals = len(number.split(".")[1])
                assert f"{value:.{decimals}f}" in tables, (number, sentence)
                checked += 1
    assert checked >= 3  # estimates from the tables were checked
