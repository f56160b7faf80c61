"""The report builder on a small run folder: figures inline with number and caption, code
folded, no parameter cells, front page, tables and sources pages, and a PDF beside the HTML."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import nbformat
import pandas as pd
import pytest

from divides import provenance
from divides.figures import charts, export
from divides.report import site as report

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder shaped like reports/<data>/: one executed notebook, its figure, a table."""
    root = tmp_path_factory.mktemp("run")
    panel = pd.DataFrame({"iso3": ["AAA", "BBB", "CCC", "DDD"], "year": 2020,
                          "income_group": ["Low income", "High income"] * 2,
                          "egdi": [0.2, 0.5, 0.7, 0.9], "cpi_score": [20.0, 40.0, 60.0, 80.0]})
    provenance.tag(panel, data="demo")
    export.save_figure(charts.cpi_vs_egdi(panel), "cpi_vs_egdi", root / "figures",
                       formats=("png", "pdf"), dpi=40)
    (root / "tables").mkdir()
    pd.DataFrame({"model": [f"m{i}" for i in range(40)], "coef": range(40)}).to_csv(
        root / "tables" / "03_key_terms.csv", index=False)
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell('data = "demo"\nsecret_marker = 1')
    injected.metadata["tags"] = ["injected-parameters"]
    params = nbformat.v4.new_code_cell('data = "demo"  # PARAMETER_CELL_MARKER')
    params.metadata["tags"] = ["parameters"]
    save = nbformat.v4.new_code_cell('fig = charts.cpi_vs_egdi(panel)\n'
                                     '_ = save_figure(fig, "cpi_vs_egdi", figures_dir)')
    save.outputs = [nbformat.v4.new_output("display_data", data={
        "image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    frame = nbformat.v4.new_code_cell("key")
    frame.outputs = [nbformat.v4.new_output("execute_result", data={
        "text/html": "<table class='dataframe'><tr><td>1</td></tr></table>",
        "text/plain": "1"}, execution_count=3)]
    nb.cells = [nbformat.v4.new_markdown_cell("# A test notebook\n\nOn the map below."),
                params, injected, save, frame]
    nb.metadata["papermill"] = {"parameters": {"data": "demo", "outcome": "cpi_score"},
                                "end_time": "2026-12-03T10:11:12.5"}
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "03_test.ipynb")
    return root


@pytest.fixture(scope="module")
def built(run_dir):
    return report.build(run_dir)


def test_notebook_page_shows_the_figure_numbered_with_its_caption(built, run_dir):
    page = (run_dir / "report" / "03_test.html").read_text(encoding="utf-8")
    assert built.figures == 1
    assert re.search(r"Figure 1", page), "figures are numbered"
    assert "CPI score and E-Government Development Index (EGDI), 2020" in page  # from the PNG
    assert "SYNTHETIC DEMO DATA" in page                      # footer in the caption
    img = re.search(r'<img[^>]+src="([^"]+cpi_vs_egdi[^"]*\.png)"', page).group(1)
    assert (run_dir / "report" / img).exists()
    # the image is the twin without drawn title and footer: the caption and note say them
    assert img.endswith(export.PLAIN_PNG)
    assert page.count("SYNTHETIC DEMO DATA") == 1
    assert "iVBORw0KGgo=" not in page  # the notebook's own inline copy is replaced
    assert "<details" in page          # code folded
    assert "PARAMETER_CELL_MARKER" not in page and "secret_marker" not in page
    assert "<table" in page            # a DataFrame output stays a table


def test_front_page_tables_and_sources(built, run_dir):
    front = (run_dir / "report" / "index.html").read_text(encoding="utf-8")
    for text in ("demo data", "2026-12-03 10:11 UTC", "report.pdf", "appendix.html"):
        assert text in front, text
    # editions, files, parameters and versions are the appendix, not the front page
    appendix = (run_dir / "report" / "appendix.html").read_text(encoding="utf-8")
    for text in ("Parameters in effect", "cpi_score", "Package versions", "myst-nb",
                 "Editions and releases"):
        assert text in appendix and text not in front, text
    tables = (run_dir / "report" / "tables.html").read_text(encoding="utf-8")
    assert built.tables == 1 and "Table 1" in tables
    assert tables.count("<tr") == report.TABLE_ROWS + 1  # header + first rows
    assert "First 25 of 40 rows" in tables
    assert 'id="tab-03-key-terms"' in tables  # the anchor a figure or text links to
    sources = (run_dir / "report" / "sources.html").read_text(encoding="utf-8")
    assert "Transparency International" in sources and "World Bank" in sources


def test_pdf_beside_the_html(built):
    pdf = built.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3


def test_a_run_without_notebooks_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="executed notebooks"):
        report.build(tmp_path)


def test_only_the_runs_own_files_enter_the_report(tmp_path):
    """A table or executed notebook an earlier run left in the folder is not this run's:
    the report takes what run.json lists (the tables page once counted every CSV there)."""
    import json

    for rel in ("tables/04_event_study_AZE_post_soviet_2013_cpi_score.csv",
                "tables/04_event_study_cpi_score.csv",  # an earlier run's name for it
                "notebooks/04_case.ipynb", "notebooks/07_renamed_since.ipynb",
                "figures/old.png", "figures/synth.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    assert len(report.run_tables(tmp_path)) == 2  # without a manifest: every file there
    (tmp_path / "run.json").write_text(json.dumps({
        "notebooks": {"04_case": {"executed": "notebooks/04_case.ipynb", "status": "reused"}},
        "figures": ["figures/synth.png"],
        "tables": ["tables/04_event_study_AZE_post_soviet_2013_cpi_score.csv"]}))
    assert [p.name for p in report.run_tables(tmp_path)] == [
        "04_event_study_AZE_post_soviet_2013_cpi_score.csv"]
    assert [p.name for p in report.run_figures(tmp_path)] == ["synth.png"]
    assert [p.name for p in report.run_notebooks(tmp_path)] == ["04_case.ipynb"]


def test_appendix_names_sources_and_indicators_in_words():
    manifest = {"releases": [{"source": "wdi", "indicator": "wdi_population",
                              "release": "2025-04-15", "years": [2003, 2023],
                              "status": "set_aside", "files": ["API_SP.POP.TOTL.csv"]}]}
    page = report.appendix_page({"03_x": {"outcome": "cpi_score"}}, manifest)
    assert "| World Bank WDI | Population, total | 2025-04-15 | 2003-2023 | set aside |" in page
    assert "wdi_population" not in page and "| wdi |" not in page
