# Two commands set everything up on a fresh clone:  make run  and  make test.
# Both depend on `setup`, which creates .venv and installs the package with its extras
# only when pyproject.toml changed since the last install (a stamp file).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup run test test-fast lab demo build clean-processed

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,scale]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name divides --display-name "Python (divides)" >/dev/null
	touch $(STAMP)

## The main job: every notebook on the bundled demo data, into reports/demo/.
run: setup
	$(BIN)/divides run --data demo

## All test tiers (integration tests skip cleanly when ../shared is absent).
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m unit $(PYTEST_ARGS)

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

demo: setup
	$(BIN)/divides demo

build: setup
	$(BIN)/divides build --data demo
