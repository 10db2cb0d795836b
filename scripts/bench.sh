#!/usr/bin/env bash
# Set up as for the tests, then run every benchmark and print the table.
# Arguments go to bench/run.py (--quick for a smoke run, --only routing,intake).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
load_env
cd "$ROOT"
exec "$VENV/bin/python" -m bench.run "$@"
