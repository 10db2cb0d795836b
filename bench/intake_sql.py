"""The intake's database work alone: the statements of one complaint, run by pgbench.

This is a second ceiling for the intake benchmark. The same transaction the web process
sends for one complaint (SQLAlchemy's SQL log of a request: BEGIN, the look-up of
``dispatch.intake._LOOK_UP`` taken verbatim (with the inspectors to push to), the complaint
insert, two events, two outbox rows, whose insert trigger NOTIFYs the relay, COMMIT) runs from
32 pgbench clients without any Python. Whatever this reaches, no web code can beat it on
the same cores.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

from dispatch.intake import _LOOK_UP, _OPEN_STATUSES

# Both outbox rows point at the second event (pgbench cannot keep two returned ids), so
# the first has another recipient to stay clear of the once-per-recipient key; the cost
# is the same.
# pgbench draws a point in Seoul's box per transaction (micro-degrees: \set is integer);
# the stored key comes from the new id, so two transactions never share one.
_HEADER = r"""\set lon random(126900000, 127100000)
\set lat random(37480000, 37620000)
\set ref random(1, 2000000000)
BEGIN;
"""

_LOOK_UP_VALUES = {
    "phone": "'+821012345678'",
    "client_ref": "md5('ref' || :ref)",
    "radius_m": "30",
    "category": "'road_damage'",
    "open_statuses": "ARRAY[" + ",".join(f"'{s}'" for s in _OPEN_STATUSES) + "]",
    "since": "(now() - interval '7 days')",
    "lon": "(:lon / 1e6)",
    "lat": "(:lat / 1e6)",
    "box_degrees": "0.0004",
    "push": "true",
    "district": "'11170'",
}

_WRITES = r"""
INSERT INTO complaints (id, public_id, client_ref, request_hash, category_code, description,
    location, address, district_code, dong_code, routing_distance_m, status, priority, due_at,
    reporter_phone, reporter_language, channel, attributes, parent_id, version, created_at,
    updated_at)
VALUES (:new_id, 'B' || :new_id, CAST(md5('ref' || :new_id) AS uuid),
    md5('hash' || :ref) || md5(:ref || 'hash'), 'road_damage', 'bench',
    ST_GeomFromEWKT('SRID=4326;POINT(' || (:lon / 1e6) || ' ' || (:lat / 1e6) || ')'),
    NULL, '11170', '1117051000', 0.0, 'dispatched', 2, now() + interval '8 hours',
    '+821012345678', 'ko', 'pwa', '{}'::jsonb, NULL, 1, now(), now())
ON CONFLICT (client_ref) DO NOTHING
RETURNING complaints.id, complaints.public_id, complaints.client_ref, complaints.request_hash,
    complaints.category_code, complaints.description, ST_AsEWKB(complaints.location) AS location,
    complaints.address, complaints.district_code, complaints.dong_code,
    complaints.routing_distance_m, complaints.status, complaints.priority, complaints.due_at,
    complaints.reporter_phone, complaints.reporter_language, complaints.channel,
    complaints.attributes, complaints.parent_id, complaints.assignee_id, complaints.assigned_at,
    complaints.outcome, complaints.closed_at, complaints.version, complaints.created_at,
    complaints.updated_at;
INSERT INTO complaint_events (complaint_id, at, actor_kind, actor_id, kind, from_status,
    to_status, public_note, internal_note, location, data)
VALUES (:new_id, now(), 'citizen', NULL, 'received', NULL, 'received', NULL, NULL, NULL,
        '{"channel": "pwa"}'),
       (:new_id, now(), 'system', NULL, 'dispatched', 'received', 'dispatched', NULL, NULL, NULL,
        '{"district": "11170", "dong": "1117051000", "routing_distance_m": 0.0}')
RETURNING complaint_events.id;
INSERT INTO notifications (complaint_id, event_id, inbound_id, recipient, staff_id, channel,
    template, language, title, body, data, urgent, state, attempts, last_error, provider_id,
    parts, dlr_status, hold_until, next_attempt_at, created_at, sent_at, finished_at)
VALUES (:new_id, currval('complaint_events_id_seq'), NULL, '+821012345670', NULL, 'sms',
        'received', 'ko', NULL,
        '[서울120] 민원 ' || :new_id || '이(가) 접수되었습니다(용산구).', '{}', true, 'pending', 0,
        NULL, NULL, NULL, NULL, NULL, now() + interval '1 day', now(), NULL, NULL),
       (:new_id, currval('complaint_events_id_seq'), NULL, '+821012345678', NULL, 'sms',
        'dispatched', 'ko', NULL,
        '[서울120] 민원 ' || :new_id || '이(가) 용산구청(☎120)에 전달되었습니다.', '{}', false,
        'pending', 0, NULL, NULL, NULL, NULL, NULL, now() + interval '1 day', now(), NULL, NULL)
RETURNING notifications.id;
COMMIT;
"""


def script_text() -> str:
    """The pgbench script of one intake transaction."""
    look_up = re.sub(r":(\w+)", lambda m: _LOOK_UP_VALUES.get(m.group(1), m.group(0)),
                     _LOOK_UP.text.strip())
    # ``:ref`` inside the values above is pgbench's variable, kept as it is.
    return _HEADER + look_up + r" \gset" + "\n" + _WRITES.lstrip()


def pgbench_path() -> str:
    """The pgbench of the installed PostgreSQL (Debian keeps it out of PATH)."""
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None)
    if found is None:
        raise RuntimeError("pgbench is not installed (it comes with postgresql-15)")
    return found


def run(database_url: str, seconds: int, folder: Path, clients: int = 32) -> tuple[float, float]:
    """Run the script from ``clients`` connections; return (transactions/s, mean latency ms)."""
    script = folder / "intake.pgbench"
    script.write_text(script_text())
    done = subprocess.run(
        [pgbench_path(), "-n", "-M", "simple", "-c", str(clients), "-j", "2",
         "-T", str(seconds), "-f", str(script), database_url],
        capture_output=True, text=True, check=False)
    tps = re.search(r"^tps = ([\d.]+)", done.stdout, re.M)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if done.returncode != 0 or tps is None or (failed and int(failed.group(1))):
        raise RuntimeError(f"pgbench failed: {done.stdout[-800:]} {done.stderr[-800:]}")
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    return float(tps.group(1)), float(latency.group(1)) if latency else float("nan")
