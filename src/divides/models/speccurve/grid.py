"""The validated grid: specifications, gap families, samples (data/models/speccurve_grid.toml)."""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from divides import config
from divides.models import bootstrap
from divides.models.spec import ENTITY, TIME, as_long, lagged

GRID_TOML = config.SPECCURVE_GRID_TOML
#: Estimators the curve engine implements (anything else is an error, never pooled).
CURVE_ESTIMATORS = ("pooled", "twfe")


def load_grid(path: str | Path = GRID_TOML) -> dict:
    with open(path, "rb") as fh:
        return validate_grid(tomllib.load(fh), str(path))


GAP_FAMILY_FIELDS = ("dimension", "source", "indicators", "groups")


def validate_grid(grid: dict, where: str = "speccurve grid") -> dict:
    """The grid, checked: known estimators and weights, complete gap families.

    An unknown estimator would otherwise be estimated as something else under its name;
    samples are checked against the panel in :func:`sample_masks`.
    """
    g = grid.get("grid", {})
    for name in ("outcomes", "key_regressors", "estimators", "lags", "samples"):
        if name not in g:
            raise ValueError(f"{where}: [grid] {name}: expected a list, found none")
    unknown = [e for e in g["estimators"] if e not in CURVE_ESTIMATORS]
    if unknown:
        raise ValueError(f"{where}: [grid] estimators {unknown}: expected among the known "
                         f"estimators {list(CURVE_ESTIMATORS)}")
    for name, fam in grid.get("gap_families", {}).items():
        missing = [f for f in GAP_FAMILY_FIELDS if not fam.get(f)]
        if missing or not name.startswith("gap_"):
            raise ValueError(f"{where}: [gap_families.{name}]: expected a name gap_... and "
                             f"fields {list(GAP_FAMILY_FIELDS)}, missing {missing}")
    kind = grid.get("inference", {}).get("weights", "rademacher")
    if kind not in bootstrap.WEIGHT_KINDS:
        raise ValueError(f"{where}: [inference] weights: expected one of "
                         f"{list(bootstrap.WEIGHT_KINDS)}, found {kind!r}")
    return grid


def gap_family_labels(grid: dict) -> dict[str, str]:
    """What each gap family of the grid is, in words (for tables and figures)."""
    return {name: f"gap_pp of {' or '.join(f['indicators'])} ({f['source']}), {f['groups']}"
            for name, f in grid.get("gap_families", {}).items()}


def gap_columns(gaps: pd.DataFrame | None, families: dict[str, dict],
                measure: str = "gap_pp") -> pd.DataFrame:
    """Wide gap columns, one per family of the grid, keyed by iso3, year.

    A family is one dimension, source and indicator (the first of its ``indicators`` the
    gaps table has): nothing is picked by rule. ``attrs["gap_choice"]``: per column, the
    indicator, source and groups used; ``attrs["gap_missing"]``: families whose data is
    absent, with the reason.
    """
    out = pd.DataFrame(columns=[ENTITY, TIME])
    choice, missing = {}, {}
    for name, fam in families.items():
        if gaps is None or len(gaps) == 0:
            missing[name] = "no gaps table"
            continue
        sub = gaps[(gaps["dimension"] == fam["dimension"]) & (gaps["source"] == fam["source"])
                   & gaps[measure].notna()]
        present = [i for i in fam["indicators"] if (sub["indicator"] == i).any()]
        if not present:
            missing[name] = (f"none of {fam['indicators']} in the gaps table for "
                             f"{fam['dimension']} ({fam['source']})")
            continue
        sub = sub[sub["indicator"] == present[0]]
        groups = sorted(set(zip(sub["advantaged_group"], sub["disadvantaged_group"])))
        if len(groups) != 1:
            raise ValueError(f"speccurve: gap family {name}: expected one pair of groups in "
                             f"{present[0]} ({fam['source']}), found {groups}")
        wide = sub.groupby([ENTITY, TIME])[measure].mean().rename(name).reset_index()
        choice[name] = (f"gap_pp of {present[0]} ({fam['source']}): {groups[0][0]} - "
                        f"{groups[0][1]}")
        out = wide if out.empty and len(out.columns) == 2 else out.merge(
            wide, on=[ENTITY, TIME], how="outer")
    out.attrs["gap_choice"] = choice
    out.attrs["gap_missing"] = missing
    return out


@dataclass(frozen=True)
class SpecRow:
    spec_id: int
    outcome: str
    key: str
    controls_label: str
    controls: tuple[str, ...]
    estimator: str
    lag: int
    sample: str


def analysis_frame(panel: pd.DataFrame, gaps: pd.DataFrame | None, grid: dict) -> pd.DataFrame:
    """Panel + gap columns + lagged key regressors (``<x>_lag<k>``), tagged like the panel."""
    g = grid["grid"]
    frame = as_long(panel).copy()
    wide = gap_columns(gaps, grid.get("gap_families", {}), g.get("gap_measure", "gap_pp"))
    if len(wide.columns) > 2:
        frame = frame.merge(wide, on=[ENTITY, TIME], how="left")
    keys = [k for k in key_regressors(frame, grid)]
    for key in keys:
        for lag in g["lags"]:
            if lag:
                frame[f"{key}_lag{lag}"] = lagged(frame, key, lag, g.get("lag_rule", "exact"))
    frame = frame.sort_values([ENTITY, TIME], kind="mergesort").reset_index(drop=True)
    frame.attrs = dict(panel.attrs)
    frame.attrs["gap_choice"] = dict(wide.attrs.get("gap_choice", {}))
    frame.attrs["gap_missing"] = dict(wide.attrs.get("gap_missing", {}))
    return frame


def key_regressors(frame: pd.DataFrame, grid: dict) -> list[str]:
    g = grid["grid"]
    keys = list(g["key_regressors"])
    return keys + [name for name in grid.get("gap_families", {}) if name in frame.columns]


def sample_masks(frame: pd.DataFrame, grid: dict) -> dict[str, np.ndarray]:
    masks = {}
    for choice in grid["grid"]["samples"]:
        if choice == "all":
            masks["all"] = np.ones(len(frame), bool)
        elif choice in frame.columns:
            values = grid.get("sample_values", {}).get(choice)
            known = sorted(frame[choice].dropna().unique())
            unknown = [v for v in values or [] if v not in known]
            if unknown:
                raise ValueError(f"speccurve grid: sample_values.{choice} {unknown}: expected "
                                 f"values of the panel's {choice}, known: {known}")
            for value in values or known:
                masks[f"{choice}={value}"] = (frame[choice] == value).to_numpy()
        else:
            raise ValueError(f"speccurve grid: samples: expected 'all' or a panel column "
                             f"(known: {sorted(c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and c != ENTITY)}"
                             f"), found {choice!r}")
    return masks


def enumerate_specs(frame: pd.DataFrame, grid: dict) -> list[SpecRow]:
    """Every specification of the grid, numbered in a fixed order."""
    g = grid["grid"]
    controls = grid["controls"]
    rows = []
    combos = itertools.product(g["outcomes"], key_regressors(frame, grid), controls.items(),
                               g["estimators"], g["lags"], sample_masks(frame, grid))
    for i, (y, key, (clabel, cvars), est, lag, sample) in enumerate(combos):
        rows.append(SpecRow(i, y, key, clabel, tuple(cvars), est, int(lag), sample))
    return rows
