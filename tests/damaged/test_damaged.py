"""Every damaged input gives a one-line error naming the file and place, or a counted drop.

The clean files come from the demo set (``divides.demo.write_demo``, written once per
session into a temporary folder); a case whose file the demo set lacks, or every case when
the generator cannot run, uses the seed files of ``seeds.py`` instead.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from damaged import cases, seeds  # tests/ is on pythonpath (pyproject)

from divides.countries import UnmappedCountryWarning
from divides.errors import DividesError
from divides.sources import module

pytestmark = pytest.mark.unit






@pytest.fixture(scope="session")
def clean_roots(tmp_path_factory) -> list[Path]:
    """[demo root (if the generator runs), seed root]: where cases find clean files."""
    roots = []
    try:
        from divides.demo import write_demo

        roots.append(Path(write_demo(out_dir=tmp_path_factory.mktemp("demo"))))
    except Exception as exc:  # noqa: BLE001 - the demo generator is optional here
        warnings.warn(f"demo set not available ({type(exc).__name__}: {exc}); "
                      "damaged cases use the seed files", stacklevel=1)
    roots.append(seeds.write_seeds(tmp_path_factory.mktemp("seeds")))
    return roots


_CLEAN: dict[Path, tuple[pd.DataFrame, object]] = {}


def read_quietly(source: str, path: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obs, report = module(source).read(path)
    return obs, report, caught


#: Workbooks above this size are cut to their first rows before damaging: openpyxl needs
#: about 20 s to load and save the 2 MB demo WGI workbook, and the corpus must stay fast.
TRIM_BYTES = 400_000
TRIM_ROWS = 300


def _trimmed(path: Path, out_dir: Path) -> Path:
    """A clean copy of a large workbook with the first TRIM_ROWS rows of every sheet."""
    from openpyxl import Workbook, load_workbook

    dst = out_dir / path.name
    if dst.exists():
        return dst
    src = load_workbook(path, read_only=True)
    book = Workbook()
    book.remove(book.active)
    for ws in src.worksheets:
        new = book.create_sheet(ws.title)
        for k, row in enumerate(ws.iter_rows(values_only=True)):
            if k >= TRIM_ROWS:
                break
            new.append(list(row))
    src.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    book.save(dst)
    return dst


@pytest.fixture(scope="session")
def trim_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trimmed")


def clean_files(case, roots: list[Path], trim_dir: Path):
    """(root, clean file) candidates for a case, demo first."""
    for root in roots:
        found = sorted(p for p in root.glob(case.pick) if p.is_file())
        if found:
            path = found[0]
            if path.suffix == ".xlsx" and path.stat().st_size > TRIM_BYTES:
                path = _trimmed(path, trim_dir / path.parent.relative_to(root))
            yield root, path


def damage(case, roots: list[Path], trim_dir: Path, out: Path):
    """Apply the case to the first clean file that can carry it: (clean file, Damaged)."""
    for root, src in clean_files(case, roots, trim_dir):
        try:
            return src, case.damage(src, root, out)
        except cases.NotApplicable:
            continue
    raise LookupError(f"{case.id}: no clean file {case.pick} can carry this damage")


def clean_read(source: str, path: Path):
    if path not in _CLEAN:
        obs, report, _ = read_quietly(source, path)
        _CLEAN[path] = (obs, report)
    return _CLEAN[path]


@pytest.mark.parametrize("case", cases.CASES, ids=cases.CASE_IDS)
def test_damaged_input(case, clean_roots, trim_dir, tmp_path):
    src, damaged = damage(case, clean_roots, trim_dir, tmp_path)
    clean_obs, clean_rep = clean_read(case.source, src)
    assert damaged.path.exists() and damaged.path.read_bytes() != src.read_bytes() or \
        damaged.path.name != src.name, "the case did not change the file"

    if case.expect == "error":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(DividesError) as info:
                module(case.source).read(damaged.path)
        assert type(info.value) is case.error, f"{type(info.value).__name__}: {info.value}"
        message = str(info.value)
        assert "\n" not in message, message
        pattern = case.match.replace("{file}", re.escape(damaged.path.name))
        assert re.match(pattern, message), f"message {message!r} does not match {pattern!r}"
        return

    obs, rep, caught = read_quietly(case.source, damaged.path)
    assert rep.balanced and rep.rows_kept == len(obs)
    if case.expect == "same":
        pd.testing.assert_frame_equal(obs.drop(columns="file"),
                                      clean_obs.drop(columns="file"))
        assert rep.rows_read == clean_rep.rows_read
        assert dict(rep.dropped) == dict(clean_rep.dropped)
        return

    assert case.expect == "drop"
    n = damaged.n or 1
    assert rep.dropped[case.reason] - clean_rep.dropped[case.reason] == n, dict(rep.dropped)
    assert rep.rows_read - clean_rep.rows_read == damaged.added
    if damaged.strict:
        others = {k: v for k, v in rep.dropped.items() if k != case.reason}
        clean_others = {k: v for k, v in clean_rep.dropped.items() if k != case.reason}
        assert others == clean_others
        assert rep.rows_kept == clean_rep.rows_kept - n + damaged.added
    if case.reason == "unmapped_name":
        assert any(damaged.name in name for name in rep.unmapped_names), rep.unmapped_names
        texts = [str(w.message) for w in caught if issubclass(w.category,
                                                              UnmappedCountryWarning)]
        assert any(damaged.path.name in t and damaged.name in t for t in texts), texts


def test_corpus_size():
    """The issue asks for at least 30 damaged inputs."""
    assert len(cases.CASES) >= 30
