"""Every file under the raw folder, read or not (and why); and what the reads must yield.

The build lists each file under the raw-data root as ``read`` (an observation file of a
source), ``read_other`` (country metadata, definitions, geometries: read by another public
reader), ``companion`` (read beside an observation file) or ``not_read`` with the reason.
All of them, read or not, are in the build key, so a file added or changed anywhere under
the root is never ignored silently.

After the reads, :func:`check_yields` stops the build when a catalogue series went
missing while a file has a similar code (a publisher renamed it), when a file that has
rows yields no catalogue series, and when a source with files yields nothing.
"""

from __future__ import annotations

import difflib
import fnmatch
from glob import escape as glob_escape
from pathlib import Path

import pandas as pd

from divides import catalogue
from divides.errors import InputError
from divides.observations import ReadReport

INVENTORY_COLUMNS = ["path", "status", "source", "why"]
#: Files that are not data, by name (any folder): why they are not read.
NOT_DATA = {
    "SOURCES.md": "documentation of the files (not data)",
    "README.md": "documentation (not data)",
    "SYNTHETIC_DEMO_DATA.md": "demo marker (the folder is the synthetic set)",
    "publishers.lock.json": "lock of `divides fetch` (sha256s of the fetched files)",
    "PROVENANCE.csv": "provenance of `divides fetch` (URL, sha256, date per file)",
}


def _why_not_read(rel: str, globs: dict[str, list[str]]) -> str:
    """Why a file under the root is not read: not data, or no reader pattern matches."""
    name = Path(rel).name
    if name in NOT_DATA:
        return NOT_DATA[name]
    if name.startswith("."):
        return "hidden file"
    top = rel.split("/", 1)[0]
    pats = [p for ps in globs.values() for p in ps if p.split("/", 1)[0] == top]
    if not pats:
        return (f"no reader reads folder {top}/" if "/" in rel
                else "not in a source folder (files are read from folders such as wb_wdi/)")
    near = [p for p in pats if fnmatch.fnmatch(rel.casefold(), p.casefold())]
    if near:
        return f"matches {near[0]!r} only when case is ignored (file patterns are case-exact)"
    return f"matches no file pattern of its folder ({', '.join(sorted(pats)[:4])})"


def raw_inventory(root: Path, files: dict[str, list[Path]], meta_files: list[Path]
                  ) -> pd.DataFrame:
    """One row per file under ``root``: path (relative, posix), status, source, why."""
    from divides import sources

    root = Path(root)
    status: dict[Path, tuple[str, str, str]] = {}
    for source, paths in files.items():
        for p in paths:
            status[p] = ("read", source, "observations")
            for comp in sources.companions(source, p):
                if comp.exists():
                    status.setdefault(comp, ("companion", source, f"read with {p.name}"))
    for p in meta_files:
        status[p] = ("read_other", "wdi", "country metadata (region, income group)")
    globs: dict[str, list[str]] = {}
    for mid in sources.MODULE_IDS:
        mod = sources.module(mid)
        globs[mid] = list(getattr(mod, "PATTERNS", ())) + list(getattr(mod, "OTHER_PATTERNS", {}))
        for pat, fn in getattr(mod, "OTHER_PATTERNS", {}).items():
            for p in root.glob(pat):
                if p.is_file():
                    status.setdefault(p, ("read_other", mid, f"read by {mid}.{fn}"))
                    if p.suffix.casefold() == ".shp":  # GDAL reads the sidecars with it
                        for side in p.parent.glob(f"{glob_escape(p.stem)}.*"):
                            status.setdefault(side, ("companion", mid, f"read with {p.name}"))
    rows = []
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        rel = p.relative_to(root).as_posix()
        st, source, why = status.get(p, ("not_read", "", ""))
        if st == "not_read":
            why = _why_not_read(rel, globs)
        rows.append({"path": rel, "status": st, "source": source, "why": why})
    return pd.DataFrame(rows, columns=INVENTORY_COLUMNS)


def _similar(code: str, others: list[str] | dict[str, str], n: int = 5) -> list[str]:
    """Codes of ``others`` like ``code`` (case ignored): close by difflib, or extending it.
    ``others`` may be given already folded, as {casefolded: code}."""
    folded = others if isinstance(others, dict) else {o.casefold(): o for o in others}
    c = code.casefold()
    hits = [folded[o] for o in difflib.get_close_matches(c, list(folded), n=n, cutoff=0.8)]
    hits += [o for f, o in folded.items() if len(c) >= 6 and f.startswith(c)]
    return list(dict.fromkeys(hits))[:n]


def check_yields(reports: list[ReadReport], obs: pd.DataFrame, root: Path,
                 paths: dict[tuple[str, str], Path]) -> None:
    """Stop the build when a file or source no longer yields what the catalogue expects.

    * a catalogue series that no file of its source yields, while a file of the source has
      a similar code that is not in the catalogue (a renamed series): the error names the
      file, the series and the similar codes;
    * a file that has rows but yields no observation at all (every row dropped);
    * a source with files that yields no observation.
    ``paths`` maps (source, file name) to the file, to name it relative to ``root``.
    """
    def rel(r: ReadReport) -> str:
        p = paths.get((r.source, r.file))
        return p.relative_to(root).as_posix() if p is not None else r.file

    yielded = set(obs[["source", "indicator"]].drop_duplicates().itertuples(index=False,
                                                                            name=None))
    cat = catalogue.indicators()
    missing_of = {s: [(code, ind) for code, ind in zip(g["publisher_code"], g["indicator"])
                      if (s, ind) not in yielded] for s, g in cat.groupby("source")}
    problems = []
    for r in reports:
        if not r.other_codes or not missing_of.get(r.source):
            continue
        folded = {o.casefold(): o for o in r.other_codes}
        for code, ind in missing_of[r.source]:
            like = _similar(code, folded)
            if like:
                problems.append(f"{rel(r)}: catalogue series {code!r} ({ind}) is not in the "
                                f"file, which has the similar code(s) {like}; if the publisher "
                                "renamed the series, add the new code to data/build/indicators.csv")
    for r in reports:
        if r.rows_read and not r.observations and not r.rows_kept:
            have = (f"; the codes it has include {r.other_codes[:8]}" if r.other_codes else "")
            problems.append(f"{rel(r)}: {r.rows_read} rows read but no observation kept "
                            f"(dropped: {dict(sorted(r.dropped.items()))}){have}")
    by_source: dict[str, list[ReadReport]] = {}
    for r in reports:
        by_source.setdefault(r.source, []).append(r)
    for source, reps in sorted(by_source.items()):
        if not any(r.observations or r.rows_kept for r in reps):
            problems.append(f"source {source!r}: its {len(reps)} file(s) yield no observation")
    if problems:
        raise InputError(f"the inputs under {root} no longer give what the catalogue "
                         "(data/build/indicators.csv) expects:\n  " + "\n  ".join(
                             dict.fromkeys(problems)))
