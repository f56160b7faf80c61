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
# # Sources and coverage
#
# **Question.** What does each source measure, for which years and countries, and what did
# the readers have to drop to get there?
#
# **Method.** Every published file goes through its source's reader (`divides.sources`),
# which harmonises countries to ISO3, excludes aggregates by code, validates ranges and
# keeps a ledger of every dropped row. `divides.load_panel` builds (or loads from the cache)
# the country-year panel from those observations.

# %% tags=["parameters"]
data = "demo"
report_dir = ""  # set by `divides run`: this run's output folder

# %%
from IPython.display import display

import divides
from divides import config
from divides.figures import registry
from divides.models.tables import save_table, show

panel = divides.load_panel(data)
gaps = divides.load_gaps(data)
drops = divides.load_drops(data)
coverage = divides.load_coverage(data)
manifest = divides.load_manifest(data)
figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"
tables_dir.mkdir(parents=True, exist_ok=True)
print(f"data kind: {manifest['data']}; sources: {', '.join(manifest['sources'])}")

# %% [markdown]
# ## The panel at a glance
#
# One row per country and year. The count of countries with a value per variable shows how
# thin some series are (literacy is measured in census and survey years only; EGOV is
# biennial; CPI on the 0-100 scale starts in 2012).

# %%
# NBVAL_CHECK_OUTPUT
print(f"panel: {panel.shape[0]} country-years, {panel['iso3'].nunique()} countries, "
      f"years {panel['year'].min()}-{panel['year'].max()}")
print(f"gaps: {len(gaps)} rows over dimensions {sorted(gaps['dimension'].unique())}")

# %%
# NBVAL_CHECK_OUTPUT
variables = ["cpi_score", "cpi_score_0_10_legacy", "wgi_cc_estimate", "egdi", "osi",
             "internet_users_pct", "mobile_subs_per100", "literacy_adult_pct",
             "gdp_pc_ppp_const2021_usd"]
per_variable = (panel[["iso3", "year", *variables]]
                .melt(id_vars=["iso3", "year"]).dropna()
                .groupby("variable")
                .agg(countries=("iso3", "nunique"), country_years=("iso3", "size"),
                     first_year=("year", "min"), last_year=("year", "max"))
                .reindex(variables))
save_table(per_variable, tables_dir / "coverage_by_variable.csv",
           caption="Coverage of the main variables: countries and country-years with a value")

# %% [markdown]
# ## Coverage heatmap
#
# Countries with a value, by variable and year. Gap rows show the survey years of each gap
# dimension: by-sex internet use comes from ITU's latest-year tables only.

# %%
_ = registry.save("coverage_heatmap", figures_dir, panel=panel, gaps=gaps)

# %% [markdown]
# ## The drop ledger
#
# Every row a reader saw is either kept or dropped for a named reason, and the counts add
# up per file. Aggregates (World, income groups, regions) are excluded by code before any
# name matching; `missing` counts the publishers' empty cells and `..` markers;
# `not_assessed` counts placeholder zeros (EGOV 0.00000, CPI 0.0).

# %%
# NBVAL_CHECK_OUTPUT
read = drops[drops["stage"] == "read"]
ledger = (read.pivot_table(index="source", columns="reason", values="rows", aggfunc="sum",
                           fill_value=0))
ledger["rows_read"] = ledger.sum(axis=1)
balanced = (read.groupby(["source", "file"])["rows"].sum()
            == read.groupby(["source", "file"])["of_rows"].first()).all()
display(save_table(ledger, tables_dir / "drop_ledger_by_source.csv",
                   caption="Rows read from each source's files, by what became of them"))
print(f"every file's ledger adds up: {balanced}")

# %% [markdown]
# ## Where two sources overlap
#
# Internet use is published by WDI and ITU, subscriptions by WDI's DataBank export and
# ITU's own files. The panel takes one value per country-year by a rule written as data
# (`src/divides/data/build/panel_rules.csv`); the values that lost are kept beside the winners so
# that disagreements can be checked.

# %%
# NBVAL_CHECK_OUTPUT
overlaps = divides.load_overlaps(data)
summary = (overlaps.assign(abs_diff=overlaps["diff"].abs())
           .groupby(["panel_column", "winner_source", "loser_source"])
           .agg(country_years=("iso3", "size"), max_abs_diff=("abs_diff", "max"))
           .round(4))
show(summary, caption="Country-years where two sources give a value, and their largest "
                      "absolute difference")

# %% [markdown]
# ## Limits
#
# * Coverage is uneven by region and over time; every later estimate reports its own number
#   of countries.
# * CPI before 2012 (0-10) and from 2012 (0-100) are different indicators and never share a
#   column; TI itself says the old scores are not comparable over time.
# * The ITU by-sex and urban/rural tables give one latest survey year per country, so gaps
#   in internet use cannot be followed over time from these files.
