"""Errors that name the file, the row or column, and what was expected."""

from __future__ import annotations

from pathlib import Path


class DividesError(Exception):
    """Base class: every error the CLI turns into a one-line message."""


class SourceFormatError(DividesError):
    """A published file does not look the way its reader expects.

    >>> raise SourceFormatError("x.csv", "column 'Country Code'", "present", found="missing")
    Traceback (most recent call last):
    divides.errors.SourceFormatError: x.csv: column 'Country Code': expected present, found missing
    """

    def __init__(self, file: str | Path, where: str, expected: str, found: str | None = None):
        self.file = str(file)
        self.where = where
        self.expected = expected
        self.found = found
        msg = f"{Path(self.file).name}: {where}: expected {expected}"
        if found is not None:
            msg += f", found {found}"
        super().__init__(msg)


class InputError(DividesError):
    """The input files, taken together, cannot give a trustworthy build (a catalogue series
    vanished, two files of one edition disagree, a demo folder passed as real data)."""


class ValidationError(DividesError):
    """Observations or a derived table broke a schema rule (range, uniqueness, type)."""


class DownloadError(DividesError):
    """A download failed, or its checksum did not match; no partial file is left."""


class DiskFullError(DividesError, OSError):
    """The disk (or the user's quota) filled up while writing a file: one line naming the
    path, instead of a bare ``OSError: [Errno 28]``. Still an OSError for callers that
    catch those."""

    def __init__(self, path: str | Path, cause: OSError):
        self.path = str(path)
        super().__init__(f"{self.path}: expected room to write it, found the disk full "
                         f"({cause.strerror or cause}); free some space and run again (a "
                         "file already in place there is unchanged)")
        self.errno = cause.errno

    def __str__(self) -> str:
        return str(self.args[0])
