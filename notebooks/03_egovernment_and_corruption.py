# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (divides)
#     language: python
#     name: divides
# ---

# %% [markdown]
# # E-government and corruption: between and within countries
#
# **Question.** Is e-government development (the UN EGDI and its Online Service Index)
# associated with less perceived corruption? Does the association survive country fixed
# effects, i.e. do countries whose e-government *improves* become cleaner? Is it weaker
# where digital gaps are larger?
#
# **Method.** The same outcome and regressor under four estimators, side by side:
# pooled OLS (errors clustered by country), the between estimator (country means, robust
# errors), and two-way fixed effects (country and year effects, clustered by country, with
# Driscoll-Kraay errors as a robustness check). EGOV is biennial, so a lag of *k* years
# takes the value observed exactly *k* years earlier; where that year has no survey the row
# is dropped and counted, never filled (the `latest` rule, which takes the latest survey at
# most two years back, is shown as an alternative). The outcome may also be a measure of
# corruption experienced rather than perceived: the World Bank Enterprise Surveys' bribe
# requests (`-p outcome=bribery_incidence_pct`, or `informal_payments_pct`,
# `tax_gift_expected_pct`), observed only in each country's survey waves.

# %% tags=["parameters"]
data = "demo"
report_dir = ""  # set by `divides run`: this run's output folder
outcome = "wgi_cc_estimate"  # kind: panel_column
regressor = "egdi"  # kind: panel_column
controls = ["log_gdp_pc_ppp"]  # kind: panel_column

# %%
from IPython.display import Markdown, display

import divides
from divides import catalogue, config
from divides.figures import charts, registry, style
from divides.models import Spec, fit, headline, narrative, tidy_many
from divides.models.estimators import DK_MIN_PERIODS, p_value_conventions
from divides.models.frames import with_latest_gap
from divides.models.tables import save_table, write_regression

panel = divides.load_panel(data)
gaps = divides.load_gaps(data)
figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"

# %% [markdown]
# ## What the outcome measures
#
# Perception indexes (WGI control of corruption, the CPI) aggregate what experts, risk
# analysts and business people believe about corruption in a country, every year. The
# Enterprise Surveys ask managers of firms about their own dealings with officials, so they
# count bribe requests that happened, the contact that digital services are meant to remove;
# but a country is surveyed only in some years. The outcome's definition (the column
# registry's, for the Enterprise Surveys the World Bank's own), when it is observed in this
# build, and how it ranks countries against the two perception indexes where both exist:

# %%
measure_text = narrative.measurement_sentence(
    panel, outcome, style.label(outcome, unit=False),
    catalogue.column_row(outcome, "panel")["definition"],
    {col: style.label(col, unit=False) for col in ("wgi_cc_estimate", "cpi_score")})
Markdown(measure_text)

# %% [markdown]
# ## The pooled picture
#
# The outcome against the regressor (by default WGI control of corruption against EGDI)
# in the year most countries have both, by income group, with fitted lines within each
# group.

# %%
_ = registry.save("outcome_vs_regressor", figures_dir, panel=panel, outcome=outcome,
                  regressor=regressor)

# %%
pooled_year = charts.best_year(panel, [regressor, outcome])
pooled_text = narrative.association_sentence(
    panel[panel["year"] == pooled_year], regressor, outcome, style.label(regressor, unit=False),
    f"{style.label(outcome, unit=False)} ({pooled_year})")
Markdown(pooled_text)

# %% [markdown]
# Where the two are high and low: the regressor and the outcome on the map, latest year
# with data (classes by Fisher-Jenks natural breaks and quantiles; countries without a
# value hatched).

# %%
_ = registry.save("map_regressor", figures_dir, panel=panel, regressor=regressor)

# %%
_ = registry.save("map_outcome", figures_dir, panel=panel, outcome=outcome)

# %% [markdown]
# ## Pooled, between and within, side by side

# %%
# NBVAL_CHECK_OUTPUT
specs = {
    "pooled, no controls": Spec(outcome, (regressor,), (), estimator="pooled"),
    "pooled": Spec(outcome, (regressor,), tuple(controls), estimator="pooled"),
    "between": Spec(outcome, (regressor,), tuple(controls), estimator="between"),
    "two-way FE": Spec(outcome, (regressor,), tuple(controls), estimator="twfe"),
    "two-way FE, Driscoll-Kraay": Spec(outcome, (regressor,), tuple(controls),
                                       estimator="twfe", cov_type="driscoll_kraay"),
    "two-way FE, lag 2 (exact)": Spec(outcome, (regressor,), tuple(controls),
                                      estimator="twfe", lag=2),
    "two-way FE, lag 1 (latest)": Spec(outcome, (regressor,), tuple(controls),
                                       estimator="twfe", lag=1, lag_rule="latest"),
    "two-way FE, OSI": Spec(outcome, ("osi",), tuple(controls), estimator="twfe"),
}
results = [fit(panel, spec) for spec in specs.values()]
table = tidy_many(results, list(specs))
write_regression(results, tables_dir / f"03_egov_{outcome}", names=list(specs),
                 caption=f"{regressor} and {outcome}: pooled, between and two-way FE")
_ = headline.write(config.notebook_output_dir(data, report_dir), "03",
                   headline.from_tidy(table, ["pooled", "two-way FE"], regressor))

# %% [markdown]
# The pooled and between coefficients compare countries; the two-way fixed-effects
# coefficient uses only changes within each country relative to the year's average. What
# the income control and the within design do to the coefficient, from the table above:

# %%
controls_text = narrative.coefficient_change(
    table, regressor, "pooled, no controls", "pooled",
    f"once {', '.join(controls)} is controlled")
within_text = narrative.within_vs_pooled(table, regressor, "pooled", "two-way FE")
# the regressor of the latest EGOV survey before the outcome's year: the lag that suits an
# outcome observed in other years than the biennial survey (e.g. survey waves)
latest_text = narrative.estimate_sentence(
    table, "two-way FE, lag 1 (latest)", f"{regressor}_lag1",
    f"{style.label(regressor, unit=False)} of the latest survey before the year",
    style.label(outcome, unit=False))
used_text = narrative.rows_used_sentence(
    table, int(panel[outcome].notna().sum()), style.label(outcome, unit=False),
    ["pooled", "two-way FE", "two-way FE, lag 1 (latest)"])
display(Markdown(controls_text))
display(Markdown(within_text, metadata=narrative.HEADLINE))  # the summary takes this finding
Markdown(f"{latest_text}\n\n{used_text}")

# %%
# the outcome beside the two corruption measures (CPI and WGI), pooled and within
both = []
for y in dict.fromkeys([outcome, "cpi_score", "wgi_cc_estimate"]):
    for est in ("pooled", "twfe"):
        both.append(fit(panel, Spec(y, (regressor,), tuple(controls), estimator=est)))
_ = registry.save("coef_pooled_vs_twfe", figures_dir, results=tidy_many(both),
                  outcome=outcome, regressor=regressor, controls=controls)

# %% [markdown]
# ## Does the within estimate survive methodology changes?
#
# EGDI was rebuilt between survey editions (2003-2008, 2010, 2014), so part of a country's
# EGDI movement is measurement. The two-way FE estimate on all editions, on the 2010+ and
# 2014+ editions only, on the Online Service Index alone, and on the country's rank on the
# regressor within each year (percentile among the countries with a value that year, which
# a rescaling of the index cannot move):

# %%
# NBVAL_CHECK_OUTPUT
rank_name = f"{regressor}_rank_pct"
ranked = panel.assign(**{rank_name: panel.groupby("year")[regressor].rank(pct=True) * 100})
editions = {
    "all editions": Spec(outcome, (regressor,), tuple(controls), estimator="twfe"),
    "2010+ editions": Spec(outcome, (regressor,), tuple(controls), estimator="twfe",
                           sample="year >= 2010"),
    "2014+ editions": Spec(outcome, (regressor,), tuple(controls), estimator="twfe",
                           sample="year >= 2014"),
    "OSI only": Spec(outcome, ("osi",), tuple(controls), estimator="twfe"),
    "within-edition rank (percentile)": Spec(outcome, (rank_name,), tuple(controls),
                                             estimator="twfe"),
}
edition_results = [fit(ranked, spec) for spec in editions.values()]
write_regression(edition_results, tables_dir / f"03_egov_{outcome}_editions",
                 names=list(editions),
                 caption=f"Two-way FE, {outcome} on {regressor} across survey editions")

# %% [markdown]
# ## One estimate, four p-values
#
# The within estimate's p-value depends on conventions a table rarely states. This
# project's default is the within convention: clustered CR1 errors whose small-sample factor
# counts only the slopes (K), with t(N - K - absorbed effects) degrees of freedom, as
# linearmodels computes. The dummy-variable convention (Stata's `areg`, fixest's
# `ssc(k_fixef="full")`) counts the absorbed country and year effects in K; a wild cluster
# bootstrap avoids the choice; Driscoll-Kraay errors need many periods.

# %%
# NBVAL_CHECK_OUTPUT
conventions = p_value_conventions(panel, editions["all editions"])
display(save_table(conventions, tables_dir / f"03_egov_{outcome}_p_conventions.csv",
                   float_format="%.6g",
                   caption=f"One two-way FE estimate of {regressor}, four p-values"))
conventions_text = narrative.p_conventions_sentence(conventions, DK_MIN_PERIODS)
print(conventions_text)

# %% [markdown]
# ## Is e-government weaker where gaps are larger?
#
# The interaction of the regressor (by default EGDI) with the country's latest internet
# gender gap (ITU, male minus
# female, percentage points, treated as a country characteristic). In the two-way FE
# model the gap's own term is absorbed by the country effects; the interaction is
# identified from the regressor's changes in countries with different gaps. A negative
# interaction means the regressor goes with less improvement where women are further
# behind.

# %%
# NBVAL_CHECK_OUTPUT
frame = with_latest_gap(panel, gaps, "sex", "itu_internet_users_pct")
gap = "gap_sex_itu_internet_users_pp_latest"  # the default name of the latest gap
# In two-way FE the gap's own term is absorbed by the country effects, so the model takes
# the regressor and the product regressor x gap only.
product = f"{regressor}_x_{gap}"
frame[product] = frame[regressor] * frame[gap]
interaction = [
    fit(frame, Spec(outcome, (regressor, gap), tuple(controls),
                    estimator="pooled", interactions=((regressor, gap),))),
    fit(frame, Spec(outcome, (regressor, product), tuple(controls), estimator="twfe")),
    fit(frame, Spec(outcome, (regressor, product), tuple(controls), estimator="twfe",
                    standardise=True)),
]
names = ["pooled", "two-way FE", "two-way FE, standardised"]
write_regression(interaction, tables_dir / f"03_egov_x_gap_{outcome}", names=names,
                 caption=f"{regressor} and the internet gender gap")

# %% [markdown]
# ## Both halves of the story
#
# Read the tables together: the pooled and between estimates are the cross-country
# pattern that much of the literature reports; the within estimate is what a country could
# expect from its own e-government improving; how the two compare on these data is stated
# above, from the table (Zhao, Ahn and Manoharan 2017 found the association mostly gone
# with fixed effects).
# Standardised coefficients z-score outcome and regressors over the estimation sample
# (pooled SDs).
#
# ## Limits
#
# * EGDI's methodology changed across survey editions (2003-2008, 2010, 2014), so part of
#   its within-country movement is measurement: the edition table above shows how much the
#   within estimate depends on which editions enter.
# * The p-value of the within estimate depends on the small-sample convention (table
#   above); Driscoll-Kraay errors are shown only as an unreliable check with few periods.
# * Two-way FE removes stable country traits and global shocks, not time-varying
#   confounders (reform waves that bring e-government and anti-corruption together).
# * Perception indices move slowly and are partly built from the same expert sources.
# * Survey-wave outcomes (the Enterprise Surveys' bribe requests) exist in 2-4 irregular
#   years per country: same-year models use only the waves that fall in an EGOV survey
#   year, the within estimate rests on few changes per country, and a wave's firms are a
#   sample (its sampling error is not in these intervals).
