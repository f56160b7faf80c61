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
# 2020): in every specification the outcome is replaced by y* = y - b x, which makes that
# specification's estimate exactly zero; a wild cluster bootstrap then redraws y* with one
# Rademacher weight per country, the same weight in every specification of a draw, so the
# dependence between specifications is kept while each one keeps its own sample and design.
# The observed median and share of significant estimates are ranked among the draws;
# Romano-Wolf p-values adjust for testing several key regressors. Specifications with
# fewer than 30 countries also carry a wild-bootstrap p-value of their own (`p_wild`).

# %% tags=["parameters"]
data = "demo"
draws = 999  # kind: number >= 0
report_dir = ""  # set by `divides run`: this run's output folder
backend = "serial"  # kind: choice: serial|processes|dask
key_regressor = "egdi"  # kind: speccurve_regressor

# %%
from divides import config
from divides.figures import registry
from divides.models import speccurve

figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"
# the curve of the current build (stored by the pipeline's `specs` step, else estimated now)
curve = speccurve.load(data, draws=draws, backend=backend)
_ = speccurve.write(curve, tables_dir)
print(f"{curve.notes['n_ok']} of {curve.notes['n_specs']} specifications estimated; "
      f"{curve.notes['draws']} null-imposed bootstrap draws")
for column, what in curve.notes["gap_columns"].items():
    print(f"{column}: {what}")
for column, why in curve.notes["gap_missing"].items():
    print(f"{column}: left out ({why})")

# %% [markdown]
# ## The curve for e-government

# %%
_ = registry.save("spec_curve", figures_dir, curve_table=curve.table,
                  key_regressor=key_regressor)

# %% [markdown]
# ## What share of specifications agree?
#
# Per key regressor and estimator: the median standardised coefficient, the share of
# specifications significantly positive and significantly negative at 5 %, and the
# null-imposed bootstrap p-values of the median and of the share significant, unadjusted and
# Romano-Wolf adjusted across the key regressors (`_rw`).

# %%
# NBVAL_CHECK_OUTPUT
inference = curve.inference
inference.to_csv(tables_dir / "05_speccurve_agreement.csv", index=False, lineterminator="\n",
                 float_format="%.6g")
print(inference.drop(columns=["data_kind"]).round(3).to_string(index=False))

# %% [markdown]
# The same rows for the key regressor of this notebook, in words (computed, not typed):

# %%
rows = inference.set_index(["key_regressor", "estimator"])
for estimator in ("pooled", "twfe"):
    if (key_regressor, estimator) not in rows.index:
        print(f"{key_regressor}, {estimator}: no estimable specification")
        continue
    r = rows.loc[(key_regressor, estimator)]
    print(f"{key_regressor}, {estimator}: median standardised estimate {r.median_coef_std:.3f} "
          f"over {r.n_specs} specifications; null-imposed p = {r.p_median:.3f} (Romano-Wolf "
          f"across key regressors {r.p_median_rw:.3f}); share significant in its direction "
          f"{max(r.share_sig_pos, r.share_sig_neg):.2f}, p = {r.p_share_sig:.3f}")

# %% [markdown]
# ## Reading the curve
#
# A result that holds only under pooled OLS, or only for one outcome, is a between-country
# pattern or a data-source artefact, not a robust finding. The estimator split is the one
# that matters most for e-government: compare the `pooled` and `twfe` rows.
#
# ## Limits
#
# * The grid is large but not exhaustive: it holds one named gap per family (Findex has no
#   internet-use gap by income or education, so those families measure paying bills
#   online), and the samples split only by income group.
# * Bootstrap p-values have a floor of 1 / (draws + 1).
# * Specifications share data, so they are not independent tests; the curve shows
#   sensitivity, it does not multiply evidence.
