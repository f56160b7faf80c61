"""The HTML report opens in headless Chromium: every page, figure, table and link loads,
every saved figure appears inline, numbered and captioned; screenshots of the front page and
one notebook page are checked by their structure (headings, figures, tables), not pixels."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from divides import config

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def served_report(demo_report):
    root = config.reports_dir("demo")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Debian chromium and chromium-driver not installed (.ci/run installs them)")


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    driver.set_window_size(1200, 900)
    return driver


@needs_chromium
def test_index_links_and_images_load(served_report):
    from selenium.webdriver.common.by import By

    driver = _driver()
    try:
        driver.get(f"{served_report}/index.html")
        assert "divides report" in driver.title
        hrefs = sorted({a.get_attribute("href") for a in driver.find_elements(By.TAG_NAME, "a")})
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0])")
        assert images, "the index shows figures"
        broken = [src for src, ok in images if not ok]
        assert not broken, f"images that did not load: {broken}"
        pages = [h for h in hrefs if h.endswith(".html")]
        assert len(pages) >= 6, pages
        for href in hrefs:
            with urllib.request.urlopen(href, timeout=10) as resp:
                assert resp.status == 200, href
        for page in pages:
            driver.get(page)
            shown = driver.execute_script(
                "return Array.from(document.images).map(i => [i.src.slice(0, 60), "
                "i.complete && i.naturalWidth > 0])")
            assert all(ok for _, ok in shown), (page, [s for s, ok in shown if not ok])
            assert "Traceback" not in driver.page_source, f"{page} shows a traceback"
    finally:
        driver.quit()


IMAGES_JS = ("return Array.from(document.images).map(i => [i.getAttribute('src'), "
             "i.complete && i.naturalWidth > 0])")


def _report_pages(driver, base: str) -> list[str]:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/report/index.html")
    hrefs = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR,
                                                                    ".toctree-wrapper a")]
    return [f"{base}/report/index.html"] + sorted({h.split("#")[0] for h in hrefs})


@needs_chromium
def test_every_report_page_figure_table_and_link_loads(served_report):
    from selenium.webdriver.common.by import By

    root = config.reports_dir("demo")
    # the run's own figures (run.json), not files an earlier run left in the folder
    listed = json.loads((root / "run.json").read_text())["figures"]
    saved = {Path(f).stem for f in listed if f.endswith(".png") and "/inputs/" not in f
             and not f.endswith(".plain.png")}  # a twin is what the report shows of it
    assert len(saved) >= 15
    driver = _driver()
    shown: set[str] = set()
    try:
        pages = _report_pages(driver, served_report)
        notebook_pages = [p for p in pages if re.search(r"/\d\d_\w+\.html$", p)]
        assert len(notebook_pages) == 6, pages
        assert any(p.endswith("/tables.html") for p in pages)
        assert any(p.endswith("/sources.html") for p in pages)
        links: set[str] = set()
        for page in pages:
            driver.get(page)
            assert "Traceback" not in driver.page_source, f"{page} shows a traceback"
            assert "# Parameters" not in driver.find_element(By.TAG_NAME, "body").text, page
            images = driver.execute_script(IMAGES_JS)
            assert all(ok for _, ok in images), (page, [s for s, ok in images if not ok])
            for fig in driver.find_elements(By.TAG_NAME, "figure"):
                caption = fig.find_element(By.TAG_NAME, "figcaption").text
                assert re.match(r"Figure \d+", caption), (page, caption)
                src = fig.find_element(By.TAG_NAME, "img").get_attribute("src")
                shown.add(re.sub(r"(\.plain)?(\.[0-9a-f]+)?\.png$", "", src.rsplit("/", 1)[1]))
            for table in driver.find_elements(By.TAG_NAME, "table"):
                assert table.find_elements(By.TAG_NAME, "tr"), f"{page}: an empty table"
            links |= {a.get_attribute("href").split("#")[0]
                      for a in driver.find_elements(By.TAG_NAME, "a")
                      if (a.get_attribute("href") or "").startswith(served_report)}
        driver.get(f"{served_report}/report/tables.html")
        assert len(driver.find_elements(By.TAG_NAME, "table")) >= 5
        broken = []
        for href in sorted(links):
            try:
                with urllib.request.urlopen(href, timeout=10) as resp:
                    resp.read()
            except urllib.error.HTTPError as exc:
                broken.append((href, exc.code))
        assert not broken, f"links that do not load: {broken}"
        with urllib.request.urlopen(f"{served_report}/report/report.pdf", timeout=10) as resp:
            assert resp.read()[:5] == b"%PDF-"
    finally:
        driver.quit()
    assert shown == saved, f"saved but not shown inline: {sorted(saved - shown)}"


def _structure(driver) -> dict:
    return driver.execute_script("""
        const body = document.querySelector('div.body') || document.body;
        return {h1: Array.from(body.querySelectorAll('h1')).map(h => h.textContent.replace('¶', '').trim()),
                h2: Array.from(body.querySelectorAll('h2')).map(h => h.textContent.replace('¶', '').trim()),
                figures: body.querySelectorAll('figure').length,
                tables: body.querySelectorAll('table').length,
                folded: body.querySelectorAll('details').length};""")


@needs_chromium
def test_screenshots_of_front_page_and_a_notebook_page_have_the_expected_structure(
        served_report, tmp_path):
    from PIL import Image, ImageStat

    driver = _driver()
    try:
        driver.get(f"{served_report}/report/index.html")
        driver.save_screenshot(str(tmp_path / "front.png"))
        front = _structure(driver)
        driver.get(f"{served_report}/report/03_egovernment_and_corruption.html")
        driver.save_screenshot(str(tmp_path / "nb03.png"))
        nb03 = _structure(driver)
    finally:
        driver.quit()
    for shot in ("front.png", "nb03.png"):
        with Image.open(tmp_path / shot) as image:
            assert image.size[0] >= 1000
            assert max(ImageStat.Stat(image.convert("L")).stddev) > 10, f"{shot} is blank"
    assert front["h1"] == ["divides report: demo data"]
    assert front["h2"] == ["Summary", "Contents"]
    assert front["tables"] == 0 and front["figures"] == 0
    assert nb03["h1"] == ["E-government and corruption: between and within countries"]
    assert nb03["figures"] == 4  # the scatter, two maps and the coefficient plot
    assert nb03["folded"] >= 8   # code folded, one per code cell


@needs_chromium
def test_no_output_is_wider_than_the_text_column_at_1280_px(served_report):
    """At 1280 x 900, on every page of the report, every table, image, figure, code block
    and cell output fits the text column (the main article), or scrolls sideways inside a
    block that does (:data:`divides.report.site.OVERFLOW_JS`); no page scrolls sideways."""
    from divides.report import site

    driver = _driver()
    try:
        driver.set_window_size(1280, 900)
        pages = _report_pages(driver, served_report)
        assert len(pages) >= 8
        checked, wide = 0, {}
        for page in pages:
            driver.get(page)
            column = driver.execute_script(
                "const c = document.querySelector('[role=main]') || "
                "document.querySelector('div.body'); return c ? c.getBoundingClientRect().width : 0")
            assert 500 < column < 1280, (page, column)
            found = driver.execute_script(site.OVERFLOW_JS)
            if found:
                wide[page] = found
            checked += driver.execute_script(
                "return document.querySelectorAll('[role=main] table, [role=main] img, "
                "[role=main] pre, [role=main] div.cell_output').length")
        assert checked > 50  # the check saw the outputs
        assert not wide, f"outputs wider than the text column: {wide}"
    finally:
        driver.quit()
