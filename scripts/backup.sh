#!/usr/bin/env bash
# Back up the database (pg_dump custom format), the photo store and the secrets the data
# depends on (secrets.env) into one folder that only the owner can read.
# Usage: scripts/backup.sh [--keep N] [--into FOLDER | target-folder]
#   default: FOLDER/<UTC timestamp>, FOLDER being var/backups; afterwards only the newest N
#   (default 14) timestamped backups in FOLDER are kept (--keep 0 keeps all). A target
#   folder you name yourself is never pruned.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# The dump holds every reporter's phone number and secrets.env the signing key: nobody but
# the owner may read them, whatever the caller's umask.
umask 077

keep=14
target=""
into="$VAR/backups"
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep="${2:-}"; shift 2 || die "--keep needs a number" ;;
    --keep=*) keep="${1#--keep=}"; shift ;;
    --into) into="${2:-}"; shift 2 || die "--into needs a folder" ;;
    --into=*) into="${1#--into=}"; shift ;;
    -*) die "unknown option $1 (usage: scripts/backup.sh [--keep N] [--into FOLDER | target-folder])" ;;
    *) target="$1"; shift ;;
  esac
done
[[ "$keep" =~ ^[0-9]+$ ]] || die "--keep must be a whole number (0 keeps every backup), not '$keep'"

load_env
rotate=false
if [ -z "$target" ]; then
  [ -n "$into" ] || die "--into needs a folder"
  target="$into/$(date -u +%Y%m%dT%H%M%SZ)"
  rotate=true
fi
photos="${DASAN_PHOTO_DIR:-$VAR/photos}"
mkdir -p "$target"
chmod 700 "$target"
[ "$rotate" = true ] && chmod 700 "$into"

url="${DASAN_DATABASE_URL/postgresql+psycopg2:/postgresql:}"
pg_dump --format=custom --no-owner --file="$target/database.dump" "$url"
if [ -d "$photos" ]; then
  tar -C "$photos" -czf "$target/photos.tar.gz" .
else
  tar -czf "$target/photos.tar.gz" -T /dev/null
fi
write_secrets >"$target/secrets.env"
(cd "$target" && sha256sum database.dump photos.tar.gz secrets.env >SHA256SUMS)
say "backup written to $target (readable by $(id -un) only)"

[ "$rotate" = true ] && prune_backups "$into" "$keep"
exit 0
