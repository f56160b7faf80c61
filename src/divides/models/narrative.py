"""Sentences written from results, for the notebooks' text.

A sentence that states a direction ("rises with", "changes sign") or a size ("far smaller")
is computed here from the numbers it describes, so the text holds on demo and real data
alike; the notebooks show it with ``IPython.display.Markdown``. Each function returns
Markdown and takes the same table or frame the notebook prints or plots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Below this p-value an association is described by its direction, else as unclear.
ALPHA = 0.05
#: |within| / |pooled| below this is "far smaller".
FAR_SMALLER = 1 / 3


@dataclass(frozen=True)
class Association:
    """Spearman rank correlation of two columns over the rows having both."""

    rho: float
    p_value: float
    n: int

    @property
    def direction(self) -> str:
        """``"rises"``, ``"falls"`` or ``"unclear"`` (p at or above :data:`ALPHA`)."""
        if self.n < 3 or not np.isfinite(self.p_value) or self.p_value >= ALPHA:
            return "unclear"
        return "rises" if self.rho > 0 else "falls"


def association(frame: pd.DataFrame, x: str, y: str) -> Association:
    """Spearman's rho of ``y`` and ``x`` (rank-based: no straight line assumed)."""
    both = frame[[x, y]].dropna()
    if len(both) < 3:
        return Association(float("nan"), float("nan"), len(both))
    rho, p = stats.spearmanr(both[x], both[y])
    return Association(float(rho), float(p), len(both))


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def association_sentence(frame: pd.DataFrame, x: str, y: str, x_text: str, y_text: str,
                         unit: str = "countries") -> str:
    """``"Across 120 countries, <y_text> rises with <x_text> (Spearman rho = 0.62, p < 0.001)."``"""
    a = association(frame, x, y)
    if a.n < 3:
        return f"Only {a.n} {unit} have both {y_text} and {x_text}: no association is stated."
    says = {"rises": f"rises with {x_text}", "falls": f"falls as {x_text} rises",
            "unclear": f"shows no clear monotonic relation to {x_text}"}[a.direction]
    return (f"Across {a.n} {unit}, {y_text} {says} (Spearman rho = {a.rho:.2f}, "
            f"{p_text(a.p_value)}).")


def _row(table: pd.DataFrame, model: str, term: str) -> pd.Series:
    rows = table[(table["model"] == model) & (table["term"] == term)]
    if len(rows) != 1:
        raise ValueError(f"results table: expected one row with model {model!r} and term "
                         f"{term!r}, found {len(rows)}; models: "
                         f"{sorted(table['model'].dropna().unique())}")
    return rows.iloc[0]


def coefficient_change(table: pd.DataFrame, term: str, before: str, after: str,
                       change: str, term_text: str | None = None) -> str:
    """How a coefficient moves between two models of a tidy table (``model, term, coef``).

    ``"The coefficient on EGDI is 3.315 in the *pooled, no controls* model and -0.248 in
    the *pooled* model (once log GDP per capita is controlled): it changes sign."``
    """
    b, a = float(_row(table, before, term)["coef"]), float(_row(table, after, term)["coef"])
    if b == 0:
        verb = "moves away from zero" if a != 0 else "stays at zero"
    elif np.sign(a) != np.sign(b) and a != 0:
        verb = "changes sign"
    elif abs(a) < abs(b):
        verb = f"shrinks by {100 * (1 - abs(a) / abs(b)):.0f} % in size"
    elif abs(a) > abs(b):
        verb = f"grows by {100 * (abs(a) / abs(b) - 1):.0f} % in size"
    else:
        verb = "stays the same"
    return (f"The coefficient on {term_text or term} is {b:.3f} in the *{before}* model and "
            f"{a:.3f} in the *{after}* model ({change}): it {verb}.")


def within_vs_pooled(table: pd.DataFrame, term: str, pooled: str, within: str,
                     term_text: str | None = None) -> str:
    """Size and sign of the within (fixed-effects) coefficient against the pooled one, and
    whether its 95 % interval includes zero."""
    p_row, w_row = _row(table, pooled, term), _row(table, within, term)
    p, w = float(p_row["coef"]), float(w_row["coef"])
    ratio = abs(w) / abs(p) if p else float("inf")
    if ratio < FAR_SMALLER:
        size = "far smaller in size than"
    elif ratio < 1:
        size = "smaller in size than"
    elif ratio == 1:
        size = "the same size as"
    else:
        size = "larger in size than"
    sign = " and of the opposite sign" if p and w and np.sign(p) != np.sign(w) else ""
    lo, hi = float(w_row["ci_low"]), float(w_row["ci_high"])
    ci = "includes" if lo <= 0 <= hi else "excludes"
    return (f"The *{within}* coefficient on {term_text or term} ({w:.3f}) is {size} the "
            f"*{pooled}* one ({p:.3f}){sign}; |{within}| / |{pooled}| = {ratio:.2f}, and its "
            f"95 % interval ({lo:.3f} to {hi:.3f}) {ci} zero{_convention(w_row)}.")


def _convention(row: pd.Series) -> str:
    """The convention an interval holds under: errors, sample years and countries (an
    interval that excludes zero under one convention may not under another)."""
    parts = []
    detail = row.get("cov_detail") if "cov_detail" in row.index else None
    cov = row.get("cov_type") if "cov_type" in row.index else None
    if isinstance(detail, str) and detail:
        parts.append(detail)
    elif isinstance(cov, str) and cov:
        parts.append(f"{cov} errors")
    if {"year_first", "year_last"} <= set(row.index) and pd.notna(row["year_first"]):
        parts.append(f"{int(row['year_first'])}-{int(row['year_last'])}")
    if "n_countries" in row.index and pd.notna(row["n_countries"]):
        parts.append(f"{int(row['n_countries'])} countries")
    if "p" in row.index and pd.notna(row["p"]):
        parts.append(f"{p_text(float(row['p']))}")
    return (" under this convention only (" + ", ".join(parts) + ")") if parts else ""


#: A spec in which one country has more than this share of the key coefficient's weight
#: is "dominated" by that country (max_country_weight_share of the spec-curve table).
DOMINANT_SHARE = 0.25
#: A family (key regressor x estimator) is flagged when more than this share of its specs
#: is dominated by one country.
DOMINATED_FAMILY = 0.2


def curve_tests(inference: pd.DataFrame, key: str, estimator: str) -> str:
    """The curve-level tests of one family in words, each naming what it tests: the
    studentised median (two-sided), the direction-free share test, and the directional
    share tests (one-sided, a direction declared in advance)."""
    rows = inference[(inference["key_regressor"] == key)
                     & (inference["estimator"] == estimator)]
    if rows.empty:
        return f"{key}, {estimator}: no estimable specification."
    r = rows.iloc[0]
    if not int(r["n_draws"]):
        return (f"{key}, {estimator}: median t {r['median_t']:+.2f} over {int(r['n_specs'])} "
                f"specifications; no bootstrap draws, so no curve-level test.")
    pos, neg = float(r["share_sig_pos"]), float(r["share_sig_neg"])
    larger = "positive" if pos > neg else "negative" if neg > pos else "either (tied)"
    return (f"{key}, {estimator} ({int(r['n_specs'])} specifications): median standardised "
            f"estimate {r['median_coef_std']:+.3f}, median t {r['median_t']:+.2f}, "
            f"null-imposed {p_text(r['p_median_t'])} (two-sided; Romano-Wolf across key "
            f"regressors {p_text(r['p_median_t_rw'])}). Significant: {pos:.2f} positive, "
            f"{neg:.2f} negative; the larger share ({larger}) tested without choosing its "
            f"direction: {p_text(r['p_share'])} (direction-free). Directional, one-sided tests "
            f"(a direction declared in advance, not chosen from the data): positive "
            f"{p_text(r['p_share_pos'])}, negative {p_text(r['p_share_neg'])}.")


def dominated_families(table: pd.DataFrame, share: float = DOMINANT_SHARE,
                       flag: float = DOMINATED_FAMILY) -> pd.DataFrame:
    """Per key regressor and estimator: the share of estimable specs in which one country
    has more than ``share`` of the key coefficient's weight, the country most often
    largest, and ``flagged`` when that share of specs exceeds ``flag``."""
    ok = table[table["status"] == "ok"]
    rows = []
    for (key, est), part in ok.groupby(["key_regressor", "estimator"], sort=True):
        dominated = part["max_country_weight_share"] > share
        top = part.loc[dominated, "max_weight_country"].value_counts()
        rows.append({"key_regressor": key, "estimator": est, "n_specs": len(part),
                     "share_dominated": float(dominated.mean()),
                     "max_weight_share": float(part["max_country_weight_share"].max()),
                     "most_often_dominant": top.index[0] if len(top) else "",
                     "flagged": bool(dominated.mean() > flag)})
    return pd.DataFrame(rows, columns=["key_regressor", "estimator", "n_specs",
                                       "share_dominated", "max_weight_share",
                                       "most_often_dominant", "flagged"])


def dominance_sentence(families: pd.DataFrame, share: float = DOMINANT_SHARE,
                       flag: float = DOMINATED_FAMILY) -> str:
    """Which families rest on one country (from :func:`dominated_families`, made with the
    same ``share``; flagged here by ``flag``)."""
    flagged = families[families["share_dominated"] > flag]
    if flagged.empty:
        return (f"No family has more than {flag:.0%} of its specifications with one country "
                f"carrying over {share:.0%} of the key coefficient's weight.")
    parts = [f"{r.key_regressor} ({r.estimator}: {r.share_dominated:.0%} of "
             f"{r.n_specs} specs, most often {r.most_often_dominant})"
             for r in flagged.itertuples()]
    return (f"One country carries over {share:.0%} of the key coefficient's weight in more "
            f"than {flag:.0%} of the specifications of: " + "; ".join(parts)
            + ". Their curves rest largely on that country.")


@dataclass(frozen=True)
class Observed:
    """When a column is observed: values, countries, years per country and their spread."""

    n_values: int
    n_countries: int
    per_country_min: int
    per_country_median: float
    per_country_max: int
    first_year: int
    last_year: int
    n_calendars: int
    n_gaps: int

    @property
    def irregular(self) -> bool:
        """Years differ between countries, or countries skip years between observations."""
        return self.n_calendars > 1 or self.n_gaps > 0


def observed(panel: pd.DataFrame, column: str) -> Observed:
    """How ``column`` is observed in a country-year panel (``iso3``, ``year``): values per
    country, how many different year sets (calendars) the countries have, and the country-years
    between a country's first and last value that have none (``n_gaps``: left empty)."""
    have = panel.loc[panel[column].notna(), ["iso3", "year"]]
    if have.empty:
        return Observed(0, 0, 0, 0.0, 0, 0, 0, 0, 0)
    years = have.groupby("iso3")["year"].agg(lambda y: tuple(sorted(int(v) for v in y)))
    n = years.map(len)
    span = years.map(lambda y: y[-1] - y[0] + 1)
    return Observed(n_values=len(have), n_countries=len(years),
                    per_country_min=int(n.min()), per_country_median=float(n.median()),
                    per_country_max=int(n.max()), first_year=int(have["year"].min()),
                    last_year=int(have["year"].max()), n_calendars=int(years.nunique()),
                    n_gaps=int((span - n).sum()))


def measurement_sentence(panel: pd.DataFrame, outcome: str, outcome_text: str,
                         definition: str, others: dict[str, str]) -> str:
    """What ``outcome`` measures (its registry ``definition``), when it is observed, and how
    it lines up with the measures in ``others`` (column -> text, e.g. the perception
    indexes) in the country-years having both (Spearman's rho; no sign is interpreted here:
    the units say which way each scale runs)."""
    definition = definition.strip()
    definition += "" if definition.endswith((".", "?", "!", '"')) else "."
    o = observed(panel, outcome)
    if o.n_values == 0:
        return f"{outcome_text}: {definition} This build has no value of it."
    if o.irregular:
        when = (f"It is observed in {o.n_values} country-years of {o.n_countries} countries, "
                f"{o.per_country_min} to {o.per_country_max} years per country (median "
                f"{o.per_country_median:g}) between {o.first_year} and {o.last_year}, in "
                f"{o.n_calendars} different sets of years; the {o.n_gaps} country-years "
                "between a country's first and last value that have none are left empty, "
                "never filled.")
    else:
        when = (f"It is observed in every year from {o.first_year} to {o.last_year} for each "
                f"of its {o.n_countries} countries ({o.n_values} country-years).")
    parts = []
    for col, text in others.items():
        if col == outcome or col not in panel:
            continue
        po = observed(panel, col)
        a = association(panel, outcome, col)
        if a.n < 3:
            parts.append(f"{text} ({po.n_values} country-years) shares only {a.n} "
                         "country-years with it")
        else:
            parts.append(f"{text}, observed in {po.n_values} country-years, has Spearman rho "
                         f"= {a.rho:.2f} with it over the {a.n} country-years having both "
                         f"({p_text(a.p_value)})")
    compare = ("; ".join(parts) + ".") if parts else ""
    return f"**{outcome_text}.** {definition} {when} {compare}".strip()


def estimate_sentence(table: pd.DataFrame, model: str, term: str, term_text: str,
                      outcome_text: str) -> str:
    """One coefficient of a tidy table in words: its value, 95 % interval, p-value, sample
    and the direction it says (``falls``/``rises`` only when the interval excludes zero)."""
    r = _row(table, model, term)
    coef, lo, hi = float(r["coef"]), float(r["ci_low"]), float(r["ci_high"])
    if lo > 0:
        says = f"{outcome_text} rises with {term_text}"
    elif hi < 0:
        says = f"{outcome_text} falls as {term_text} rises"
    else:
        says = "the direction is not established (the interval includes zero)"
    return (f"In the *{model}* model the coefficient on {term_text} is {coef:.3f} (95 % "
            f"interval {lo:.3f} to {hi:.3f}, {p_text(float(r['p']))}; {int(r['n_obs'])} "
            f"country-years of {int(r['n_countries'])} countries): {says}.")


def rows_used_sentence(table: pd.DataFrame, n_values: int, outcome_text: str,
                       models: list[str]) -> str:
    """How many of the outcome's ``n_values`` country-years each model of a tidy table
    uses (a row needs the regressor, lagged or not, and the controls in its country-year)."""
    parts = []
    for m in models:
        rows = table[table["model"] == m]
        if rows.empty:
            raise ValueError(f"results table: no model {m!r}; models: "
                             f"{sorted(table['model'].dropna().unique())}")
        parts.append(f"*{m}* {int(rows['n_obs'].iloc[0])}")
    return (f"{outcome_text} has {n_values} country-years with a value; the models use: "
            + ", ".join(parts) + " (a row needs the regressor and the controls in its "
            "country-year; nothing is filled to make one).")


#: A decision's share of the curve's variance named in the sentence from this size on.
NAMED_SHARE = 0.05


def decomposition_sentence(decomposition: pd.DataFrame, named: float = NAMED_SHARE) -> str:
    """What moves the curve, from :func:`divides.models.speccurve.decompose`: the decisions
    with at least ``named`` of the estimates' variance, largest first, the others together,
    and what no decision explains alone (interactions)."""
    from divides.models.speccurve.decompose import REST

    rest = decomposition.loc[decomposition["decision"] == REST, "r2_shapley"]
    main = decomposition.loc[decomposition["decision"] != REST].sort_values(
        "r2_shapley", ascending=False, kind="mergesort")
    big = main[main["r2_shapley"] >= named]
    small = main[main["r2_shapley"] < named]
    n = int(decomposition["n_specs"].iloc[0])
    parts = [f"{r.decision} {r.r2_shapley:.0%}" for r in big.itertuples()]
    text = (f"Of the variance of the {n:,} standardised estimates, "
            + (", ".join(parts) if parts else "no decision explains " + f"{named:.0%} or more"))
    if len(small):
        text += (f"; {', '.join(small['decision'])} together "
                 f"{small['r2_shapley'].sum():.0%}")
    if len(rest):
        text += f"; {float(rest.iloc[0]):.0%} is interactions between decisions"
    text += "."
    if len(big):
        text += f" On its own, the {big.iloc[0]['decision']} moves the curve most."
    if len(rest) and float(rest.iloc[0]) > 0.5:
        text += (" More than half of the variance is in the interactions: what one decision "
                 "does depends on the others.")
    return text


def p_conventions_sentence(conventions: pd.DataFrame, dk_min_periods: int) -> str:
    """The range of one estimate's p-values over the conventions of
    :func:`divides.models.estimators.p_value_conventions` whose ``note`` does not call them
    unreliable, and whether Driscoll-Kraay is among them (it needs ``dk_min_periods``)."""
    if conventions.empty:
        raise ValueError("p-value conventions: expected at least one convention, found none")
    usable = conventions[~conventions["note"].fillna("").str.startswith("unreliable")]
    n_periods = int(conventions["n_periods"].iloc[0])
    dk = (f"is not reliable here: {n_periods} unevenly spaced periods, fewer than "
          f"{dk_min_periods}, bias its errors downwards" if n_periods < dk_min_periods
          else f"uses {n_periods} periods")
    coef = float(conventions["coef"].iloc[0])
    if usable.empty:
        return (f"No usable convention for the estimate ({coef:.3f}); Driscoll-Kraay {dk}")
    return (f"p-values from {usable['p'].min():.3f} to {usable['p'].max():.3f} for one "
            f"estimate ({coef:.3f}) under the usable conventions; Driscoll-Kraay {dk}")


def leave_one_out_sentence(loo: pd.DataFrame) -> str:
    """The synthetic-control gap with all donors and its range when each donor is left out
    in turn (from :func:`divides.models.case.leave_one_out`), naming the donor whose
    removal moves it most."""
    none = loo[loo["dropped"] == "(none)"]
    if len(none) != 1:
        raise ValueError(f"leave-one-out table: expected one row with dropped '(none)', "
                         f"found {len(none)}")
    full = none.iloc[0]
    rest = loo[loo["dropped"] != "(none)"]
    head = (f"All donors: post-treatment gap {full['post_gap_mean']:+.3f} (placebo p = "
            f"{full['placebo_p']:.2f}), {full['top_donor']} carrying "
            f"{full['top_weight']:.0%} of the weight.")
    if rest.empty:
        return head + " No donor to leave out."
    worst = rest.loc[(rest["post_gap_mean"] - full["post_gap_mean"]).abs().idxmax()]
    return (head + f" Leaving one donor out, the gap ranges from "
            f"{rest['post_gap_mean'].min():+.3f} to {rest['post_gap_mean'].max():+.3f}; "
            f"without {worst['dropped']} it is {worst['post_gap_mean']:+.3f} (placebo p = "
            f"{worst['placebo_p']:.2f}).")


def screened_sentence(screened: list[str], donor_group: str, gap: float | None = None,
                      p_value: float | None = None) -> str:
    """The synthetic-control gap and placebo p with the screened-out donors put back, or
    that the group has none."""
    if not screened:
        return f"No donor of {donor_group} is screened out: nothing to put back."
    if gap is None or p_value is None:
        raise ValueError(f"screened donors {screened}: expected the gap and p-value with "
                         f"them put back")
    return (f"With the screened donors put back ({', '.join(screened)}): gap {gap:+.3f}, "
            f"placebo p = {p_value:.2f}.")


def event_window_sentence(es: pd.DataFrame, panel: pd.DataFrame, treated: str) -> str:
    """The years of an event study (from :func:`divides.models.case.event_study`) and
    whether they reach the newest year in which ``treated`` has the outcome in ``panel``."""
    outcome = str(es["outcome"].iloc[0])
    years = str(es["years"].iloc[0])
    newest = int(panel.loc[panel["iso3"] == treated, ["year", outcome]].dropna()["year"].max())
    last = int(years.rsplit("-", 1)[-1])
    reach = ("to the newest edition" if last == newest
             else f"ending {newest - last} years before the newest edition")
    return f"{outcome}: {years}, {reach} with {treated} ({newest})"


def curve_count_sentence(notes: dict) -> str:
    """How many of the grid's specifications were estimated and how many null-imposed
    draws the curve tests have (from a :class:`~divides.models.speccurve.SpecCurve`'s
    ``notes``)."""
    return (f"{notes['n_ok']} of {notes['n_specs']} specifications estimated; "
            f"{notes['draws']} null-imposed bootstrap draws")


# -- the report's summary ------------------------------------------------------------------

#: Output metadata that marks a displayed sentence as a notebook's headline finding (the
#: report's summary takes its first sentence): ``Markdown(text, metadata=HEADLINE)``.
HEADLINE = {"divides": {"headline": True}}
#: Most sentences in the summary (one short paragraph).
SUMMARY_SENTENCES = 5
#: Most words in the summary.
SUMMARY_WORDS = 120
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*_(])")
#: Estimator codes some sentences carry, in words for the summary.
_CODES = {"twfe": "two-way FE", "cross_section": "cross-section"}


def sentences(text: str) -> list[str]:
    """The sentences of a Markdown text (split after ``.``, ``!`` or ``?`` where the next
    one starts with a capital or a digit; a paragraph break always ends one)."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        out += [s.strip() for s in _SENTENCE_END.split(" ".join(para.split())) if s.strip()]
    return out


def is_headline(output: dict) -> bool:
    """Whether a notebook output was displayed with :data:`HEADLINE` (IPython files the
    metadata of a Markdown display under its MIME type)."""
    meta = output.get("metadata") or {}
    for found in (meta, meta.get("text/markdown") or {}):
        if (found.get("divides") or {}).get("headline"):
            return True
    return False


def main_clause(sentence: str) -> str:
    """A sentence up to its first semicolon outside parentheses (its main statement), ended
    with a full stop."""
    depth = 0
    for i, ch in enumerate(sentence):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and depth == 0:
            return sentence[:i].rstrip() + "."
    return sentence


def summary(headlines: list[str], limit: int = SUMMARY_SENTENCES) -> str:
    """One short paragraph of headline findings: the main clause of the first sentence of
    each headline text (in order, at most ``limit``), panel column names and estimator
    codes in words."""
    from divides.models.tables import in_words

    out = []
    for text in headlines[:limit]:
        found = sentences(text)
        if found:
            said = in_words(main_clause(found[0]))
            for code, words in _CODES.items():
                said = re.sub(rf"(?<![\w]){code}(?![\w])", words, said)
            out.append(said)
    return " ".join(out)
