"""Every table of the demo run, as the report shows it (:func:`divides.report.site.
table_display`, the function the HTML pages and, through the same formatter, the PDF use),
is in words: no header, row label or cell (nor one item of a ";"-list in a cell) is a code
of the project: a panel or gaps column name, an indicator code, an estimator code, a source
id, a spec-curve gap family, control set or sample code, a data kind. The CSVs keep the codes
(they are data); only what a reader sees changes (issue 24)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from divides import catalogue, config
from divides.models.estimators import ESTIMATOR_LABELS
from divides.models.speccurve import DECISIONS
from divides.models.speccurve.grid import load_grid
from divides.models.tables import FrameTable
from divides.provenance import DATA_KINDS
from divides.report import site

pytestmark = pytest.mark.integration

#: Codes that are also plain English words a reader reads as such ("Year", "Source").
PLAIN_WORDS = {"year", "region", "source", "indicator", "dimension", "file", "population",
               "income", "none", "outcome", "controls", "estimator", "lag", "sample"}


def known_codes() -> set[str]:
    grid = load_grid()
    codes = (set(catalogue.columns()["column"]) | set(catalogue.indicators()["indicator"])
             | set(ESTIMATOR_LABELS) | set(catalogue.sources()["source"])
             | set(grid["gap_families"]) | set(grid["controls"]) | set(grid["grid"]["samples"])
             | set(DATA_KINDS) | set(DECISIONS.values())
             | set(pd.read_csv(config.GAP_DEFINITIONS_CSV, dtype=str)["indicator"]))
    return codes - PLAIN_WORDS


def codes_shown(shown, codes: set[str]) -> set[str]:
    """The codes among a displayed table's headers, row labels and cells."""
    body = shown.body
    texts = [str(c) for c in body.columns] + [str(v) for v in body.to_numpy().ravel()]
    if not isinstance(body.index, pd.RangeIndex):
        texts += [str(i) for i in body.index]
    found = set()
    for text in texts:
        for item in re.split(r"\s*;\s*", text.strip()):
            # a header is capitalised: "Egdi" is the code egdi
            if item in codes or item[:1].lower() + item[1:] in codes:
                found.add(item)
    return found


def test_codes_are_found_where_they_are_shown():
    codes = known_codes()
    shown = FrameTable(pd.DataFrame({"Egdi": ["twfe", "cpi; wdi", "x"]}))
    assert codes_shown(shown, codes) == {"Egdi", "twfe", "cpi", "wdi"}


def test_every_demo_table_is_shown_in_words(demo_report):
    codes = known_codes()
    tables = site.run_tables(demo_report)  # the tables the report shows (run manifest)
    assert len(tables) >= 20
    found = {csv.name: sorted(codes_shown(site.table_display(csv), codes)) for csv in tables}
    assert {name: c for name, c in found.items() if c} == {}


def test_no_table_is_shown_twice(demo_report):
    """Two files that show the same (the report would number and print it twice)."""
    shown: dict[str, list[str]] = {}
    for csv in site.run_tables(demo_report):
        table = site.table_display(csv)
        shown.setdefault(table.body.to_csv() + table.note, []).append(csv.name)
    assert [names for names in shown.values() if len(names) > 1] == []
