#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into DASAN_DATABASE_URL and DASAN_PHOTO_DIR,
# and put the backup's secrets (secrets.env) into the settings file.
# The target database must exist (empty, or it is cleaned); photos are added to the store.
# Usage: scripts/restore.sh [--env-file FILE] <backup-folder>
#   FILE defaults to var/dasan.env; its other lines (database URL, ...) are kept, and the
#   previous file is saved as FILE.before-restore.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
umask 077

env_file="$VAR/dasan.env"
source_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) env_file="${2:-}"; shift 2 || die "--env-file needs a file" ;;
    --env-file=*) env_file="${1#--env-file=}"; shift ;;
    -*) die "unknown option $1 (usage: scripts/restore.sh [--env-file FILE] <backup-folder>)" ;;
    *) source_dir="$1"; shift ;;
  esac
done
[ -n "$source_dir" ] || die "usage: scripts/restore.sh [--env-file FILE] <backup-folder>"
[ -n "$env_file" ] || die "--env-file needs a file"

remember_exported_secrets
load_env
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

if [ -f "$source_dir/secrets.env" ]; then
  restore_secrets "$source_dir/secrets.env" "$env_file"
else
  say "this backup has no secrets.env (made before it was added): set DASAN_SECRET_KEY and the" \
      "VAPID keys to the old host's values yourself, or sent status links stop working"
fi
