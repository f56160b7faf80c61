"""The spec curve stored as a pipeline stage (models/speccurve/stage.py).

The stored curve is reused only when it was made from the same build, grid, draws, seed
and code; everything else, and any damaged file, makes it estimate the curve again. Each
test below is a way the stage could hand back a curve that looks right but is not.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import divides
from divides import config
from divides.models import speccurve
from divides.models.speccurve import stage

pytestmark = pytest.mark.unit

DRAWS = 19


@pytest.fixture
def private_stage(tmp_path, monkeypatch):
    """The demo build as it is, the stage in a folder of this test only."""
    divides.load_panel("demo")  # built (or already current) in the project's folder
    monkeypatch.setattr(stage, "stage_dir",
                        lambda data, draws: tmp_path / data / f"draws-{int(draws)}")
    return tmp_path


def _no_estimation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the curve was estimated, the stored one was expected")

    monkeypatch.setattr(stage, "run", refuse)


def test_the_stored_curve_is_the_estimated_one(private_stage, monkeypatch):
    made = stage.load("demo", draws=DRAWS)
    fresh = speccurve.run(divides.load_panel("demo"), divides.load_gaps("demo"), draws=DRAWS)
    pd.testing.assert_frame_equal(made.table, fresh.table)
    pd.testing.assert_frame_equal(made.inference, fresh.inference)
    _no_estimation(monkeypatch)
    again = stage.load("demo", draws=DRAWS)
    pd.testing.assert_frame_equal(again.table, fresh.table)
    pd.testing.assert_frame_equal(again.inference, fresh.inference)
    assert again.notes == fresh.notes and again.data_kind == "demo"


def test_other_draws_are_another_stage(private_stage):
    stage.load("demo", draws=DRAWS)
    other = stage.load("demo", draws=DRAWS + 20)
    assert other.notes["draws"] == DRAWS + 20
    assert (private_stage / "demo" / f"draws-{DRAWS}" / stage.STAGE_FILE).exists()
    assert (private_stage / "demo" / f"draws-{DRAWS + 20}" / stage.STAGE_FILE).exists()


def test_a_damaged_table_is_estimated_again_with_a_warning(private_stage):
    stage.load("demo", draws=DRAWS)
    table = private_stage / "demo" / f"draws-{DRAWS}" / "table.parquet"
    table.write_bytes(table.read_bytes()[:-100])
    with pytest.warns(stage.StageWarning, match="does not match the sha256"):
        curve = stage.load("demo", draws=DRAWS)
    assert len(curve.table) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", stage.StageWarning)
        stage.load("demo", draws=DRAWS)  # stored again, whole


def test_the_key_covers_build_draws_seed_and_grid(private_stage):
    """Another build, draws, seed or grid setting is another key."""
    panel = divides.load_panel("demo")
    grid = speccurve.load_grid()
    key = stage.stage_key(panel, grid, DRAWS, None)
    other = panel.copy()
    other.attrs = {"divides": {**panel.attrs["divides"], "build_key": "0" * 64}}
    assert stage.stage_key(other, grid, DRAWS, None) != key
    assert stage.stage_key(panel, grid, DRAWS + 1, None) != key
    assert stage.stage_key(panel, grid, DRAWS, 7) != key
    changed_grid = {**grid, "inference": {**grid.get("inference", {}), "alpha": 0.1}}
    assert stage.stage_key(panel, changed_grid, DRAWS, None) != key


def test_a_new_build_is_not_served_the_old_curve(private_stage, monkeypatch):
    stage.load("demo", draws=DRAWS)
    real_load_panel = divides.build.loaders.load_panel

    def other_build(data, build=True):
        frame = real_load_panel(data, build)
        frame.attrs = {"divides": {**frame.attrs["divides"], "build_key": "f" * 64}}
        return frame

    monkeypatch.setattr(divides.build.loaders, "load_panel", other_build)
    _no_estimation(monkeypatch)
    with pytest.raises(AssertionError, match="was estimated"):
        stage.load("demo", draws=DRAWS)


def test_model_code_is_in_the_key(private_stage, monkeypatch, tmp_path):
    panel = divides.load_panel("demo")
    grid = speccurve.load_grid()
    key = stage.stage_key(panel, grid, DRAWS, None)
    models = tmp_path / "models"
    (models / "speccurve").mkdir(parents=True)
    for p in stage.code_files():
        target = models / p.relative_to(stage.MODELS_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(p.read_bytes())
    monkeypatch.setattr(stage, "MODELS_DIR", models)
    assert stage.stage_key(panel, grid, DRAWS, None) == key
    engine = models / "speccurve" / "engine.py"
    engine.write_text(engine.read_text() + "\n# a change\n")
    assert stage.stage_key(panel, grid, DRAWS, None) != key


def test_a_panel_without_build_key_is_refused():
    frame = divides.load_panel("demo").copy()
    frame.attrs = {"divides": {"data": "demo"}}
    with pytest.raises(ValueError, match="no build key"):
        stage.stage_key(frame, speccurve.load_grid(), DRAWS, None)


def test_the_stage_lives_under_processed():
    assert stage.targets("demo", 999)[0].parent == (config.processed_dir("demo") / "specs"
                                                    / "draws-999")
