"""Ledgers on every real file: rows read = rows kept + rows dropped by reason.

Every reader, every file it takes under ../shared/data/real (``files(root, source)``), plus
the Natural Earth geometries. ``rows_read`` is also checked against a record count made
without the reader (``tests/damaged/records.py``), so a reader that skips lines without
counting them fails even if its own sums agree.
"""

from __future__ import annotations

import warnings

import pytest
from damaged import records  # tests/ is on pythonpath (pyproject)

from divides.sources import SOURCE_IDS, files, module, natural_earth

pytestmark = pytest.mark.integration




check_ledger = records.check_ledger


def _real_files():
    from divides import config

    root = config.real_dir()
    if root is None or not root.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="no real data folder"))]
    return [pytest.param(s, p, id=f"{s}:{p.name}") for s in SOURCE_IDS for p in files(root, s)]


@pytest.mark.parametrize("source, path", _real_files())
def test_real_file_ledger(source, path, real_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        obs, report = module(source).read(path)
    check_ledger(source, path, obs, report)


def test_every_source_has_real_files(real_dir):
    missing = [s for s in SOURCE_IDS if not files(real_dir, s)]
    assert missing == []


@pytest.mark.parametrize("name", ["ne_110m_admin_0_countries.shp",
                                  "ne_110m_admin_0_countries.geojson"])
def test_natural_earth_ledger(real_dir, name):
    frame, report = natural_earth.read_countries_report(real_dir / "natural_earth" / name)
    assert report.rows_read == report.rows_kept + sum(report.dropped.values()) == len(frame)
    assert report.rows_read == 177  # SOURCES.md: 177 features
