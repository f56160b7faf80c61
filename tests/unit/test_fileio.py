"""divides.fileio: atomic writes, checksums, modes, the leftover sweep and parquet."""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest

from divides import fileio, provenance

pytestmark = pytest.mark.unit


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_atomic_write_keeps_the_old_file_when_the_writer_fails_midway(tmp_path):
    path = tmp_path / "out.csv"
    path.write_bytes(b"old\n")

    with pytest.raises(OSError, match="disk full"), fileio.atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(b"half of the new")
        raise OSError(28, "disk full")

    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary left


def test_atomic_write_replaces_with_a_normal_mode(tmp_path):
    path = tmp_path / "sub" / "a.txt"
    fileio.write_text(path, "one\r\ntwo\n")
    assert path.read_bytes() == b"one\r\ntwo\n"  # line ends as given
    fileio.write_bytes(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]


def test_temporary_names_follow_the_convention(tmp_path):
    seen = []
    with fileio.atomic_path(tmp_path / "x.parquet") as tmp:
        seen.append(tmp.name)
        tmp.write_bytes(b"x")
    assert fileio.is_temp(seen[0]) and seen[0].startswith(fileio.TEMP_PREFIX + "x.parquet-")


def test_sha256_matches_hashlib(tmp_path):
    path = tmp_path / "blob"
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one read chunk
    path.write_bytes(data)
    assert fileio.sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert fileio.sha256_file(path, chunk=4096) == hashlib.sha256(data).hexdigest()
    assert fileio.sha256_matches(path, hashlib.sha256(data).hexdigest())
    assert not fileio.sha256_matches(tmp_path / "absent", hashlib.sha256(data).hexdigest())


def test_remove_mismatch_keeps_a_matching_file_only(tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_bytes(b"a")
    bad.write_bytes(b"b")
    want = hashlib.sha256(b"a").hexdigest()
    fileio.remove_mismatch(good, want)
    fileio.remove_mismatch(bad, want)
    fileio.remove_mismatch(tmp_path / "absent", want)  # nothing there: nothing to do
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good"]


def test_sweep_removes_only_its_own_leftovers(tmp_path):
    prefix = fileio.TEMP_PREFIX
    (tmp_path / "sub").mkdir()
    mine = [tmp_path / f"{prefix}panel.parquet-k2j3h4g5.part",
            tmp_path / "sub" / f"{prefix}a.csv-abcdefgh.part"]
    for p in mine:
        p.write_bytes(b"half")
    work = tmp_path / f"{prefix}fetch-x1y2z3"
    (work / "inner").mkdir(parents=True)
    (work / "inner" / "tmpab12cd_3").write_bytes(b"pooch's, inside our work folder")
    link = tmp_path / f"{prefix}current-abc.part"
    os.symlink("nowhere", link)
    kept = [tmp_path / "tmpab12cd_3", tmp_path / "tmp1234abcd", tmp_path / ".tmp-x",
            tmp_path / "sub" / "data.part", tmp_path / "sub" / "tmpzz99yy88"]
    for p in kept:
        p.write_bytes(b"a user's file")

    top = fileio.sweep(tmp_path)  # this folder only
    assert set(top) == {mine[0], work, link}
    assert mine[1].exists()
    assert fileio.sweep(tmp_path, recursive=True) == [mine[1]]
    assert all(p.exists() for p in kept)
    assert not work.exists() and not link.is_symlink()
    assert fileio.sweep(tmp_path / "absent") == []


def test_replace_symlink_swaps_in_one_step(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = tmp_path / "current"
    fileio.replace_symlink(link, "a")
    fileio.replace_symlink(link, "b")
    assert os.readlink(link) == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "current"]


def test_parquet_round_trip_keeps_provenance_attrs(tmp_path):
    frame = provenance.tag(pd.DataFrame({"iso3": ["DNK", "KEN"], "v": [1.5, None]}),
                           data="demo", input_sha256={"f.csv": "ab"}, build_key="k1")
    path = tmp_path / "t.parquet"
    fileio.write_parquet(frame, path)
    back = fileio.read_parquet(path)
    pd.testing.assert_frame_equal(back, frame, check_like=False)
    assert back.attrs["divides"] == {"data": "demo", "input_sha256": {"f.csv": "ab"},
                                     "build_key": "k1"}
    assert fileio.parquet_provenance(path)["build_key"] == "k1"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_parquet_without_provenance_reads_without_it(tmp_path):
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    assert fileio.parquet_provenance(path) is None
    assert "divides" not in fileio.read_parquet(path).attrs
