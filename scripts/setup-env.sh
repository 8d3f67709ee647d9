#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install amesim into it.
# Usage: source scripts/setup-env.sh [extras]   e.g. "test" or "test,bench"
set -euo pipefail
extras="${1:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${PYTHON:-python3}"
if [ ! -x "$root/.venv/bin/python" ]; then
  "$py" -m venv "$root/.venv"
fi
# shellcheck disable=SC1091
source "$root/.venv/bin/activate"
stamp="$root/.venv/.installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  python -m pip install --quiet --upgrade pip
  if [ -n "$extras" ]; then
    python -m pip install --quiet -e "$root[$extras]"
  else
    python -m pip install --quiet -e "$root"
  fi
  touch "$stamp"
fi
