#!/usr/bin/env bash
# Install what is missing, start PostgreSQL/PostGIS and Redis, make the virtualenv,
# migrate and load the Seoul sample data into empty tables (never over the city's own data:
# load-seoul and load-traffic-fixtures skip any table that holds rows). Idempotent; quick
# the second time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_system_packages
load_env
ensure_postgres
ensure_redis
ensure_venv
ensure_npm
ensure_vapid_keys
say "compiling message catalogs"
"$VENV/bin/pybabel" -q compile -d "$ROOT/notify/locale" -D messages
say "migrating the database"
dasan migrate
dasan load-seoul
dasan load-traffic-fixtures
