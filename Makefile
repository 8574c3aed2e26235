# Tessera — the two commands a newcomer needs are `make serve` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser-deps serve test test-fast lint bench bench-search clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11+)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## install: create .venv/ and install Tessera with its dev dependencies
install: $(STAMP)

## browser-deps: Debian's Chromium (as root, when missing) and axe-core for the browser tests
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  chromium fonts-dejavu-core >/dev/null; } \
	  || echo "chromium is not installed: browser tests skip (outside CI)"
	@[ -f tests/_artifacts/node/node_modules/axe-core/axe.min.js ] \
	  || npm install --silent --no-audit --no-fund --prefix tests/_artifacts/node axe-core@4 \
	  || echo "axe-core is not installed: browser tests skip (outside CI)"

## serve: install, migrate and start Tessera on http://127.0.0.1:8000, printing a secret URL
serve: install
	$(BIN)/tessera migrate
	$(BIN)/tessera serve --no-migrate

## test: install and run the whole suite (PostgreSQL, Redis and S3 variants where available)
test: install browser-deps
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(BIN)/mypy src
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## test-fast: the suite without end-to-end server tests
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

## bench: run the benchmarks (median ms and ratios to an in-process baseline)
bench: install
	$(BIN)/python -m bench

## bench-search: search over 100,000 generated images on SQLite and PostgreSQL (median, p95 ms)
bench-search: install
	$(BIN)/python -m bench.search

clean:
	rm -rf $(VENV) var .pytest_cache tests/_artifacts
