# Two commands set everything up on a fresh clone:  make run  and  make test.
# Both depend on `setup`, which creates .venv and installs the package with its extras
# only when pyproject.toml changed since the last install (a stamp file).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup run test test-fast lab demo build notebooks

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "error: Python 3.11 or newer is required (PYTHON=$(PYTHON))"; exit 1; }
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

## Refresh the committed notebooks: sync the jupytext pairs, then store outputs of a demo run
## (what nbval compares in `make test`).
notebooks: setup
	cd notebooks && ../$(BIN)/jupytext --sync [0-9][0-9]_*.py
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9][0-9]_*.ipynb
	$(BIN)/python -c "from divides.runner import strip_timing; strip_timing()"
	cd notebooks && ../$(BIN)/jupytext --sync [0-9][0-9]_*.ipynb
