"""Where a build's outputs live: staged in a new folder, made current in one step.

Layout of ``data/processed/<data>/`` (the ``out`` folder of :func:`divides.build.panel.build`)::

    builds/<id>/            one complete build each: the outputs and manifest.json
    current -> builds/<id>  the build in use; swapped by one os.replace of a symlink
    panel.parquet -> current/panel.parquet   (and each other output: stable names)
    cache/                  per-file read cache (see :mod:`divides.build.readcache`)
    .build.lock             serialises builds on this folder (filelock)

A build writes into a fresh staging folder (``builds/`` + :data:`STAGING_PREFIX`); only when every output is
written does ``current`` point at it. A failed or killed build therefore leaves the
previous build current and whole. The manifest lists every output's sha256 and the
parquet files carry the build key in their metadata; :func:`verify` checks both, so
a build dir that was changed after the fact is never taken as up to date.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from divides import fileio

#: Folder of complete builds (and staging folders) inside ``out``.
BUILDS = "builds"
#: Symlink to the current build inside ``out``.
CURRENT = "current"
#: The per-file read cache inside an output folder (:mod:`divides.build.readcache`).
READ_CACHE = "cache"
LOCK_FILE = ".build.lock"
#: Seconds a build waits for another build on the same folder before it gives up.
LOCK_TIMEOUT_S = float(os.environ.get("DIVIDES_BUILD_LOCK_TIMEOUT_S", "1800"))
#: Prefix of staging folders: a temporary name (:mod:`divides.fileio`), so one that a
#: killed build left is swept like any other leftover.
STAGING_PREFIX = fileio.temp_prefix("staging")


class BuildLockTimeout(RuntimeError):
    """Another build held the folder's lock for longer than the timeout."""


class StaleBuildError(RuntimeError):
    """A build folder whose files do not match its own manifest (changed or mixed)."""


def lock(out: Path, timeout_s: float | None = None, notify=None):
    """A lock on ``out`` for one build; waits (telling ``notify``) or fails clearly."""
    import filelock

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timeout_s = LOCK_TIMEOUT_S if timeout_s is None else timeout_s
    lk = filelock.FileLock(str(out / LOCK_FILE))

    @contextlib.contextmanager
    def held():
        try:
            lk.acquire(timeout=0)
        except filelock.Timeout:
            msg = (f"divides build: another build is running on {out} (lock {out / LOCK_FILE});"
                   f" waiting up to {timeout_s:g} s")
            (notify or (lambda m: print(m, file=sys.stderr, flush=True)))(msg)
            try:
                lk.acquire(timeout=timeout_s)
            except filelock.Timeout:
                raise BuildLockTimeout(
                    f"another build held {out / LOCK_FILE} for more than {timeout_s:g} s; "
                    "wait for it to finish, or set DIVIDES_BUILD_LOCK_TIMEOUT_S") from None
        try:
            yield
        finally:
            lk.release()

    return held()


def current_dir(out: Path) -> Path | None:
    """The current build folder of ``out`` (resolved), or None when there is none."""
    link = Path(out) / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def stage(out: Path) -> Path:
    """A new, empty staging folder for one build (unique name)."""
    builds = Path(out) / BUILDS
    with fileio.writing(builds):
        builds.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=builds))


def output_hashes(folder: Path, names) -> dict[str, str]:
    return {name: fileio.sha256_file(Path(folder) / name) for name in sorted(names)}


def commit(out: Path, staged: Path, build_key: str, names) -> Path:
    """Make ``staged`` the current build of ``out`` in one atomic step; returns its path.

    The staging folder is renamed to ``builds/<key prefix>-<unique>``, then the ``current``
    symlink is replaced by one ``os.replace``. The stable names ``out/<name>`` are
    symlinks through ``current`` (made once; a file of the old flat layout is replaced).
    Builds other than the new and the previous current one are removed.
    """
    out = Path(out)
    previous = current_dir(out)
    final = Path(tempfile.mkdtemp(prefix=f"{build_key[:16]}-", dir=out / BUILDS))
    final.rmdir()
    os.replace(staged, final)
    fileio.normal_mode(final)  # mkdtemp makes 0700
    if (out / CURRENT).is_dir() and not (out / CURRENT).is_symlink():
        shutil.rmtree(out / CURRENT)
    fileio.replace_symlink(out / CURRENT, Path(BUILDS) / final.name)
    for name in names:
        stable = out / name
        want = Path(CURRENT) / name
        if stable.is_symlink() and Path(os.readlink(stable)) == want:
            continue
        fileio.replace_symlink(stable, want)
    keep = {final.name} | ({previous.name} if previous is not None else set())
    for old in (out / BUILDS).iterdir():
        if old.name not in keep and not old.name.startswith(STAGING_PREFIX):
            shutil.rmtree(old, ignore_errors=True)
    return final


def discard(staged: Path) -> None:
    """Remove a staging folder of a build that failed."""
    shutil.rmtree(staged, ignore_errors=True)


def remove_leftovers(out: Path) -> list[Path]:
    """Staging folders and temporary files left by killed builds (call under the lock)."""
    out = Path(out)
    return [p for folder in (out / BUILDS, out, out / READ_CACHE) for p in fileio.sweep(folder)]


def parquet_build_key(path: Path) -> str | None:
    """The build key a processed parquet file was written with (schema metadata)."""
    meta = fileio.parquet_provenance(path)
    return None if meta is None else meta.get("build_key")


def verify(folder: Path, build_key: str | None = None, parquet_keys: bool = True) -> dict:
    """The manifest of the build in ``folder`` after checking that it is whole.

    Every output the manifest lists must exist with the sha256 it records, and (with
    ``parquet_keys``) every parquet output must carry the manifest's build key; with
    ``build_key``, the manifest must have that key too. Raises :class:`StaleBuildError`
    naming what does not match. The build's own up-to-date check skips the parquet keys
    (the sha256s already pin every byte) to spare the pyarrow import on a warm call.
    """
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise StaleBuildError(f"{folder} has no manifest.json (no complete build)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StaleBuildError(f"{manifest_path} is unreadable ({exc})") from None
    key = manifest.get("build_key")
    if build_key is not None and key != build_key:
        raise StaleBuildError(f"{folder} was built from other inputs or code (build key "
                              f"{str(key)[:12]}..., expected {build_key[:12]}...)")
    outputs = manifest.get("outputs")
    if not outputs:
        raise StaleBuildError(f"{manifest_path} lists no outputs (made by an older divides; "
                              "rebuild with `divides build --force`)")
    for name, sha in outputs.items():
        path = folder / name
        if not path.exists():
            raise StaleBuildError(f"{path} is missing from the build")
        if fileio.sha256_file(path) != sha:
            raise StaleBuildError(f"{path} does not match its manifest (sha256 differs): it "
                                  "was changed after the build")
        if parquet_keys and name.endswith(".parquet") and parquet_build_key(path) != key:
            raise StaleBuildError(f"{path} carries another build key than its manifest")
    return manifest
