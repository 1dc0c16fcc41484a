#!/usr/bin/env bash
# Install the Debian packages that are missing, with apt-get (as root, else through sudo).
#   devtools/system-deps.sh venv   what creating .venv needs: python3-venv, when $PYTHON (default
#                                  python3) lacks the venv module or ensurepip (Debian splits them off)
#   devtools/system-deps.sh run    what running needs beyond Python: Pango and a font (WeasyPrint's PDFs)
#   devtools/system-deps.sh        what the tests need: the above, PostgreSQL (a real server for the
#                                  suite's second run), Chromium (the browser tests), gettext (messages)
# Nothing is installed if present.
set -euo pipefail
need=()
mode="${1:-test}"
case "$mode" in
venv)
    "${PYTHON:-python3}" -c "import venv, ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
    ;;
run | test)
    # WeasyPrint loads Pango through ctypes; the marking's font must be present (air-gapped: no web fonts).
    ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
    "$ldconfig" -p 2>/dev/null | grep -q "libpango-1.0.so" || need+=(libpango-1.0-0)
    "$ldconfig" -p 2>/dev/null | grep -q "libpangoft2-1.0.so" || need+=(libpangoft2-1.0-0)
    [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
    if [ "$mode" = test ]; then
        ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15 postgresql-client-15 postgresql-common)
        command -v chromium >/dev/null 2>&1 || need+=(chromium)
        command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
    fi
    ;;
*)
    echo "usage: $0 [venv|run|test]" >&2
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
