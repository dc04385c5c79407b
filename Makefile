# timetable studio — the whole set-up is `make test` (or `make demo`) on a fresh machine
# (Debian, Python 3.11). Everything is installed from uv.lock; nothing is resolved anew.
#
#   make test    environment + Chromium (when root), ruff (a lint error fails it), then the test suite
#   make demo    environment + demo database, then the Panel apps on http://localhost:$(PORT)/
#                (sign in as admin, planner, viewer, teacher, head, head-<department> or registrar;
#                password "demo")
#   make lint    ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade; settings in pyproject.toml)
#   make bench   quick benchmarks
#   make clean   remove the environment, caches, databases and test artifacts
#
# Variables (make VAR=value): VENV, EXTRAS, PYTHON, PORT, DEMO_DB, DEMO_CREDENTIALS, PYTEST_ARGS.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# A failed recipe must not leave a half-made target (a partial demo database, a stale stamp).
.DELETE_ON_ERROR:
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV ?= .venv
# The extras of pyproject.toml to install. `uv sync` is exact — an extra not named here is
# uninstalled — so this is the one place that lists them (GPU: make test EXTRAS="dev gpu").
EXTRAS ?= dev
PORT ?= 5006
DEMO_DB ?= data/demo.duckdb
# Panel --basic-auth credentials of the demo accounts (one per role, password "demo"; git-ignored data/)
DEMO_CREDENTIALS ?= data/demo-credentials.json
PYTEST_ARGS ?=

# uv: the one on PATH, else a private copy installed from PyPI into build/tools/uv.
# (`pip install --target` works with a Debian system Python too, which refuses plain installs.)
UV_TOOLS := build/tools/uv
UV_ON_PATH := $(shell command -v uv 2>/dev/null)
ifeq ($(strip $(UV_ON_PATH)),)
UV := $(UV_TOOLS)/bin/uv
UV_DEP := $(UV)
else
UV := $(UV_ON_PATH)
UV_DEP :=
endif

# The stamp is remade when pyproject.toml or uv.lock change, and also when it records other
# extras than EXTRAS (e.g. after `make test EXTRAS="dev gpu"`).
SYNC_STAMP := $(VENV)/.synced
ifneq ($(strip $(shell cat $(SYNC_STAMP) 2>/dev/null)),$(strip $(EXTRAS)))
.PHONY: $(SYNC_STAMP)
endif

# Apps served by `make demo`: every apps/*.py (their helpers live in the package apps/ui/, which
# neither `panel serve apps/*.py` nor `panel serve apps/` serves). Serving the files gives one page
# per app, the studio's landing page at /main (where sign-in leads) and Panel's index at /.
APPS := $(sort $(wildcard apps/*.py))

.PHONY: test demo bench clean env browser lint

env: $(SYNC_STAMP)

$(SYNC_STAMP): pyproject.toml uv.lock $(UV_DEP)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked $(addprefix --extra ,$(EXTRAS))
	echo '$(strip $(EXTRAS))' > $@

$(UV_TOOLS)/bin/uv:
	echo "uv is not on PATH: installing it from PyPI into $(UV_TOOLS)"
	if ! $(PYTHON) -m pip --version >/dev/null 2>&1; then \
	  echo "error: $(PYTHON) has no pip; install it (apt-get install python3-pip) or install uv" \
	       "(https://docs.astral.sh/uv/) and run make again" >&2; exit 1; fi
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
	  --target $(UV_TOOLS) uv
	touch $@

browser:
	scripts/install-browser.sh

lint: $(SYNC_STAMP)
	$(VENV)/bin/ruff check .

test: $(SYNC_STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

$(DEMO_DB): | $(SYNC_STAMP)
	mkdir -p $(@D)
	$(VENV)/bin/tt demo build --out $@

$(DEMO_CREDENTIALS): $(DEMO_DB)
	$(VENV)/bin/tt users demo --db $(DEMO_DB) --credentials $@

# Signed in (apps/ui/server_setup.py refuses unsafe settings, throttles wrong passwords and starts the
# job runner with the server); a new cookie secret per run signs everyone out.
demo: $(SYNC_STAMP) $(DEMO_DB) $(DEMO_CREDENTIALS)
	if [[ -z "$(APPS)" ]]; then echo "error: no apps to serve in apps/*.py" >&2; exit 1; fi
	echo "demo login: admin, planner, viewer, teacher, head, head-<department> or registrar; password: demo"
	TT_DB=$(DEMO_DB) $(VENV)/bin/panel serve $(APPS) --port $(PORT) \
	  --allow-websocket-origin=localhost:$(PORT) --allow-websocket-origin=127.0.0.1:$(PORT) \
	  --setup apps/ui/server_setup.py --basic-auth $(DEMO_CREDENTIALS) \
	  --cookie-secret "$$($(VENV)/bin/python -c 'import secrets; print(secrets.token_hex(32))')"

bench: $(SYNC_STAMP)
	$(VENV)/bin/python benchmarks/evaluator.py

clean:
	$(if $(strip $(VENV)),,$(error VENV is empty))
	rm -rf -- $(VENV) $(UV_TOOLS) .pytest_cache .hypothesis test-artifacts dask-worker-space
	rm -f -- data/*.duckdb data/*.duckdb.wal $(DEMO_CREDENTIALS)
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf -- {} +
