"""Tidy result tables and side-by-side exports (CSV, Markdown, LaTeX booktabs).

``tidy(result)`` gives one row per term with the columns in :data:`TIDY_COLUMNS`.
``side_by_side(results)`` lays several models out in columns, ``coef`` over ``(stderr)``,
with a footer that says estimator, errors, observations, countries, years, data kind and
sources. Every writer formats numbers with fixed format strings and writes ``\\n`` line
ends in UTF-8, so the same results give byte-identical files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from divides import catalogue
from divides.models.estimators import ESTIMATOR_LABELS, Result
from divides.provenance import DEMO_LABEL

TIDY_COLUMNS = ("model", "term", "coef", "stderr", "t", "p", "ci_low", "ci_high", "estimator",
                "cov_type", "cov_detail", "n_obs", "n_countries", "year_first", "year_last",
                "n_years", "r2", "outcome", "lag", "lag_rule", "sample", "standardised",
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
        "n_years": result.n_years, "r2": result.r2, "outcome": spec.outcome, "lag": spec.lag,
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
    """The regression table (:func:`regression_table`) as a Markdown table and its note."""
    reg = regression_table(tidy_many(results, names), digits=digits)
    header = ["", *reg.body.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for label, row in reg.body.iterrows():
        lines.append("| " + " | ".join([label, *row.tolist()]) + " |")
    lines += ["", reg.note, ""]
    return "\n".join(lines)


def _tex(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                 ("#", r"\#"), ("$", r"\$"), ("<", r"\textless{}"), (">", r"\textgreater{}"),
                 ("²", r"\textsuperscript{2}"), ("×", r"\texttimes{}"),
                 ("\u2212", "-"), ("\u2013", "--")):
        text = text.replace(a, b)
    return text


def to_latex(results, names=None, digits: int = 3, caption: str = "") -> str:
    """The regression table (:func:`regression_table`) as a booktabs ``tabular`` (needs
    ``\\usepackage{booktabs}``) inside a table float, its note below."""
    reg = regression_table(tidy_many(results, names), digits=digits)
    ncol = len(reg.body.columns)
    out = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        out.append(r"\caption{" + _tex(caption) + "}")
    out += [r"\begin{tabular}{l" + "c" * ncol + "}", r"\toprule",
            " & ".join(["", *[_tex(c) for c in reg.body.columns]]) + r" \\", r"\midrule"]
    for i, (label, row) in enumerate(reg.body.iterrows()):
        if i == reg.n_coef_rows:
            out.append(r"\midrule")
        cells = [_tex(v.replace("\u2212", "-")) for v in row.tolist()]
        out.append(" & ".join([_tex(label), *cells]) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}",
            r"\par\smallskip{\footnotesize " + _tex(reg.note) + "}", r"\end{table}", ""]
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
    caption = in_words(caption)
    texts = {".csv": to_csv_text(results, names),
             ".md": to_markdown(results, names, digits),
             ".tex": to_latex(results, names, digits, caption)}
    paths = []
    for suffix, text in texts.items():
        path = stem.with_name(stem.name + suffix)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    write_meta(stem.with_name(stem.name + ".csv"), caption)
    return paths


def format_float(value: float, digits: int = 3) -> str:
    """``value`` to at least ``digits`` significant digits (:func:`decimals`); "" when not
    finite."""
    return "" if not np.isfinite(value) else f"{value:.{decimals(value, digits=digits)}f}"


# -- journal-style regression tables ------------------------------------------------------

#: Significance stars and the p-value below which each is given (two-sided).
STARS = (("***", 0.01), ("**", 0.05), ("*", 0.1))
#: Standard errors in words, by ``cov_type`` (the table's "Standard errors" row).
SE_WORDS = {"clustered": "clustered by country", "driscoll_kraay": "Driscoll-Kraay",
            "HC3": "HC3 robust", "HC1": "HC1 robust", "robust": "robust",
            "nonrobust": "classical", "unadjusted": "classical"}
#: Short estimator names for the "Estimator" row.
ESTIMATOR_SHORT = {"cross_section": "cross-section OLS", "pooled": "pooled OLS",
                   "between": "between (country means)", "twfe": "two-way FE"}
#: What R² means where it is not the usual one (the note under a regression table).
_R2_NOTE = {"twfe": "within, net of country and year effects, for two-way FE",
            "between": "of country means for the between estimator"}
#: Suffix of the caption file written beside a table's CSV (read by the report).
META_SUFFIX = ".meta.json"
_GAP = re.compile(r"^gap_(?P<dim>[a-z]+)_(?:(?P<stem>\w+?)_)?(?P<unit>pp|parity|relgap)"
                  r"(?P<latest>_latest)?$")
_GAP_WORD = re.compile(r"(?<![\w])gap_[a-z]+_\w*?(?:pp|parity|relgap)(?:_latest)?(?![\w])")
_GAP_DIMENSIONS = {"sex": "men minus women", "area": "urban minus rural",
                   "income": "richest 60% minus poorest 40%", "age": "older minus younger",
                   "education": "more minus less educated"}
_GAP_UNITS = {"pp": "pp", "parity": "parity ratio", "relgap": "relative gap"}


def indicator_name(stem: str) -> str | None:
    table = catalogue.indicators()
    rows = table[table["indicator"] == f"{stem}_pct"]
    if rows.empty:
        return None
    total = rows[rows["breakdown"] == "total"]
    name = str((total if len(total) else rows)["name"].iloc[0])
    return re.sub(r"\s*\([^)]*\)\s*$", "", name)


def term_label(term: str) -> str:
    """A model term in words, from the column registry's figure labels: ``egdi_lag1`` ->
    "E-Government Development Index (EGDI), lagged 1 year"; ``a_x_b`` -> "a × b"; gap
    columns (:func:`divides.models.frames.gap_column_name`) name their indicator, groups and
    unit; a name the registry lacks is shown with spaces for underscores."""
    if term == "const":
        return "Constant"
    if "_x_" in term:
        return " × ".join(term_label(t) for t in term.split("_x_"))
    lag = re.search(r"_lag(\d+)$", term)
    if lag:
        n = int(lag.group(1))
        return f"{term_label(term[:lag.start()])}, lagged {n} year{'s' if n != 1 else ''}"
    if term.endswith("_rank_pct"):
        return f"{term_label(term.removesuffix('_rank_pct'))}, rank within year (percentile)"
    if catalogue.has_column(term):
        return str(catalogue.column_row(term)["figure_label"] or catalogue.column_label(term))
    gap = _GAP.match(term)
    if gap:
        what = indicator_name(gap["stem"]) if gap["stem"] else None
        if gap["stem"] and what is None:
            what = gap["stem"].replace("_", " ")
            what = what[:1].upper() + what[1:]
        groups = _GAP_DIMENSIONS.get(gap["dim"], gap["dim"])
        text = f"{what}: gap" if what else "Gap"
        text += f" ({groups}, {_GAP_UNITS[gap['unit']]})"
        return text + (", latest survey" if gap["latest"] else "")
    return term.replace("_", " ")


_NAMES: re.Pattern | None = None


def in_words(text: str) -> str:
    """``text`` with every panel column name in it replaced by its figure label (captions
    that name a notebook's parameters, e.g. ``f"{outcome} on {regressor}"``)."""
    global _NAMES
    if _NAMES is None:
        names = sorted(set(catalogue.columns()["column"])
                       | set(catalogue.indicators()["indicator"]), key=len, reverse=True)
        _NAMES = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, names)) + r")(?![\w])")

    def words(name: str) -> str:
        if catalogue.has_column(name):
            return term_label(name)
        return indicator_name(name.removesuffix("_pct")) or name

    text = _NAMES.sub(lambda m: words(m.group(1)), text)
    # gap columns (models.frames names) in words
    return _GAP_WORD.sub(lambda m: term_label(m.group(0)), text)


def stars(p: float) -> str:
    """Significance stars of a two-sided p-value (:data:`STARS`)."""
    return next((mark for mark, cut in STARS if p < cut), "")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@dataclass
class RegressionTable:
    """A journal-style table: models as columns, each coefficient (with stars) over its
    standard error in parentheses, then rows that say how each model was estimated.
    ``body`` holds text cells; the first ``n_coef_rows`` rows are coefficients and errors."""

    body: pd.DataFrame
    n_coef_rows: int
    note: str
    caption: str = ""
    #: The CSV file the table was read from (the report puts the saved table in its place).
    saved: str = ""

    def styler(self, caption: str | None = None):
        """A pandas Styler: one row per term, its coefficient over its error in one cell
        (they stay together beside a label that wraps), text escaped, a rule above the
        model details; ``caption`` (default: the table's) above. Its element id is a hash
        of the content, so that several tables on a page keep their own rules and the same
        table gives the same bytes."""
        import hashlib
        import html as html_mod

        caption = self.caption if caption is None else caption
        uid = hashlib.sha256((self.body.to_csv() + caption).encode("utf-8")).hexdigest()[:10]
        esc = html_mod.escape
        coef, se = self.body.iloc[0:self.n_coef_rows:2], self.body.iloc[1:self.n_coef_rows:2]
        paired = pd.DataFrame(
            [[f"{esc(c)}<br>{esc(e)}" if c or e else "" for c, e in zip(crow, srow)]
             for crow, srow in zip(coef.to_numpy(), se.to_numpy())],
            index=list(coef.index), columns=self.body.columns)
        details = self.body.iloc[self.n_coef_rows:].map(esc)
        shown = pd.concat([paired, details])
        shown.index = [esc(str(i)) for i in shown.index]
        shown.columns = [esc(str(c)) for c in shown.columns]
        row = len(paired) + 1
        styles = [{"selector": f"tbody tr:nth-child({row}) th, tbody tr:nth-child({row}) td",
                   "props": "border-top: 1px solid #444;"},
                  {"selector": "td", "props": "text-align: center; padding: 2px 6px; "
                                              "white-space: nowrap; vertical-align: top;"},
                  # the model details (estimator, errors) wrap, so that many models fit
                  {"selector": f"tbody tr:nth-child(n+{row}) td",
                   "props": "white-space: normal; min-width: 5em; padding: 1px 6px;"},
                  {"selector": "th.col_heading",
                   "props": "text-align: center; vertical-align: bottom; max-width: 9em;"},
                  {"selector": "th.row_heading",
                   "props": "text-align: left; font-weight: normal; padding-right: 10px; "
                            "min-width: 9em; max-width: 16em; vertical-align: top;"},
                  {"selector": "caption", "props": "caption-side: top; text-align: left;"}]
        styler = (shown.style.set_uuid(uid).set_table_attributes('class="regression-table"')
                  .set_table_styles(styles).hide(axis="index", names=True))
        if caption:
            styler = styler.set_caption(esc(caption))
        return styler

    def to_html(self, caption: str | None = None) -> str:
        """The table and its note as HTML, in a block that scrolls sideways when the page
        is narrower than the table (same input, same bytes)."""
        import html as html_mod

        table = self.styler(caption).to_html()
        table = "\n".join(line for line in table.splitlines() if line.strip())
        return (f'<div class="table-wrap"{_saved_attr(self.saved)}>\n{table}\n'
                f'<p class="table-note">{html_mod.escape(self.note)}</p>\n</div>')

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"{self.caption}\n{self.body.to_string()}\n{self.note}".strip()

    def to_frame(self) -> pd.DataFrame:
        """The body with its row labels as a first column (empty header), for CSV."""
        return self.body.reset_index().rename(columns={"term": ""})


#: HTML attribute that marks a displayed table as one saved to ``tables/`` (its file name).
SAVED_ATTR = "data-table-file"


def _saved_attr(name: str) -> str:
    import html as html_mod

    return f' {SAVED_ATTR}="{html_mod.escape(name)}"' if name else ""


def regression_table(tidy_rows: pd.DataFrame, caption: str = "",
                     digits: int = 3) -> RegressionTable:
    """A :class:`RegressionTable` from tidy rows (:func:`tidy_many`, or a CSV that
    :func:`write_tables` wrote): one column per model, in order; the constant last; then
    outcome (when the models differ in it), estimator, fixed effects, standard errors, lag,
    sample, standardisation (when any model differs from the default), observations,
    countries, years and R²."""
    frame = tidy_rows.copy()
    models = list(dict.fromkeys(frame["model"]))
    first = frame.drop_duplicates("model").set_index("model").loc[models]
    terms = list(dict.fromkeys(t for t in frame["term"] if t != "const"))
    if (frame["term"] == "const").any():
        terms.append("const")
    cells = frame.set_index(["model", "term"])
    rows, index = [], []
    for term in terms:
        coef_row, se_row = [], []
        for model in models:
            if (model, term) in cells.index:
                e = cells.loc[(model, term)]
                coef, se, p = float(e["coef"]), float(e["stderr"]), float(e["p"])
                # the error sets the precision of both (a coefficient is known to its error)
                places = decimals(se, digits=digits) if np.isfinite(se) else digits
                coef_row.append(f"{coef:.{places}f}".replace("-", "\u2212") + stars(p))
                se_row.append(f"({se:.{places}f})")
            else:
                coef_row.append("")
                se_row.append("")
        rows += [coef_row, se_row]
        index += [term_label(term), ""]
    n_coef = len(rows)
    lag = pd.to_numeric(first["lag"]).astype(int)
    details: dict[str, list[str]] = {}
    outcomes = first["outcome"].tolist()
    if len(set(outcomes)) > 1:
        details["Outcome"] = [term_label(o) for o in outcomes]
    details["Estimator"] = [ESTIMATOR_SHORT.get(e, e) for e in first["estimator"]]
    details["Country fixed effects"] = [_yes(e == "twfe") for e in first["estimator"]]
    details["Year fixed effects"] = [_yes(e == "twfe") for e in first["estimator"]]
    details["Standard errors"] = [SE_WORDS.get(c, c) for c in first["cov_type"]]
    if (lag != 0).any():
        details["Lag of regressors (years)"] = [
            f"{n} ({rule})" if n else "none" for n, rule in zip(lag, first["lag_rule"])]
    if (first["sample"].astype(str) != "all").any():
        details["Sample"] = [cell_words("sample", str(s)) for s in first["sample"]]
    if (first["standardised"].astype(str) != "no").any():
        details["Standardised (z-scores)"] = [
            _yes(str(s) != "no") for s in first["standardised"]]
    details["Observations"] = [f"{int(n):,}" for n in first["n_obs"]]
    details["Countries"] = [f"{int(n):,}" for n in first["n_countries"]]
    details["Years"] = [f"{int(a)}\u2013{int(b)}" if a != b else f"{int(a)}"
                        for a, b in zip(first["year_first"], first["year_last"])]
    r2 = pd.to_numeric(first.get("r2", pd.Series(np.nan, index=first.index)))
    if r2.notna().any():
        details["R²"] = ["" if pd.isna(v) else f"{v:.3f}" for v in r2]
    for key, values in details.items():
        rows.append(values)
        index.append(key)
    # a model named by its estimator's code ("pooled") is headed by its name in words
    body = pd.DataFrame(rows, index=pd.Index(index, name="term"),
                        columns=[cell_words("model", str(m)) for m in models])
    return RegressionTable(body, n_coef, regression_note(first), caption)


def regression_note(first: pd.DataFrame) -> str:
    """What the stars and errors are, the outcome when all models share it, what R² is."""
    parts = []
    outcomes = first["outcome"].unique()
    if len(outcomes) == 1:
        unit = catalogue.column_unit(outcomes[0]) if catalogue.has_column(outcomes[0]) else ""
        parts.append(f"Outcome: {term_label(outcomes[0])}" + (f"; unit: {unit}." if unit
                                                              else "."))
    errors = first.groupby("cov_detail", sort=False).apply(lambda g: list(g.index),
                                                           include_groups=False)
    if len(errors) == 1:
        said = str(errors.index[0])
    else:
        said = "; ".join(f"{', '.join(cell_words('model', str(m)) for m in models)}: {detail}"
                         for detail, models in errors.items())
    parts.append(f"Standard errors in parentheses ({said}).")
    parts.append(", ".join(f"{mark} p < {cut:g}" for mark, cut in reversed(STARS))
                 + " (two-sided).")
    kinds = list(dict.fromkeys(first["estimator"]))
    r2_words = [_R2_NOTE[k] for k in kinds if k in _R2_NOTE]
    if r2_words and "r2" in first:
        parts.append("R²: " + "; ".join(r2_words) + ".")
    if (first["data_kind"] == "demo").any():
        parts.append(f"Computed on {DEMO_LABEL}.")
    return " ".join(parts)


def is_tidy(frame: pd.DataFrame) -> bool:
    """Whether a table holds tidy model rows (:data:`TIDY_COLUMNS`; ``r2`` may be absent
    in files written before it)."""
    return set(TIDY_COLUMNS) - {"r2"} <= set(frame.columns)


def write_regression(results, stem: str | Path, names=None, caption: str = "",
                     digits: int = 3) -> RegressionTable:
    """:func:`write_tables`, then the regression table of the CSV it wrote (what the report
    shows; a notebook cell ending with this call displays it)."""
    paths = write_tables(results, stem, names, digits, caption)
    return read_regression(paths[0])


def read_regression(csv: str | Path, caption: str = "") -> RegressionTable:
    """The regression table of a tidy CSV that :func:`write_tables` wrote."""
    frame = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    if not is_tidy(frame):
        missing = sorted(set(TIDY_COLUMNS) - {"r2"} - set(frame.columns))
        raise ValueError(f"{csv}: expected tidy model rows, missing columns {missing}")
    table = regression_table(frame, caption or table_caption(Path(csv)))
    table.saved = Path(csv).name
    return table


def write_meta(csv: Path, caption: str) -> Path:
    """Write the caption file beside a table's CSV (``<stem>.meta.json``)."""
    path = csv.with_name(csv.stem + META_SUFFIX)
    path.write_bytes((json.dumps({"caption": caption}, ensure_ascii=False, indent=1)
                      + "\n").encode("utf-8"))
    return path


def table_caption(csv: Path) -> str:
    """A table's caption: from its caption file, else from its name (the notebook prefix
    gone, panel column names in words)."""
    meta = csv.with_name(csv.stem + META_SUFFIX)
    if meta.exists():
        caption = json.loads(meta.read_text(encoding="utf-8")).get("caption", "")
        if caption:
            return caption
    stem = csv.stem
    if stem[:2].isdigit() and stem[2:3] == "_":
        stem = stem[3:]
    # column names in the stem, bounded by underscores, in words
    text = in_words(" ".join(stem.split("_")))
    for name in sorted(set(catalogue.columns()["column"]), key=len, reverse=True):
        spaced = " ".join(name.split("_"))
        if len(spaced) > 3 and re.search(rf"(?<!\w){re.escape(spaced)}(?!\w)", text):
            text = re.sub(rf"(?<!\w){re.escape(spaced)}(?!\w)", term_label(name), text)
    return text[:1].upper() + text[1:]


# -- any other table: headers in words, numbers to sensible digits -------------------------

#: Longest unit a table header carries (a longer one would make the column too wide).
HEADER_UNIT_CHARS = 20
#: Units a header does not name (they say nothing a reader needs).
_UNSAID_UNITS = {"code", "category", "year", "name", "text"}
#: Columns that hold p-values (shown to 3 decimals, ``< 0.001`` below).
P_COLUMNS = {"p", "p_value", "pvalue", "p_wild", "placebo_p"}
_HEADER_WORDS = {"p": "p-value", "p_value": "p-value", "pvalue": "p-value",
                 "stderr": "Standard error", "coef": "Coefficient", "ci_low": "95% CI, low",
                 "ci_high": "95% CI, high", "n_obs": "Observations", "n_countries": "Countries",
                 "iso3": "Country", "n_periods": "Periods", "year": "Year",
                 # the specification curve's tables (models.speccurve)
                 "t": "t-statistic", "spec_id": "Specification", "n_specs": "Specifications",
                 "coef_std": "Standardised coefficient",
                 "ci_low_std": "95% CI, low (standardised)",
                 "ci_high_std": "95% CI, high (standardised)",
                 "median_coef_std": "Median standardised coefficient",
                 "share_sig_pos": "Share significantly positive",
                 "share_sig_neg": "Share significantly negative",
                 "p_median_t": "p, median t", "p_median_t_rw": "p, median t (Romano-Wolf)",
                 "p_share": "p, share significant",
                 "p_share_rw": "p, share significant (Romano-Wolf)",
                 "p_share_pos": "p, share positive (one-sided)",
                 "p_share_neg": "p, share negative (one-sided)",
                 "n_draws": "Bootstrap draws", "p_wild": "p, wild bootstrap",
                 "wild_draws": "Wild bootstrap draws", "p_spec": "p used",
                 "max_country_weight_share": "Largest one-country weight share",
                 "max_weight_country": "Country with the largest weight",
                 "rank_in_family": "Rank in family", "key_definition": "Key regressor defined as",
                 "n_singletons": "Singletons", "year_first": "First year",
                 "year_last": "Last year", "levels": "Options",
                 "r2_alone": "R² alone", "r2_shapley": "Shapley R²", "r2_last": "R² added last"}


def header_words(col: str) -> str:
    """A table header in words: the column registry's short (figure) label, with its unit
    when that is short, for a panel or gaps column; a few model words (``stderr`` ->
    "Standard error"); else the name with its underscores as spaces."""
    if col in _HEADER_WORDS:
        return _HEADER_WORDS[col]
    if catalogue.has_column(col):
        row = catalogue.column_row(col)
        label = str(row["figure_label"] or row["label"])
        unit = str(row["figure_unit"] or row["unit"])
        short = (unit and len(unit) <= HEADER_UNIT_CHARS and unit not in label
                 and unit not in _UNSAID_UNITS)
        text = f"{label} ({unit})" if short else label
        return text[:1].upper() + text[1:]
    if col.startswith("gap_") and _GAP.match(col):
        return term_label(col)
    words = col.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else ""


def words_for_columns(text: str) -> str:
    """``text`` with every panel or gaps column name in it replaced by its registry label
    (a table's cells name variables as "cpi_score: internet_users_pct")."""
    return in_words(text)


#: What "all" means in a column of that name (a curve's pooled row, the whole sample).
ALL_WORDS = {"estimator": "all estimators", "sample": "all countries",
             "outcome": "all outcomes", "key_regressor": "all key regressors",
             "controls": "all control sets"}
#: Data kinds in words (``provenance.DATA_KINDS``).
DATA_KIND_WORDS = {"demo": DEMO_LABEL, "real": "published data"}
#: Columns whose cells are source ids (one, or several joined by ";").
SOURCE_COLUMNS = {"source", "sources", "source_id", "outcome_source", "top_source"}
#: Columns whose cells name columns of a table (a decomposition's "column").
COLUMN_NAME_COLUMNS = {"column", "panel_column", "variable"}


def source_words(source: str) -> str:
    """A source id in words: its short name in ``data/sources.csv`` (``wdi`` -> "World Bank
    WDI"); an id the file lacks is returned as it is."""
    table = catalogue.sources()
    rows = table[table["source"] == source]
    return str(rows["figure_label"].iloc[0]) if len(rows) else source


def _control_sets() -> dict[str, list[str]]:
    from divides.models.speccurve.grid import load_grid

    return dict(load_grid().get("controls", {}))


def _paired_indicator_words(value: str) -> str | None:
    """A gap definition's own indicator that compares two indicators (``data/build/
    gap_definitions.csv``: UNESCO literacy, youth vs older) as "<one> vs <other>"."""
    table = _gap_definitions()
    rows = table[(table["indicator"] == value) & (table["advantaged_indicator"] != "")]
    if rows.empty:
        return None
    row = rows.iloc[0]
    names = [indicator_name(row[k].removesuffix("_pct")) or row[k]
             for k in ("advantaged_indicator", "disadvantaged_indicator")]
    return " vs ".join(names)


def _gap_definitions() -> pd.DataFrame:
    global _GAP_DEFINITIONS
    if _GAP_DEFINITIONS is None:
        from divides import config

        _GAP_DEFINITIONS = pd.read_csv(config.GAP_DEFINITIONS_CSV, dtype=str,
                                       keep_default_na=False)
    return _GAP_DEFINITIONS


_GAP_DEFINITIONS: pd.DataFrame | None = None


def cell_words(col: str, value: str) -> str:
    """A text cell of column ``col`` in words: estimator codes by :data:`ESTIMATOR_SHORT`,
    source ids by their names (:func:`source_words`), "all" by what it spans
    (:data:`ALL_WORDS`), a curve's control set by its variables, data kinds, samples
    ("income_group=Low income" -> "Income group: Low income"), and every panel, indicator
    or gap column name in it by its registry label (:func:`in_words`)."""
    if value == "":
        return value
    if value in ("True", "False"):  # a flag column ("significant")
        return "yes" if value == "True" else "no"
    if value == "all" and col in ALL_WORDS:
        return ALL_WORDS[col]
    if col in ("estimator", "estimators") or (value in ESTIMATOR_SHORT and "_" in value):
        return ", ".join(ESTIMATOR_SHORT.get(v.strip(), v.strip()) for v in value.split(","))
    if value in ESTIMATOR_SHORT and col not in ("decision", *COLUMN_NAME_COLUMNS):
        return ESTIMATOR_SHORT[value]
    if col in SOURCE_COLUMNS or (col == "" and value in set(catalogue.sources()["source"])):
        return "; ".join(source_words(v.strip()) for v in re.split(r"[;,]", value))
    if col == "data_kind" and value in DATA_KIND_WORDS:
        return DATA_KIND_WORDS[value]
    if col == "controls":
        sets = _control_sets()
        if value in sets:
            return ", ".join(term_label(c) for c in sets[value]) or "none"
    if col == "sample" and "=" in value:
        name, _, level = value.partition("=")
        return f"{header_words(name)}: {level}"
    if col in COLUMN_NAME_COLUMNS or col == "decision":
        if value == "key_regressor" or value == "family":
            return "key regressor (family)"
        if not catalogue.has_column(value) and not _GAP.match(value):
            return value.replace("_", " ")
    paired = _paired_indicator_words(value)
    if paired:
        return paired
    text = in_words(value)
    # source ids named in a text, in parentheses ("... (itu), male - female")
    return re.sub(r"\((\w+)\)", lambda m: f"({source_words(m.group(1))})", text)


def is_p_column(col: str) -> bool:
    return col in P_COLUMNS or col.startswith("p_") or col.endswith("_p")


#: Columns that hold one quantity and its interval or error: shown with the same decimals
#: (:func:`decimal_groups`); a ``_std`` (standardised) twin forms its own group.
ESTIMATE_COLUMNS = ("estimate", "coef", "ci_low", "ci_high", "stderr", "se", "median_coef",
                    "mean_coef", "lower", "upper")


def decimal_groups(columns) -> dict[str, str]:
    """Each column that belongs with others (an estimate, its interval and error: names in
    :data:`ESTIMATE_COLUMNS`, with the same ``_std`` or similar suffix) -> its group's key."""
    groups: dict[str, str] = {}
    for col in map(str, columns):
        for base in sorted(ESTIMATE_COLUMNS, key=len, reverse=True):
            if col == base or col.startswith(base + "_"):
                groups[col] = col[len(base):] or "_"
                break
    counts = pd.Series(list(groups.values()), dtype=object).value_counts()
    return {c: k for c, k in groups.items() if counts[k] > 1}


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """(text, numbers) of a column, or None when it holds text."""
    raw = values.astype(object).where(values.notna(), "").astype(str)
    numbers = pd.to_numeric(raw.where(raw != ""), errors="coerce")
    if numbers[raw != ""].isna().any() or numbers.isna().all():
        return None
    return raw, numbers


def decimal_places(numbers: pd.Series) -> int:
    """Decimals that give 3 significant digits of the median size of nonzero ``numbers``
    (0 to 4)."""
    finite = numbers[np.isfinite(numbers)]
    nonzero = finite[finite != 0].abs()
    size = float(nonzero.median()) if len(nonzero) else 1.0
    return int(min(4, max(0, 2 - np.floor(np.log10(size)))))


def shared_places(frame: pd.DataFrame) -> dict[str, int]:
    """Decimals shared by the columns of each :func:`decimal_groups` group that hold
    non-integer numbers (an estimate and its interval never show 0.12 beside 0.1)."""
    places: dict[str, int] = {}
    groups = decimal_groups(frame.columns)
    for key in dict.fromkeys(groups.values()):
        cols = [c for c, k in groups.items() if k == key]
        parsed = {c: _numbers(frame[c]) for c in cols}
        numeric = {c: v[1] for c, v in parsed.items() if v is not None}
        if len(numeric) < 2:
            continue
        every = pd.concat(list(numeric.values())).dropna()
        if (every == every.round()).all():
            continue
        shared = decimal_places(every)
        places.update({c: shared for c in numeric})
    return places


def format_column(col: str, values: pd.Series, places: int | None = None) -> list[str]:
    """Cells of a column as text: p-values to 3 decimals with ``< 0.001`` below; integers as
    they are; other numbers to 3 significant digits of the column's median size (or
    ``places`` decimals: columns shown together, :func:`shared_places`), a value too small
    to show as ``< 0.0001`` (sign kept), never an exponent; minus signs as U+2212; text in
    words (:func:`cell_words`)."""
    parsed = _numbers(values)
    if parsed is None:
        raw = values.astype(object).where(values.notna(), "").astype(str)
        return [cell_words(col, v) for v in raw]
    raw, numbers = parsed
    finite = numbers.dropna()
    if is_p_column(col):
        return ["" if pd.isna(x) else ("< 0.001" if x < 0.001 else f"{x:.3f}")
                for x in numbers]
    if places is None and (finite == finite.round()).all() and not raw.str.contains(
            r"\.\d*[1-9]").any():
        return ["" if pd.isna(x) else f"{int(x)}".replace("-", "\u2212") for x in numbers]
    if places is None:
        places = decimal_places(finite)
    out = []
    for x in numbers:
        if pd.isna(x):
            out.append("")
            continue
        text = f"{x:.{places}f}"
        if x != 0 and float(text) == 0:
            text = f"< {10 ** -places:.{places}f}" if x > 0 else f"> -{10 ** -places:.{places}f}"
        out.append(text.replace("-", "\u2212"))
    return out


def flat_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with one level of column names (a MultiIndex joined in words) and an index
    that names rows turned into the first column(s)."""
    flat = frame.copy()
    if isinstance(flat.columns, pd.MultiIndex):
        flat.columns = [", ".join(term_label(str(p)) for p in c if str(p))
                        for c in flat.columns]
    if not isinstance(flat.index, pd.RangeIndex):
        flat = flat.reset_index()
    return flat


def display_frame(frame: pd.DataFrame, max_rows: int | None = None,
                  source_name: str = "") -> tuple[pd.DataFrame, str]:
    """A frame as text for a reader, and a note: columns constant over all rows said once
    in the note ("In every row, ..."), headers in words (:func:`header_words`), numbers
    formatted (:func:`format_column`), the first ``max_rows`` rows."""
    frame = flat_frame(frame)
    frame.columns = ["" if str(c).startswith("Unnamed") else str(c) for c in frame.columns]
    n_rows = len(frame)
    notes = []
    if n_rows > 1:
        constant = [c for c in frame.columns if frame[c].astype(str).nunique() == 1]
        constant = constant[:len(frame.columns) - 1]  # a table keeps one column
        if constant:
            said = "; ".join(
                f"{header_words(c)}: {format_column(c, frame[c].head(1))[0] or '(empty)'}"
                for c in constant)
            notes.append(f"In every row, {said}.")
            frame = frame.drop(columns=constant)
    if max_rows is not None and n_rows > max_rows:
        where = f" (all of them in {source_name})" if source_name else ""
        notes.append(f"First {max_rows} of {n_rows} rows{where}.")
        frame = frame.head(max_rows)
    places = shared_places(frame)
    shown = pd.DataFrame({i: format_column(c, frame[c], places.get(c))
                          for i, c in enumerate(frame.columns)})
    shown.columns = [header_words(c) if c else "" for c in frame.columns]
    return shown, " ".join(notes)


@dataclass
class FrameTable:
    """A formatted frame (:func:`display_frame`) with its caption and note; shows as an
    HTML table in Jupyter and in the report."""

    body: pd.DataFrame
    note: str = ""
    caption: str = ""
    saved: str = ""

    def to_html(self, caption: str | None = None) -> str:
        import hashlib
        import html as html_mod

        caption = self.caption if caption is None else caption
        uid = hashlib.sha256((self.body.to_csv() + caption).encode("utf-8")).hexdigest()[:10]
        numeric = [c for i, c in enumerate(self.body.columns)
                   if self.body.iloc[:, i].str.match(r"^[\u2212<>\d. ,-]*$").all()]
        styles = [{"selector": "td", "props": "padding: 1px 8px;"},
                  {"selector": "th", "props": "padding: 1px 8px; vertical-align: bottom;"},
                  {"selector": "caption", "props": "caption-side: top; text-align: left;"}]
        styler = (self.body.style.format(escape="html").format_index(escape="html", axis=1)
                  .hide(axis="index").set_uuid(uid).set_table_attributes('class="data-table"')
                  .set_table_styles(styles)
                  .set_properties(subset=numeric, **{"text-align": "right"}))
        if caption:
            styler = styler.set_caption(html_mod.escape(caption))
        table = "\n".join(line for line in styler.to_html().splitlines() if line.strip())
        note = f'\n<p class="table-note">{html_mod.escape(self.note)}</p>' if self.note else ""
        return f'<div class="table-wrap"{_saved_attr(self.saved)}>\n{table}{note}\n</div>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"{self.caption}\n{self.body.to_string(index=False)}\n{self.note}".strip()


def show(frame: pd.DataFrame, caption: str = "", max_rows: int | None = None) -> FrameTable:
    """A frame for reading: headers in words, sensible digits, constant columns in a note
    (a notebook cell ending with it displays an HTML table)."""
    body, note = display_frame(frame, max_rows)
    return FrameTable(body, note, in_words(caption))


def read_table(csv: str | Path, max_rows: int | None = None):
    """A saved CSV table as a reader sees it (the report's and the notebooks' one view): the
    regression table of tidy model rows, else the frame in words and sensible digits, first
    ``max_rows`` rows; caption from its caption file; marked as saved, so that the report
    shows the saved table, numbered, in its place. A notebook shows a table a library step
    saved with it, rather than saving a second copy."""
    csv = Path(csv)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    if is_tidy(frame):
        return read_regression(csv)
    body, note = display_frame(frame, max_rows, csv.name)
    return FrameTable(body, note, table_caption(csv), saved=csv.name)


def save_table(frame: pd.DataFrame, csv: str | Path, caption: str,
               max_rows: int | None = None, float_format: str | None = None) -> FrameTable:
    """Write a table as CSV (an index that names rows becomes the first column; ``\\n``
    line ends) with its caption file; returns it for display (:func:`show`), marked as
    saved so that the report shows the saved table, numbered, in its place."""
    csv = Path(csv)
    csv.parent.mkdir(parents=True, exist_ok=True)
    flat = flat_frame(frame)
    csv.write_bytes(flat.to_csv(index=False, lineterminator="\n", float_format=float_format)
                    .encode("utf-8"))
    write_meta(csv, in_words(caption))
    table = show(flat, caption, max_rows)
    table.saved = csv.name
    return table
