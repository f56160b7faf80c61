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
# grid is data: `src/divides/data/speccurve_grid.toml`. Coefficients are standardised
# (outcome and regressor z-scored over each specification's sample) so that CPI and WGI
# curves share one axis. Inference on the whole curve: the key regressor is permuted
# between countries as whole blocks (each country keeps its own time path, so serial
# correlation is preserved), the curve is re-estimated, and the observed median and share
# of significant estimates are ranked among the permuted ones. The permuted curves (the
# bulk of the work) are kept in `data/processed/<data>/cache/`, keyed by everything they
# depend on (the estimation data, the observed curve, the seeds and the code), so a re-run
# on unchanged inputs reads them back; the observed curve is always re-estimated.

# %% tags=["parameters"]
data = "demo"
report_dir = ""  # set by `divides run`: this run's output folder
permutations = 39
backend = "serial"
key_regressor = "egdi"

# %%
import divides
from divides import config
from divides.figures import registry
from divides.models import speccurve

panel = divides.load_panel(data)
gaps = divides.load_gaps(data)
figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"
curve = speccurve.run(panel, gaps, backend=backend, permutations=permutations,
                      cache_dir=config.cache_dir(data))
_ = speccurve.write(curve, tables_dir)
print(f"{curve.notes['n_ok']} of {curve.notes['n_specs']} specifications estimated; "
      f"{curve.notes['permutations']} permutations")

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
# permutation p-values of the median and of the share significant.

# %%
# NBVAL_CHECK_OUTPUT
inference = curve.inference
inference.to_csv(tables_dir / "05_speccurve_agreement.csv", index=False, lineterminator="\n",
                 float_format="%.6g")
print(inference.drop(columns=["data_kind"]).round(3).to_string(index=False))

# %% [markdown]
# ## Reading the curve
#
# A result that holds only under pooled OLS, or only for one outcome, is a between-country
# pattern or a data-source artefact, not a robust finding. The estimator split is the one
# that matters most for e-government: compare the `pooled` and `twfe` rows.
#
# ## Limits
#
# * The grid is large but not exhaustive: it holds one gap indicator per dimension (the
#   one with most data), and the samples split only by income group.
# * Permutation p-values have a floor of 1 / (permutations + 1).
# * Specifications share data, so they are not independent tests; the curve shows
#   sensitivity, it does not multiply evidence.
