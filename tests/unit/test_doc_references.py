"""Every document a docstring or comment names is in the repository (or, for the few that
travel with the published data, listed in docs/README.md with its place)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from divides import config

pytestmark = pytest.mark.unit

ROOT = config.PROJECT_ROOT
#: A document name as code cites it: ``docs/figures.md``, ``RESEARCH.md``, ``../x/SOURCES.md``.
DOC_REF = re.compile(r"(?<![\w<>/.-])((?:\.\./)*(?:[\w.-]+/)*[\w-]+\.(?:md|rst))\b")
#: Files the code writes (reports/<data>/codebook.md ...), not documents it cites.
WRITTEN_BY_THE_CODE = {"codebook.md", "index.md", "tables.md", "sources.md"}  # + report pages
SKIP_DIRS = {".venv", ".git", "reports", "processed", "node_modules", ".pytest_cache",
             "__pycache__", ".ipynb_checkpoints", "_build"}


def _repo_files(pattern: str) -> list[Path]:
    return [p for p in ROOT.rglob(pattern)
            if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)]


def data_documents() -> set[str]:
    """Names listed in docs/README.md under "Documents that come with the data"."""
    text = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Documents that come with the data", 1)[1]
    return set(re.findall(r"^\| `([\w.-]+\.md)` \|", section, flags=re.MULTILINE))


def missing_references(sources: dict[str, str], documents: set[str], data_docs: set[str]
                       ) -> list[str]:
    """``file: reference`` for each cited document found neither in ``documents`` (repository
    paths, posix, relative to the root) nor among ``data_docs`` (names)."""
    names = {Path(d).name for d in documents}
    missing = []
    for where, text in sources.items():
        for ref in sorted(set(DOC_REF.findall(text))):
            name = Path(ref).name
            if name in WRITTEN_BY_THE_CODE or name in data_docs:
                continue
            if "/" in ref and not ref.startswith("../"):
                here = (Path(where).parent / ref).as_posix()
                if ref in documents or here in documents:
                    continue
            elif "/" not in ref and name in names:
                continue
            missing.append(f"{where}: {ref}")
    return missing


def test_the_check_finds_a_document_that_is_not_there():
    sources = {"src/a.py": '"""See docs/figures.md and TECH-NOTES.md, then docs/gone.md."""',
               "src/b.py": "# per SOURCES.md; writes reports/<data>/codebook.md",
               "src/c.py": "# see ../elsewhere/NOTES.md"}
    found = missing_references(sources, {"docs/figures.md", "docs/TECH-NOTES.md"},
                               {"SOURCES.md"})
    assert found == ["src/a.py: docs/gone.md", "src/c.py: ../elsewhere/NOTES.md"]


def test_every_cited_document_is_in_the_repository():
    code = [p for pattern in ("*.py", "Makefile", "*.toml", "*.cfg")
            for p in _repo_files(pattern)]
    sources = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in code
               if p.resolve() != Path(__file__).resolve()}  # this file's examples are made up
    assert any("src/divides/figures/export.py" == k for k in sources)  # the scan sees src
    documents = {p.relative_to(ROOT).as_posix() for p in _repo_files("*.md")}
    data_docs = data_documents()
    assert data_docs == {"SOURCES.md", "SYNTHETIC_DEMO_DATA.md"}
    assert missing_references(sources, documents, data_docs) == []


def test_docs_index_lists_documents_that_exist():
    text = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([\w./-]+\.md)`", text.split("## Documents that come", 1)[0],
                        flags=re.MULTILINE)
    assert "docs/figures.md" in listed
    absent = [d for d in listed if not (ROOT / d).exists() and d != "README.md"]
    assert absent == [] and (ROOT / "README.md").exists()


def test_sources_document_is_with_the_real_data():
    real = config.real_dir()
    if real is None:
        pytest.skip("no real data folder (../shared/data/real or $DIVIDES_REAL_DIR)")
    assert (real / "SOURCES.md").exists()
