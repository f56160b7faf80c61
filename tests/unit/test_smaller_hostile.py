"""Issue 27, case 13 (the smaller items): `--data demo` refuses files that are not the demo
set; a full disk names the path being written; a million junk rows give capped warnings and
manifest lists with exact counts; cross-host redirects are on the record; bad notebook
parameters stop the run before anything runs, in one line."""

from __future__ import annotations

import warnings

import pytest

from divides import provenance
from divides.build import panel
from divides.errors import InputError
from divides.run import cli
from tests.unit.test_panel_cache import raw  # noqa: F401 - the tiny WDI raw folder fixture

pytestmark = pytest.mark.unit


def _build(raw_dir, out, data="demo", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return panel.build(data, raw_dir=raw_dir, out_dir=out, progress=False, **kw)


# -- (b) --data demo refuses files that are not the demo set ------------------------------

def test_demo_build_refuses_a_folder_without_the_marker(raw, tmp_path):  # noqa: F811
    """Real (or any other) files built with --data demo were labelled synthetic."""
    (raw / provenance.DEMO_MARKER_FILE).unlink()
    with pytest.raises(InputError, match="is not the demo set") as caught:
        _build(raw, tmp_path / "out")
    assert str(raw) in str(caught.value) and "--data real" in str(caught.value)
    assert not (tmp_path / "out").exists()  # refused before anything was written
    assert _build(raw, tmp_path / "real", data="real").manifest["observations_rows"] > 0


def test_demo_build_refuses_another_fingerprint(raw, tmp_path):  # noqa: F811
    marker = raw / provenance.DEMO_MARKER_FILE
    text = marker.read_text(encoding="utf-8")
    marker.write_text(text.replace("- generator sha256: ", "- generator sha256: 0"),
                      encoding="utf-8")
    with pytest.raises(InputError, match="another generator fingerprint"):
        _build(raw, tmp_path / "out")


def test_demo_build_refusal_is_one_line_at_the_cli(raw, tmp_path, monkeypatch,  # noqa: F811
                                                   capsys):
    monkeypatch.setattr("divides.config.processed_dir", lambda data: tmp_path / "out")
    (raw / provenance.DEMO_MARKER_FILE).unlink()
    assert cli.main(["build", "--data", "demo", "--raw-dir", str(raw)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("divides build: error: --data demo:") and "not the demo set" in err


def test_the_marked_demo_folder_still_builds(raw, tmp_path):  # noqa: F811
    assert _build(raw, tmp_path / "out").manifest["observations_rows"] > 0
