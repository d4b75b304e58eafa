# Bon Voisin — `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export FLASK_APP := app
# Two test processes (pytest-xdist): the suite fits the time CI gives it on two cores.
PYTEST_ARGS ?= -n 2 --durations=10
# Every Python dependency pinned (run, test and bench extras), for Python 3.11 on Linux:
# `make lock` regenerates it from pyproject.toml (keeping the pins it can; LOCK_ARGS=--upgrade
# moves everything to the newest allowed versions).
LOCK := requirements/constraints.txt
UV_VERSION := 0.13.9
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check -c $(LOCK)

.PHONY: run test install install-test assets translations migrate demo lint format chromium clean \
	lock wheel screens

run: install assets translations migrate demo
	$(BIN)/python app.py

test: install-test assets translations chromium lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$${DATABASE_URL_TEST:-}" ]; then \
	  echo "The same suite on PostgreSQL (DATABASE_URL_TEST), browser tests aside:"; \
	  BV_TEST_DATABASE=postgresql $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS); \
	else \
	  echo "DATABASE_URL_TEST is not set: the suite did not run again on PostgreSQL."; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -e ".[test]"
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run

install-test: $(VENV)/.installed-test

lock: | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --extra test --extra bench --quiet \
	  --python-version 3.11 --python-platform linux --custom-compile-command "make lock" \
	  --output-file $(LOCK) $(LOCK_ARGS)

# A wheel that runs outside the checkout (translations, migrations, front-end files inside).
wheel: assets | $(BIN)/python
	$(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir dist .

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.package-lock.json

translations: install
	$(BIN)/flask translate compile

migrate: install
	$(BIN)/flask db upgrade

demo: install
	$(BIN)/flask demo load

# Screenshots of the resident's home at the six sizes it must fit (docs/screens/*.png).
screens: install-test assets translations chromium
	$(BIN)/python docs/screens/make_screens.py

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache build dist
	find translations -name '*.mo' -delete
