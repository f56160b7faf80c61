"""The notebooks' sentences of direction and size agree with their own tables, on demo and on
real data: each notebook's code runs here (in-process, up to its last narrative cell) and
every sentence is checked against the numbers the notebook printed or plotted."""

from __future__ import annotations

import re

import jupytext
import matplotlib
import numpy as np
import pytest

from divides import config
from divides.models import case, narrative

matplotlib.use("Agg")

pytestmark = pytest.mark.notebooks

#: Phrases the notebooks once stated as fixed text, contradicted by the demo numbers.
FIXED_CLAIMS = ("shrinks once income", "it is far smaller", "familiar strong",
                "women are a\n# smaller share", "for ten years after")


#: demo, and real (integration tier: skipped when the real files are absent)
DATA = ["demo", pytest.param("real", marks=pytest.mark.integration)]


def run_cells(stem: str, data: str, until: str, **params) -> dict:
    """Execute notebook ``stem``'s code cells with ``data`` (and ``params`` over its
    parameters), stopping once ``until`` is set."""
    import matplotlib.pyplot as plt

    if data == "real" and config.real_dir() is None:
        pytest.skip("real data folder absent (../shared/data/real or $DIVIDES_REAL_DIR)")
    path = next(config.NOTEBOOKS_DIR.glob(f"{stem}_*.py"))
    nb = jupytext.read(path)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, f"{path.name}", "exec"), ns)  # noqa: S102 - our notebook
        if "parameters" in cell.metadata.get("tags", []):
            ns["data"] = data
            ns.update(params)
        plt.close("all")
        if until in ns:
            return ns
    raise AssertionError(f"{path.name} never set {until!r}")


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", text)]


@pytest.mark.parametrize("data", DATA)
def test_01_parity_sentence_matches_the_plotted_data(data):
    ns = run_cells("01", data, "parity_text")
    text, frame = ns["parity_text"], ns["parity"]
    both = frame[["internet_users_pct", "parity_ratio"]].dropna()
    rho = both["internet_users_pct"].corr(both["parity_ratio"], method="spearman")
    assert f"Across {len(both)} countries" in text
    assert f"rho = {rho:.2f}" in text
    p_small = "p < 0.001" in text or float(re.search(r"p = ([\d.]+)", text).group(1)) < 0.05
    if p_small:
        assert ("rises with" in text) == (rho > 0) and ("falls as" in text) == (rho < 0)
    else:
        assert "no clear monotonic relation" in text


@pytest.mark.parametrize("data", DATA)
def test_03_sentences_match_the_key_terms_table(data):
    ns = run_cells("03", data, "conventions_text")
    table, regressor = ns["table"], ns["regressor"]

    def coef(model, col="coef"):
        row = table[(table["model"] == model) & (table["term"] == regressor)]
        assert len(row) == 1
        return float(row[col].iloc[0])

    before, after = coef("pooled, no controls"), coef("pooled")
    text = ns["controls_text"]
    assert numbers(text)[:2] == [round(before, 3), round(after, 3)]
    if np.sign(before) != np.sign(after):
        assert "changes sign" in text
    elif abs(after) < abs(before):
        assert "shrinks" in text
    else:
        assert "grows" in text or "stays" in text

    pooled, within = coef("pooled"), coef("two-way FE")
    lo, hi = coef("two-way FE", "ci_low"), coef("two-way FE", "ci_high")
    text = ns["within_text"]
    assert f"({within:.3f})" in text and f"({pooled:.3f})" in text
    ratio = abs(within) / abs(pooled)
    expected = ("far smaller" if ratio < 1 / 3 else "smaller" if ratio < 1 else "larger")
    assert f"is {expected} in size than" in text
    assert ("opposite sign" in text) == (np.sign(within) != np.sign(pooled))
    assert ("includes zero" in text) == (lo <= 0 <= hi)
    # the convention the interval holds under: its errors, years, countries and p
    w = table[(table["model"] == "two-way FE") & (table["term"] == regressor)].iloc[0]
    convention = text.split("under this convention only (", 1)[1]
    assert convention.startswith(w["cov_detail"] if w["cov_detail"] else w["cov_type"])
    assert (f"{int(w['year_first'])}-{int(w['year_last'])}, {int(w['n_countries'])} "
            f"countries, {narrative.p_text(float(w['p']))})." in convention)

    year, x, y = ns["pooled_year"], ns["regressor"], ns["outcome"]  # the notebook's parameters
    rows = ns["panel"][ns["panel"]["year"] == year][[x, y]].dropna()
    rho = rows[x].corr(rows[y], method="spearman")
    assert f"Across {len(rows)} countries" in ns["pooled_text"]
    assert f"rho = {rho:.2f}" in ns["pooled_text"]
    pooled_says = ns["pooled_text"]
    p_rho = narrative.association(rows, x, y).p_value
    if p_rho < 0.05:
        assert ("rises with" in pooled_says) == (rho > 0)
        assert ("falls as" in pooled_says) == (rho < 0)
    else:
        assert "no clear monotonic relation" in pooled_says

    # the estimate of the latest survey before the year: value, interval, p, sample, direction
    model, term = "two-way FE, lag 1 (latest)", f"{regressor}_lag1"
    r = table[(table["model"] == model) & (table["term"] == term)].iloc[0]
    text = ns["latest_text"]
    assert numbers(text)[:3] == [round(r["coef"], 3), round(r["ci_low"], 3),
                                 round(r["ci_high"], 3)]
    assert (f"{int(r['n_obs'])} country-years of {int(r['n_countries'])} countries" in text)
    assert narrative.p_text(float(r["p"])) in text
    assert ("rises with" in text) == (r["ci_low"] > 0)
    assert ("falls as" in text) == (r["ci_high"] < 0)
    assert ("not established" in text) == (r["ci_low"] <= 0 <= r["ci_high"])
    # the same row with its interval mirrored says the opposite direction
    mirrored = table.copy()
    at = (mirrored["model"] == model) & (mirrored["term"] == term)
    mirrored.loc[at, ["coef", "ci_low", "ci_high"]] = [-r["coef"], -r["ci_high"], -r["ci_low"]]
    flipped = narrative.estimate_sentence(mirrored, model, term, "x", "y")
    assert ("y rises with x" in flipped) == (r["ci_high"] < 0)
    assert ("y falls as x rises" in flipped) == (r["ci_low"] > 0)

    # the rows each model uses, of the outcome's country-years
    text = ns["used_text"]
    panel = ns["panel"]
    assert f" has {int(panel[y].notna().sum())} country-years with a value;" in text
    for m in ("pooled", "two-way FE", "two-way FE, lag 1 (latest)"):
        n_obs = int(table.loc[table["model"] == m, "n_obs"].iloc[0])
        assert f"*{m}* {n_obs}" in text

    # when the outcome is observed, and its rank correlation with the perception indexes
    text = ns["measure_text"]
    have = panel.loc[panel[y].notna(), ["iso3", "year"]]
    assert f"{have['iso3'].nunique()} countries" in text
    assert str(int(have["year"].min())) in text and str(int(have["year"].max())) in text
    for col in ("wgi_cc_estimate", "cpi_score"):
        if col == y:
            continue
        both = panel[[y, col]].dropna()
        r_col = both[y].corr(both[col], method="spearman")
        assert f"rho = {r_col:.2f} with it over the {len(both)} country-years" in text

    # one estimate's p-values: the range over the usable conventions only
    conventions = ns["conventions"]
    usable = conventions[~conventions["note"].str.startswith("unreliable")]
    text = ns["conventions_text"]
    assert numbers(text)[:3] == [round(usable["p"].min(), 3), round(usable["p"].max(), 3),
                                 round(float(conventions["coef"].iloc[0]), 3)]
    dk = conventions[conventions["convention"].str.startswith("Driscoll")].iloc[0]
    assert ("is not reliable here" in text) == dk["note"].startswith("unreliable")
    assert f"{int(conventions['n_periods'].iloc[0])}" in text


def test_no_fixed_claim_left_in_the_notebooks():
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py")):
        text = path.read_text(encoding="utf-8")
        found = [c for c in FIXED_CLAIMS if c in text]
        assert not found, f"{path.name}: fixed text {found}"


@pytest.mark.parametrize("data", DATA)
def test_04_sentences_match_the_case_tables(data):
    ns = run_cells("04", data, "conformal_text")
    panel, treated, year = ns["panel"], ns["treated"], ns["treatment_year"]
    donors, treated_name = ns["donors"], ns["treated_name"]

    # survey waves: each outcome's sentence against its own before/after table
    assert len(ns["wave_texts"]) == len(ns["wave_outcomes"])
    for outcome, text in zip(ns["wave_outcomes"], ns["wave_texts"], strict=True):
        changes = case.wave_changes(case.survey_waves(panel, outcome, treated=treated,
                                                      donor_pool=donors,
                                                      treatment_year=year), treated, donors)
        t = changes[changes["role"] == "treated"].iloc[0]
        ok = changes[(changes["role"] == "donor") & (changes["status"] == "ok")]
        if t["status"] != "ok":
            assert "no wave of" in text and "no before/after comparison" in text
            assert f"{len(ok)} of {len(donors)} donors" in text
            continue
        assert text.startswith(f"{treated_name}'s ")
        assert (f"(mean {t['mean_before']:.1f})" in text
                and f"(mean {t['mean_after']:.1f}), a change of {t['change']:+.1f}" in text)
        if len(ok):
            assert (f"their changes run from {ok['change'].min():+.1f} to "
                    f"{ok['change'].max():+.1f} (median {ok['change'].median():+.1f})" in text)
            assert f"{int((ok['change'] < t['change']).sum())} of them changed by less" in text

    # the event study's window reaches the treated country's newest value of the outcome
    es = ns["es"]
    outcome = es["outcome"].iloc[0]
    newest = int(panel.loc[panel["iso3"] == treated, ["year", outcome]].dropna()["year"].max())
    text = narrative.event_window_sentence(es, panel, treated)
    first, last = year + int(es["event_time"].min()), year + int(es["event_time"].max())
    assert text.startswith(f"{outcome}: {first}-{last}, ")
    assert text.endswith(f"with {treated} ({newest})")
    assert ("to the newest edition" in text) == (last == newest)

    # leave-one-out: the gap with all donors and the range without each one
    loo = ns["loo"]
    full, rest = loo[loo["dropped"] == "(none)"].iloc[0], loo[loo["dropped"] != "(none)"]
    text = ns["loo_text"]
    assert f"post-treatment gap {full['post_gap_mean']:+.3f}" in text
    assert (f"the gap ranges from {rest['post_gap_mean'].min():+.3f} to "
            f"{rest['post_gap_mean'].max():+.3f}" in text)
    worst = rest.loc[(rest["post_gap_mean"] - full["post_gap_mean"]).abs().idxmax()]
    assert f"without {worst['dropped']} it is {worst['post_gap_mean']:+.3f}" in text
    flipped = narrative.leave_one_out_sentence(loo.assign(post_gap_mean=-loo["post_gap_mean"]))
    assert f"post-treatment gap {-full['post_gap_mean']:+.3f}" in flipped

    # the screened donors named are the ones the screen left out
    screened = ns["screen"].loc[~ns["screen"]["used"] & (ns["screen"]["iso3"] != treated),
                                "iso3"].tolist()
    text = ns["screened_text"]
    if screened:
        assert f"put back ({', '.join(screened)}): gap {ns['gap_all']:+.3f}" in text
    else:
        assert text.startswith("No donor of")

    # the conformal interval: its ends, the p of a zero gap and the level
    interval = ns["interval"]
    text = ns["conformal_text"]
    assert f"Conformal {1 - interval['alpha']:.0%}" in text
    assert f"p-value of a zero gap {interval['p_zero']:.2f}" in text
    assert f"({interval['n_years']} years" in text
    if np.isfinite(interval["ci_low"]):
        if not interval["low_unbounded"]:
            assert f"from {interval['ci_low']:+.2f} to" in text
        if not interval["high_unbounded"]:
            assert f"to {interval['ci_high']:+.2f};" in text
        if interval["p_zero"] > interval["alpha"]:  # a kept gap lies inside the set
            assert interval["ci_low"] <= 0 <= interval["ci_high"]


@pytest.mark.parametrize("data", DATA)
def test_05_sentences_match_the_curve(data):
    ns = run_cells("05", data, "decomposition", draws=99)
    curve, inference = ns["curve"], ns["inference"]
    ok = curve.table[curve.table["status"] == "ok"]

    # the count: specifications estimated of the grid, and the draws the tests have
    text = narrative.curve_count_sentence(curve.notes)
    assert text == (f"{len(ok)} of {len(curve.table)} specifications estimated; "
                    f"{int(inference['n_draws'].max())} null-imposed bootstrap draws")

    # each family's tests: its sample (specs), its numbers, which p is which, the direction
    for row in inference.itertuples():
        text = narrative.curve_tests(inference, row.key_regressor, row.estimator)
        fam = ok[ok["key_regressor"] == row.key_regressor]
        if row.estimator != "all":
            fam = fam[fam["estimator"] == row.estimator]
        assert f"({len(fam)} specifications)" in text
        assert f"median t {np.median(fam['t']):+.2f}" in text
        assert f"median standardised estimate {np.median(fam['coef_std']):+.3f}" in text
        sig = fam["p_spec"] < 0.05
        pos, neg = (sig & (fam["t"] > 0)).mean(), (sig & (fam["t"] < 0)).mean()
        assert f"Significant: {pos:.2f} positive, {neg:.2f} negative" in text
        larger = "positive" if pos > neg else "negative" if neg > pos else "either (tied)"
        assert f"the larger share ({larger})" in text
        # the direction-free p is p_share, the directional ones p_share_pos / _neg
        assert (f"direction: {narrative.p_text(row.p_share)} (direction-free)" in text)
        assert (f"positive {narrative.p_text(row.p_share_pos)}, negative "
                f"{narrative.p_text(row.p_share_neg)}." in text)
        assert f"null-imposed {narrative.p_text(row.p_median_t)} (two-sided" in text
        # mirrored: the shares swap, and so do the word and the directional p-values
        mirror = inference.assign(
            share_sig_pos=inference["share_sig_neg"], share_sig_neg=inference["share_sig_pos"],
            p_share_pos=inference["p_share_neg"], p_share_neg=inference["p_share_pos"],
            median_t=-inference["median_t"])
        swapped = {"positive": "negative", "negative": "positive"}.get(larger, larger)
        assert f"the larger share ({swapped})" in narrative.curve_tests(
            mirror, row.key_regressor, row.estimator)

    # families resting on one country: the share of specs, from the table's leverage
    families = ns["families"]
    text = narrative.dominance_sentence(families)
    for (key, est), part in ok.groupby(["key_regressor", "estimator"]):
        share = (part["max_country_weight_share"] > narrative.DOMINANT_SHARE).mean()
        named = f"{key} ({est}: {share:.0%} of {len(part)} specs" in text
        assert named == (share > narrative.DOMINATED_FAMILY), (key, est, share)

    # what moves the curve: the shares stated are the decomposition's, largest first
    dec = ns["decomposition"]
    text = narrative.decomposition_sentence(dec)
    assert f"the {len(ok):,} standardised estimates" in text
    main = dec[dec["decision"] != _rest_label()].sort_values("r2_shapley", ascending=False)
    big = main[main["r2_shapley"] >= narrative.NAMED_SHARE]
    for r in big.itertuples():
        assert f"{r.decision} {r.r2_shapley:.0%}" in text
    if len(big):
        assert f"the {big.iloc[0]['decision']} moves the curve most" in text


def _rest_label() -> str:
    from divides.models.speccurve.decompose import REST

    return REST
