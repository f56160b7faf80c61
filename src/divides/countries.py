"""Country names and codes -> ISO3, with aggregates taken out first.

Committed tables, not a library: ``data/build/countries.csv`` lists every code the project
accepts (ISO 3166-1 alpha-3 plus the World Bank's ``XKX`` Kosovo and ``CHI`` Channel
Islands; generated once from the ISO 3166-1 table of ``pycountry`` 26.2 and committed,
so there is no runtime dependency), ``data/build/aggregates.csv`` every excluded aggregate (by
code and by name), and ``data/build/countries/<source>.csv`` each source's aliases (``alias,iso3``: a name or a legacy
code). We chose tables over ``country_converter`` because it fails to import under
pandas 3.1, is slow on long lists, and its regex matching maps some aggregate names to
countries without telling; a table is reviewed once and then never surprises.

Aggregates are dropped by code before any name matching. Names are compared after
Unicode NFC normalisation, non-breaking spaces to spaces, trimmed and case-folded.
"""

from __future__ import annotations

import unicodedata
import warnings
from functools import cache, lru_cache

import pandas as pd

from divides import config


class UnmappedCountryWarning(UserWarning):
    """Names or codes that no alias table maps; they are dropped and counted."""


def normalise_name(name: object) -> str:
    """Comparable form of a country name: NFC, no NBSP, trimmed, single spaces, casefold."""
    text = unicodedata.normalize("NFC", str(name)).replace("\xa0", " ")
    return " ".join(text.split()).casefold()


@lru_cache(maxsize=1)
def countries() -> pd.DataFrame:
    """The accepted country codes with a display name, ISO2 and UN M49 number."""
    return pd.read_csv(config.COUNTRIES_CSV, dtype={"iso3": str, "name": str, "iso2": str},
                       keep_default_na=False)


@lru_cache(maxsize=1)
def aggregates() -> pd.DataFrame:
    """Excluded aggregates: code (may be empty for name-only publishers), name, kind."""
    return pd.read_csv(config.AGGREGATES_CSV, dtype=str, keep_default_na=False)


@cache
def aliases(source: str) -> pd.DataFrame:
    """A source's alias table (``alias,iso3``); empty when the source has none."""
    path = config.ALIASES_DIR / f"{source}.csv"
    if not path.exists():
        return pd.DataFrame({"alias": pd.Series(dtype=str), "iso3": pd.Series(dtype=str)})
    table = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    bad = sorted(set(table["iso3"]) - set(countries()["iso3"]))
    if bad:
        raise ValueError(f"{path.name}: iso3 values not in countries.csv: {bad}")
    return table


class Harmoniser:
    """Maps one source's names or codes to ISO3 and remembers which aliases were used.

    >>> h = Harmoniser("wdi")
    >>> h.resolve_codes(pd.Series(["DNK", "WLD", "ZZZ"]))["reason"].fillna("ok").tolist()
    ['ok', 'aggregate', 'unmapped_name']
    """

    def __init__(self, source: str):
        self.source = source
        table = aliases(source)
        self._alias_by_key = {normalise_name(a): i for a, i in zip(table["alias"], table["iso3"])}
        self._alias_label = {normalise_name(a): a for a in table["alias"]}
        self._used: set[str] = set()
        codes = countries()
        self._codes = set(codes["iso3"])
        self._name_by_key = {normalise_name(n): i for n, i in zip(codes["name"], codes["iso3"])}
        agg = aggregates()
        self._agg_codes = set(agg.loc[agg["code"] != "", "code"])
        self._agg_kind = dict(zip(agg["code"], agg["kind"]))
        self._agg_names = {normalise_name(n) for n in agg["name"]}
        self._agg_name_kind = {normalise_name(n): k for n, k in zip(agg["name"], agg["kind"])}

    def _reason_for_aggregate_code(self, code: str) -> str:
        return "not_a_country" if self._agg_kind.get(code) == "not_a_country" else "aggregate"

    def resolve_codes(self, codes: pd.Series) -> pd.DataFrame:
        """Codes (ISO3 or the publisher's legacy codes) -> frame of ``iso3`` and ``reason``."""
        out_iso, out_reason = [], []
        for raw in codes.astype(str):
            code = raw.strip()
            key = normalise_name(code)
            if code in self._agg_codes:
                out_iso.append(None)
                out_reason.append(self._reason_for_aggregate_code(code))
            elif key in self._alias_by_key:
                self._used.add(key)
                out_iso.append(self._alias_by_key[key])
                out_reason.append(None)
            elif code in self._codes:
                out_iso.append(code)
                out_reason.append(None)
            else:
                out_iso.append(None)
                out_reason.append("unmapped_name")
        return pd.DataFrame({"iso3": out_iso, "reason": out_reason}, index=codes.index)

    def resolve_names(self, names: pd.Series) -> pd.DataFrame:
        """Country names -> frame of ``iso3`` and ``reason`` (aggregate names first)."""
        out_iso, out_reason = [], []
        for raw in names.astype(str):
            key = normalise_name(raw)
            if key in self._agg_names:
                out_iso.append(None)
                out_reason.append("not_a_country" if self._agg_name_kind.get(key) == "not_a_country"
                                  else "aggregate")
            elif key in self._alias_by_key:
                self._used.add(key)
                out_iso.append(self._alias_by_key[key])
                out_reason.append(None)
            elif key in self._name_by_key:
                out_iso.append(self._name_by_key[key])
                out_reason.append(None)
            else:
                out_iso.append(None)
                out_reason.append("unmapped_name")
        return pd.DataFrame({"iso3": out_iso, "reason": out_reason}, index=names.index)

    def warn_unmapped(self, values: pd.Series, resolved: pd.DataFrame, file: str) -> list[str]:
        """Warn once about the unmapped values of a file (the first
        :data:`~divides.observations.NAMES_SHOWN` of them named); return them all, sorted."""
        from divides.observations import shown_names

        unmapped = sorted(set(values[resolved["reason"] == "unmapped_name"].astype(str)))
        if unmapped:
            warnings.warn(
                f"{file}: {len(unmapped)} {self.source} names/codes not mapped to ISO3 "
                f"(dropped, counted as unmapped_name): {shown_names(unmapped)}",
                UnmappedCountryWarning,
                stacklevel=3,
            )
        return unmapped

    def used_aliases(self) -> list[str]:
        """Aliases of this source's table that some call has used so far."""
        return sorted(self._alias_label[k] for k in self._used)

    def unused_aliases(self) -> list[str]:
        """Aliases of this source's table that no call has used so far."""
        return sorted(self._alias_label[k] for k in set(self._alias_by_key) - self._used)
