#!/usr/bin/env bash
# Set everything up (scripts/setup.sh), then run the web server, the RQ workers (texts and
# jobs; the traffic feeds) and the scheduler together in the foreground; Ctrl-C stops them all. For trying out and
# development: when one process exits, all stop (so it is noticed). In production run the
# systemd units in deploy/systemd/, which restart each process on its own
# (docs/OPERATIONS.md, "Running under systemd").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
load_env

pids=()
stop_all() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop_all INT TERM EXIT

cd "$ROOT"
start_kannel
"$VENV/bin/gunicorn" -c "$ROOT/api/gunicorn_conf.py" "api.wsgi:app" & pids+=($!)
"$VENV/bin/python" -m dispatch.worker & pids+=($!)
# The traffic poll has a worker of its own, so texts never wait behind it.
"$VENV/bin/python" -m dispatch.worker --queues feeds & pids+=($!)
"$VENV/bin/python" -m dispatch.schedule & pids+=($!)

bind="${DASAN_WEB_BIND:-127.0.0.1:8000}"
for _ in $(seq 100); do curl -fsS "http://$bind/health/live" >/dev/null 2>&1 && break; sleep 0.2; done
say "Dasan Field Dispatch is running at http://$bind/  (API docs: http://$bind/api/docs)"
say "web, workers and scheduler logs follow; Ctrl-C stops them"
wait -n "${pids[@]}"
die "a process exited; stopping the others (under systemd, deploy/systemd/, each restarts on its own)"
