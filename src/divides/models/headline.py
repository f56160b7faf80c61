"""A notebook's headline estimates: the few numbers a reader (or a sweep) compares across
runs, written by the notebook in one line into ``<output folder>/headline/<NN>.csv``.

One row per estimate, :data:`COLUMNS`: which notebook, a short name and a label in words,
the estimate with its interval (and the interval's level), a p-value and what kind of
p-value it is, the count it rests on and what is counted, and the estimate's units. The
runner copies the file into the run folder like any other output; ``divides sweep``
(:mod:`divides.run.sweep`) gathers the files of its members into one table.

The rows are made from the notebooks' own result tables (:func:`from_tidy`,
:func:`from_case`, :func:`from_curve`), never typed in a notebook.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from divides.errors import DividesError

#: The folder (in a notebook's output folder, then in the run folder) of the headline files.
FOLDER = "headline"
COLUMNS = ("notebook", "name", "label", "estimate", "ci_low", "ci_high", "ci_level",
           "p_value", "p_kind", "n", "n_what", "units")
NUMERIC = ("estimate", "ci_low", "ci_high", "ci_level", "p_value", "n")


def from_tidy(table: pd.DataFrame, models: list[str], term: str, units: str = "",
              ) -> list[dict]:
    """Rows of ``term`` in the ``models`` of a tidy table (:func:`divides.models.tidy_many`):
    coefficient, its 95 % interval and p-value (the model's errors), observations."""
    rows = []
    for model in models:
        hit = table[(table["model"] == model) & (table["term"] == term)]
        if len(hit) != 1:
            raise DividesError(f"headline: expected one row of term {term!r} in model "
                               f"{model!r}, found {len(hit)}")
        r = hit.iloc[0]
        rows.append({"name": f"{model}: {term}",
                     "label": f"{term} on {r['outcome']}, {model} ({r['cov_type']} errors)",
                     "estimate": r["coef"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                     "ci_level": 0.95, "p_value": r["p"], "p_kind": f"{r['cov_type']} t-test",
                     "n": r["n_obs"], "n_what": f"observations ({r['n_countries']} countries)",
                     "units": units or f"{r['outcome']} per unit of {term}"})
    return rows


def from_case(loo: pd.DataFrame, interval: dict, treated: str) -> list[dict]:
    """The synthetic control's post-treatment gap (all donors: the ``(none)`` row of
    :func:`divides.models.case.leave_one_out`), its conformal interval
    (:func:`divides.models.case.conformal_interval`) and its placebo p-value."""
    full = loo[loo["dropped"] == "(none)"]
    if len(full) != 1:
        raise DividesError(f"headline: expected one leave-one-out row with all donors, found "
                           f"{len(full)}")
    r = full.iloc[0]
    if interval["outcome"] != r["outcome"]:
        raise DividesError(f"headline: the interval is of {interval['outcome']!r}, the gap of "
                           f"{r['outcome']!r}")
    low = -math.inf if interval["low_unbounded"] else interval["ci_low"]
    high = math.inf if interval["high_unbounded"] else interval["ci_high"]
    return [{"name": f"synthetic control gap: {r['outcome']}",
             "label": f"mean post-treatment gap in {r['outcome']} against the synthetic "
                      f"control of the treated country ({treated} from "
                      f"{int(r['treatment_year'])})",
             "estimate": r["post_gap_mean"], "ci_low": low, "ci_high": high,
             "ci_level": 1 - interval["alpha"],
             "p_value": r["placebo_p"], "p_kind": "placebo permutation (RMSPE ratio rank); "
                                                  "interval: conformal",
             "n": r["n_donors"], "n_what": "donors", "units": f"{r['outcome']} points"}]


def from_curve(inference: pd.DataFrame, key_regressor: str) -> list[dict]:
    """The specification curve of ``key_regressor``, per estimator: the median standardised
    coefficient and the null-imposed bootstrap p-value of the median t (no interval)."""
    rows = []
    hit = inference[inference["key_regressor"] == key_regressor]
    if hit.empty:
        raise DividesError(f"headline: no curve rows of key regressor {key_regressor!r}")
    for _, r in hit.iterrows():
        rows.append({"name": f"spec curve median: {key_regressor}, {r['estimator']}",
                     "label": f"median standardised coefficient of {key_regressor} over the "
                              f"specifications ({r['estimator']} estimators)",
                     "estimate": r["median_coef_std"], "p_value": r.get("p_median_t", math.nan),
                     "p_kind": "null-imposed wild bootstrap, median t",
                     "n": r["n_specs"], "n_what": "specifications",
                     "units": "standard deviations of the outcome per SD of the regressor"})
    return rows


def frame(notebook: str, rows: list[dict]) -> pd.DataFrame:
    """The rows as a table of :data:`COLUMNS` (missing numbers as NaN)."""
    out = pd.DataFrame([{"notebook": notebook, **r} for r in rows], columns=list(COLUMNS))
    for c in NUMERIC:
        out[c] = pd.to_numeric(out[c], errors="raise").astype(float)
    for c in set(COLUMNS) - set(NUMERIC):
        out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    return out


def path(out_dir: str | Path, notebook: str) -> Path:
    return Path(out_dir) / FOLDER / f"{notebook}.csv"


def write(out_dir: str | Path, notebook: str, rows: list[dict]) -> Path:
    """``<out_dir>/headline/<notebook>.csv`` (``notebook``: its number, e.g. ``"04"``)."""
    if not rows:
        raise DividesError(f"headline: notebook {notebook} declared no estimate")
    target = path(out_dir, notebook)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = frame(notebook, rows).to_csv(index=False, lineterminator="\n", float_format="%.10g")
    target.write_bytes(text.encode("utf-8"))
    return target


def read(file: str | Path) -> pd.DataFrame:
    """A headline file, checked: its columns are :data:`COLUMNS` and numbers are numbers."""
    text = {c: str for c in COLUMNS if c not in NUMERIC}
    table = pd.read_csv(file, dtype=text, keep_default_na=False, na_values=[""])
    if list(table.columns) != list(COLUMNS):
        raise DividesError(f"{file}: expected the columns {', '.join(COLUMNS)}, found "
                           f"{', '.join(map(str, table.columns))}")
    for c in NUMERIC:
        try:
            table[c] = pd.to_numeric(table[c], errors="raise").astype(float)
        except (ValueError, TypeError) as exc:
            raise DividesError(f"{file}: column {c}: expected numbers ({exc})") from None
    for c in set(COLUMNS) - set(NUMERIC):
        table[c] = table[c].fillna("").astype(str)
    return table
