#!/usr/bin/env bash
# Set up what the tests need the same way as up.sh, then run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/geo -x).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
load_env
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
