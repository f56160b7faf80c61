"""Shared fixtures. Integration tests read the real files from ../shared/data/real (or
$DIVIDES_REAL_DIR) and skip with a clear reason when that folder is absent."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from divides import config


@pytest.fixture(scope="session", autouse=True)
def demo_raw_dir() -> Path:
    """The demo raw folder, written once when it is missing or stale (the explicit step
    `divides demo`: builds read it and never write it)."""
    from divides import demo

    return demo.ensure_demo()


@pytest.fixture(scope="session")
def real_dir() -> Path:
    found = config.real_dir()
    if found is None or not found.is_dir():
        pytest.skip(f"real data folder absent (set ${config.REAL_DIR_ENV} or put the files in "
                    "../shared/data/real)")
    return found


@pytest.fixture
def quiet():
    """Silence the unmapped-country warnings of a reader call inside a test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="session")
def demo_report():
    """Run every notebook on the demo data once per session (``divides run --data demo``)."""
    from divides.run import runner

    code = runner.run(data="demo", jobs=2)
    assert code == 0, "divides run --data demo failed"
    return config.reports_dir("demo")
