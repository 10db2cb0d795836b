#!/usr/bin/env bash
# Back up the database (pg_dump custom format) and the photo store into one folder.
# Usage: scripts/backup.sh [target-folder]   (default var/backups/<UTC timestamp>)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
load_env
target="${1:-$VAR/backups/$(date -u +%Y%m%dT%H%M%SZ)}"
photos="${DASAN_PHOTO_DIR:-$VAR/photos}"
mkdir -p "$target"
url="${DASAN_DATABASE_URL/postgresql+psycopg2:/postgresql:}"
pg_dump --format=custom --no-owner --file="$target/database.dump" "$url"
if [ -d "$photos" ]; then
  tar -C "$photos" -czf "$target/photos.tar.gz" .
else
  tar -czf "$target/photos.tar.gz" -T /dev/null
fi
(cd "$target" && sha256sum database.dump photos.tar.gz >SHA256SUMS)
say "backup written to $target"
