# Talentflow: the one front door. `make run` and `make test` install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
PYTEST_ARGS ?=

.PHONY: install run test test-fast lint format typecheck bench up down clean events-schema

install: $(STAMP)

$(STAMP): constraints.txt requirements-dev.txt $(PACKAGES)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt
	@touch $(STAMP)

run: install  ## the whole suite with a seeded demo tenant; Ctrl-C stops it
	$(BIN)/talentflow-dev run

test: install  ## the whole test suite (embedded PostgreSQL and broker unless *_URL variables say otherwise)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy libs/common/src libs/devstack/src services/*/src bench

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

events-schema: install  ## regenerate docs/events.schema.json from the event models
	$(BIN)/python -m talentflow.common.events.schema > docs/events.schema.json

up:  ## production-like stack in containers (needs a Docker engine)
	docker compose up --build -d

down:
	docker compose down

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
