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
# # Measuring digital gaps
#
# **Question.** How large are the digital access gaps between advantaged and disadvantaged
# groups (men and women, urban and rural, richest 60 % and poorest 40 %, young and old,
# more and less educated or literate), in which countries and regions, and are they closing?
#
# **Method.** For rates *a* (advantaged) and *d* (disadvantaged) from the same source and
# survey year, `divides.load_gaps` gives the difference `gap_pp = a - d` (percentage
# points), the parity ratio `d / a` (ITU's parity score; 1 = parity, 0.98-1.02 counts as
# parity) and the relative gap `(a - d) / a`. Each statement below names the measure it uses.

# %% tags=["parameters"]
data = "demo"
report_dir = ""  # set by `divides run`: this run's output folder
gap_indicator_sex = "itu_internet_users_pct"  # kind: indicator
trend_indicator = "findex_paid_bills_online_pct"  # kind: indicator

# %%
from IPython.display import Markdown

import divides
from divides import config
from divides.figures import charts, registry
from divides.models import narrative
from divides.models.tables import save_table

panel = divides.load_panel(data)
gaps = divides.load_gaps(data)
figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"
tables_dir.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Size of the gaps, latest survey year per country
#
# One row per dimension and indicator: the median difference (pp), the median parity ratio
# and the number of countries, using each country's latest year with both rates.

# %%
# NBVAL_CHECK_OUTPUT
latest = (gaps.sort_values(["iso3", "dimension", "indicator", "source", "year"])
          .groupby(["iso3", "dimension", "indicator", "source"]).tail(1))
size = (latest.assign(below_parity=latest["parity_ratio"] < 0.98)
        .groupby(["dimension", "source", "indicator"])
        .agg(countries=("iso3", "nunique"), median_gap_pp=("gap_pp", "median"),
             median_parity=("parity_ratio", "median"),
             share_below_parity=("below_parity", "mean"))
        .round(3))
save_table(size, tables_dir / "gap_size_latest.csv",
           caption="Size of the gaps, latest survey per country")

# %% [markdown]
# ## Which regions
#
# The internet-use gaps by sex and by urban/rural area, by World Bank region (median
# difference in percentage points, latest ITU survey year per country).

# %%
# NBVAL_CHECK_OUTPUT
itu = latest[(latest["source"] == "itu") & (latest["indicator"] == gap_indicator_sex)]
by_region = (itu.pivot_table(index="region", columns="dimension", values="gap_pp",
                             aggfunc="median").round(1))
by_region["countries"] = itu.groupby("region")["iso3"].nunique()
save_table(by_region, tables_dir / "internet_gap_by_region.csv",
           caption="Median gap in internet use (pp) by region, latest ITU survey")

# %% [markdown]
# ## In which countries
#
# Urban against rural, and male against female internet use, one row per country, sorted
# by the size of the gap (percentage points).

# %%
_ = registry.save("gap_dumbbell_area", figures_dir, panel=panel, gaps=gaps,
                  indicator=gap_indicator_sex)

# %%
_ = registry.save("gap_dumbbell_sex", figures_dir, panel=panel, gaps=gaps,
                  indicator=gap_indicator_sex)

# %% [markdown]
# Parity against the level of access: each country's latest ITU survey year, with total
# internet use in that year (Spearman's rank correlation, so no straight line is assumed).
# Ratios above 1 (more women than men online) are shown as they are.

# %%
parity, _ = charts.parity_data(gaps, panel, "sex", indicator=gap_indicator_sex)
parity_text = narrative.association_sentence(
    parity, "internet_users_pct", "parity_ratio", "total internet use",
    "the female / male parity ratio of internet use")
Markdown(parity_text, metadata=narrative.HEADLINE)  # the summary takes this finding

# %%
_ = registry.save("parity_vs_internet", figures_dir, panel=panel, gaps=gaps,
                  indicator=gap_indicator_sex)

# %%
_ = registry.save("map_gap_sex", figures_dir, gaps=gaps, indicator=gap_indicator_sex)

# %%
_ = registry.save("map_internet_users", figures_dir, panel=panel)

# %% [markdown]
# ## Are the gaps closing?
#
# The ITU tables give one survey year per country, so trends come from the Global Findex
# waves (2014, 2017, 2021, as far as the chosen series has them): the median difference
# (pp) across countries observed in every wave of the series, so that a changing country
# mix does not fake a trend.

# %%
# NBVAL_CHECK_OUTPUT
series = gaps[(gaps["source"] == "findex") & (gaps["indicator"] == trend_indicator)]
waves = sorted(series["year"].unique())
waves_seen = series.groupby(["dimension", "iso3"])["year"].nunique()
balanced = waves_seen[waves_seen == len(waves)].reset_index()[["dimension", "iso3"]]
trend = (series.merge(balanced, on=["dimension", "iso3"])
         .pivot_table(index="dimension", columns="year", values="gap_pp", aggfunc="median")
         .round(1))
trend["countries"] = balanced.groupby("dimension")["iso3"].nunique()
save_table(trend, tables_dir / "gap_trend_findex.csv",
           caption=f"{trend_indicator}: median gap (pp) by Findex wave, countries seen in "
                   "every wave")

# %% [markdown]
# ## Limits
#
# * A gap is computed only from two rates of the same source and survey year; ITU by-sex
#   and urban/rural values exist for one latest year per country, so the ITU gaps are a
#   cross-section, not a trend.
# * Findex rural/urban splits cover mostly developing economies in 2021; the "literacy"
#   dimension of Findex is education (secondary or more vs primary or less).
# * Survey scopes differ (ITU's in-scope populations range from 6+ to 16-74): compare
#   countries with care.
