"""Specification curve (Simonsohn, Simmons and Nelson 2020) that scales out on dask.

The grid (``data/models/speccurve_grid.toml``): outcome (TI CPI score or WGI control of
corruption: the data source is a specification choice) x key regressor (internet use,
EGDI, OSI, each gap measure) x controls set x estimator (pooled, two-way FE) x lag
(0, 1, 2 years, exact rule of spec.py) x sample (all, each income group). Each spec
is estimated by listwise deletion on its own variables.

What this adds to R specr / speccurvieR and Python specification_curve / robustipy:

* two-way fixed effects (country and year) inside the grid, with clustered errors of
  the same convention as the reference estimator (estimators.py);
* inference on the whole curve with the null imposed (Simonsohn et al. 2020: y* = y -
  b x in every spec), by a wild cluster bootstrap whose country weights are shared by all
  specs of a draw, so the dependence between specs is kept while each spec's sample and
  design stay fixed (:func:`curve_inference`); Romano-Wolf adjusted p-values across the
  key regressors; a per-spec WCR wild bootstrap p-value where countries are few. The
  earlier country-block permutation of the key regressor alone is gone: it tested
  "x independent of (y, controls)", not "b = 0 given the controls", and over-rejected
  when x is correlated with a control;
* data choices as dimensions: the outcome source (TI CPI vs WGI) in the grid, and the
  ASAN treatment year (2012 vs 2013) x outcome in ``case_specs.csv`` (models/case.py),
  which ``divides specs`` writes beside the curve;
* demeaning cached across specifications that share an estimation sample (same rows):
  the country-demeaned year-dummy basis and every demeaned column are computed once
  per sample (:class:`CurveEngine`), and reused by every bootstrap draw.

Engine. Pooled and TWFE are computed in numpy: TWFE by Frisch-Waugh-Lovell (demean by
country, then project out the country-demeaned year dummies), which is exact on
unbalanced panels, with the CR1 clustered errors and t(df_resid) of estimators.py; the
tests check it against linearmodels PanelOLS / PooledOLS and pyfixest. ``engine=
"pyfixest"`` or ``"linearmodels"`` route the same grid through those libraries instead
(benchmarks/specs_bench.py times all three).

Backends: ``serial``, ``processes`` (a local process pool) or ``dask`` (a
dask.distributed client at ``scheduler``, or a LocalCluster). Every backend gives the
same table (specs are sorted by ``spec_id``; results do not depend on the order in
which specs are computed).

Modules: :mod:`.grid` (the validated grid), :mod:`.engine` (estimates and draws, backends),
:mod:`.inference` (curve statistics and p-values), :mod:`.decompose` (the
curve's variance by decision), :mod:`.run` (the whole curve, tables),
:mod:`.stage` (the curve stored per build, grid and draws: :func:`load`);
the figure adapter is ``divides.figures.speccurve``, the command ``divides specs`` in cli.
"""

from divides.models.speccurve.decompose import DECISIONS, REST, decompose
from divides.models.speccurve.engine import (
                                             ABSORBED,
                                             ENGINES,
                                             Backend,
                                             CurveEngine,
                                             Payload,
                                             chunks,
                                             estimate_with_library,
                                             make_payload,
                                             run_chunk,
                                             run_null_chunk,
)
from divides.models.speccurve.grid import (
                                             CURVE_ESTIMATORS,
                                             GAP_FAMILY_FIELDS,
                                             GRID_TOML,
                                             SpecRow,
                                             analysis_frame,
                                             enumerate_specs,
                                             gap_columns,
                                             gap_family_labels,
                                             key_regressors,
                                             load_grid,
                                             sample_masks,
                                             validate_grid,
)
from divides.models.speccurve.inference import P_COLUMNS, curve_inference, curve_summary
from divides.models.speccurve.run import (
    LEVERAGE_NOTE,
    P_SPEC_NOTE,
    STD_NOTE,
    TABLE_COLUMNS,
    SpecCurve,
    publisher_sources,
    run,
    write,
)
from divides.models.speccurve.stage import load

__all__ = [
                                             "ABSORBED",
                                             "CURVE_ESTIMATORS",
                                             "DECISIONS",
                                             "ENGINES",
                                             "GAP_FAMILY_FIELDS",
                                             "GRID_TOML",
                                             "LEVERAGE_NOTE",
                                             "P_COLUMNS",
                                             "P_SPEC_NOTE",
                                             "REST",
                                             "STD_NOTE",
                                             "TABLE_COLUMNS",
                                             "Backend",
                                             "CurveEngine",
                                             "Payload",
                                             "SpecCurve",
                                             "SpecRow",
                                             "analysis_frame",
                                             "chunks",
                                             "curve_inference",
                                             "curve_summary",
                                             "decompose",
                                             "enumerate_specs",
                                             "estimate_with_library",
                                             "gap_columns",
                                             "gap_family_labels",
                                             "key_regressors",
                                             "load",
                                             "load_grid",
                                             "make_payload",
                                             "publisher_sources",
                                             "run",
                                             "run_chunk",
                                             "run_null_chunk",
                                             "sample_masks",
                                             "validate_grid",
                                             "write",
]
