# Safe Passage. Two commands are the contract: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# One stamp per requirements file: `make run` installs the runtime only, the checks the dev tools
# too; each is redone only when its file changes. requirements-dev.txt includes requirements.txt.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
# Extra pytest arguments for `make test-fast`, e.g. `make test-fast ARGS=tests/vault`.
ARGS ?=

.PHONY: run test test-fast setup setup-dev bench lint format messages clean

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PIP) -r requirements.txt
	touch $@

# The dev install is a superset of the runtime one, so it stamps both.
$(DEV_STAMP): requirements-dev.txt requirements.txt | $(PY)
	$(PIP) -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

## What production runs (requirements.txt)
setup: $(RUNTIME_STAMP)

## The runtime plus the test and lint tools (requirements-dev.txt)
setup-dev: $(DEV_STAMP)

## Set up and serve the site with demo data on http://127.0.0.1:8000
run: setup
	SAFE_PASSAGE_ENV=development scripts/run.sh

## Set up and run every check and test (SQLite, then PostgreSQL, then the browser tests)
test: setup-dev
	scripts/test.sh

## The edit loop: SQLite only, no browser or install tests, stop at the first failure (not the contract)
test-fast: setup-dev
	env -u DATABASE_URL -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest -q -x -m "not browser and not install" $(ARGS)

## Load and scale benchmarks (never part of `make test`); figures go to bench/RESULTS.md
bench: setup-dev
	scripts/bench.sh

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Re-extract and compile translations for every app
messages: setup
	scripts/messages.sh

clean:
	rm -rf $(VENV) staticfiles
