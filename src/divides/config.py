"""Every path the project uses, and nothing else.

No other module builds a path from ``__file__``: they ask this module. Paths are relative
to the project root (the folder holding ``pyproject.toml``), so a clone works anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Project root when running from a source checkout (src layout: <root>/src/divides).
PROJECT_ROOT = PACKAGE_DIR.parent.parent

#: Data that is data (catalogues, aliases, excluded aggregates, settings), one folder per
#: layer that reads it. Only ``data/build/`` is in the build's code key: editing a model,
#: figure, report or demo setting never rebuilds the panel.
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
BUILD_DATA_DIR = PACKAGE_DATA_DIR / "build"
INDICATORS_CSV = BUILD_DATA_DIR / "indicators.csv"
#: The column registry: one row per panel and gaps column (label, unit, sources, definition,
#: figure label, role); build, codebook, figures and models read it through ``catalogue``.
COLUMNS_CSV = BUILD_DATA_DIR / "columns.csv"
#: One row per source: publisher, citation, url, licence, BibTeX fields, figure footer label.
SOURCES_CSV = PACKAGE_DATA_DIR / "sources.csv"
#: Front matter of the report's PDF (title, authors, abstract); a run folder's report.toml wins.
FRONT_MATTER_TOML = PACKAGE_DATA_DIR / "report" / "front_matter.toml"
AGGREGATES_CSV = BUILD_DATA_DIR / "aggregates.csv"
COUNTRIES_CSV = BUILD_DATA_DIR / "countries.csv"
ALIASES_DIR = BUILD_DATA_DIR / "countries"
GAP_DEFINITIONS_CSV = BUILD_DATA_DIR / "gap_definitions.csv"
FILE_PRIORITY_CSV = BUILD_DATA_DIR / "file_priority.csv"
PANEL_RULES_CSV = BUILD_DATA_DIR / "panel_rules.csv"
RELEASES_CSV = BUILD_DATA_DIR / "releases.csv"
RANGE_EXCEPTIONS_CSV = BUILD_DATA_DIR / "range_exceptions.csv"
FINDEX_GROUPS_CSV = BUILD_DATA_DIR / "findex_groups.csv"
FINDEX_DATABASE_GROUPS_CSV = BUILD_DATA_DIR / "findex_database_groups.csv"
DATA360_DIMENSIONS_CSV = BUILD_DATA_DIR / "data360_dimensions.csv"
NATURAL_EARTH_DIR = BUILD_DATA_DIR / "natural_earth"
ACQUIRE_DATA_DIR = PACKAGE_DATA_DIR / "acquire"
DOWNLOADS_CSV = ACQUIRE_DATA_DIR / "downloads.csv"
PUBLISHERS_CSV = ACQUIRE_DATA_DIR / "publishers.csv"
MODELS_DATA_DIR = PACKAGE_DATA_DIR / "models"
CASE_DONORS_CSV = MODELS_DATA_DIR / "case_donors.csv"
SPECCURVE_GRID_TOML = MODELS_DATA_DIR / "speccurve_grid.toml"
REPORT_DATA_DIR = PACKAGE_DATA_DIR / "report"
COMPARABILITY_BREAKS_CSV = REPORT_DATA_DIR / "comparability_breaks.csv"
FILE_WARNINGS_CSV = REPORT_DATA_DIR / "file_warnings.csv"
SERIES_ORIGINS_CSV = REPORT_DATA_DIR / "series_origins.csv"
DEMO_DATA_DIR = PACKAGE_DATA_DIR / "demo"
DEMO_PARAMS_TOML = DEMO_DATA_DIR / "demo_params.toml"
DEMO_COUNTRIES_CSV = DEMO_DATA_DIR / "demo_countries.csv"
#: The demo generator's code (its checksum marks a demo folder as current or stale).
DEMO_PACKAGE_DIR = PACKAGE_DIR / "demo"

DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
DEMO_RAW_DIR = RAW_DIR / "demo"
#: Where ``divides fetch`` downloads the publishers' files (laid out like ../shared/data/real).
FETCHED_RAW_DIR = RAW_DIR / "real"
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TESTS_DIR = PROJECT_ROOT / "tests"

REAL_DIR_ENV = "DIVIDES_REAL_DIR"
_SHARED_REAL_DIR = PROJECT_ROOT.parent / "shared" / "data" / "real"


def real_dir() -> Path | None:
    """The folder of real published files, or None when there is none.

    ``$DIVIDES_REAL_DIR`` wins; else ``../shared/data/real`` beside the project when it
    exists; else ``data/raw/real`` when ``divides fetch`` has filled it.
    """
    env = os.environ.get(REAL_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    for candidate in (_SHARED_REAL_DIR, FETCHED_RAW_DIR):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    return None


def raw_dir(data: str) -> Path:
    """Raw input folder for a data kind: ``demo`` or ``real``."""
    if data == "demo":
        return DEMO_RAW_DIR
    if data == "real":
        found = real_dir()
        if found is None:
            raise FileNotFoundError(
                f"no real data folder: set ${REAL_DIR_ENV}, put the files in {_SHARED_REAL_DIR}, "
                f"or run `divides fetch` to download them into {FETCHED_RAW_DIR}"
            )
        if not found.is_dir():
            raise FileNotFoundError(f"real data folder {found} (from ${REAL_DIR_ENV}) does not "
                                    "exist")
        return found
    raise ValueError(f"data must be 'demo' or 'real', got {data!r}")


def processed_dir(data: str) -> Path:
    """Derived tables for a data kind (``data/processed/<data>``)."""
    return PROCESSED_DIR / data


def reports_dir(data: str) -> Path:
    """Figures, tables, executed notebooks and the HTML report for a data kind."""
    return REPORTS_DIR / data


def notebook_output_dir(data: str, report_dir: str = "") -> Path:
    """Where a notebook writes figures/ and tables/: the runner's folder for it when given
    (``report_dir`` parameter, set by ``divides run``), else the scratch folder
    ``reports/<data>/lab/`` (a notebook run by hand, e.g. in JupyterLab, never writes into
    a pipeline run's folder, whose files ``run.json`` and the report list)."""
    return Path(report_dir) if report_dir else reports_dir(data) / "lab"
