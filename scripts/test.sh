#!/usr/bin/env bash
# Quick start: set up (venv, test dependencies, headless Chromium for the browser test
# where this machine can install it) and run the full test suite, slow tests included.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup-env.sh test
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  as_root=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo -n"; else as_root="no"; fi
  fi
  if [ "$as_root" != no ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian chromium and chromium-driver for the browser test..." >&2
    ($as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium chromium-driver) >&2 \
      || echo "warning: could not install chromium; browser tests will skip (or fail where required)" >&2
  else
    echo "warning: cannot install chromium here (not root, no sudo or no apt-get)" >&2
  fi
fi
if command -v chromium >/dev/null 2>&1; then chromium --version >&2 || true; fi
ruff check amesim tests benchmarks
# Two test processes (the machines have 2 cores): 7 min instead of 12. AMESIM_TEST_WORKERS=0
# runs everything in this process (e.g. to debug one test).
python -m pytest tests -n "${AMESIM_TEST_WORKERS:-2}" "$@"
