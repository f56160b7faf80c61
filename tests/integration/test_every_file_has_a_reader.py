"""Every file in ../shared/data/real (SOURCES.md aside) is read by some reader, and each
reader function named in a module's OTHER_PATTERNS exists and reads its files."""

from __future__ import annotations

import warnings

import pytest

from divides import sources

pytestmark = pytest.mark.integration


def _claims(real_dir):
    claimed: dict = {}
    for source in sources.MODULE_IDS:
        mod = sources.module(source)
        for pattern in mod.PATTERNS:
            for path in real_dir.glob(pattern):
                claimed.setdefault(path, []).append(f"{source}.read")
        for pattern, fn in sources.other_readers(source):
            for path in real_dir.glob(pattern):
                claimed.setdefault(path, []).append(f"{source}.{fn}")
    # A shapefile is read with its sidecar files (.dbf attributes, .shx index, .prj CRS,
    # .cpg encoding): they are claimed by whoever reads the .shp.
    for path, readers in list(claimed.items()):
        if path.suffix == ".shp":
            for ext in (".dbf", ".shx", ".prj", ".cpg"):
                if path.with_suffix(ext).exists():
                    claimed.setdefault(path.with_suffix(ext), []).extend(
                        f"{r} (sidecar)" for r in readers)
    return claimed


def test_every_real_file_is_claimed(real_dir):
    files = {p for p in real_dir.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    claimed = _claims(real_dir)
    unclaimed = sorted(str(p.relative_to(real_dir)) for p in files - set(claimed))
    assert not unclaimed, f"files no reader takes: {unclaimed}"
    # Observation files go to exactly one ``read`` (several other readers may take other
    # sheets of the same workbook, e.g. ITU's definitions and in-scope sheets).
    doubled = {str(p.relative_to(real_dir)): r for p, r in claimed.items()
               if sum(c.endswith(".read") for c in r) > 1}
    assert not doubled, f"files read as observations by more than one reader: {doubled}"


def test_other_readers_read_their_files(real_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path, claims in sorted(_claims(real_dir).items()):
            for claim in claims:
                source, fn = claim.split(".", 1)
                if fn == "read" or "sidecar" in fn:
                    continue
                out = getattr(sources.module(source), fn)(path)
                frame = out[0] if isinstance(out, tuple) else out
                assert len(frame) > 0, f"{claim} read nothing from {path.name}"
