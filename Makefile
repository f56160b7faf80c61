# Two commands set everything up on a fresh clone:  make run  and  make test.
# Both depend on `setup`, which creates .venv and installs every package from the lock
# (requirements.lock: exact versions with hashes, Python 3.11 on Linux), then the project
# itself without dependencies; only when pyproject.toml or the lock changed since the last
# install (a stamp file). `make setup LOCKED=0` installs from pyproject's ranges instead.
# `make lock` refreshes the lock after a dependency is added to pyproject.toml (existing pins
# are kept); `make lock-upgrade` moves every pin to the newest version the ranges allow.

comma  := ,
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
LOCK   := requirements.lock
LOCKED ?= 1
# The extras that setup installs and the lock covers (the lock test reads them from here).
EXTRAS := dev scale
UV     ?= $(shell test -x $(BIN)/uv && echo $(BIN)/uv || command -v uv)
UV_COMPILE = $(UV) pip compile pyproject.toml $(addprefix --extra ,$(EXTRAS)) \
	--python-version 3.11 --python-platform linux --generate-hashes \
	--annotation-style line --custom-compile-command "make lock" -o $(LOCK)

.PHONY: setup run test test-fast lab demo build notebooks lock lock-upgrade

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "error: Python 3.11 or newer is required (PYTHON=$(PYTHON))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifeq ($(LOCKED),1)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
else
	$(BIN)/python -m pip install --quiet -e ".[$(subst $() ,$(comma),$(EXTRAS))]"
endif
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name divides --display-name "Python (divides)" >/dev/null
	touch $(STAMP)

## The main job: every notebook on the bundled demo data, into reports/demo/.
run: setup
	$(BIN)/divides run --data demo

## The layer contracts (import-linter, pyproject's [tool.importlinter]), then all test tiers
## (integration tests skip cleanly when ../shared is absent).
test: setup
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m unit $(PYTEST_ARGS)

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

demo: setup
	$(BIN)/divides demo

build: setup
	$(BIN)/divides build --data demo

## Refresh the committed notebooks: sync the jupytext pairs, then store outputs of a demo run
## (what nbval compares in `make test`).
notebooks: setup
	cd notebooks && ../$(BIN)/jupytext --sync [0-9][0-9]_*.py
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9][0-9]_*.ipynb
	$(BIN)/python -c "from divides.run.notebooks import strip_timing; strip_timing()"
	cd notebooks && ../$(BIN)/jupytext --sync [0-9][0-9]_*.ipynb

## Refresh requirements.lock from pyproject.toml (keeps the pins it has; adds what is new).
lock:
	@test -n "$(UV)" || { echo "error: uv not found: run make setup (it installs uv) or pip install uv"; exit 1; }
	$(UV_COMPILE)

## Move every pin to the newest version pyproject's ranges allow (then re-run the notebooks).
lock-upgrade:
	@test -n "$(UV)" || { echo "error: uv not found: run make setup (it installs uv) or pip install uv"; exit 1; }
	$(UV_COMPILE) --upgrade
