"""The ASAN case: event study and synthetic control with placebo runs on the donors.

Exploratory evidence, not a causal estimate: one treated country, a handful of donors
(``data/models/case_donors.csv``, post-Soviet peers), perception indices that move slowly.
Inference is by placebo runs in space: every donor in turn is treated as if it were the
treated country (the real one left out of its donor pool); the treated country's
statistic is ranked among all of them, p = rank / number of units.

The treatment year is a modelling choice (ASAN: decree July 2012, first centre serving
the public from 15 January 2013), so :func:`case_specs` varies it (2012, 2013) with the
outcome (CPI score, WGI control of corruption) and reports every combination.

* :func:`event_study`: treated-unit x event-time coefficients in a two-way FE regression
  on treated + donors, reference period -1; the interval is the placebo interval
  (estimate minus the 97.5 and 2.5 percentiles of the donors' placebo estimates).
* :func:`synthetic_control`: non-negative donor weights summing to one that fit the
  treated pre-period path (Abadie, Diamond and Hainmueller 2010, outcome path only),
  placebo runs, post/pre RMSPE ratios and their rank p-value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from divides import catalogue, config, provenance
from divides.models.estimators import sources_for
from divides.models.spec import ENTITY, TIME, ModelError, as_long

DONORS_CSV = config.CASE_DONORS_CSV
MIN_PRE_YEARS = 3


#: The donor group of every country with data (minus the treated and screened ones).
ALL_DONORS = "all"
#: Panel columns whose values are donor groups too (World Bank regions and income groups).
GROUP_COLUMNS = ("region", "income_group")


def donor_groups(panel: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Every donor group by name -> its iso3 codes, sorted: the groups of
    ``data/models/case_donors.csv`` (e.g. ``post_soviet``) and, given the panel, ``all``
    (every country of the panel) and each region and income group of the panel.

    >>> sorted(donor_groups())
    ['post_soviet']
    """
    table = pd.read_csv(DONORS_CSV, dtype=str, keep_default_na=False)
    groups = {g: sorted(sub["iso3"]) for g, sub in table.groupby("group")}
    if panel is not None:
        frame = as_long(panel)
        groups[ALL_DONORS] = sorted(frame[ENTITY].unique())
        for col in GROUP_COLUMNS:
            if col in frame.columns:
                for value, sub in frame.groupby(col):
                    if str(value).strip():
                        groups.setdefault(str(value), sorted(sub[ENTITY].unique()))
    return groups


def donor_screen(group: str = "post_soviet", keep: tuple[str, ...] = (),
                 panel: pd.DataFrame | None = None, treated: str | None = None) -> pd.DataFrame:
    """The donor group with each country's screening: iso3, name, used, reason.

    A donor is screened out when ``data/models/case_donors.csv`` gives a reason for it in any
    group (Georgia: its Public Service Halls were the model for ASAN, so it was treated by a
    similar reform); ``keep`` puts screened donors back. The ``treated`` country is never
    its own donor (reason "the treated country", whatever ``keep`` says). Groups:
    :func:`donor_groups` (``all``, regions and income groups need the ``panel``). An
    unknown group is an error listing the known ones.
    """
    table = pd.read_csv(DONORS_CSV, dtype=str, keep_default_na=False)
    groups = donor_groups(panel)
    if group not in groups:
        extra = "" if panel is not None else (" (all, regions and income groups: give the "
                                              "panel)")
        raise ModelError(f"{DONORS_CSV.name}: donor group {group!r}: expected one of "
                         f"{sorted(groups)}{extra}")
    members = groups[group]
    unknown = sorted(set(keep) - set(members))
    if unknown:
        raise ModelError(f"donor group {group}: keep {unknown}: expected among its countries "
                         f"{members}")
    reasons = (table[table["screen_out_reason"].str.strip() != ""]
               .drop_duplicates("iso3").set_index("iso3")["screen_out_reason"].str.strip())
    names = dict(zip(table["iso3"], table["name"]))
    if panel is not None and "country_name" in panel.columns:
        names.update(dict(zip(panel["iso3"], panel["country_name"])))
    reason = pd.Series([reasons.get(c, "") for c in members], dtype=str)
    kept = pd.Series([c in keep for c in members])
    reason = pd.Series(np.where(reason == "", "", np.where(kept, "kept on request: " + reason,
                                                            reason)), dtype=str)
    used = (reason == "") | kept
    is_treated = pd.Series([c == treated for c in members])
    reason = reason.where(~is_treated, "the treated country")
    return pd.DataFrame({"iso3": members, "name": [names.get(c, c) for c in members],
                         "used": used & ~is_treated, "reason": reason})


def donors(group: str = "post_soviet", keep: tuple[str, ...] = (),
           panel: pd.DataFrame | None = None, treated: str | None = None) -> list[str]:
    """The screened donors of ``group`` (see :func:`donor_screen`)."""
    screen = donor_screen(group, keep, panel, treated)
    return screen.loc[screen["used"], "iso3"].tolist()


def group_tag(group: str, keep: tuple[str, ...] | list[str] = ()) -> str:
    """The donor group (with any screened donors put back) as a file-name part.

    >>> group_tag("Europe & Central Asia", ["GEO"])
    'europe_central_asia+GEO'
    """
    name = re.sub(r"[^a-z0-9]+", "_", group.lower()).strip("_") or "group"
    return "+".join([name, *keep])


def outcome_checks(panel: pd.DataFrame, outcomes, treated: str, donor_pool: list[str],
                   treatment_year: int, min_pre_years: int = MIN_PRE_YEARS,
                   min_donors: int = 3) -> pd.DataFrame:
    """Whether each outcome has the data a case study needs, before any model runs: the
    treated country's years with a value (at least ``min_pre_years`` before the treatment
    year, the year before it as the event study's reference, one from it on) and at least
    ``min_donors`` donors observed in all of them. Columns: outcome, first_year, last_year,
    pre_years, post_years, n_donors, status ("ok" or what is missing), and event_study:
    whether the event study alone can run (the reference year, a year from the treatment
    on and the donors; fewer pre-treatment years than the synthetic control needs, e.g.
    the CPI's 0-100 scale that starts in 2012)."""
    frame = as_long(panel)
    rows = []
    for outcome in outcomes:
        rec = {"outcome": outcome, "first_year": np.nan, "last_year": np.nan,
               "pre_years": 0, "post_years": 0, "n_donors": 0}
        if outcome not in frame.columns:
            rows.append({**rec, "status": f"{outcome}: expected a panel column, found none"})
            continue
        own = frame.loc[(frame[ENTITY] == treated) & frame[outcome].notna(), TIME]
        years = sorted(int(y) for y in own)
        pre = [y for y in years if y < treatment_year]
        post = [y for y in years if y >= treatment_year]
        wide = _wide(panel, outcome, [treated, *donor_pool])
        wide = wide.loc[wide.index.isin(years)]
        n_donors = int(sum(wide[d].notna().all() for d in donor_pool if d in wide.columns))
        rec.update(first_year=years[0] if years else np.nan,
                   last_year=years[-1] if years else np.nan, pre_years=len(pre),
                   post_years=len(post), n_donors=n_donors)
        span = f"{years[0]}-{years[-1]}" if years else "no years"
        if not years:
            status = f"no {treated} values of {outcome}"
        elif len(pre) < min_pre_years:
            status = (f"{len(pre)} pre-treatment year(s) before {treatment_year} ({treated} has "
                      f"{outcome} for {span}): expected at least {min_pre_years}")
        elif treatment_year - 1 not in years:
            status = (f"no {treated} value in {treatment_year - 1}, the event study's reference "
                      f"year ({span})")
        elif not post:
            status = f"no {treated} value from {treatment_year} on ({span})"
        elif n_donors < min_donors:
            status = (f"{n_donors} donors observed in every year of {treated}'s {span}: "
                      f"expected at least {min_donors}")
        else:
            status = "ok"
        event_study = (bool(post) and treatment_year - 1 in years and n_donors >= min_donors)
        rows.append({**rec, "status": status, "event_study": event_study})
    return pd.DataFrame(rows)


def _pool(panel: pd.DataFrame, treated: str, donor_pool: list[str] | None) -> list[str]:
    """The donor pool, checked: every code in the panel, none silently replaced."""
    pool = donors() if donor_pool is None else list(donor_pool)
    if not pool:
        raise ModelError("case study: donor_pool: expected at least one country, found none")
    # known: in the panel or in the donor table (a listed donor without data is dropped
    # later as incomplete, like any donor with gaps); anything else is a typo
    listed = set(pd.read_csv(DONORS_CSV, dtype=str, keep_default_na=False)["iso3"])
    known = set(as_long(panel)[ENTITY]) | listed
    unknown = sorted({treated, *pool} - known)
    if unknown:
        raise ModelError(f"case study: country codes {unknown}: expected iso3 codes of the "
                         f"panel or of {DONORS_CSV.name} (known: {sorted(known)[:20]}... "
                         f"{len(known)} in all)")
    return [d for d in pool if d != treated]


def _wide(panel: pd.DataFrame, outcome: str, units: list[str], years=None) -> pd.DataFrame:
    frame = as_long(panel)
    sub = frame[frame[ENTITY].isin(units)]
    wide = sub.pivot(index=TIME, columns=ENTITY, values=outcome).sort_index()
    if years is not None:
        wide = wide.loc[(wide.index >= years[0]) & (wide.index <= years[1])]
    return wide.reindex(columns=[u for u in units if u in wide.columns])


def _event_coefs(wide: pd.DataFrame, unit: str, others: list[str], treatment_year: int,
                 reference: int) -> pd.Series:
    """TWFE event-time coefficients of ``unit`` (balanced years of unit and others)."""
    cols = [unit] + [o for o in others if o in wide.columns]
    w = wide[cols]
    w = w.loc[w[unit].notna()]
    ref_year = treatment_year + reference
    if ref_year not in w.index:
        raise ModelError(f"event study {unit}: reference year {ref_year}: expected an "
                         f"observed outcome, found none")
    # with unit-specific event dummies the treated unit is fitted exactly, so its
    # coefficient is its deviation from the donors' two-way fit, relative to reference
    donors_w = w[cols[1:]]
    donor_mean = donors_w.mean(axis=1)  # year effects from donors (each year's donors)
    dev = w[unit] - donor_mean
    return (dev - dev.loc[ref_year]).rename(unit)


def event_study(panel: pd.DataFrame, outcome: str, treated: str = "AZE",
                donor_pool: list[str] | None = None, treatment_year: int = 2013,
                window: tuple[int, int | None] = (-5, None), reference: int = -1
                ) -> pd.DataFrame:
    """Event-time estimates for ``treated`` with placebo intervals (figures.event_study_plot).

    ``window``: event times (first, last); last ``None`` runs to the newest year in which
    ``treated`` has the outcome (its newest edition), so the series never stops short of
    the data. Columns: outcome, event_time, coef, ci_low, ci_high, placebo_p,
    n_countries, treatment_year, years, data_kind, sources.
    """
    pool = _pool(panel, treated, donor_pool)
    if window[1] is None:
        frame = as_long(panel)
        have = frame.loc[(frame[ENTITY] == treated) & frame[outcome].notna(), TIME]
        if have.empty:
            raise ModelError(f"event study: {treated}: expected {outcome} values, found none")
        window = (window[0], int(have.max()) - treatment_year)
    years = (treatment_year + window[0], treatment_year + window[1])
    wide = _wide(panel, outcome, [treated, *pool], years)
    if treated not in wide.columns:
        raise ModelError(f"event study: {treated}: expected {outcome} values, found none")
    # donors observed in every year of the treated unit's window (balanced comparison)
    present = wide.loc[wide[treated].notna()]
    pool = [d for d in pool if d in present.columns and present[d].notna().all()]
    if len(pool) < 3:
        raise ModelError(f"event study {treated} on {outcome}: expected at least 3 donors "
                         f"observed every year {years[0]}-{years[1]}, found {len(pool)}")
    est = _event_coefs(wide, treated, pool, treatment_year, reference)
    placebos = pd.DataFrame({d: _event_coefs(wide, d, [o for o in pool if o != d],
                                             treatment_year, reference) for d in pool})
    placebos = placebos.reindex(est.index)
    lo_q = placebos.quantile(0.975, axis=1)
    hi_q = placebos.quantile(0.025, axis=1)
    rank_p = [(1 + (placebos.loc[y].abs() >= abs(est.loc[y])).sum()) / (1 + len(pool))
              for y in est.index]
    out = pd.DataFrame({"outcome": outcome, "event_time": (est.index - treatment_year).astype(int),
                        "coef": est.to_numpy(), "ci_low": (est - lo_q).to_numpy(),
                        "ci_high": (est - hi_q).to_numpy(), "placebo_p": rank_p,
                        "n_countries": 1 + len(pool), "treatment_year": treatment_year,
                        "years": f"{int(est.index.min())}-{int(est.index.max())}",
                        "data_kind": provenance.data_kind(panel),
                        "sources": sources_for(panel, [outcome])})
    out.attrs = dict(panel.attrs)
    return out.reset_index(drop=True)


def _weights(target: np.ndarray, donors_x: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one that fit ``target`` (pre-period rows)."""
    scale = max(float(np.abs(donors_x).max()), 1.0) * 1e3
    A = np.vstack([donors_x, np.full((1, donors_x.shape[1]), scale)])
    b = np.concatenate([target, [scale]])
    w, _ = nnls(A, b)
    return w / w.sum() if w.sum() > 0 else np.full(donors_x.shape[1], 1 / donors_x.shape[1])


@dataclass
class SyntheticControl:
    paths: pd.DataFrame  # year, unit, role, actual, synthetic, treatment_year, outcome, sources
    weights: pd.DataFrame  # unit, donor, weight
    summary: pd.DataFrame  # unit, role, pre_rmspe, post_rmspe, ratio, post_gap_mean
    p_value: float


def synthetic_control(panel: pd.DataFrame, outcome: str, treated: str = "AZE",
                      donor_pool: list[str] | None = None, treatment_year: int = 2013,
                      years: tuple[int, int] | None = None,
                      min_pre_years: int = MIN_PRE_YEARS) -> SyntheticControl:
    """Synthetic control of ``treated`` with a placebo run for every donor."""
    pool = _pool(panel, treated, donor_pool)
    wide = _wide(panel, outcome, [treated, *pool], years)
    if treated not in wide.columns:
        raise ModelError(f"synthetic control: {treated}: expected {outcome} values, found none")
    wide = wide.loc[wide[treated].notna()]
    pool = [d for d in pool if d in wide.columns and wide[d].notna().all()]
    pre = wide.index < treatment_year
    if pre.sum() < min_pre_years:
        raise ModelError(f"synthetic control {treated} on {outcome}: expected at least "
                         f"{min_pre_years} pre-treatment years before {treatment_year}, "
                         f"found {int(pre.sum())}")
    if len(pool) < 3:
        raise ModelError(f"synthetic control {treated} on {outcome}: expected at least 3 "
                         f"complete donors, found {len(pool)}")
    paths, weights, summary = [], [], []
    for unit in [treated, *pool]:
        others = [d for d in pool if d != unit]
        w = _weights(wide.loc[pre, unit].to_numpy(), wide.loc[pre, others].to_numpy())
        synth = wide[others].to_numpy() @ w
        gap = wide[unit].to_numpy() - synth
        role = "treated" if unit == treated else "placebo"
        paths.append(pd.DataFrame({"year": wide.index.astype(int), "unit": unit, "role": role,
                                   "actual": wide[unit].to_numpy(), "synthetic": synth}))
        weights.append(pd.DataFrame({"unit": unit, "donor": others, "weight": w}))
        pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
        post_rmspe = float(np.sqrt(np.mean(gap[~pre] ** 2))) if (~pre).any() else np.nan
        summary.append({"unit": unit, "role": role, "pre_rmspe": pre_rmspe,
                        "post_rmspe": post_rmspe,
                        "ratio": post_rmspe / pre_rmspe if pre_rmspe > 0 else np.inf,
                        "post_gap_mean": float(np.mean(gap[~pre])) if (~pre).any() else np.nan})
    summary = pd.DataFrame(summary)
    ratios = summary.set_index("unit")["ratio"]
    p_value = float((ratios >= ratios[treated]).sum() / len(ratios))
    paths = pd.concat(paths, ignore_index=True).assign(
        treatment_year=treatment_year, outcome=outcome,
        sources=sources_for(panel, [outcome]), data_kind=provenance.data_kind(panel))
    paths.attrs = dict(panel.attrs)
    return SyntheticControl(paths=paths, weights=pd.concat(weights, ignore_index=True),
                            summary=summary, p_value=p_value)


def case_specs(panel: pd.DataFrame, treated: str = "AZE", donor_pool: list[str] | None = None,
               outcomes=("wgi_cc_estimate", "cpi_score"), treatment_years=(2012, 2013),
               years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Synthetic-control estimate per (outcome, treatment year): the data choices as specs.

    A combination that cannot be estimated (e.g. CPI 0-100 starts in 2012, leaving no
    pre-period) is kept with its reason in ``status``.
    """
    rows = []
    for outcome in outcomes:
        for ty in treatment_years:
            rec = {"outcome": outcome, "treatment_year": ty, "treated": treated}
            try:
                sc = synthetic_control(panel, outcome, treated, donor_pool, ty, years)
            except ModelError as exc:
                rows.append({**rec, "status": str(exc)})
                continue
            s = sc.summary.set_index("unit")
            rows.append({**rec, "status": "ok", "post_gap_mean": s.loc[treated, "post_gap_mean"],
                         "pre_rmspe": s.loc[treated, "pre_rmspe"],
                         "rmspe_ratio": s.loc[treated, "ratio"], "placebo_p": sc.p_value,
                         "n_donors": len(s) - 1,
                         "year_first": int(sc.paths["year"].min()),
                         "year_last": int(sc.paths["year"].max())})
    out = pd.DataFrame(rows)
    out["data_kind"] = provenance.data_kind(panel)
    return out


def leave_one_out(panel: pd.DataFrame, outcome: str, treated: str = "AZE",
                  donor_pool: list[str] | None = None, treatment_year: int = 2013,
                  years: tuple[int, int] | None = None) -> pd.DataFrame:
    """The synthetic control re-run without each donor in turn (first row: none dropped).

    Columns: dropped, weight (of the dropped donor in the full fit), post_gap_mean,
    pre_rmspe, placebo_p, n_donors, top_donor, top_weight. A claim that rests on one
    donor shows here as a post-treatment gap that changes sign or size when it is dropped.
    """
    pool = _pool(panel, treated, donor_pool)
    full = synthetic_control(panel, outcome, treated, pool, treatment_year, years)
    w = full.weights[full.weights["unit"] == treated].set_index("donor")["weight"]
    rows = []
    for dropped in [None, *w.index]:
        sc = full if dropped is None else synthetic_control(
            panel, outcome, treated, [d for d in pool if d != dropped], treatment_year, years)
        s = sc.summary.set_index("unit")
        own = sc.weights[sc.weights["unit"] == treated].sort_values(
            ["weight", "donor"], ascending=[False, True])
        rows.append({"outcome": outcome, "treatment_year": treatment_year,
                     "dropped": dropped or "(none)",
                     "weight": float(w[dropped]) if dropped else np.nan,
                     "post_gap_mean": float(s.loc[treated, "post_gap_mean"]),
                     "pre_rmspe": float(s.loc[treated, "pre_rmspe"]),
                     "placebo_p": sc.p_value, "n_donors": len(s) - 1,
                     "top_donor": own["donor"].iloc[0], "top_weight": float(own["weight"].iloc[0])})
    out = pd.DataFrame(rows)
    out["years"] = f"{int(full.paths['year'].min())}-{int(full.paths['year'].max())}"
    out["data_kind"] = provenance.data_kind(panel)
    out.attrs = dict(panel.attrs)
    return out


def placebo_in_time(panel: pd.DataFrame, outcome: str, treated: str = "AZE",
                    donor_pool: list[str] | None = None, treatment_year: int = 2013,
                    fake_years: tuple[int, ...] | None = None,
                    min_pre_years: int = MIN_PRE_YEARS) -> pd.DataFrame:
    """Synthetic controls with fake treatment years before the real one (data up to the
    year before the real treatment only): a method that finds "effects" at fake dates
    finds them anywhere. By default the fake years are the years in which ``treated`` has
    the outcome (a year without data would repeat the next year's split). Fake years
    without enough pre-years are kept with their status."""
    pool = _pool(panel, treated, donor_pool)
    frame = as_long(panel)
    observed = frame.loc[frame[ENTITY] == treated].dropna(subset=[outcome])[TIME]
    first = int(observed.min())
    if fake_years is None:
        # only years with the outcome (WGI has no 2001: a fake 2001 would be the 2002 split)
        fake_years = tuple(y for y in range(first + min_pre_years, treatment_year)
                           if y in set(observed.astype(int)))
    rows = []
    for fake in fake_years:
        rec = {"outcome": outcome, "fake_treatment_year": fake,
               "real_treatment_year": treatment_year}
        try:
            sc = synthetic_control(panel, outcome, treated, pool, fake,
                                   (first, treatment_year - 1), min_pre_years)
        except ModelError as exc:
            rows.append({**rec, "status": str(exc)})
            continue
        s = sc.summary.set_index("unit")
        rows.append({**rec, "status": "ok", "post_gap_mean": s.loc[treated, "post_gap_mean"],
                     "rmspe_ratio": s.loc[treated, "ratio"], "placebo_p": sc.p_value})
    out = pd.DataFrame(rows)
    out["data_kind"] = provenance.data_kind(panel)
    return out


def conformal_p(y: np.ndarray, X: np.ndarray, post: np.ndarray, theta: float) -> float:
    """Moving-block conformal p-value of "constant post-treatment gap = theta" (synthetic
    control weights refitted on all years under the null; statistic: mean |residual| over
    the post years; all cyclic shifts). Compared with scinference in a test."""
    y0 = y - theta * post
    u = y0 - X @ _weights(y0, X)
    n_post = int(post.sum())
    # the post years last, as in Chernozhukov et al.: shifting rolls residuals into them
    order = np.concatenate([np.flatnonzero(~post), np.flatnonzero(post)])
    u = u[order]
    stats_ = np.array([np.mean(np.abs(np.roll(u, j)[-n_post:])) for j in range(u.size)])
    return float(np.mean(stats_ >= stats_[0] - 1e-12))


def conformal_interval(panel: pd.DataFrame, outcome: str, treated: str = "AZE",
                       donor_pool: list[str] | None = None, treatment_year: int = 2013,
                       years: tuple[int, int] | None = None, alpha: float = 0.1,
                       grid: np.ndarray | None = None, max_widen: int = 6) -> dict:
    """Interval for a constant post-treatment gap by conformal inference (Chernozhukov,
    Wuthrich and Zhu 2021): for each candidate gap theta, subtract it from the treated
    post-period, refit the weights on all years, and rank the post-period residuals' mean
    absolute value among all cyclic shifts of the years (moving-block permutations);
    the interval is the hull of the thetas not rejected at ``alpha``. Without ``grid``
    the searched range is widened (by its width, at most ``max_widen`` times) until p
    falls to alpha at both ends, and each end refined by bisection; a side where it never
    does is reported unbounded (``low_unbounded``/``high_unbounded``; ``grid_edge_hit``
    either). A given ``grid`` is searched as is. With T years the smallest p-value is
    1/T, so with few years no interval is possible below alpha = 1/T."""
    pool = _pool(panel, treated, donor_pool)
    wide = _wide(panel, outcome, [treated, *pool], years)
    wide = wide.loc[wide[treated].notna()]
    pool = [d for d in pool if d in wide.columns and wide[d].notna().all()]
    post = (wide.index >= treatment_year)
    if post.sum() == 0 or (~post).sum() < MIN_PRE_YEARS or len(pool) < 3:
        raise ModelError(f"conformal interval {treated} on {outcome}: expected post years, "
                         f"at least {MIN_PRE_YEARS} pre years and 3 complete donors")
    y = wide[treated].to_numpy()
    X = wide[pool].to_numpy()
    n_years = y.size
    fixed = grid is not None
    if grid is None:
        spread = float(np.ptp(y)) + float(np.ptp(X))
        grid = np.linspace(-spread, spread, 401)
    pvals = np.array([conformal_p(y, X, post, theta) for theta in grid])
    # widen the search until p <= alpha at both ends (each time by the current width, in
    # 100 steps), or give up on a side after max_widen widenings: that side is unbounded
    for _ in range(0 if fixed else max_widen):
        at_low, at_high = pvals[0] > alpha, pvals[-1] > alpha
        if not (at_low or at_high):
            break
        width = float(grid[-1] - grid[0])
        if at_low:
            extra = grid[0] - width * np.arange(100, 0, -1) / 100
            grid = np.concatenate([extra, grid])
            pvals = np.concatenate([[conformal_p(y, X, post, t) for t in extra], pvals])
        if at_high:
            extra = grid[-1] + width * np.arange(1, 101) / 100
            grid = np.concatenate([grid, extra])
            pvals = np.concatenate([pvals, [conformal_p(y, X, post, t) for t in extra]])
    if not fixed:
        # each outer end found on a coarse step is refined by bisection to the crossing
        kept_idx, n0 = np.flatnonzero(pvals > alpha), grid.size
        for end, nxt in ((kept_idx[:1], -1), (kept_idx[-1:], 1)) if kept_idx.size else ():
            i = int(end[0])
            if 0 <= i + nxt < n0:
                inside, outside = float(grid[i]), float(grid[i + nxt])
                for _ in range(12):
                    mid = (inside + outside) / 2
                    if conformal_p(y, X, post, mid) > alpha:
                        inside = mid
                    else:
                        outside = mid
                grid = np.append(grid, inside)
                pvals = np.append(pvals, alpha + 1)  # kept by construction
        order = np.argsort(grid, kind="stable")
        grid, pvals = grid[order], pvals[order]
    kept = grid[pvals > alpha]
    low_open = bool(kept.size and pvals[0] > alpha)
    high_open = bool(kept.size and pvals[-1] > alpha)
    return {"outcome": outcome, "treatment_year": treatment_year, "alpha": alpha,
            "ci_low": float(kept.min()) if kept.size else np.nan,
            "ci_high": float(kept.max()) if kept.size else np.nan,
            "low_unbounded": low_open, "high_unbounded": high_open,
            "grid_low": float(grid[0]), "grid_high": float(grid[-1]),
            "min_p": float(1 / n_years), "n_years": n_years, "n_donors": len(pool),
            "p_zero": conformal_p(y, X, post, 0.0),
            "grid_edge_hit": low_open or high_open}


def conformal_sentence(interval: dict) -> str:
    """The conformal interval in words, each open end named from the p-values at the
    searched grid's edges (never typed)."""
    level = f"{1 - interval['alpha']:.0%}"
    lo, hi = interval["ci_low"], interval["ci_high"]
    if not np.isfinite(lo):
        return (f"Conformal {level} set for a constant post-treatment gap: empty on the "
                f"searched grid (every gap rejected; the smallest possible p-value is "
                f"{interval['min_p']:.2f}).")
    lo_text = (f"below {interval['grid_low']:+.2f} (unbounded below: p stays above "
               f"{interval['alpha']:g} to the edge of the search)"
               if interval["low_unbounded"] else f"{lo:+.2f}")
    hi_text = (f"above {interval['grid_high']:+.2f} (unbounded above: p stays above "
               f"{interval['alpha']:g} to the edge of the search)"
               if interval["high_unbounded"] else f"{hi:+.2f}")
    return (f"Conformal {level} interval for a constant post-treatment gap: from "
            f"{lo_text} to {hi_text}; p-value of a zero gap {interval['p_zero']:.2f} "
            f"({interval['n_years']} years, smallest possible p {interval['min_p']:.2f}).")


# --------------------------------------------------------------------------- survey waves

#: Columns of :func:`survey_waves` (one row per observed wave).
WAVE_COLUMNS = ["outcome", "iso3", "role", "year", "value", "side"]
#: Columns of :func:`wave_changes` (one row per unit).
WAVE_CHANGE_COLUMNS = ["outcome", "iso3", "role", "years_before", "years_after", "mean_before",
                       "mean_after", "change", "status"]


def survey_waves(panel: pd.DataFrame, outcome: str, treated: str = "AZE",
                 donor_pool: list[str] | None = None, treatment_year: int = 2013
                 ) -> pd.DataFrame:
    """The observed values of an outcome measured in survey waves (e.g. the Enterprise
    Surveys' bribe requests) for the treated country and its donors: one row per wave,
    ``side`` ``before`` (year < treatment_year) or ``after`` (from the treatment year on).
    Only years with a value appear: nothing is filled between waves. A registered column
    this build lacks (e.g. no Enterprise Surveys file was read) gives no rows."""
    if not catalogue.has_column(outcome, "panel"):
        raise ModelError(f"survey waves: {outcome!r} is not a panel column of the column "
                         f"registry ({config.COLUMNS_CSV.name})")
    pool = [d for d in (donor_pool or []) if d != treated]
    values = panel[outcome] if outcome in panel else pd.Series(np.nan, index=panel.index)
    rows = panel.loc[panel[ENTITY].isin([treated, *pool]) & values.notna(), [ENTITY, TIME]]
    rows = rows.assign(**{outcome: values[rows.index]})
    out = pd.DataFrame({
        "outcome": outcome, "iso3": rows[ENTITY].astype(str),
        "role": np.where(rows[ENTITY] == treated, "treated", "donor"),
        "year": rows[TIME].astype("int64"), "value": rows[outcome].astype("float64"),
        "side": np.where(rows[TIME] < treatment_year, "before", "after")},
        columns=WAVE_COLUMNS)
    out = out.sort_values(["role", "iso3", "year"], ascending=[False, True, True])
    out = out.reset_index(drop=True)
    out["data_kind"] = provenance.data_kind(panel)
    out.attrs = dict(panel.attrs)
    return out


def wave_changes(waves: pd.DataFrame, treated: str, donor_pool: list[str]) -> pd.DataFrame:
    """Per unit (the treated first, then every donor, with or without waves): its wave years
    on each side, the mean of its waves on each side and their difference (after - before);
    ``status`` says why a unit has no change (no wave before, after, or at all)."""
    rows = []
    for iso3 in [treated, *[d for d in donor_pool if d != treated]]:
        own = waves[waves["iso3"] == iso3]
        before, after = own[own["side"] == "before"], own[own["side"] == "after"]
        missing = [s for s, part in (("before", before), ("after", after)) if part.empty]
        status = ("ok" if not missing else "no wave" if len(missing) == 2
                  else f"no wave {missing[0]}")
        mb = float(before["value"].mean()) if len(before) else np.nan
        ma = float(after["value"].mean()) if len(after) else np.nan
        rows.append({"outcome": waves["outcome"].iloc[0] if len(waves) else "",
                     "iso3": iso3, "role": "treated" if iso3 == treated else "donor",
                     "years_before": ", ".join(str(y) for y in before["year"]),
                     "years_after": ", ".join(str(y) for y in after["year"]),
                     "mean_before": mb, "mean_after": ma, "change": ma - mb,
                     "status": status})
    return pd.DataFrame(rows, columns=WAVE_CHANGE_COLUMNS)


def waves_sentence(changes: pd.DataFrame, outcome_text: str, treated_name: str,
                   treatment_year: int) -> str:
    """The treated country's waves before and after the treatment year against the donors'
    (from :func:`wave_changes`), or plainly that the build does not have them."""
    t = changes[changes["role"] == "treated"].iloc[0]
    donors = changes[changes["role"] == "donor"]
    ok = donors[donors["status"] == "ok"]
    if t["status"] != "ok":
        seen = ", ".join(y for y in (t["years_before"], t["years_after"]) if y)
        side = {"no wave": "in any year", "no wave before": f"before {treatment_year}",
                "no wave after": f"from {treatment_year} on"}[t["status"]]
        return (f"This build has no wave of {outcome_text} for {treated_name} {side}"
                f"{f' (its waves: {seen})' if seen else ''}: no before/after comparison is "
                f"made; {len(ok)} of {len(donors)} donors have waves on both sides of "
                f"{treatment_year}.")
    head = (f"{treated_name}'s {outcome_text}: waves {t['years_before']} before "
            f"{treatment_year} (mean {t['mean_before']:.1f}) and {t['years_after']} from it on "
            f"(mean {t['mean_after']:.1f}), a change of {t['change']:+.1f}.")
    if ok.empty:
        return (head + f" None of the {len(donors)} donors has waves on both sides of "
                f"{treatment_year} in this build: there is no comparison.")
    below = int((ok["change"] < t["change"]).sum())
    return (head + f" {len(ok)} of {len(donors)} donors have waves on both sides; their "
            f"changes run from {ok['change'].min():+.1f} to {ok['change'].max():+.1f} (median "
            f"{ok['change'].median():+.1f}), and {below} of them changed by less than "
            f"{treated_name} (a larger fall or a smaller rise). Wave years differ between countries, so each change "
            "spans different years.")
