# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export REGISTRUM_HOME ?= $(CURDIR)/var
# Both scales by default (figures of the second end in _1m); BENCH_SCALE=100000 runs the first only.
BENCH_SCALE ?= 100000,1000000
BENCH_JSON ?=

.PHONY: run serve test lint check-lint pytest pytest-postgres bench venv dev-venv locks system-deps messages clean

# The environment (devtools/bootstrap.sh): .venv made with `python3 -m venv` (python3-venv installed
# from Debian when missing), pip installs the hashed tools of requirements-bootstrap.txt into it
# (uv, setuptools), then uv syncs it exactly to the hashed locks:
#   requirements.lock      what production runs: the [project] dependencies; `make run` syncs this only
#   requirements-dev.lock  the same pins plus the test and lint tools; `make test`, `lint`, `bench`
# To regenerate the locks after changing pyproject.toml or requirements-bootstrap.in: `make locks`.
# It keeps every pin it can (uv prefers the versions already in the files); to upgrade one package
# add e.g. LOCK_FLAGS="--upgrade-package django", or LOCK_FLAGS=--upgrade for all. The dev lock is
# compiled with the production lock as constraints, so the pins they share are identical.
VENV_INPUTS := requirements-bootstrap.txt requirements.lock pyproject.toml devtools/bootstrap.sh
$(VENV)/.synced-prod: $(VENV_INPUTS)
	@devtools/bootstrap.sh prod
$(VENV)/.synced-dev: $(VENV_INPUTS) requirements-dev.lock
	@devtools/bootstrap.sh dev

venv: $(VENV)/.synced-prod
dev-venv: $(VENV)/.synced-dev

LOCK_FLAGS ?=
COMPILE = $(VENV)/bin/uv pip compile -q --generate-hashes --python-version 3.11 --custom-compile-command "make locks" $(LOCK_FLAGS)
locks:
	@devtools/bootstrap.sh tools
	$(COMPILE) requirements-bootstrap.in -o requirements-bootstrap.txt
	$(COMPILE) pyproject.toml -o requirements.lock
	$(COMPILE) pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock

run: venv
	@devtools/system-deps.sh run
	$(VENV)/bin/registrum init
	$(VENV)/bin/registrum demo
	$(VENV)/bin/registrum serve

system-deps:
	@devtools/system-deps.sh

lint: dev-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy registrum devtools bench tests
	$(VENV)/bin/lint-imports

# The whole suite on SQLite, then everything that touches the database again on a real
# PostgreSQL server started on loopback for the run and removed after it.
test: dev-venv system-deps lint
	REGISTRUM_HOME=$$(mktemp -d) $(VENV)/bin/pytest
	REGISTRUM_HOME=$$(mktemp -d) $(PY) -m devtools.with_postgres -- $(VENV)/bin/pytest -m "not browser and not sqlite_only"

bench: dev-venv system-deps
	@started=$$(date +%s); \
	$(PY) -m bench --scale $(BENCH_SCALE) $(if $(BENCH_JSON),--json $(BENCH_JSON)); status=$$?; \
	echo "make bench: $$(( $$(date +%s) - started )) s of wall time"; exit $$status

messages: venv
	cd registrum && ../$(VENV)/bin/registrum makemessages -l fr --no-location && ../$(VENV)/bin/registrum compilemessages -l fr

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
