#!/usr/bin/env bash
# Build or update .venv from the hashed locks. Called by the Makefile:
#   devtools/bootstrap.sh prod    production pins only (requirements.lock): what `make run` needs
#   devtools/bootstrap.sh dev     production pins plus the test and lint tools (requirements-dev.lock)
#   devtools/bootstrap.sh tools   the environment and its pinned tools (uv, setuptools) only
#
# Works with any Python 3.11 that has the venv module, including Debian's own /usr/bin/python3
# (marked externally managed, so nothing is ever installed outside .venv). Steps:
#   1. the Debian package python3-venv is installed with apt-get when the venv module is missing;
#   2. .venv is created with `python -m venv` (it comes with pip);
#   3. pip installs the pinned, hashed tools of requirements-bootstrap.txt into .venv (--require-hashes);
#   4. .venv/bin/uv syncs .venv to the lock(s) exactly, hashes checked, then installs registrum
#      itself in editable mode with the pinned setuptools (no build isolation, so nothing unpinned).
# Choose the interpreter with PYTHON=/path/to/python3.11; default: python3.11, else python3.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
case "$mode" in
prod | dev | tools) ;;
*)
    echo "usage: $0 prod|dev|tools" >&2
    exit 2
    ;;
esac

VENV=.venv
BOOTSTRAP=requirements-bootstrap.txt
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ -z "${PYTHON:-}" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
export PYTHON

inputs=(requirements.lock requirements-dev.lock "$BOOTSTRAP" pyproject.toml "$0")
stamp_current() {
    local f
    [ -e "$1" ] || return 1
    for f in "${inputs[@]}"; do [ "$1" -nt "$f" ] || return 1; done
}
# `make run` after `make test` keeps the current dev environment: it holds the same production
# pins, and stripping the test tools would only make the next `make test` install them again.
# (A server that only ever runs `make run` gets the production pins alone.)
if [ "$mode" = prod ] && stamp_current "$VENV/.synced-dev"; then
    touch "$VENV/.synced-prod"
    exit 0
fi

venv_ok() { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; }
tools_ok() { [ -x "$VENV/bin/uv" ] && cmp -s "$BOOTSTRAP" "$VENV/.bootstrap.txt"; }

# 1-2. The environment. One left by an older Makefile (made by `uv venv`, without pip) or whose
# interpreter has gone is made again; otherwise it is kept and only synced.
if venv_ok && ! tools_ok && ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    echo "$VENV has neither the pinned tools nor pip: making it again"
    rm -rf "$VENV"
elif [ -e "$VENV" ] && ! venv_ok; then
    echo "$VENV is broken (its python does not start): making it again"
    rm -rf "$VENV"
fi
if ! venv_ok; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "No $PYTHON found. Install Python 3.11 (on Debian 12: apt-get install python3 python3-venv)." >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        echo "$PYTHON is Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); registrum needs 3.11." \
            "Set PYTHON=/path/to/python3.11." >&2
        exit 1
    fi
    devtools/system-deps.sh venv
    echo "Creating $VENV with $(command -v "$PYTHON") ($("$PYTHON" -c 'import platform; print(platform.python_version())'))"
    "$PYTHON" -m venv "$VENV"
fi

# 3. The pinned tools, installed by the environment's own pip, every file checked against its hash.
if ! tools_ok; then
    "$VENV/bin/python" -m pip install -q --require-hashes --only-binary=:all: --no-deps -r "$BOOTSTRAP"
    cp "$BOOTSTRAP" "$VENV/.bootstrap.txt"
fi
[ "$mode" = tools ] && exit 0

# 4. Exactly the locked packages (anything else is removed), then registrum itself.
locks=(requirements.lock)
[ "$mode" = dev ] && locks+=(requirements-dev.lock)
# The bootstrap file is synced too, so that uv and setuptools stay in the environment.
"$VENV/bin/uv" pip sync -q --python "$VENV/bin/python" --require-hashes "${locks[@]}" "$BOOTSTRAP"
"$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps --no-build-isolation -e .
rm -f "$VENV/.synced-prod" "$VENV/.synced-dev"
touch "$VENV/.synced-$mode"
