"""Writing files safely: atomic writes, checksums, file modes, leftovers and parquet.

Every file the project writes goes through :func:`atomic_path` (or :func:`write_bytes` /
:func:`write_text` / :func:`write_parquet`): the content is written to a temporary file
beside the target and moved into place by one ``os.replace``, so a reader sees the old
file or the new one, never half of one. Every temporary name (files, symlinks and work
folders) starts with :data:`TEMP_PREFIX`; a killed process leaves only such names behind,
and :func:`sweep` removes them and nothing else.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

#: The start of every temporary name the project makes (the one convention :func:`sweep`
#: knows): unlikely to be chosen for a file of one's own, unlike Python's ``tmpXXXXXXXX``.
TEMP_PREFIX = ".divides-tmp-"
#: Schema-metadata key of our own provenance copy in parquet files (pandas also keeps
#: ``DataFrame.attrs`` under ``PANDAS_ATTRS`` with the pyarrow engine, since pandas 2.1,
#: but that is undocumented, so we do not rely on it alone).
PARQUET_META_KEY = b"divides"


def temp_prefix(label: str) -> str:
    """The prefix of a temporary name for ``label`` (a target's name, or what a work
    folder is for); pass it to ``tempfile`` so the random part follows."""
    return f"{TEMP_PREFIX}{label}-"


def is_temp(name: str) -> bool:
    """Whether ``name`` (a file or folder name) is one of our temporary names."""
    return name.startswith(TEMP_PREFIX)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """The sha256 (hex) of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def json_sha256(*parts: object) -> str:
    """sha256 of the JSON of ``parts`` (keys sorted): the one hash of the build, read-cache
    and stage keys."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def sha256_matches(path: str | Path, sha256: str) -> bool:
    """Whether ``path`` is a file whose sha256 is ``sha256``."""
    return Path(path).is_file() and sha256_file(path) == sha256


def remove_mismatch(path: str | Path, sha256: str) -> None:
    """Remove the file at ``path`` when its sha256 is not ``sha256`` (never keep a bad or
    stale copy where a verified one belongs); no file: nothing to do."""
    if Path(path).is_file() and sha256_file(path) != sha256:
        Path(path).unlink()


#: errno values that mean "no room left": a full disk, or the user's quota used up.
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


@contextlib.contextmanager
def writing(path: str | Path):
    """Around code that writes ``path``: a full disk (ENOSPC, EDQUOT) becomes one
    :class:`~divides.errors.DiskFullError` naming ``path``; other errors pass unchanged."""
    from divides.errors import DiskFullError

    try:
        yield
    except DiskFullError:
        raise
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise DiskFullError(path, exc) from exc
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def normal_mode(path: str | Path) -> None:
    """Give ``path`` the mode ``open()`` or ``mkdir()`` would give a new file or folder
    (0644 / 0755 under the usual umask), not the 0600 / 0700 of ``tempfile``'s."""
    full = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, full & ~_umask())


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a unique temporary path beside ``path``; on success it replaces ``path``.

    The temporary name is unique per call (``mkstemp``), so concurrent writers never share
    one; on an exception it is removed and ``path`` is untouched. The file lands with the
    mode a new file gets. A full disk is a DiskFullError naming ``path`` (:func:`writing`).
    """
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".part",
                                   dir=path.parent)
        os.close(fd)
    tmp = Path(tmp)
    try:
        with writing(path):
            yield tmp
            move_into_place(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def move_into_place(done: str | Path, path: str | Path) -> None:
    """Move the complete file ``done`` (on the same file system) to ``path`` in one
    ``os.replace``, with the mode a new file gets."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    normal_mode(done)
    os.replace(done, path)


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically, line ends as given (no translation)."""
    write_bytes(path, text.encode(encoding))


def write_csv(frame, path: str | Path) -> None:
    """Write a DataFrame to CSV atomically: no index, LF line ends."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")


def replace_symlink(link: str | Path, target: str | Path) -> None:
    """Point the symlink ``link`` at ``target`` in one step (a new link, then os.replace)."""
    link = Path(link)
    tmp = link.parent / f"{temp_prefix(link.name)}{secrets.token_hex(4)}.part"
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sweep(folder: str | Path, recursive: bool = False) -> list[Path]:
    """Remove the temporary files, links and folders a killed run left in ``folder`` (and,
    with ``recursive``, below it); returns what was removed. Only names of our convention
    (:data:`TEMP_PREFIX`) go; every other file stays."""
    folder = Path(folder)
    gone: list[Path] = []
    if not folder.is_dir():
        return gone
    for parent, dirs, files in os.walk(folder):
        for name in sorted(files):
            if is_temp(name):
                (Path(parent) / name).unlink(missing_ok=True)
                gone.append(Path(parent) / name)
        for name in sorted(dirs):
            path = Path(parent) / name
            if is_temp(name):
                if path.is_symlink():
                    path.unlink(missing_ok=True)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                gone.append(path)
        dirs[:] = sorted(d for d in dirs if recursive and not is_temp(d))
    return gone


#: The one folder under a destination where a downloading process keeps its work files
#: (``<WORK_DIR>/<label>-<pid>-<8 hex>/``): nothing of ours is left beside the user's files.
WORK_DIR = ".divides-work"
_WORK_NAME = re.compile(r"^[a-z]+-(?P<pid>[0-9]+)-[0-9a-f]{8}$")


def process_running(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (a work folder named by it is in use)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


@contextlib.contextmanager
def work_folder(dest: str | Path, label: str):
    """A private work folder of this process under ``dest/.divides-work/`` (removed on exit).

    The only things removed are folders this convention made by name: this process's own,
    and those of processes that no longer run (a killed download); never a file found by a
    pattern elsewhere under ``dest``. A symlinked ``.divides-work`` is refused.
    """
    parent = Path(dest) / WORK_DIR
    if parent.is_symlink():
        raise OSError(f"{parent}: expected a folder of divides' work files, found a symlink "
                      "(remove it)")
    parent.mkdir(parents=True, exist_ok=True)
    for old in sorted(parent.iterdir()):
        found = _WORK_NAME.match(old.name)
        if found and old.is_dir() and not old.is_symlink() \
                and not process_running(int(found.group("pid"))):
            shutil.rmtree(old, ignore_errors=True)
    work = parent / f"{label}-{os.getpid()}-{secrets.token_hex(4)}"
    work.mkdir()
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            parent.rmdir()  # only when empty (another process may be working)


def unsafe_relative(path: str) -> str | None:
    """Why ``path`` cannot name a file below a destination folder (None: it can): empty,
    absolute, with ``..``, a backslash or a drive letter."""
    from pathlib import PurePosixPath

    pure = PurePosixPath(path)
    if not path or path.strip() != path:
        return "an empty path or one with surrounding spaces"
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", path):
        return "an absolute path"
    if ".." in pure.parts:
        return "a path with '..'"
    if "\\" in path or "\x00" in path:
        return "a path with a backslash or NUL"
    return None


def inside(dest: str | Path, path: str) -> Path:
    """``dest / path`` after checking that it stays inside ``dest``: a relative path without
    ``..`` whose resolved location (symlinks followed) is below ``dest``'s; else ValueError
    saying which."""
    why = unsafe_relative(path)
    if why is not None:
        raise ValueError(f"expected a relative path inside {dest}, found {why}: {path!r}")
    base = Path(dest).resolve()
    target = Path(dest) / path
    if not target.resolve().is_relative_to(base):
        raise ValueError(f"expected a path inside {dest}, found {path!r} leading to "
                         f"{target.resolve()} (a symlink leaves the folder)")
    return target


def write_parquet(frame, path: str | Path) -> None:
    """Write ``frame`` to parquet atomically, with its provenance (``attrs["divides"]``) in
    the schema metadata and all of pandas' ``attrs`` beside it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from divides import provenance

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[PARQUET_META_KEY] = json.dumps(frame.attrs.get(provenance.META_KEY, {}),
                                        sort_keys=True).encode()
    meta[b"PANDAS_ATTRS"] = json.dumps(frame.attrs, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def parquet_provenance(path: str | Path) -> dict | None:
    """The provenance dict stored in a parquet file's schema metadata (None: none stored)."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(PARQUET_META_KEY)
    return None if raw is None else json.loads(raw)


def read_parquet(path: str | Path):
    """Read a parquet file written by :func:`write_parquet`, its provenance in ``attrs``."""
    import pandas as pd

    from divides import provenance

    frame = pd.read_parquet(path)
    meta = parquet_provenance(path)
    if meta is not None:
        frame.attrs[provenance.META_KEY] = meta
    return frame
