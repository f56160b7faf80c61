import pytest

from divides import demo

pytestmark = pytest.mark.unit


def test_marker_fingerprint_decides_current(tmp_path):
    marker = tmp_path / demo.MARKER_FILE
    assert not demo.is_current(tmp_path)
    marker.write_text(f"- generator sha256: {demo.fingerprint()}\n", encoding="utf-8")
    assert demo.is_current(tmp_path)
    # another seed or generator version gives another fingerprint: the folder is stale
    assert demo.fingerprint(seed=1) != demo.fingerprint()
    assert not demo.is_current(tmp_path, seed=1)
    marker.write_text("- generator sha256: 0000000000000000\n", encoding="utf-8")
    assert not demo.is_current(tmp_path)
