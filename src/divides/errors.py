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
