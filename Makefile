# Onramp — every target installs what it needs from the lock file first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(PYTHON) -m uv
PG_URL ?= postgres://postgres@127.0.0.1:5432
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell command -v $(PYTHON))
# Bytecode compiled at install: a process starts without compiling ~500 modules (about 1 s of
# CPU here, where PYTHONDONTWRITEBYTECODE is set and Python never caches it itself).
export UV_COMPILE_BYTECODE := 1

.PHONY: help install demo test test-sqlite test-postgres bench lint fmt chromium dns-server axe clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml uv.lock Makefile
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --locked
	@touch $@

install: $(VENV)/.installed ## create .venv and install from the lock file

chromium: ## Debian's chromium for the browser tests (installed when missing and root)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: apt-get install chromium (as root)"; exit 1; fi; \
	fi

dns-server: ## Debian's Knot, the authoritative DNS server the DNS-backend tests start (installed when missing and root)
	@if [ ! -x /usr/sbin/knotd ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends knot >/dev/null; \
	  else echo "knot is missing: apt-get install knot (as root)"; exit 1; fi; \
	fi

AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is missing: apt-get install npm (as root)"; exit 1; fi; \
	fi
	npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

axe: $(AXE) ## axe-core for the accessibility tests, from tests/browser/package-lock.json (npm)

demo: install ## run the demo: web, worker, sandbox and mailbox in one process tree (PORT=8000)
	$(VENV)/bin/onramp demo --port $(PORT)

test: install chromium dns-server axe ## the whole suite on SQLite, then on PostgreSQL
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# The fleet tests bring their own PostgreSQL database whatever the suite's, so they run once,
# in the PostgreSQL pass.
test-sqlite: install axe
	ONRAMP_DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(PY) -m pytest -q -m "not fleet"

test-postgres: install axe ## the suite on a throwaway PostgreSQL database (created and dropped by the run)
	ONRAMP_DATABASE_URL=$(PG_URL)/onramp_$$$$ $(PY) -m pytest -q

bench: install ## benchmarks (JSON on stdout)
	@cd bench && for script in [!_]*.py; do ../$(PY) $$script; done

lint: install ## ruff and mypy
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src/onramp/m365 src/onramp/sandbox

fmt: install ## format the code
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var
