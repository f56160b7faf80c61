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
# # Robustness: the specification curve
#
# **Question.** How much do the answers of notebooks 02 and 03 depend on choices a
# researcher could reasonably make differently?
#
# **Method.** Every combination of: outcome (TI CPI score or WGI control of corruption,
# a data-source choice), key regressor (internet use, EGDI, OSI and one gap measure per
# dimension), controls (none, log income, log income and urban share), estimator (pooled
# OLS or two-way fixed effects), lag (0, 1, 2 years, exact rule) and sample (all countries
# or one World Bank income group) is estimated (Simonsohn, Simmons and Nelson 2020). The
# grid is data: `src/divides/data/models/speccurve_grid.toml`. Coefficients are standardised
# (outcome and regressor z-scored over each specification's sample) so that CPI and WGI
# curves share one axis. Each gap family is one named gap (source, indicator and the groups
# compared are in the grid and printed below), never an indicator picked by rule.
#
# **Inference on the whole curve, with the null imposed** (Simonsohn, Simmons and Nelson
# 2020): in every specification the null b = 0 is imposed in its own restricted model (the
# regression without the key regressor); a wild cluster bootstrap redraws the outcome
# from its fitted values and residuals with one Rademacher weight per country, the same
# weight in every specification of a draw, so the dependence between specifications is
# kept while each one keeps its own sample and design. Two statistics are tested:
#
# * "p, median t": the **median of the specifications' t-statistics** (studentised, so
#   that specifications with few countries or one dominant country do not drive it),
#   two-sided;
# * "p, share significant": the **share of significant specifications, direction-free**:
#   the larger of the positive and negative shares against the bootstrap's larger share,
#   so the direction is not chosen after seeing the data. "p, share positive" and "p,
#   share negative" are **directional** (one-sided; valid only for a direction declared in
#   advance).
#
# Romano-Wolf p-values (headed "(Romano-Wolf)") adjust for testing several key regressors.
# A specification with fewer than 30 countries is judged significant by its own wild
# bootstrap p-value ("p, wild bootstrap", more draws where it is near 0.05), not by t on
# clustered errors: "p used" and "Significant" in the table, used by the figure and the
# shares. "Largest one-country weight share" is each specification's largest one-country
# share of the key coefficient's weight.

# %% tags=["parameters"]
data = "demo"
draws = 999  # kind: number, at least 0
report_dir = ""  # set by `divides run`: this run's output folder
backend = "serial"  # kind: choice: serial|processes|dask
key_regressor = "egdi"  # kind: speccurve_regressor

# %%
from IPython.display import Markdown, display

from divides import config
from divides.figures import registry
from divides.models import headline, narrative, speccurve
from divides.models.tables import read_table, save_table, show

figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"
# the curve of the current build (stored by the pipeline's `specs` step, else estimated now)
curve = speccurve.load(data, draws=draws, backend=backend)
_ = speccurve.write(curve, tables_dir)
print(narrative.curve_count_sentence(curve.notes))
for column, what in curve.notes["gap_columns"].items():
    print(f"{column}: {what}")
for column, why in curve.notes["gap_missing"].items():
    print(f"{column}: left out ({why})")

# %% [markdown]
# ## The curve for e-government

# %%
_ = registry.save("spec_curve", figures_dir, curve_table=curve.table,
                  curve_inference=curve.inference, key_regressor=key_regressor)

# %% [markdown]
# ## What share of specifications agree?
#
# Per key regressor and estimator: the median standardised coefficient (descriptive), the
# median t (tested), the shares of specifications significantly positive and negative at
# 5 %, and the null-imposed bootstrap p-values: "p, median t" (two-sided), "p, share
# significant" (direction-free), "p, share positive" / "p, share negative" (directional,
# one-sided), unadjusted and Romano-Wolf adjusted across the key regressors.

# %%
# NBVAL_CHECK_OUTPUT
inference = curve.inference
# the table `speccurve.write` saved above, shown (not saved a second time)
display(read_table(tables_dir / "speccurve_inference.csv"))
_ = headline.write(config.notebook_output_dir(data, report_dir), "05",
                   headline.from_curve(inference, key_regressor))

# %% [markdown]
# The same rows for the key regressor of this notebook, in words (computed, not typed):

# %%
for estimator in ("pooled", "twfe"):  # the summary takes the within (twfe) finding
    display(Markdown(narrative.curve_tests(inference, key_regressor, estimator),
                     metadata=narrative.HEADLINE if estimator == "twfe" else None))

# %% [markdown]
# ## Does one country carry a family?
#
# Per key regressor and estimator: the share of specifications in which one country has
# more than a quarter of the key coefficient's weight, and the country most often so.
# A flagged family's curve rests largely on that country.

# %%
# NBVAL_CHECK_OUTPUT
families = narrative.dominated_families(curve.table)
display(show(families, caption="Families of specifications one country carries"))
display(Markdown(narrative.dominance_sentence(families)))

# %% [markdown]
# ## Which decisions move the curve?
#
# The standardised estimates regressed on each decision's options (outcome, controls,
# estimator, lag, sample, key-regressor family; main effects). Each decision's share is its
# Shapley R-squared: its average gain in R-squared over every order in which the decisions
# can enter (`speccurve.decompose`); the shares add up to the main effects' R-squared, and
# the rest is what the decisions do only together (interactions).

# %%
# NBVAL_CHECK_OUTPUT
decomposition = speccurve.decompose(curve.table)
display(save_table(decomposition, tables_dir / "05_speccurve_decomposition.csv",
                   float_format="%.6g", caption="Which decisions move the curve: Shapley "
                                                "shares of R²"))
display(Markdown(narrative.decomposition_sentence(decomposition)))

# %%
_ = registry.save("spec_curve_decomposition", figures_dir, curve_table=curve.table)

# %% [markdown]
# ## Reading the curve
#
# A result that holds only under pooled OLS, or only for one outcome, is a between-country
# pattern or a data-source artefact, not a robust finding. Compare the pooled OLS and two-way
# FE rows, and the decisions' shares above: how much the estimator split matters is the
# estimator's share of the curve's variance.
#
# ## Limits
#
# * The grid is large but not exhaustive: it holds one named gap per family (Findex has no
#   internet-use gap by income or education, so those families measure paying bills
#   online), and the samples split only by income group.
# * Bootstrap p-values have a floor of 1 / (draws + 1).
# * Specifications share data, so they are not independent tests; the curve shows
#   sensitivity, it does not multiply evidence.
