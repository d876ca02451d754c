# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The graphql-http server audit (npm) that the tests run against a live server.
AUDIT := tests/http-audit
AUDIT_STAMP := $(AUDIT)/node_modules/.installed-stamp
# axe-core (npm), which the browser tests inject into every screen (tests/e2e/axe.py).
E2E := tests/e2e
E2E_STAMP := $(E2E)/node_modules/.installed-stamp
# The web app (frontend/): built into the package's static folder, which `leadflow serve` serves.
WEB := frontend
WEB_STAMP := $(WEB)/node_modules/.installed-stamp
WEB_BUILD := backend/leadflow/static/index.html
WEB_SOURCES := $(shell find $(WEB)/src -type f 2>/dev/null) $(WEB)/index.html \
	$(WEB)/playground.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json $(WEB)/package-lock.json \
	$(wildcard backend/leadflow/i18n/*.json)
# The browser tests drive Debian's Chromium; Playwright cannot download browsers here.
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint schema bench clean-venv web web-check web-codegen chromium
.PHONY: mutation

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

$(AUDIT_STAMP): $(AUDIT)/package.json $(AUDIT)/package-lock.json
	npm ci --prefix $(AUDIT) --no-audit --no-fund
	touch $(AUDIT_STAMP)

$(E2E_STAMP): $(E2E)/package.json $(E2E)/package-lock.json
	npm ci --prefix $(E2E) --no-audit --no-fund
	touch $(E2E_STAMP)

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --no-audit --no-fund
	touch $(WEB_STAMP)

# Rebuilt only when a source of the web app changed.
$(WEB_BUILD): $(WEB_STAMP) $(WEB_SOURCES)
	npm run --prefix $(WEB) build

## Build the web app into backend/leadflow/static/
web: $(WEB_BUILD)

## Check the web app: generated GraphQL types match schema.graphql, types check, unit tests
web-check: $(WEB_STAMP)
	npm run --prefix $(WEB) codegen:check
	npm run --prefix $(WEB) typecheck
	npm run --prefix $(WEB) test

## Regenerate frontend/src/gql/ after changing a query or schema.graphql
web-codegen: $(WEB_STAMP)
	npm run --prefix $(WEB) codegen

## Install Debian's Chromium for the browser tests when it is missing (they skip without it)
chromium:
	@test -x $(CHROMIUM) || { apt-get update -q && apt-get install -y -q chromium; } \
		|| echo "Chromium could not be installed: the browser tests will be skipped."

## Serve Leadflow with SQLite and the demo on http://127.0.0.1:$${LEADFLOW_PORT:-8000}
run: $(STAMP) $(WEB_BUILD)
	$(BIN)/leadflow serve --demo

## Lint, check the committed schema and the web app, build it, run every test, the browser
## tests included (PostgreSQL too when LEADFLOW_TEST_POSTGRES_URL is set, as .ci/run does).
## Two pytest-xdist workers, one per core: each has its own session templates and databases,
## and live servers take free ports. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
test: $(STAMP) $(AUDIT_STAMP) $(E2E_STAMP) lint web-check $(WEB_BUILD) chromium
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

## Lint and format check (ruff), type check of backend/ (mypy, configured in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy

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

## Mutation testing of services/ and auth/ with mutmut (configured in pyproject.toml). All of it
## takes hours; results stay in .mutmut/ (mutmut.log, mutmut results) and a rerun tests what has
## no result yet. MUTANTS (re)tests the mutants it names, e.g. half an hour on 2 cores for
## make mutation MUTANTS='leadflow.auth.policy.* leadflow.services.opportunities.*'
MUTANTS ?=
mutation: $(STAMP)
	mkdir -p .mutmut
	ln -sfn ../backend .mutmut/src
	ln -sfn ../tests .mutmut/tests
	ln -sf ../pyproject.toml ../schema.graphql .mutmut/
	cd .mutmut && ../$(BIN)/mutmut run $(foreach glob,$(MUTANTS),'$(glob)') > mutmut.log 2>&1 \
		|| { tail -n 40 mutmut.log; exit 1; }
	@cd .mutmut && ../$(BIN)/mutmut results --all true | awk -F': ' \
		'{ m = $$1; sub(/^ +/, "", m); sub(/\.x(_|ǁ).*/, "", m); n[m]++; c[m, $$2]++ } \
		END { printf "%-36s %7s %6s %6s %8s %5s %8s\n", "module", "mutants", "tested", "killed", \
		"survived", "other", "survival"; for (m in n) { t = n[m] - c[m, "not checked"]; \
		k = c[m, "killed"]; s = c[m, "survived"]; if (t) printf "%-36s %7d %6d %6d %8d %5d %7.1f%%\n", \
		m, n[m], t, k, s, t - k - s, 100 * s / t } }'
	@echo "Surviving mutants: cd .mutmut && ../$(BIN)/mutmut results; one of them: ../$(BIN)/mutmut show NAME"
