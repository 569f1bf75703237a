# feedstar: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= .feedstar/data
# One port each, all on 127.0.0.1: the endpoint, the dashboard, `dbt docs serve` (the line
# `make demo` prints), Superset (`make superset`); Airflow's UI keeps its own default, 8080.
PORT ?= 8123
DASHBOARD_PORT ?= 8050
DOCS_PORT ?= 8081
SUPERSET_PORT ?= 8088
# Size of the demo's generated data (1 = ~20k feed DAU, ~51M events over 60 days).
SCALE ?= 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)
export FEEDSTAR_CH_PORT := $(PORT)

.PHONY: install install-test install-airflow test-deps demo superset test lint bench stop serve clean-data

$(BIN)/feedstar: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e .
	touch $@

profiles.yml: profiles.yml.example
	cp profiles.yml.example profiles.yml

install: $(BIN)/feedstar profiles.yml

## The package's [test] extra: pytest, sqlfluff, and what the tests drive (pyproject.toml).
$(VENV)/.test-extra: $(BIN)/feedstar
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $@

install-test: install $(VENV)/.test-extra

## Optional: Airflow for dags/feedstar_daily.py; requirements.lock holds the core's versions.
install-airflow: install
	$(BIN)/pip install -q -c requirements.lock -r requirements-airflow.txt

## Start the embedded ClickHouse endpoint in the background (idempotent).
serve: install
	@bash scripts/start_endpoint.sh "$(DATA_DIR)" "$(PORT)"

## The main job: endpoint, realistic data, dbt build, then what to open next.
demo: serve
	@bash scripts/demo.sh "$(DATA_DIR)" "$(PORT)" "$(DASHBOARD_PORT)" "$(DOCS_PORT)" "$(SCALE)"

## Optional, after `make demo`: Superset 6.1 in its own venv with the feedstar dashboard
## imported, served on 127.0.0.1:$(SUPERSET_PORT) (scripts/superset.sh says what it does).
superset: $(BIN)/feedstar
	@bash scripts/superset.sh "$(patsubst %/,%,$(dir $(DATA_DIR)))" "$(PORT)" "$(SUPERSET_PORT)"

## What the full test suite needs beyond the core: Airflow (DAG tests) and Debian's
## chromium (browser tests; installed with apt when run as root and missing).
test-deps: install-test install-airflow
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will be skipped"; \
	  else echo "no /usr/bin/chromium (apt-get install chromium): browser tests will be skipped"; fi; \
	fi

## All the tests: SQL lint, then pytest (each test starts its own endpoint).
test: test-deps
	$(BIN)/sqlfluff lint models analyses
	$(BIN)/pytest -q tests/python

lint: install-test
	$(BIN)/sqlfluff lint models analyses

bench: install-test
	$(BIN)/python -m bench

## Stop what `make demo` and `make superset` started, by the PIDs they recorded.
stop:
	@bash scripts/stop.sh "$(DATA_DIR)"
