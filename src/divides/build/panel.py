"""The analysis layer's build: raw files -> observations -> country-year panel -> gaps.

``build(data)`` reads every source's files under the raw-data root, writes into
``data/processed/<data>/``:

* ``observations.parquet``: every harmonised observation of every file (tidy layer);
* ``panel.parquet``: one row per (iso3, year), one column per catalogue ``panel_column``;
* ``cell_sources.parquet``: which file (source, file, release, series) gave each
  non-missing panel cell (:func:`divides.build.assemble.cell_sources`; the codebook reads it);
* ``gaps.parquet``: advantaged vs disadvantaged rates (see :mod:`divides.build.gaps`);
* ``drops.csv``: the ledger (stage, source, file, reason, rows, of_rows); within each
  (stage, file) the rows add up to ``of_rows`` (rows read, observations, or gap candidates);
* ``coverage.csv``: countries with data per variable and year, overall and per region;
* ``overlaps.csv``: every value that lost to a higher-priority file or source, beside the
  winner (the disagreement report); and ``manifest.json`` (data kind, input sha256s, versions).

The build is a transaction in small parts, one job each:

* :mod:`divides.build.inventory`: the one scan of the raw folder (every file with its role:
  data, companion, metadata, documentation, or not read and why), made once per build in
  :func:`read_plan` and passed to every consumer; what the reads must yield (a vanished
  catalogue series stops the build);
* :mod:`divides.build.readcache`: one reader call per file, cached by its sha256 and the code key
  (:mod:`divides.build.keys`, the hash of the package's own build files);
* :mod:`divides.build.rules`: the rule tables and column constants (panel, gaps and schemas
  import them); :mod:`divides.build.assemble`: which value wins (channel, then the edition in
  the content, never the file name); :mod:`divides.build.ledger`: drops, coverage, overlaps;
* :mod:`divides.build.store`: outputs staged in a new folder and made current by one symlink
  swap, under a lock; each output's sha256 and build key checked before reuse.

The whole build is skipped when the build key (every raw file, code key, library
versions) is unchanged and the current build matches its manifest. A changed input
re-reads only that file; the panel and gaps are re-derived.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from divides import __version__, config, fileio, provenance
from divides.build import capture, inventory, readcache, store
from divides.build import keys as buildkey

# The build's parts, one job each.
from divides.build.assemble import (
    assemble_with_winners,
    cell_sources,
    choose_releases,
    column_editions,
)
from divides.build.keys import key as _key
from divides.build.keys import library_versions
from divides.build.ledger import (
    check_ledger,
    coverage,
    drops_table,
    empty_column_notes,
    overlap_summary,
    unused_aliases,
)
from divides.build.readcache import cache_stem, prune_read_cache
from divides.observations import empty_observations, finalize, shown_names

OUTPUT_FILES = ("observations.parquet", "panel.parquet", "cell_sources.parquet", "gaps.parquet",
                "drops.csv", "coverage.csv", "overlaps.csv", "manifest.json")


@dataclass
class BuildResult:
    """What a build did: where its outputs are and whether any work was done."""

    data: str
    out_dir: Path
    rebuilt: bool
    manifest: dict = field(default_factory=dict)

    @property
    def paths(self) -> dict[str, Path]:
        return {name.split(".")[0]: self.out_dir / name for name in OUTPUT_FILES}

    def summary(self) -> str:
        m = self.manifest
        state = "built" if self.rebuilt else "up to date (no work done)"
        shape = m.get("panel_shape", ["?", "?"])
        lines = [f"divides build --data {self.data}: {state} in {self.out_dir}",
                 (f"  panel {shape[0]} rows x {shape[1]} columns, {m.get('panel_countries')} "
                 f"countries; gaps {m.get('gaps_rows')} rows; observations "
                 f"{m.get('observations_rows')}")]
        for f in m.get("raw_files", []):
            if f["status"] == "not_read":
                lines.append(f"  not read: {f['path']} ({f['why']})")
        for source in m.get("sources_without_files", []):
            lines.append(f"  warning: no input files for source {source!r} (its columns are "
                         "empty; see coverage.csv)")
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers

# --------------------------------------------------------------------------- reading

def _module(source: str):
    from divides import sources

    try:
        return sources.module(source)
    except ModuleNotFoundError:
        return None


def _read_shas(files: dict[str, list[Path]], root: Path, shas: dict[str, str]
               ) -> dict[Path, str]:
    """Per observation file, the checksum its read is cached under: its own sha256, or
    that of the file and its companions (files the reader reads beside it)."""
    from divides import sources

    out = {}
    for source, path in _data_files(files):
        rel = path.relative_to(root).as_posix()
        extra = [fileio.sha256_file(p) if p.exists() else "absent"
                 for p in sources.companions(source, path)]
        out[path] = readcache.read_sha(rel, [shas[rel], *extra])
    return out


def _data_files(files: dict[str, list[Path]]) -> list[tuple[str, Path]]:
    """(source, observation file) pairs, in panel order."""
    return [(s, p) for s, ps in files.items() for p in ps]


# --------------------------------------------------------------------------- panel

# --------------------------------------------------------------------------- coverage

# --------------------------------------------------------------------------- writing

# --------------------------------------------------------------------------- build

def resolve_raw_dir(data: str, raw_dir: str | Path | None = None) -> Path:
    """The raw-data root of ``data`` (or ``raw_dir``); only a path, nothing is written."""
    if raw_dir is not None:
        root = Path(raw_dir).expanduser().resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"raw-data folder {root} does not exist")
        return root
    return config.raw_dir(data)


def check_raw_dir(data: str, root: Path, default: bool) -> None:
    """Stop a build on the wrong raw folder: the default demo folder missing or made by
    another generator (run ``divides demo``), a demo build given files that are not this
    generator's demo set (real files must never be labelled synthetic), or a real build
    given the demo set."""
    from divides.errors import InputError

    state = provenance.demo_state(root)
    if data == "demo" and default and state in ("missing", "stale"):
        why = ("does not exist or is empty" if state == "missing" else
               "was made by another version of the generator or other parameters (its "
               f"{provenance.DEMO_MARKER_FILE} has another fingerprint)")
        raise InputError(f"the demo data folder {root} {why}: run `{provenance.DEMO_COMMAND}` "
                         "to write it (`divides run --data demo` does so itself)")
    if data == "demo" and state in ("other", "stale"):
        found = (f"no {provenance.DEMO_MARKER_FILE}" if state == "other" else
                 f"a {provenance.DEMO_MARKER_FILE} with another generator fingerprint (made "
                 "by another version of the generator or other parameters)")
        raise InputError(f"--data demo: {root} is not the demo set (expected the "
                         f"{provenance.DEMO_MARKER_FILE} written by `{provenance.DEMO_COMMAND}`"
                         f", found {found}); a demo build labels every value synthetic, so "
                         "it refuses other files: build them with `--data real`, or write the "
                         f"demo set there with `{provenance.DEMO_COMMAND} --out {root}`")
    if data == "real" and state in ("current", "stale"):
        raise InputError(f"{root} carries the demo marker {provenance.DEMO_MARKER_FILE}: it "
                         "is the synthetic data set, and a real build refuses it (use "
                         "`--data demo`, or point --raw-dir at the published files)")


def _progress(iterable, total: int, desc: str, enabled: bool | None):
    try:
        from tqdm import tqdm  # text bar: tqdm.auto warns in kernels without ipywidgets
    except ModuleNotFoundError:  # pragma: no cover - tqdm is a dependency
        return iterable
    disable = None if enabled is None else not enabled  # None: only on a terminal
    return tqdm(iterable, total=total, desc=desc, unit="file", disable=disable, leave=False)


def source_editions(col_editions: dict[str, list[dict]], reports) -> dict[str, list[str]]:
    """Per source, the editions (releases) its values came from: those of the files that
    won panel cells, else (a source that feeds only gaps) of every file that gave
    observations. Figure footers name them."""
    out: dict[str, set[str]] = {}
    for entries in col_editions.values():
        for e in entries:
            if e["edition"]:
                out.setdefault(e["source"], set()).add(e["edition"])
    for r in reports:
        if r.source not in out and r.release and r.observations:
            out.setdefault(r.source, set()).add(r.release)
    return {s: sorted(v) for s, v in sorted(out.items())}


@dataclass
class ReadPlan:
    """What a build of ``data`` reads, and the keys that decide what can be reused."""

    data: str
    root: Path
    out: Path
    raw: inventory.RawFiles  # the one scan of the raw folder: every file and its role
    files: dict[str, list[Path]]  # observation files per source (from ``raw``)
    shas: dict[str, str]
    read_shas: dict[Path, str]
    read_keys: dict[str, str]
    versions: dict[str, str]
    build_key: str

    @property
    def cache_dir(self) -> Path:
        return self.out / store.READ_CACHE

    def read_entries(self, source: str) -> list[Path]:
        """The read-cache files (parquet and json) of ``source``'s observation files."""
        stems = [cache_stem(source, self.read_shas[p], self.read_keys[source])
                 for p in self.files.get(source, [])]
        return [self.cache_dir / f"{stem}.{ext}" for stem in stems for ext in ("parquet", "json")]

    def read_args(self, source: str, path: Path, force: bool = False) -> dict:
        """What :func:`readcache.read_file_cached` needs besides the key: the relative
        path, the companions (their bytes are checked too) and ``force``."""
        from divides import sources

        return {"rel": path.relative_to(self.root).as_posix(),
                "companions": sources.companions(source, path), "force": force}

    def source_inputs(self, source: str) -> list[Path]:
        """The files a read of ``source`` opens: its observation files and their companions."""
        from divides import sources

        paths = set(self.files.get(source, []))
        for p in self.files.get(source, []):
            paths.update(c for c in sources.companions(source, p) if c.exists())
        return sorted(paths)


def read_plan(data: str = "demo", raw_dir: str | Path | None = None,
              out_dir: str | Path | None = None) -> ReadPlan:
    """The inputs, checksums and keys of a build of ``data`` (nothing is read yet)."""
    if data not in provenance.DATA_KINDS:
        raise ValueError(f"data must be one of {provenance.DATA_KINDS}, got {data!r}")
    root = resolve_raw_dir(data, raw_dir)
    check_raw_dir(data, root, default=raw_dir is None)
    out = Path(out_dir) if out_dir is not None else config.processed_dir(data)
    raw = inventory.scan(root)
    if not any(raw.data_files().values()):
        raise FileNotFoundError(f"no input files under {root} (expected folders such as "
                                "wb_wdi/, ti_cpi/, un_egov/ laid out like ../shared/data/real)")
    # every file under the root is in the key, read or not
    # (a symlink leading out of the folder is keyed by its target, never opened)
    outside = dict(raw.outside)
    shas = {rel: fileio.json_sha256("symlink", outside[rel]) if rel in outside
            else fileio.sha256_file(root / rel) for rel in raw.table["path"]}
    raw = inventory.set_aside_copies(raw, shas)
    files = raw.data_files()
    versions = library_versions()
    code = buildkey.code_key()
    read_keys = {s: _key(code, versions) for s in files}
    read_shas = _read_shas(files, root, shas)
    build_key = _key(shas, code, versions, __version__, data)
    return ReadPlan(data, root, out, raw, files, shas, read_shas, read_keys, versions,
                    build_key)


def read_source(plan: ReadPlan, source: str) -> int:
    """Read ``source``'s files into the read cache (a pipeline step before the build);
    returns how many files were read (the rest were cached)."""
    read = 0
    for path in plan.files.get(source, []):
        stem = cache_stem(source, plan.read_shas[path], plan.read_keys[source])
        if all((plan.cache_dir / f"{stem}.{ext}").exists() for ext in ("parquet", "json")):
            continue  # an entry the build will load (and check: a damaged one is read again)
        readcache.read_file_cached(_module(source).read, source, path, plan.read_shas[path],
                                   plan.cache_dir, plan.read_keys[source],
                                   **plan.read_args(source, path))
        read += 1
    return read


def build(data: str = "demo", raw_dir: str | Path | None = None, force: bool = False,
          progress: bool | None = None, out_dir: str | Path | None = None,
          lock_timeout_s: float | None = None) -> BuildResult:
    """Build the outputs (:data:`OUTPUT_FILES`) for ``data``.

    Does no work when the current build has the build key (input sha256s, code key,
    library versions) and its files match its manifest, unless ``force``. The outputs are
    written into a staging folder and made current in one step (:mod:`divides.build.store`);
    a second build on the same folder waits for the first (``lock_timeout_s``).
    """
    plan = read_plan(data, raw_dir, out_dir)
    out, build_key = plan.out, plan.build_key
    if not force:
        done = _up_to_date(out, build_key)
        if done is not None:
            return BuildResult(data, out, rebuilt=False, manifest=done)
    with store.lock(out, lock_timeout_s):
        store.remove_leftovers(out)  # staging folders and temp files of killed builds
        if not force:  # another build may have made it while this one waited
            done = _up_to_date(out, build_key, quiet=True)
            if done is not None:
                return BuildResult(data, out, rebuilt=False, manifest=done)
        staged = store.stage(out)
        try:
            manifest = _build_into(staged, plan, progress, force)
            store.commit(out, staged, build_key, [*manifest["outputs"], "manifest.json"])
        except BaseException:
            store.discard(staged)
            raise
    return BuildResult(data, out, rebuilt=True, manifest=manifest)


def _up_to_date(out: Path, build_key: str, quiet: bool = False) -> dict | None:
    """The manifest of ``out``'s current build when it is whole and has ``build_key``."""
    current = store.current_dir(out)
    if current is None:
        return None
    try:
        return store.verify(current, build_key, parquet_keys=False)
    except store.StaleBuildError as exc:
        if not quiet and "build key" not in str(exc):
            warnings.warn(f"divides build: rebuilding: {exc}", stacklevel=3)
        return None


def _build_into(out: Path, plan: ReadPlan, progress: bool | None, force: bool = False
                ) -> dict:
    """Read, assemble, validate and write every output into the staging folder ``out``."""
    data, root, files, raw = plan.data, plan.root, plan.files, plan.raw
    shas, read_shas, read_keys = plan.shas, plan.read_shas, plan.read_keys
    versions, build_key, cache_dir = plan.versions, plan.build_key, plan.cache_dir
    data_files = _data_files(files)
    meta_files = raw.metadata(*inventory.COUNTRY_METADATA)
    # imported only when there is work to do (pandera alone takes about 0.4 s to import)
    from divides.build import gaps as gaps_mod
    from divides.build import schemas as panel_schemas

    frames, reports, cache_hits = [], [], 0
    for source, path in _progress(data_files, len(data_files), f"reading {data}", progress):
        obs, report, hit = readcache.read_file_cached(
            _module(source).read, source, path, read_shas[path], cache_dir, read_keys[source],
            **plan.read_args(source, path, force))
        frames.append(obs)
        reports.append(report)
        cache_hits += hit
    obs = finalize(pd.concat(frames, ignore_index=True)) if frames else empty_observations()
    inventory.check_yields(reports, obs, root, {(s, p.name): p for s, p in data_files})
    for row in raw.table[raw.table["role"] == "not read"].itertuples():
        warnings.warn(f"divides build: {row.path} is not read: {row.reason}", stacklevel=3)
    reader_missing = [s for s in files if _module(s) is None]
    no_files = [s for s, ps in files.items() if not ps]
    for source in no_files:
        why = "no reader module yet" if source in reader_missing else f"no files under {root}"
        warnings.warn(f"divides build: source {source!r} gives no observations ({why}); its "
                      "panel columns stay empty and coverage.csv shows them empty",
                      stacklevel=2)

    from divides.sources import wdi

    no_meta: list[str] = []
    if meta_files:
        country_meta = pd.concat([wdi.read_country_metadata(p) for p in meta_files])
        # a file that has the country's region beats one that leaves it blank
        country_meta = country_meta.sort_values("region", na_position="first", kind="mergesort")
        country_meta = country_meta.drop_duplicates("iso3", keep="last").sort_values("iso3")
        in_panel = set(obs["iso3"])
        no_meta = sorted(set(country_meta.loc[country_meta["region"].isna() |
                                              country_meta["income_group"].isna(), "iso3"])
                         & in_panel)
        no_meta += sorted(in_panel - set(country_meta["iso3"]))
        if no_meta:
            warnings.warn(f"divides build: {len(no_meta)} countries have no Region or Income "
                          "group in the WDI country metadata "
                          f"({', '.join(p.name for p in meta_files)}): {no_meta}; they are "
                          "outside every regional and income-group sample (manifest "
                          "'countries_without_metadata')", stacklevel=3)
    else:
        warnings.warn(f"divides build: no WDI Metadata_Country file under {root}; region and "
                      "income_group are empty", stacklevel=2)
        country_meta = None

    file_release = {(r.source, r.file): r.release for r in reports if r.release}
    set_aside, release_records = choose_releases(obs, file_release)
    panel, overlaps, panel_ledger, winners = assemble_with_winners(obs, country_meta, file_release,
                                                       set_aside)
    cells = cell_sources(winners, panel, file_release)
    gaps, gap_ledger, gap_notes = gaps_mod.compute_gaps(obs, panel,
                                                        file_release=file_release)

    drops = drops_table(reports, no_files, panel_ledger, gap_ledger)
    check_ledger(drops)
    cov = coverage(panel, gaps, {**empty_column_notes(no_files), **gap_notes})

    input_meta = {"input_sha256": dict(sorted(shas.items())), "sources": sorted(
        s for s, ps in files.items() if ps), "package_version": __version__,
        "library_versions": versions, "build_key": build_key,
        "source_editions": source_editions(column_editions(winners, file_release), reports)}
    provenance.tag(obs, data=data, **input_meta)
    provenance.tag(panel, data=data, **input_meta)
    provenance.tag(cells, data=data, **input_meta)
    provenance.tag(gaps, data=data, **input_meta)
    panel_schemas.validate_panel(panel)
    panel_schemas.validate_gaps(gaps)

    fileio.write_parquet(obs, out / "observations.parquet")
    fileio.write_parquet(panel, out / "panel.parquet")
    fileio.write_parquet(cells, out / "cell_sources.parquet")
    fileio.write_parquet(gaps, out / "gaps.parquet")
    fileio.write_csv(drops, out / "drops.csv")
    fileio.write_csv(cov, out / "coverage.csv")
    fileio.write_csv(overlaps, out / "overlaps.csv")
    capture.write_build_metadata(raw, out)  # definitions.csv, input_files.csv (codebook)
    manifest = {
        "data": data, **input_meta,
        "raw_dir_name": root.name,
        "countries_without_metadata": no_meta,
        # every file under the raw folder: read (how) or not read (why)
        "raw_files": raw.inventory().to_dict("records"),
        "sources_without_files": no_files,
        "sources_without_reader": reader_missing,
        "observations_rows": len(obs),
        "panel_shape": [int(panel.shape[0]), int(panel.shape[1])],
        "panel_countries": int(panel["iso3"].nunique()),
        "panel_years": [int(panel["year"].min()), int(panel["year"].max())] if len(panel) else [],
        "gaps_rows": len(gaps),
        "overlap_summary": overlap_summary(overlaps).to_dict("records"),
        # the first names of each file (a file of junk names must not make a huge manifest)
        "unmapped_names": {r.file: shown_names(r.unmapped_names) for r in reports
                           if r.unmapped_names},
        "unmapped_name_counts": {r.file: len(r.unmapped_names) for r in reports
                                 if r.unmapped_names},
        # the demo set uses only some of each table's names: recorded, not warned
        "unused_aliases": unused_aliases(reports, warn=data == "real"),
        "rules": {"panel": "data/build/panel_rules.csv", "files": "data/build/file_priority.csv",
                  "gaps": "data/build/gap_definitions.csv", "releases": "data/build/releases.csv"},
        # the release (edition) each reader found in its file's content
        "file_releases": {f"{s}/{f}": r for (s, f), r in sorted(file_release.items())},
        # per panel column, the files and editions its values came from
        "column_editions": column_editions(winners, file_release),
        # per series of a source that revises history: which release is used, which not
        "releases": release_records,
    }
    manifest["outputs"] = store.output_hashes(out, [p.name for p in out.iterdir()])
    fileio.write_text(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    keep = {cache_stem(s, read_shas[p], read_keys[s]) for s, p in data_files}
    prune_read_cache(cache_dir, keep, set(read_keys))
    return manifest


