# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := python3 -m uv
export REGISTRUM_HOME ?= $(CURDIR)/var
BENCH_SCALE ?= 100000
BENCH_JSON ?=

.PHONY: run serve test lint check-lint pytest pytest-postgres bench venv system-deps messages clean

$(VENV)/.synced: requirements.lock pyproject.toml
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv
	@[ -x $(PY) ] || $(UV) venv -q --python python3.11 $(VENV)
	$(UV) pip sync -q --python $(PY) requirements.lock
	$(UV) pip install -q --python $(PY) --no-deps --no-build-isolation -e .
	@touch $@

venv: $(VENV)/.synced

run: venv
	$(VENV)/bin/registrum init
	$(VENV)/bin/registrum demo
	$(VENV)/bin/registrum serve

system-deps:
	@devtools/system-deps.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy registrum devtools bench tests
	$(VENV)/bin/lint-imports

# The whole suite on SQLite, then everything that touches the database again on a real
# PostgreSQL server started on loopback for the run and removed after it.
test: venv system-deps lint
	REGISTRUM_HOME=$$(mktemp -d) $(VENV)/bin/pytest
	REGISTRUM_HOME=$$(mktemp -d) $(PY) -m devtools.with_postgres -- $(VENV)/bin/pytest -m "not browser and not sqlite_only"

bench: venv system-deps
	$(PY) -m bench --scale $(BENCH_SCALE) $(if $(BENCH_JSON),--json $(BENCH_JSON))

messages: venv
	cd registrum && ../$(VENV)/bin/registrum makemessages -l fr --no-location && ../$(VENV)/bin/registrum compilemessages -l fr

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
