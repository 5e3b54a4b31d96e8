# shellcheck shell=bash
# Shared by scripts/serve and scripts/test (sourced, not executed).
#
# ensure_venv [EXTRA]   create .venv at the repository root if missing and install the
#                       project into it (editable), with optional extras (e.g. "test").
#
# Idempotent and quick: pip runs only when the stamp file for that extra is missing
# or older than pyproject.toml (or the venv was rebuilt). Set OMENDB_FORCE_INSTALL=1
# to reinstall anyway, and PYTHON=/path/to/python3.11+ to pick the interpreter.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"

_pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: OmenDB needs Python >= 3.11 (set PYTHON=/path/to/python3.11+)" >&2
    return 1
}

ensure_venv() {
    local extra="${1:-}"
    local spec="." stamp="$VENV/.omendb-installed"
    if [ -n "$extra" ]; then
        spec=".[$extra]"
        stamp="$VENV/.omendb-installed-$extra"
    fi

    if [ ! -x "$VENV/bin/python" ]; then
        local py
        py="$(_pick_python)"
        echo "==> creating $VENV with $py ($("$py" -V 2>&1))" >&2
        if ! "$py" -m venv "$VENV"; then
            echo "error: '$py -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
            return 1
        fi
        rm -f "$VENV"/.omendb-installed*
    fi

    # A fresh install with extras also satisfies a plain install.
    if [ -z "$extra" ] && [ -f "$VENV/.omendb-installed-test" ] &&
        [ ! "$REPO_ROOT/pyproject.toml" -nt "$VENV/.omendb-installed-test" ]; then
        stamp="$VENV/.omendb-installed-test"
    fi

    if [ "${OMENDB_FORCE_INSTALL:-0}" = 1 ] || [ ! -f "$stamp" ] ||
        [ "$REPO_ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "==> installing omendb ($spec) into .venv" >&2
        (cd "$REPO_ROOT" &&
            "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec")
        touch "$stamp"
    fi
}
