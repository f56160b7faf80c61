import matplotlib

matplotlib.use("Agg")

import re

import pandas as pd
import pytest

from divides import provenance
from divides.figures import style
from divides.figures.export import save_figure

pytestmark = pytest.mark.unit


def _figure(top: float):
    frame = provenance.tag(pd.DataFrame({"x": [1.0, 2.0]}), "demo")
    panel, ax = style.new_figure(height_in=2.0)
    ax.plot([0, 1], [0, 1])
    ax.set_ylim(0, top)
    return style.add_footer(panel, style.make_footer(frame, sources=["wdi"], years="2020",
                                                     n_countries=2))


def test_svg_bytes_ignore_last_bit_differences_in_limits(tmp_path):
    # 1.0 and 1.0 + 1e-15 draw the same picture but matplotlib hashes the float bounds
    # of each clip rectangle into its id; save_figure renumbers ids so bytes agree.
    a = save_figure(_figure(1.0), "f", tmp_path / "a", formats=("svg",))[0]
    b = save_figure(_figure(1.0 + 1e-15), "f", tmp_path / "b", formats=("svg",))[0]
    assert a.read_bytes() == b.read_bytes()
    assert re.search(rb'clip-path="url\(#p\d+\)"', a.read_bytes())


def test_without_renumbering_the_bytes_differ(tmp_path, monkeypatch):
    from divides.figures import export

    monkeypatch.setattr(export, "_renumber_svg_ids", lambda path: None)
    a = save_figure(_figure(1.0), "f", tmp_path / "a", formats=("svg",))[0]
    b = save_figure(_figure(1.0 + 1e-15), "f", tmp_path / "b", formats=("svg",))[0]
    assert a.read_bytes() != b.read_bytes()
