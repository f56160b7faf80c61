"""The check that no output of the HTML report is wider than its text column
(:data:`divides.report.site.OVERFLOW_JS`) catches a deliberately wide table, image and code
block, and passes them once the report's CSS (:data:`divides.report.site.CSS`) puts them in
blocks that scroll or shrink. Headless Chromium at 1280 x 900, as the browser test of the
demo report uses."""

from __future__ import annotations

import shutil

import pytest

from divides.report import site

pytestmark = pytest.mark.unit

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Debian chromium and chromium-driver not installed (.ci/run installs them)")

#: Alabaster's layout in short: a 700 px text column beside a sidebar.
LAYOUT = """body { margin: 0; } div.document { width: 1000px; margin: 0 auto; display: flex; }
div.sphinxsidebar { width: 260px; } div.body { width: 700px; }"""


def _page(body: str, css: str) -> str:
    wide_row = "".join(f"<td>{i:,}.123456</td>" for i in range(40))
    table = f"<table><tr>{wide_row}</tr></table>"
    return (f"<!doctype html><html><head><style>{LAYOUT}\n{css}</style></head><body>"
            f"<div class='document'><div class='sphinxsidebar'>side</div>"
            f"<div class='body' role='main'><p>text</p>"
            f"{body.format(table=table, code='x = 1  # ' + 'long ' * 120)}"
            f"</div></div></body></html>")


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_window_size(1280, 900)
    yield drv
    drv.quit()


def _wide(driver, tmp_path, body: str, css: str) -> list:
    path = tmp_path / "page.html"
    path.write_text(_page(body, css), encoding="utf-8")
    driver.get(path.as_uri())
    return driver.execute_script(site.OVERFLOW_JS)


@needs_chromium
@pytest.mark.parametrize("body, tag", [
    ("{table}", "table"),
    ("<div class='cell_output'>{table}</div>", "table"),
    ("<pre>{code}</pre>", "pre"),
    ("<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' width='1500' height='20'>", "img"),
])
def test_a_wide_output_is_caught_without_the_report_css(driver, tmp_path, body, tag):
    found = _wide(driver, tmp_path, body, css="")
    assert any(name.startswith(tag) for name, *_ in found), found
    assert all(width > column for name, width, column in found if name != "page")


@needs_chromium
@pytest.mark.parametrize("body", [
    "<div class='table-wrap'>{table}</div>",
    "<div class='cell_output'>{table}</div>",
    "<table class='docutils'><tr><td>" + "wide " * 300 + "</td></tr></table>",
    "<pre>{code}</pre>",
    "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' width='1500' height='20'>",
])
def test_the_report_css_keeps_wide_outputs_in_the_column(driver, tmp_path, body):
    assert _wide(driver, tmp_path, body, css=site.CSS) == []


@needs_chromium
def test_a_bare_wide_table_still_fails_with_the_report_css(driver, tmp_path):
    """A table outside every scrolling block (not one the report writes) is still caught:
    the CSS does not hide the problem, it wraps what the report makes."""
    found = _wide(driver, tmp_path, "{table}", css=site.CSS)
    assert found and found[0][0].startswith("table")
