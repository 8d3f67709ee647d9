#!/usr/bin/env bash
# Quick start: set up (venv, test dependencies, headless Chromium for the browser test
# where this machine can install it) and run the full test suite, slow tests included.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup-env.sh test
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium for the browser test..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >&2 \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
fi
ruff check amesim tests benchmarks
python -m pytest tests "$@"
