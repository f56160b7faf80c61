"""Run the whole curve (estimates and inference) and write its tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from divides import provenance
from divides.models.estimators import sources_for
from divides.models.spec import TIME
from divides.models.speccurve.engine import Backend, estimate_with_library, make_payload
from divides.models.speccurve.grid import (
    SpecRow,
    analysis_frame,
    enumerate_specs,
    gap_family_labels,
    load_grid,
    validate_grid,
)
from divides.models.speccurve.inference import curve_inference

TABLE_COLUMNS = ("spec_id", "outcome", "key_regressor", "term", "controls", "estimator",
                 "lag", "lag_rule", "sample", "status", "coef", "stderr", "t", "p", "p_wild",
                 "wild_draws", "p_spec", "significant", "ci_low", "ci_high", "coef_std", "ci_low_std", "ci_high_std", "n_obs",
                 "n_countries", "n_singletons", "max_country_weight_share", "max_weight_country",
                 "year_first", "year_last", "rank_in_family",
                 "key_definition", "data_kind", "sources")
#: What decides a spec's significance (``p_spec``), for tables and figures.
P_SPEC_NOTE = ("p_spec: the WCR wild cluster bootstrap p-value (p_wild) where a spec has "
               "fewer than {wild_below} countries, else p from t(df_resid) on CR1 errors")
#: Leverage columns, in words.
LEVERAGE_NOTE = ("max_country_weight_share: the largest share one country (max_weight_country) "
                 "has of the key coefficient's weight, sum over its rows of a_i^2 / sum a_i^2 "
                 "with b = a'y (its share of the partialled-out key regressor's variation)")
STD_NOTE = ("coef_std = coef x SD(regressor) / SD(outcome), pooled SDs over the spec's "
            "estimation sample")




@dataclass
class SpecCurve:
    table: pd.DataFrame
    inference: pd.DataFrame
    data_kind: str
    notes: dict = field(default_factory=dict)


def publisher_sources(sources: str, definition: str) -> str:
    """``sources`` (``;``-joined) with ``gaps`` (the project's gaps table) replaced by the
    publisher of the gap family, named in its definition (``gap_pp of ... (itu): ...``), so
    a table or footer cites ITU or Findex."""
    found = re.search(r"\((\w+)\): ", str(definition))
    parts = [found.group(1) if p == "gaps" and found else p for p in str(sources).split(";")]
    return ";".join(sorted(dict.fromkeys(p for p in parts if p != "gaps" or not found)))


def assemble(frame: pd.DataFrame, rows: list[SpecRow], results: list[dict],
              grid: dict) -> pd.DataFrame:
    alpha = float(grid.get("inference", {}).get("alpha", 0.05))
    years = np.sort(frame[TIME].unique())
    by_id = {r["spec_id"]: r for r in results}
    kind = provenance.data_kind(frame)
    definitions = frame.attrs.get("gap_choice", {})
    recs = []
    sources: dict[tuple, str] = {}
    for row in rows:
        res = by_id[row.spec_id]
        skey = (row.outcome, row.key, *row.controls)
        if skey not in sources:
            sources[skey] = sources_for(frame, list(skey))
        ok = res.get("status") == "ok"
        rec = {"spec_id": row.spec_id, "outcome": row.outcome, "key_regressor": row.key,
               "term": res.get("term"), "controls": row.controls_label,
               "estimator": row.estimator, "lag": row.lag,
               "lag_rule": grid["grid"].get("lag_rule", "exact"), "sample": row.sample,
               "status": res.get("status")}
        for c in ("coef", "stderr", "t", "p", "p_wild", "ci_low", "ci_high", "coef_std",
                  "ci_low_std", "ci_high_std", "max_country_weight_share"):
            rec[c] = res.get(c, np.nan) if ok else np.nan
        rec["wild_draws"] = int(res.get("wild_draws", 0)) if ok else 0
        rec["p_spec"] = (rec["p_wild"] if rec["wild_draws"] else rec["p"]) if ok else np.nan
        rec["significant"] = bool(rec["p_spec"] < alpha) if ok else False
        rec["max_weight_country"] = res.get("max_weight_country", pd.NA) if ok else pd.NA
        rec["n_obs"] = res.get("n_obs", 0)
        rec["n_countries"] = res.get("n_countries", 0)
        rec["n_singletons"] = res.get("n_singletons", 0)
        rec["key_definition"] = definitions.get(row.key, row.key)
        rec["year_first"] = int(years[res["year_first_code"]]) if "year_first_code" in res else pd.NA
        rec["year_last"] = int(years[res["year_last_code"]]) if "year_last_code" in res else pd.NA
        rec["data_kind"] = kind
        rec["sources"] = publisher_sources(sources[skey], rec["key_definition"])
        recs.append(rec)
    table = pd.DataFrame(recs)
    table["year_first"] = table["year_first"].astype("Int64")
    table["year_last"] = table["year_last"].astype("Int64")
    ranks = table.groupby("key_regressor")["coef_std"].rank(method="first")
    table["rank_in_family"] = ranks.astype("Int64")
    return table[list(TABLE_COLUMNS)]


def run(panel: pd.DataFrame, gaps: pd.DataFrame | None = None, backend: str = "serial",
        scheduler: str | None = None, workers: int = 2, draws: int | None = None,
        grid: dict | None = None, client=None, seed: int | None = None,
        engine: str = "numpy") -> SpecCurve:
    """Estimate the whole grid and its null-imposed curve inference on one backend.

    ``engine="numpy"`` (default) uses :class:`CurveEngine` on any backend; ``"pyfixest"``
    or ``"linearmodels"`` estimate each spec with that library, serially, without the
    curve inference (a cross-check; benchmarks/RESULTS.md has the timings). ``draws``:
    bootstrap draws of the whole curve (grid ``[inference] draws``, 999 by default; 0
    skips the inference).
    """
    grid = validate_grid(grid or load_grid())
    frame = analysis_frame(panel, gaps, grid)
    rows = enumerate_specs(frame, grid)
    payload = make_payload(frame, grid)
    inf = grid.get("inference", {})
    n_draws = int(inf.get("draws", 999) if draws is None else draws)
    base_seed = int(inf.get("seed", 2020) if seed is None else seed)
    kind = str(inf.get("weights", "rademacher"))
    alpha = float(inf.get("alpha", 0.05))
    kind_data = provenance.data_kind(frame)
    if engine != "numpy":
        results = [estimate_with_library(frame, r, engine, payload.masks, alpha,
                                         payload.min_countries) for r in rows]
        table = assemble(frame, rows, results, grid)
        inference = curve_inference(table, [], alpha)
        inference.insert(0, "data_kind", kind_data)
        return SpecCurve(table=table, inference=inference, data_kind=kind_data,
                         notes={"n_specs": len(rows), "engine": engine, "draws": 0,
                                "n_ok": int((table["status"] == "ok").sum())})
    with Backend(backend, workers, scheduler, client) as be:
        results = be.map_specs(payload, rows)
        table = assemble(frame, rows, results, grid)
        null = be.map_null(payload, rows, n_draws, base_seed, kind) if n_draws else []
    inference = curve_inference(table, null, alpha)
    inference.insert(0, "data_kind", kind_data)
    notes = {"p_spec": P_SPEC_NOTE.format(wild_below=payload.wild_below),
             "leverage": LEVERAGE_NOTE, "n_specs": len(rows), "n_ok": int((table["status"] == "ok").sum()),
             "gap_columns": frame.attrs.get("gap_choice", {}),
             "gap_families": gap_family_labels(grid),
             "gap_missing": frame.attrs.get("gap_missing", {}),
             "draws": n_draws, "standardised": STD_NOTE,
             "inference": (f"null imposed in each spec's restricted model (residuals "
                           f"without the key regressor, WCR), wild cluster bootstrap by "
                           f"country, {kind} weights shared by all specs of a draw, "
                           f"{n_draws} draws, seed {base_seed}; p_median_t: median of the "
                           f"specs' t-statistics (two-sided); p_share: share significant "
                           f"in either direction, max(positive, negative) against the "
                           f"bootstrap max of both (direction-free); p_share_pos / "
                           f"p_share_neg: one-sided, direction declared in advance"),
             "wild_p": f"p_wild: WCR wild cluster bootstrap (restricted residuals, {kind}, "
                       f"{payload.wild_draws} draws, {payload.wild_draws_max} where p is "
                       f"within 2 Monte Carlo SEs of alpha; wild_draws says which) for "
                       f"specs with fewer than {payload.wild_below} countries"}
    return SpecCurve(table=table, inference=inference, data_kind=kind_data, notes=notes)


def write(curve: SpecCurve, out_dir: str | Path) -> list[Path]:
    """``speccurve.csv`` and ``speccurve_inference.csv`` (byte-identical for equal input)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from divides.models.tables import write_meta

    paths = []
    for name, frame, caption in (
            ("speccurve.csv", curve.table,
             "Specification curve: every specification, its choices and its estimate"),
            ("speccurve_inference.csv", curve.inference,
             "Specification curve: agreement and null-imposed bootstrap p-values")):
        path = out_dir / name
        path.write_bytes(frame.to_csv(index=False, float_format="%.10g",
                                      lineterminator="\n").encode("utf-8"))
        write_meta(path, caption)
        paths.append(path)
    return paths
