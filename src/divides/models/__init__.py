"""Models: specs, estimators, tidy tables and the specification curve.

>>> from divides.models import Spec, fit, tidy
>>> # res = fit(panel, Spec("wgi_cc_estimate", ("egdi",), ("log_gdp_pc_ppp",), estimator="twfe"))
"""

from divides.models.estimators import Result, fit
from divides.models.spec import ModelError, Spec, lagged, prepare
from divides.models.tables import side_by_side, tidy, tidy_many, write_tables

__all__ = ["ModelError", "Result", "Spec", "fit", "lagged", "prepare", "side_by_side", "tidy",
           "tidy_many", "write_tables"]
