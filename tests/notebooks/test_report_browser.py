"""The HTML report opens in headless Chromium and every linked page and image loads."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import urllib.request

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


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                    reason="Debian chromium and chromium-driver not installed (.ci/run installs them)")
def test_index_links_and_images_load(served_report):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
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
