#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into DASAN_DATABASE_URL and DASAN_PHOTO_DIR.
# The target database must exist (empty, or it is cleaned); photos are added to the store.
# Usage: scripts/restore.sh <backup-folder>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
load_env
source_dir="${1:?usage: scripts/restore.sh <backup-folder>}"
photos="${DASAN_PHOTO_DIR:-$VAR/photos}"
(cd "$source_dir" && sha256sum --check --quiet SHA256SUMS) || die "backup is damaged (checksum)"
url="${DASAN_DATABASE_URL/postgresql+psycopg2:/postgresql:}"
# The PostGIS extension belongs to the database owner (made by setup or the DBA), not to
# the backup: leave its entries out so a non-superuser can restore.
list="$(mktemp)"
trap 'rm -f "$list"' EXIT
pg_restore --list "$source_dir/database.dump" | grep -v -E 'EXTENSION - postgis|COMMENT - EXTENSION postgis|spatial_ref_sys' >"$list"
pg_restore --clean --if-exists --no-owner --exit-on-error --use-list="$list" \
  --dbname="$url" "$source_dir/database.dump" || die "pg_restore failed"
mkdir -p "$photos"
tar -C "$photos" -xzf "$source_dir/photos.tar.gz"
say "restored $source_dir into the database and $photos"
