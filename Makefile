# Safe Passage. Two commands are the contract: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: run test setup bench lint format messages clean

$(VENV)/.installed: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(VENV)/.installed

## Set up and serve the site with demo data on http://127.0.0.1:8000
run: setup
	SAFE_PASSAGE_ENV=development scripts/run.sh

## Set up and run every check and test (SQLite, then PostgreSQL, then the browser tests)
test: setup
	scripts/test.sh

## Load and scale benchmarks (never part of `make test`); figures go to bench/RESULTS.md
bench: setup
	scripts/bench.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Re-extract and compile translations for every app
messages: setup
	scripts/messages.sh

clean:
	rm -rf $(VENV) staticfiles
