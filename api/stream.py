"""Server-sent events for the live map: complaint changes read from the events table."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

from flask import Blueprint, Response, request

from api.auth import bearer_token
from api.context import settings
from api.db import get_session
from api.presenters import local_time
from dispatch import live
from dispatch import staff as staff_accounts
from dispatch.db import session_scope
from dispatch.errors import StreamsFull, Unauthorized

blp = Blueprint("stream", __name__)

# A comment line this often keeps proxies from closing an idle stream, and lets the server
# notice a closed tab (only a write fails) so its thread and slot are freed within seconds.
HEARTBEAT_SECONDS = 5.0
# A stream ends after this long; EventSource reconnects with Last-Event-ID, so nothing is lost
# and a worker thread is never held forever.
STREAM_SECONDS = 300.0


class StreamSlots:
    """How many streams this process holds; each holds a gthread thread while it is open."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0

    def take(self, limit: int) -> None:
        """Take a slot, or refuse when ``limit`` streams are open.

        :raises StreamsFull: every slot is taken (the page retries after a while).
        """
        with self._lock:
            if self.open >= limit:
                raise StreamsFull(f"this server holds {limit} live-map streams already; "
                                  "try again shortly", limit=limit)
            self.open += 1

    def give_back(self) -> None:
        """Free a slot (the stream ended or its client went away)."""
        with self._lock:
            self.open = max(0, self.open - 1)


SLOTS = StreamSlots()


def stream_limit() -> int:
    """The configured number of streams per process (0: half the threads, at least 1)."""
    config = settings()
    return config.sse_max_streams or max(1, config.web_threads // 2)


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 <= value < 2**63 else None


def _message(event: live.LiveEvent, timezone: str) -> str:
    body = {"id": event.id, "kind": event.kind, "public_id": event.public_id,
            "status": event.status, "category": event.category, "district": event.district,
            "coordinates": [event.lon, event.lat], "priority": event.priority,
            "overdue": bool(event.due_at and event.due_at < datetime.now(UTC)
                            and event.status in live.OPEN_STATUSES),
            "due_at": local_time(event.due_at, timezone).isoformat() if event.due_at else None,
            "at": local_time(event.at, timezone).isoformat(),
            "from_district": event.from_district, "to_district": event.to_district,
            "left_district": event.left_district}
    return f"id: {event.id}\nevent: complaint\ndata: {json.dumps(body)}\n\n"


def _still_admitted(token: str, district: str | None) -> bool:
    """Whether the stream's token is still good and its owner still sees the same area.

    Checked at every heartbeat: a stream runs for minutes, and a member of staff logged
    out, disabled or moved to another district must stop seeing its events.
    """
    with session_scope() as session:
        try:
            staff = staff_accounts.staff_for_token(session, token)
        except Unauthorized:
            return False
        return (None if staff.is_city_wide else staff.district_code) == district


@blp.get("/api/v1/stream")
def stream():
    """Stream complaint changes (EventSource; the token comes as ``?access_token=``)."""
    token = bearer_token() or request.args.get("access_token")
    if not token:
        raise Unauthorized("log in first: pass access_token")
    staff = staff_accounts.staff_for_token(get_session(), token)
    district = None if staff.is_city_wide else staff.district_code
    last_id = _last_event_id()
    if last_id is None:
        last_id = live.fresh_start_id(get_session())
    config = settings()
    poll = max(0.05, config.sse_poll_seconds)

    cursor = live.LiveCursor(last_id, district)
    SLOTS.take(stream_limit())

    def generate():
        started = beat = time.monotonic()
        # Tell the browser how soon to reconnect, and open the stream at once. The id line
        # (and each heartbeat's) gives even a quiet district's browser a Last-Event-ID, so
        # its reconnect resumes where this stream was instead of at the newest event then.
        yield f"retry: 1000\nid: {cursor.resume_id}\n: stream from {last_id}\n\n"
        while time.monotonic() - started < STREAM_SECONDS:
            with session_scope() as session:
                events = cursor.poll(session)
            for event in events:
                yield _message(event, config.timezone)
            if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                beat = time.monotonic()
                if not _still_admitted(token, district):
                    return  # the browser reconnects and hears 401, or its new district
                yield f"id: {cursor.resume_id}\n: heartbeat\n\n"
            if not events:
                time.sleep(poll)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    response = Response(generate(), mimetype="text/event-stream", headers=headers)
    # The WSGI server closes every response, ended or abandoned (even one never read): the
    # slot is given back then.
    response.call_on_close(SLOTS.give_back)
    return response
