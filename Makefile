# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The graphql-http server audit (npm) that the tests run against a live server.
AUDIT := tests/http-audit
AUDIT_STAMP := $(AUDIT)/node_modules/.installed-stamp

.PHONY: run test lint schema bench clean-venv

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

$(AUDIT_STAMP): $(AUDIT)/package.json $(AUDIT)/package-lock.json
	npm ci --prefix $(AUDIT) --no-audit --no-fund
	touch $(AUDIT_STAMP)

## Serve Leadflow with SQLite and the demo on http://127.0.0.1:$${LEADFLOW_PORT:-8000}
run: $(STAMP)
	$(BIN)/leadflow serve --demo

## Lint, check the committed schema, run every test (PostgreSQL too when
## LEADFLOW_TEST_POSTGRES_URL is set, as .ci/run does)
test: $(STAMP) $(AUDIT_STAMP) lint
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench

## Regenerate schema.graphql from the code
schema: $(STAMP)
	$(BIN)/leadflow export-schema > schema.graphql

## Benchmark the leads page against a raw SQL floor (see bench/README.md)
bench: $(STAMP)
	$(BIN)/python bench/leads_page.py

## Re-pin requirements.lock after changing pyproject.toml
lock:
	rm -rf /tmp/leadflow-lock && $(PYTHON) -m venv /tmp/leadflow-lock
	/tmp/leadflow-lock/bin/pip install -q ".[dev]"
	/tmp/leadflow-lock/bin/pip freeze --exclude leadflow | grep -v '^-e' > requirements.lock
