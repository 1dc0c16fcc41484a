#!/usr/bin/env bash
# Install the Debian packages that are missing, with apt-get (as root, else through sudo).
#   devtools/system-deps.sh venv   what creating .venv needs: python3-venv, when $PYTHON (default
#                                  python3) lacks the venv module or ensurepip (Debian splits them off)
#   devtools/system-deps.sh        what the tests need: PostgreSQL (a real server for the suite's
#                                  second run), Chromium (the browser tests), gettext (messages)
# Nothing is installed if present.
set -euo pipefail
need=()
case "${1:-test}" in
venv)
    "${PYTHON:-python3}" -c "import venv, ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
    ;;
test)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15 postgresql-client-15 postgresql-common)
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
    ;;
*)
    echo "usage: $0 [venv|test]" >&2
    exit 2
    ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages (Debian names): ${need[*]}; no apt-get here, install them yourself." >&2
    exit 1
fi
echo "Installing system packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
