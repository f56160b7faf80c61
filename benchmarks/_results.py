"""Writing a benchmark's part of RESULTS.md: each script replaces its own part only."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(text: str, path: Path = RESULTS_MD, heading: str = "") -> None:
    """Replace the section of ``path`` that starts with ``heading`` (to the next level-2
    heading or marked block of :func:`write_between`) by ``text``, or append it."""
    if not text.startswith(heading):
        raise ValueError(f"RESULTS.md section: text starts {text[:60]!r}: expected the "
                         f"heading {heading!r}")
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start = old.find(heading)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        ends = [i for i in (old.find("\n## ", start + len(heading)),
                            old.find("\n<!-- ", start + len(heading))) if i >= 0]
        end = min(ends, default=-1)
        new = old[:start] + text + ("\n" + old[end + 1:] if end >= 0 else "")
    path.write_text(new, encoding="utf-8")


def write_between(begin: str, end: str, text: str, path: Path = RESULTS_MD,
                  before: str = "") -> None:
    """Put ``text`` between the markers ``begin`` and ``end`` of ``path`` (replacing what was
    there); new markers go before the line ``before`` when given and present, else at the
    end."""
    block = f"{begin}\n{text}\n{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in old:
        new = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: block, old,
                     flags=re.DOTALL)
    elif before and before in old:
        new = old.replace(before, block + "\n" + before, 1)
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")
