"""The kinds of the notebooks' parameters and the check of ``-p`` values before a run.

A parameter declares its kind next to its default in the notebook's parameters cell, as a
trailing comment (``outcome = "cpi_score"  # kind: panel_column``). Kinds:

* ``panel_column``: a value column of the panel (the column registry, ``columns.csv``;
  once built, the columns of the built panel with at least one value);
* ``indicator``: an indicator code of the catalogue (``indicators.csv``);
* ``country``: an ISO3 code (``countries.csv``; once built, the countries of the panel);
* ``year``: a year (once built, a year of the panel);
* ``donor_group``: a donor group of the case study (:func:`divides.models.case.donor_groups`:
  ``all``, ``case_donors.csv``'s groups, the panel's regions and income groups);
* ``speccurve_regressor``: a key regressor of the spec-curve grid (``speccurve_grid.toml``);
* ``choice: a|b|c``: one of the listed values;
* ``number, at least N`` (or ``at most N``, ``above N``, ``below N``): a number in range
  (in words: papermill reads no parameter whose line has a second ``=``).

A list parameter's kind applies to each item. Values are checked in seconds, before any
step runs or any folder is made: a bad value is an error naming the close matches
(:mod:`difflib`) and the allowed set. Values that need the build (countries and years with
data, regions) are checked against the build in ``data/processed/<data>/`` when it is
current (its build key is today's), else against the catalogue (the notebook checks them
again against its panel).
"""

from __future__ import annotations

import difflib
import io
import operator
import re
import tokenize
from dataclasses import dataclass
from functools import cached_property

from divides import config
from divides.errors import DividesError

#: How many allowed values an error message or ``--list`` shows before "... N in all".
SHOWN_VALUES = 40
_KIND = re.compile(r"#\s*kind:\s*(?P<kind>[^#]+?)\s*(?:#|$)")
_NUMBER = re.compile(r"number,?\s*(?P<op>at least|at most|above|below|>=|<=|>|<)\s*"
                     r"(?P<bound>-?[0-9.]+)$")
#: Bounds in words ("number, at least 0"): papermill's parameter parser gives up on a line
#: with a second "=" (``# kind: number >= 0`` hid the parameter from papermill).
_WORDS = {"at least": ">=", "at most": "<=", "above": ">", "below": "<"}
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
BUILT_KINDS = ("panel_column", "indicator", "country", "year", "donor_group",
               "speccurve_regressor")


def kinds(source: str) -> dict[str, str]:
    """``name -> kind`` from the trailing ``# kind: ...`` comments of a parameters cell.

    >>> kinds('outcome = "cpi_score"  # kind: panel_column\\ndraws = 9  # kind: number, at least 0')
    {'outcome': 'panel_column', 'draws': 'number, at least 0'}
    """
    comments = {tok.start[0]: tok.string for tok in
                tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT}
    found = {}
    for number, line in enumerate(source.splitlines(), start=1):
        name = line.split("=", 1)[0].strip()
        match = _KIND.search(comments.get(number, ""))
        if match and name.isidentifier() and "=" in line:
            found[name] = match["kind"]
    return found


def valid_kind(kind: str) -> bool:
    """Whether ``kind`` is one this module checks (a test holds every notebook to it)."""
    return kind in BUILT_KINDS or kind.startswith("choice:") or bool(_NUMBER.match(kind))


@dataclass
class Allowed:
    """The allowed values of each kind for ``data``: from the build when there is one in
    ``data/processed/<data>/``, else from the catalogue."""

    data: str

    @cached_property
    def panel(self):
        """The built panel when it is the build a run would use now (its build key is the
        one today's raw files, code and libraries give), else None: a stale build must not
        decide what is allowed. Nothing is built here: a check must take seconds."""
        import json

        from divides import build, fileio, provenance

        if self.data == "demo" and provenance.demo_state(config.raw_dir("demo")) != "current":
            return None
        try:
            key = build.read_plan(self.data).build_key
            current = build.current_build(self.data, build=False)
        except (OSError, DividesError, ValueError):
            return None
        manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("build_key") != key:
            return None
        return fileio.read_parquet(current / "panel.parquet")

    def where(self, kind: str) -> str:
        if kind in ("panel_column", "country", "year", "donor_group") and self.panel is not None:
            return f"the {self.data} build's panel"
        return {"panel_column": "the column registry (columns.csv; not built yet)",
                "indicator": "the indicator catalogue (indicators.csv)",
                "country": "countries.csv (not built yet)",
                "year": "any year (not built yet)",
                "donor_group": "case_donors.csv (not built yet: all, regions and income "
                               "groups once built)",
                "speccurve_regressor": "the spec-curve grid (speccurve_grid.toml)"}.get(kind, "the notebook's declaration")

    def values(self, kind: str) -> list[str] | None:
        """The allowed values as text, or None when any value of the kind's type goes."""
        if kind == "panel_column":
            from divides import catalogue

            names = catalogue.column_names("panel", ("value", "derived"))
            if self.panel is not None:
                names = [c for c in self.panel.columns if c in set(names)
                         and self.panel[c].notna().any()]
            return names
        if kind == "indicator":
            from divides import catalogue

            return sorted(catalogue.indicator_codes())
        if kind == "country":
            if self.panel is not None:
                return sorted(self.panel["iso3"].unique())
            from divides import countries

            return sorted(countries.countries()["iso3"])
        if kind == "year":
            if self.panel is None:
                return None
            return [str(y) for y in sorted(self.panel["year"].unique())]
        if kind == "donor_group":
            from divides.models import case

            return sorted(case.donor_groups(self.panel))
        if kind == "speccurve_regressor":
            import tomllib

            from divides.models.speccurve import GRID_TOML

            return list(tomllib.loads(GRID_TOML.read_text(encoding="utf-8"))["grid"]["key_regressors"])
        if kind.startswith("choice:"):
            return [c.strip() for c in kind.split(":", 1)[1].split("|") if c.strip()]
        return None

    def check(self, value: object, kind: str, where: str) -> None:
        """Raise :class:`DividesError` unless ``value`` (or each item of a list) is allowed."""
        for item in value if isinstance(value, list) else [value]:
            number = _NUMBER.match(kind)
            if number:
                bound = float(number["bound"])
                op = _WORDS.get(number["op"], number["op"])
                if not _OPS[op](float(item), bound):
                    raise DividesError(f"{where}: {item!r}: expected a number "
                                       f"{op} {number['bound']}")
                continue
            allowed = self.values(kind)
            if allowed is None or str(item) in allowed:
                continue
            lower = {a.lower(): a for a in allowed}
            close = [lower[c] for c in difflib.get_close_matches(str(item).lower(), lower, n=3,
                                                                  cutoff=0.6)]
            close += [a for a in allowed if str(item).lower() in a.lower() and a not in close]
            hint = f"did you mean {' or '.join(close[:3])}? " if close else ""
            noun = kind.split(':')[0]
            article = "an" if noun[:1].lower() in "aeiou" else "a"
            raise DividesError(f"{where}: {item!r} is not {article} {noun} of "
                               f"{self.where(kind)}; {hint}allowed: {shown(allowed)}")


def shown(values: list[str]) -> str:
    """``values`` joined, cut after :data:`SHOWN_VALUES` (``... N in all``)."""
    head = ", ".join(values[:SHOWN_VALUES])
    return head if len(values) <= SHOWN_VALUES else f"{head}, ... ({len(values)} in all)"


def check_values(declared: dict[str, dict[str, str]], per_nb: dict[str, dict[str, object]],
                 data: str) -> None:
    """Check every notebook's ``-p`` values (``per_nb``: stem -> name -> typed value)
    against its declared kinds (``declared``: stem -> name -> kind)."""
    allowed = Allowed(data)
    for stem, values in per_nb.items():
        for name, value in values.items():
            kind = declared.get(stem, {}).get(name)
            if kind:
                allowed.check(value, kind, f"{stem}: -p {name}")
