"""Tidy result tables and side-by-side exports (CSV, Markdown, LaTeX booktabs).

``tidy(result)`` gives one row per term with the columns in :data:`TIDY_COLUMNS`.
``side_by_side(results)`` lays several models out in columns, ``coef`` over ``(stderr)``,
with a footer that says estimator, errors, observations, countries, years, data kind and
sources. Every writer formats numbers with fixed format strings and writes ``\\n`` line
ends in UTF-8, so the same results give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from divides.models.estimators import ESTIMATOR_LABELS, Result
from divides.provenance import DEMO_LABEL

TIDY_COLUMNS = ("model", "term", "coef", "stderr", "t", "p", "ci_low", "ci_high", "estimator",
                "cov_type", "cov_detail", "n_obs", "n_countries", "year_first", "year_last",
                "n_years", "outcome", "lag", "lag_rule", "sample", "standardised",
                "data_kind", "sources")
STANDARDISED_NOTE = "z-scores over estimation sample (pooled SD)"
FLOAT_FORMAT = "%.10g"


def tidy(result: Result, model: str | None = None) -> pd.DataFrame:
    """One row per term; ``model`` names the column in side-by-side tables."""
    spec = result.spec
    n = len(result.terms)
    frame = pd.DataFrame({
        "model": [model or spec.label] * n,
        "term": list(result.terms),
        "coef": result.coef, "stderr": result.stderr, "t": result.tstat, "p": result.pvalue,
        "ci_low": result.ci_low, "ci_high": result.ci_high,
        "estimator": spec.estimator, "cov_type": spec.cov_type,
        "cov_detail": result.cov_detail,
        "n_obs": result.n_obs, "n_countries": result.n_countries,
        "year_first": result.years[0], "year_last": result.years[1],
        "n_years": result.n_years, "outcome": spec.outcome, "lag": spec.lag,
        "lag_rule": spec.lag_rule, "sample": spec.sample_label,
        "standardised": STANDARDISED_NOTE if spec.standardise else "no",
        "data_kind": result.data_kind, "sources": result.sources,
    })
    return frame[list(TIDY_COLUMNS)]


def tidy_many(results, names=None) -> pd.DataFrame:
    names = names or [None] * len(results)
    return pd.concat([tidy(r, n) for r, n in zip(results, names)], ignore_index=True)


def _stars(p: float) -> str:
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


#: Most decimals a coefficient is printed with (beyond, it is zero for any reader).
MAX_DECIMALS = 12


def decimals(*values: float, digits: int = 3) -> int:
    """``digits`` decimals, or more where one of ``values`` would show no significant digit
    with them: then enough for ``digits`` significant digits of it. A coefficient of a
    variable in large units (population) prints as ``0.0000123 (0.00000450)``, never
    ``0.000 (0.000)``; usual magnitudes keep ``digits`` decimals.

    >>> decimals(0.5, 0.02), decimals(0.0000123, 0.0000045), decimals(1234.5), decimals(0.0004)
    (3, 8, 3, 6)
    """
    need = [digits - 1 - int(np.floor(np.log10(abs(v)))) for v in values
            if np.isfinite(v) and 0 < abs(v) < 10.0 ** -digits]
    return int(min(MAX_DECIMALS, max([digits, *need])))


def side_by_side(results, names=None, digits: int = 3) -> pd.DataFrame:
    """A display frame: terms x models, coef with stars over (stderr), then a footer.
    Each coefficient and its error share the decimals that show both to ``digits``
    significant digits (:func:`decimals`)."""
    names = list(names or [f"({i + 1})" for i in range(len(results))])
    terms: list[str] = []
    for r in results:
        terms += [t for t in r.terms if t not in terms]
    rows: list[list[str]] = []
    index: list[str] = []
    for term in terms:
        coef_row, se_row = [], []
        for r in results:
            if term in r.terms:
                e = r[term]
                places = decimals(e["coef"], e["stderr"], digits=digits)
                coef_row.append(f"{e['coef']:.{places}f}" + _stars(e["p"]))
                se_row.append(f"({e['stderr']:.{places}f})")
            else:
                coef_row += [""]
                se_row += [""]
        rows += [coef_row, se_row]
        index += [term, ""]
    footer = {
        "outcome": [r.spec.outcome for r in results],
        "estimator": [ESTIMATOR_LABELS[r.spec.estimator] for r in results],
        "errors": [r.cov_detail.split(",")[0] for r in results],
        "lag (years)": [f"{r.spec.lag} ({r.spec.lag_rule})" for r in results],
        "sample": [r.spec.sample_label for r in results],
        "standardised": ["yes" if r.spec.standardise else "no" for r in results],
        "N obs": [str(r.n_obs) for r in results],
        "N countries": [str(r.n_countries) for r in results],
        "years": [f"{r.years[0]}-{r.years[1]}" for r in results],
        "data": [DEMO_LABEL if r.data_kind == "demo" else "real" for r in results],
        "sources": [r.sources for r in results],
    }
    for key, vals in footer.items():
        rows.append(vals)
        index.append(key)
    return pd.DataFrame(rows, index=pd.Index(index, name="term"), columns=names)


def note(results) -> str:
    kinds = {r.data_kind for r in results}
    demo = f" Computed on {DEMO_LABEL}." if "demo" in kinds else ""
    return ("Standard errors in parentheses; * p<0.1, ** p<0.05, *** p<0.01." + demo)


def to_markdown(results, names=None, digits: int = 3) -> str:
    table = side_by_side(results, names, digits)
    header = ["term", *table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for term, row in table.iterrows():
        lines.append("| " + " | ".join([term, *row.tolist()]) + " |")
    lines += ["", note(results), ""]
    return "\n".join(lines)


def _tex(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                 ("#", r"\#"), ("$", r"\$")):
        text = text.replace(a, b)
    return text


def to_latex(results, names=None, digits: int = 3, caption: str = "") -> str:
    """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``) inside a table float."""
    table = side_by_side(results, names, digits)
    ncol = len(table.columns)
    n_terms = 2 * len({t for r in results for t in r.terms})
    out = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        out.append(r"\caption{" + _tex(caption) + "}")
    out += [r"\begin{tabular}{l" + "c" * ncol + "}", r"\toprule",
            " & ".join(["", *[_tex(c) for c in table.columns]]) + r" \\", r"\midrule"]
    for i, (term, row) in enumerate(table.iterrows()):
        if i == n_terms:
            out.append(r"\midrule")
        out.append(" & ".join([_tex(term), *[_tex(v) for v in row.tolist()]]) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}",
            r"\par\smallskip{\footnotesize " + _tex(note(results)) + "}", r"\end{table}", ""]
    return "\n".join(out)


def to_csv_text(results, names=None) -> str:
    """The tidy rows of all models (full precision, fixed format) as CSV text."""
    frame = tidy_many(results, names)
    return frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_tables(results, stem: str | Path, names=None, digits: int = 3,
                 caption: str = "") -> list[Path]:
    """Write ``<stem>.csv`` (tidy), ``<stem>.md`` and ``<stem>.tex`` (side by side)."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    texts = {".csv": to_csv_text(results, names),
             ".md": to_markdown(results, names, digits),
             ".tex": to_latex(results, names, digits, caption)}
    paths = []
    for suffix, text in texts.items():
        path = stem.with_suffix(suffix)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def format_float(value: float, digits: int = 3) -> str:
    """``value`` to at least ``digits`` significant digits (:func:`decimals`); "" when not
    finite."""
    return "" if not np.isfinite(value) else f"{value:.{decimals(value, digits=digits)}f}"
