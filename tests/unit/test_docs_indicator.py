"""docs/add_an_indicator.md, followed step by step: its edits applied to copies of the
catalogue files, then a demo build has the new column with values."""

import re
import shutil

import pandas as pd
import pytest

from divides import catalogue, config
from divides.build import rules

pytestmark = pytest.mark.unit

DOC = config.PROJECT_ROOT / "docs" / "add_an_indicator.md"


def edits() -> dict[str, str]:
    """``file name -> diff`` of the doc's ```diff <file> blocks."""
    return dict(re.findall(r"```diff (\S+)\n(.*?)```", DOC.read_text(encoding="utf-8"),
                           flags=re.DOTALL))


def apply(path, diff: str) -> None:
    text = path.read_text(encoding="utf-8")
    removed = [ln[1:] for ln in diff.splitlines() if ln.startswith("-")]
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+")]
    if removed:
        assert len(removed) == len(added) == 1, diff
        assert text.count(removed[0] + "\n") == 1, f"{path.name}: the doc's line is not there"
        text = text.replace(removed[0] + "\n", added[0] + "\n")
    else:
        text = text + "".join(a + "\n" for a in added)
    path.write_text(text, encoding="utf-8")


def _clear_caches():
    for f in (catalogue.indicators, catalogue.columns, *[
            getattr(rules, n) for n in dir(rules) if hasattr(getattr(rules, n), "cache_clear")]):
        f.cache_clear()


@pytest.fixture
def catalogue_copy(tmp_path, monkeypatch):
    copy = tmp_path / "build_data"
    shutil.copytree(config.BUILD_DATA_DIR, copy)
    for name in ("INDICATORS_CSV", "COLUMNS_CSV", "PANEL_RULES_CSV"):
        monkeypatch.setattr(config, name, copy / getattr(config, name).name)
    _clear_caches()
    yield copy
    _clear_caches()


def test_the_how_to_adds_a_column_to_the_panel(catalogue_copy, tmp_path):
    from divides.build import panel as build_panel

    steps = edits()
    assert set(steps) == {"indicators.csv", "columns.csv"}
    column = re.search(r",([a-z0-9_]+)$", steps["indicators.csv"].splitlines()[-1]).group(1)
    apply(catalogue_copy / "indicators.csv", steps["indicators.csv"])
    # without the registry row the build names the column (the doc quotes the message)
    _clear_caches()
    with pytest.raises(ValueError, match=re.escape(f"['{column}']")) as info:
        build_panel.build("demo", out_dir=tmp_path / "out0", progress=False)
    assert str(info.value) in " ".join(DOC.read_text(encoding="utf-8").split())
    apply(catalogue_copy / "columns.csv", steps["columns.csv"])
    _clear_caches()
    assert column in catalogue.column_names("panel")
    result = build_panel.build("demo", out_dir=tmp_path / "out", progress=False)
    built = pd.read_parquet(result.paths["panel"])
    assert built[column].notna().sum() > 100
