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
# # Access, access gaps and perceived corruption
#
# **Question.** Across countries, do higher internet use and smaller digital gaps go with
# less perceived corruption once income is held fixed?
#
# **Method.** Two designs, both with log GDP per capita (PPP, constant 2021 $) as control:
#
# 1. a cross-section for one year, OLS with HC3 heteroskedasticity-robust errors;
# 2. pooled country-years, OLS with errors clustered by country.
#
# Outcomes: TI's CPI score (0-100, higher = cleaner; 2012 on) and the WGI control of
# corruption estimate (standard-normal units, higher = better). ITU publishes by-sex and
# urban/rural internet use for one latest survey year per country, so those gaps enter as a
# *country characteristic* (the latest gap, copied to every year); Findex gaps enter in
# their own survey years. These are associations, not effects.

# %% tags=["parameters"]
data = "demo"
report_dir = ""  # set by `divides run`: this run's output folder
outcome = "cpi_score"  # kind: panel_column
year = 2019  # kind: year
controls = ["log_gdp_pc_ppp"]  # kind: panel_column

# %%
import divides
from divides import config
from divides.figures import registry
from divides.models import Spec, fit, headline, tidy_many
from divides.models.frames import with_gap_series, with_latest_gap
from divides.models.tables import write_regression

panel = divides.load_panel(data)
gaps = divides.load_gaps(data)
frame = with_latest_gap(panel, gaps, "sex", "itu_internet_users_pct", name="gap_sex_itu_internet_users_pp_latest")
frame = with_latest_gap(frame, gaps, "area", "itu_internet_users_pct", name="gap_area_itu_internet_users_pp_latest")
frame = with_gap_series(frame, gaps, "income", "findex_paid_bills_online_pct", source="findex")
frame = with_gap_series(frame, gaps, "sex", "findex_paid_bills_online_pct", source="findex")
figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"

# %% [markdown]
# ## Cross-section
#
# Internet use alone, then the sex and urban/rural gaps in internet use (percentage points,
# male minus female and urban minus rural), each with log income.

# %%
# NBVAL_CHECK_OUTPUT
cross = [
    fit(frame, Spec(outcome, ("internet_users_pct",), tuple(controls),
                    estimator="cross_section", year=year)),
    fit(frame, Spec(outcome, ("gap_sex_itu_internet_users_pp_latest",), tuple(controls),
                    estimator="cross_section", year=year)),
    fit(frame, Spec(outcome, ("gap_area_itu_internet_users_pp_latest",), tuple(controls),
                    estimator="cross_section", year=year)),
]
write_regression(cross, tables_dir / f"02_cross_section_{outcome}_{year}",
                 names=["internet use", "sex gap", "urban-rural gap"],
                 caption=f"Cross-section {year}: {outcome} on internet use and its gaps")
_ = headline.write(config.notebook_output_dir(data, report_dir), "02", headline.from_tidy(
    tidy_many(cross[:1], ["cross-section"]), ["cross-section"], "internet_users_pct"))

# %% [markdown]
# ## Pooled country-years
#
# Both outcomes, internet use and the Findex gaps in paying bills by phone or internet
# (richest 60 % minus poorest 40 %, men minus women), errors clustered by country.

# %%
# NBVAL_CHECK_OUTPUT
pooled = []
names = []
for y in ("cpi_score", "wgi_cc_estimate"):
    for x in ("internet_users_pct", "gap_income_findex_paid_bills_online_pp",
              "gap_sex_findex_paid_bills_online_pp"):
        pooled.append(fit(frame, Spec(y, (x,), tuple(controls), estimator="pooled")))
        names.append(f"({len(names) + 1})")
write_regression(pooled, tables_dir / "02_pooled_access_and_gaps", names=names,
                 caption="Pooled country-years: perceived corruption on internet use and "
                         "Findex gaps")

# %%
results = tidy_many(cross + pooled)
_ = registry.save("access_gap_coefficients", figures_dir,
                  results=results[~results["term"].isin(["const", "log_gdp_pc_ppp"])],
                  outcome=outcome, year=year, controls=controls)

# %% [markdown]
# ## Reading the result
#
# A positive coefficient on internet use means more connected countries are perceived as
# cleaner *at the same income*; a negative one on a gap means wider gaps go with more
# perceived corruption. Income carries much of the cross-country variation, so read each
# access or gap coefficient with its interval and its sample: the gap samples are smaller
# (only countries with the survey) and tilted towards the countries ITU and Findex
# survey. The next notebook asks whether associations like these survive within countries
# over time.
#
# ## Limits
#
# * Cross-country associations: reverse causation (cleaner states invest in connectivity)
#   and omitted institutions are not addressed here.
# * The ITU gap is one survey year per country, used as a time-invariant trait.
# * CPI and WGI share underlying expert surveys, so the two outcomes are not independent
#   confirmations.
