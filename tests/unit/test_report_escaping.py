"""Issue 27, case 4: every text that enters the report's HTML is escaped. A raw file named
``..._<img src=x onerror=alert(document.domain)>.csv`` reached the front page's editions and
files tables unescaped (MyST passes raw HTML through)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from PIL import Image, PngImagePlugin

from divides.report import site

pytestmark = pytest.mark.unit

EVIL = "<img src=x onerror=alert(document.domain)>"
SHOWN = "&lt;img src=x onerror=alert(document.domain)&gt;"


def _html(markdown: str) -> str:
    """Markdown as MyST's parser renders it: raw HTML passes through (commonmark, html on)."""
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_case4_front_page_escapes_file_names_labels_countries_and_parameters():
    manifest = {
        "releases": [{"source": f"cpi{EVIL}", "indicator": f"label {EVIL}",
                      "release": f"2025{EVIL}", "years": [2020, 2021], "status": "used",
                      "files": [f"ti_cpi/CPI_{EVIL}.xlsx"]}],
        "file_releases": {f"egov/EGOV_DATA_2022_{EVIL}.csv": f"Côte d'Ivoire {EVIL}"},
    }
    params = {"03_egovernment": {"trend_indicator": EVIL, f"x{EVIL}": [EVIL]}}
    page = (site.front_page("real", "2026-12-01 10:00 UTC", params, manifest, ["03_x"])
            + site.appendix_page(params, manifest))
    rendered = _html(page)
    assert "<img" not in rendered
    assert rendered.count(SHOWN) >= 7, rendered
    # what looked like Markdown stays text: no emphasis or link made from a name
    plain = site.md_text("a_*b*_[c](http://x)")
    assert "<em>" not in _html(plain) and "<a " not in _html(plain)
    assert "a_*b*_[c](http://x)" in _html(plain)


def test_case4_figure_caption_and_table_name_are_escaped(tmp_path):
    png = tmp_path / "gap.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", f"Gap by region {EVIL}")
    info.add_text("Description", f"Source: {EVIL} **bold**")
    Image.new("RGB", (4, 4)).save(png, pnginfo=info)
    block = site.figure_block(png, "figures/gap.*")
    caption = block.split("\n\n", 1)[1]
    assert "<img" not in _html(caption) and SHOWN in _html(caption)
    assert "<strong>bold</strong>" not in _html(caption)
    table = tmp_path / f"t{EVIL}.csv"
    table.write_text("a,b\n1,2\n")
    page, n = site.tables_page([table], tmp_path / "staging")
    assert n == 1
    assert "<img" not in page and "&lt;img" in page  # the caption, from the name
    assert "<img" not in _html(page)
