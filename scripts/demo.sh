#!/usr/bin/env bash
# Quick start: set up, then run the bundled Bollebygd scenario (30 replications) and write
# outputs/bollebygd/<timestamp>/ (parquet tables, summary.csv, report.html, results.xlsx).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup-env.sh ""  # no extras (an explicit argument: a sourced script would see ours)
amesim run "${1:-scenarios/bollebygd.yaml}" "${@:2}"
