# Shared shell functions for setup.sh, up.sh and test.sh: install what is missing,
# start local services, make the virtualenv. Every function is idempotent.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
VENV="$ROOT/.venv"
mkdir -p "$VAR/log" "$VAR/run"

say() { printf '\033[1m[dasan]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[dasan] %s\033[0m\n' "$*" >&2; exit 1; }

FAKESMSC=/usr/lib/kannel/test/fakesmsc  # Kannel's test SMSC (kannel-extras), not on PATH

# Debian packages the project needs, by the command that proves each is there.
SYSTEM_PACKAGES=(
  "pg_ctlcluster:postgresql-15"
  "/usr/share/postgresql/15/extension/postgis.control:postgresql-15-postgis-3"
  "redis-server:redis-server"
  "bearerbox:kannel"
  "$FAKESMSC:kannel-extras"
  "/usr/bin/chromium:chromium"
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk"
  "npm:npm"
  "wrk:wrk"
  "curl:curl"
  "/usr/sbin/logrotate:logrotate"
  "/usr/bin/systemd-analyze:systemd"
)

have() { case "$1" in /*) [ -e "$1" ] ;; *) command -v "$1" >/dev/null 2>&1 ;; esac; }

ensure_system_packages() {
  local missing=() entry
  for entry in "${SYSTEM_PACKAGES[@]}"; do
    have "${entry%%:*}" || missing+=("${entry#*:}")
  done
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  [ ${#missing[@]} -eq 0 ] && return 0
  local cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    die "missing system packages; run as root: $cmd"
  fi
  say "installing system packages: ${missing[*]}"
  apt-get update -q >"$VAR/log/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$VAR/log/apt.log" 2>&1 \
    || die "apt-get install failed; see $VAR/log/apt.log"
}

# Settings: what the user exported wins; otherwise var/dasan.env (made on first run).
load_env() {
  local envfile="$VAR/dasan.env"
  if [ ! -f "$envfile" ]; then
    say "writing default settings to var/dasan.env"
    local saved_umask; saved_umask="$(umask)"
    umask 077
    cat >"$envfile" <<ENV
# Made by scripts/setup.sh on first run; edit or override with exported DASAN_* variables.
DASAN_DATABASE_URL=postgresql://dasan:dasan@127.0.0.1:5432/dasan
DASAN_REDIS_URL=redis://127.0.0.1:6379/0
DASAN_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ENV
    # Dev texts through a real Kannel with its fake SMSC (DESIGN), so complaints by text and
    # ratings by reply can be tried: up.sh starts it. Only in a new file: an existing one is
    # the operator's and never rewritten.
    if have bearerbox && have "$FAKESMSC"; then
      printf '%s\n' "# Kannel + fakesmsc, started by scripts/up.sh (README, \"Texts in dev\")" \
        "DASAN_SMS_BACKEND=kannel" >>"$envfile"
    fi
    umask "$saved_umask"
  fi
  local line key
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"
    [ -n "${!key:-}" ] || export "$line"
  done <"$envfile"
}

is_local_url() { case "$1" in *@127.0.0.1*|*@localhost*|*//127.0.0.1*|*//localhost*) return 0 ;; esac; return 1; }

ensure_postgres() {
  if ! is_local_url "$DASAN_DATABASE_URL"; then
    say "using the PostgreSQL at DASAN_DATABASE_URL (not managed here)"
    return 0
  fi
  if ! pg_lsclusters 2>/dev/null | grep -q '^15 \+main'; then
    say "creating PostgreSQL 15 cluster"
    pg_createcluster 15 main >/dev/null
  fi
  if ! pg_lsclusters | grep '^15 \+main' | grep -q online; then
    say "starting PostgreSQL 15"
    pg_ctlcluster 15 main start
  fi
  local psql=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1)
  "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname='dasan'" | grep -q 1 \
    || "${psql[@]}" -c "CREATE ROLE dasan LOGIN PASSWORD 'dasan' CREATEDB"
  local db
  # dasan_template carries PostGIS so tests can create databases without superuser rights.
  for db in dasan dasan_template; do
    "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || "${psql[@]}" -c "CREATE DATABASE $db OWNER dasan"
    "${psql[@]}" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>/dev/null
  done
  "${psql[@]}" -c "ALTER DATABASE dasan_template IS_TEMPLATE true" >/dev/null
}

ensure_redis() {
  if ! is_local_url "$DASAN_REDIS_URL"; then
    say "using the Redis at DASAN_REDIS_URL (not managed here)"
    return 0
  fi
  if redis-cli -u "$DASAN_REDIS_URL" ping >/dev/null 2>&1; then return 0; fi
  local port; port="$(echo "$DASAN_REDIS_URL" | sed -E 's#.*:([0-9]+)(/.*)?$#\1#')"
  say "starting Redis on port $port"
  redis-server --daemonize yes --port "$port" --bind 127.0.0.1 --dir "$VAR" \
    --appendonly yes --appendfilename dasan.aof --save '' \
    --logfile "$VAR/log/redis.log" --pidfile "$VAR/run/redis.pid"
  for _ in $(seq 50); do redis-cli -u "$DASAN_REDIS_URL" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "Redis did not start; see $VAR/log/redis.log"
}

ensure_venv() {
  local stamp="$VENV/.requirements.sha"
  local want; want="$(cat "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python packages (pinned in requirements.lock)"
    "$VENV/bin/pip" install -q --upgrade pip >"$VAR/log/pip.log" 2>&1
    "$VENV/bin/pip" install -q -r "$ROOT/requirements.lock" >>"$VAR/log/pip.log" 2>&1 \
      || die "pip install failed; see $VAR/log/pip.log"
    "$VENV/bin/pip" install -q --no-deps -e "$ROOT" >>"$VAR/log/pip.log" 2>&1 \
      || die "pip install -e failed; see $VAR/log/pip.log"
    echo "$want" >"$stamp"
  fi
}

ensure_npm() {
  [ -f "$ROOT/pwa/package-lock.json" ] || return 0
  local stamp="$ROOT/pwa/node_modules/.lock.sha"
  local want; want="$(sha256sum "$ROOT/pwa/package-lock.json" | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing PWA libraries (pinned in pwa/package-lock.json)"
    (cd "$ROOT/pwa" && npm ci --no-audit --no-fund --ignore-scripts >"$VAR/log/npm.log" 2>&1) \
      || die "npm ci failed; see $VAR/log/npm.log"
    echo "$want" >"$stamp"
  fi
}

dasan() { "$VENV/bin/python" -m dispatch.cli "$@"; }

# Web Push needs a VAPID key pair; make one on first setup and keep it in var/dasan.env.
ensure_vapid_keys() {
  grep -q '^DASAN_VAPID_PRIVATE_KEY=' "$VAR/dasan.env" 2>/dev/null && return 0
  [ -n "${DASAN_VAPID_PRIVATE_KEY:-}" ] && return 0
  say "making a VAPID key pair for web push (var/dasan.env)"
  local saved_umask; saved_umask="$(umask)"
  umask 077
  "$VENV/bin/python" -m dispatch.cli vapid-keys >>"$VAR/dasan.env"
  umask "$saved_umask"
  local line
  while IFS= read -r line; do
    case "$line" in DASAN_VAPID_*) export "$line" ;; esac
  done <"$VAR/dasan.env"
}

# With DASAN_SMS_BACKEND=kannel: write var/kannel/kannel.conf and start bearerbox, smsbox
# and, while var/kannel/smsc.conf still holds the fake SMSC, the fakesmsc test SMSC
# (kannel-extras) as children of the calling script. smsc.conf is written once and then left
# to the operator (the carrier's SMPP account goes there).
start_kannel() {
  if [ "${DASAN_SMS_BACKEND:-log}" != "kannel" ]; then
    say "texts are only logged (DASAN_SMS_BACKEND=${DASAN_SMS_BACKEND:-log}); DASAN_SMS_BACKEND=kannel in var/dasan.env runs Kannel with its fake SMSC"
    return 0
  fi
  local dir="$VAR/kannel" conf
  conf="$(dasan kannel-config --dir "$dir")" || die "could not write the Kannel config"
  rm -f "$dir"/*.pid
  say "starting Kannel (bearerbox, smsbox); logs in var/kannel/"
  bearerbox "$conf" >>"$dir/boxes.out" 2>&1 & pids+=($!)
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/13001) 2>/dev/null && break; sleep 0.1; done
  smsbox "$conf" >>"$dir/boxes.out" 2>&1 & pids+=($!)
  if ! grep -q '^smsc = fake' "$dir/smsc.conf"; then
    say "var/kannel/smsc.conf names a real SMSC: texts go to phones (no fakesmsc)"
    return 0
  fi
  say "texts go to the fake SMSC (var/kannel/fakesmsc.log); put a carrier in var/kannel/smsc.conf for real ones"
  # fakesmsc reads incoming texts from stdin (one line each: "from to text|data ..."); a
  # FIFO in var/kannel/mo lets you inject them: scripts/sms_in.sh FROM TEXT
  [ -p "$dir/mo" ] || mkfifo "$dir/mo"
  (exec 3<>"$dir/mo"; exec "$FAKESMSC" -H 127.0.0.1 -r 13010 \
     <&3 >>"$dir/fakesmsc.log" 2>&1) & pids+=($!)
}

# Settings whose values the stored data depends on: DASAN_SECRET_KEY signs the status links
# already sent by SMS and the photo URLs, the VAPID pair is what browsers subscribed with,
# and the others are credentials of outside services. A backup keeps them (secrets.env) so a
# restore on a new host does not run with fresh ones.
SECRET_SETTINGS=(DASAN_SECRET_KEY DASAN_VAPID_PRIVATE_KEY DASAN_VAPID_PUBLIC_KEY
                 DASAN_KANNEL_PASSWORD DASAN_SMS_MO_SECRET DASAN_TOPIS_API_KEY
                 DASAN_CITYDATA_API_KEY)

# The secret settings exported by the caller (they win over the settings file), noted
# before load_env adds the file's: a restore warns when they differ from the backup's.
declare -A EXPORTED_SECRETS=()
remember_exported_secrets() {
  local key
  for key in "${SECRET_SETTINGS[@]}"; do
    [ -n "${!key:-}" ] && EXPORTED_SECRETS[$key]="${!key}"
  done
  return 0
}

# Print KEY=value for each secret setting in effect (exported, or from var/dasan.env).
write_secrets() {
  local key
  for key in "${SECRET_SETTINGS[@]}"; do
    [ -n "${!key:-}" ] && printf '%s=%s\n' "$key" "${!key}"
  done
  return 0
}

# Keep the newest $2 timestamped backups (YYYYMMDDTHHMMSSZ) in folder $1; 0 keeps all.
prune_backups() {
  local folder="$1" keep="$2" old
  [ "$keep" -gt 0 ] || return 0
  find "$folder" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
      -regex '.*/[0-9]{8}T[0-9]{6}Z' -printf '%f\n' | sort -r | tail -n +"$((keep + 1))" |
    while IFS= read -r old; do
      rm -rf -- "${folder:?}/$old"
      say "removed old backup $folder/$old (keeping the newest $keep)"
    done
}

# Write the KEY=value lines of $1 (a backup's secrets.env) into settings file $2, replacing
# the same keys and keeping every other line; the old file is kept as $2.before-restore.
restore_secrets() {
  local secrets="$1" envfile="$2" saved_umask line key
  saved_umask="$(umask)"
  umask 077
  local merged; merged="$(mktemp "$envfile.XXXXXX")"
  if [ -f "$envfile" ]; then
    cp -p "$envfile" "$envfile.before-restore"
    grep -v -E "^($(IFS='|'; echo "${SECRET_SETTINGS[*]}"))=" "$envfile" >"$merged" || true
  fi
  cat "$secrets" >>"$merged"
  chmod 600 "$merged"
  mv "$merged" "$envfile"
  umask "$saved_umask"
  say "secrets from the backup written to $envfile; restart the processes to use them"
  while IFS= read -r line; do
    key="${line%%=*}"
    if [ -n "${EXPORTED_SECRETS[$key]:-}" ] && [ "${EXPORTED_SECRETS[$key]}" != "${line#*=}" ]; then
      say "warning: $key is set in the environment to another value than the backup's;" \
          "set it to the backup's value (see $envfile) or sent links will not work"
    fi
  done <"$secrets"
}
