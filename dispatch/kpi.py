"""Key figures for the dispatcher's panel over a period, city-wide and by district."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dispatch.models import District
from dispatch.stats import OPEN_STATUSES

# Closed by an inspector's decision (cancelled and duplicate ones are not "handled").
CLOSED_STATUSES = ("resolved", "unfounded", "referred")


@dataclass
class DistrictFigures:
    """One district's figures (or the city's, with code None)."""

    code: str | None
    received: int = 0
    # None for a past period: "now" figures of a period that ended say nothing about it.
    open_now: int | None = 0
    overdue_now: int | None = 0
    closed: int = 0
    closed_within_sla: int = 0
    median_minutes_to_close: float | None = None
    duplicates_merged: int = 0
    ratings: int = 0
    satisfaction: float | None = None  # mean 1-5 score of the ratings given in the period

    @property
    def share_within_sla(self) -> float | None:
        """Closed within their due time, as a share of all closed in the period."""
        return self.closed_within_sla / self.closed if self.closed else None


@dataclass
class Kpi:
    """The panel: the period, the city's figures and each district's."""

    since: datetime
    until: datetime
    city: DistrictFigures
    districts: list[DistrictFigures] = field(default_factory=list)


# One statement per figure group; each is index-backed (created_at, the partial indexes of
# open and of closed complaints), so a month over a million complaints stays fast.
# A duplicate is a report merged into another (it keeps parent_id after closing with its
# parent, when its status is no longer 'duplicate'); it counts as received and merged,
# never as a ticket closed — its parent's closing is the work done.
_RECEIVED = text("""
    SELECT district_code, count(*) AS received,
           count(*) FILTER (WHERE parent_id IS NOT NULL) AS duplicates
    FROM complaints WHERE created_at >= :since AND created_at < :until
    GROUP BY district_code
""")
_OPEN = text("""
    SELECT district_code, count(*) AS open_now,
           count(*) FILTER (WHERE due_at < :now) AS overdue_now
    FROM complaints WHERE status = ANY(:open)
    GROUP BY district_code
""")
# A closure counts in the period it happened in, even if the reporter reopened the complaint
# later (reopening clears closed_at): the complaints closed in the period by their current
# closed_at (index-only), plus those reopened since ``since`` whose last closing event in the
# period is not their current closure. Reopening is rare and the reporter's alone (within
# DASAN_REOPEN_DAYS), so the second part starts from the small partial index of reopen
# events and reads closing events by complaint; a month over a million complaints stays as
# fast as before. Each complaint counts once per period, at its last closure in it.
_CLOSED = text("""
    WITH reopened AS (
        SELECT DISTINCT complaint_id FROM complaint_events
        WHERE kind = 'reopened' AND at >= :since
    ), closed_before_reopening AS (
        SELECT DISTINCT ON (e.complaint_id) e.complaint_id, e.at
        FROM reopened r JOIN complaint_events e ON e.complaint_id = r.complaint_id
        WHERE e.at >= :since AND e.at < :until
          AND e.kind = ANY(:closed) AND e.to_status = ANY(:closed)
        ORDER BY e.complaint_id, e.at DESC
    ), closures AS (
        SELECT district_code, closed_at, due_at, created_at
        FROM complaints
        WHERE closed_at >= :since AND closed_at < :until AND status = ANY(:closed)
          AND parent_id IS NULL
        UNION ALL
        SELECT c.district_code, k.at, c.due_at, c.created_at
        FROM closed_before_reopening k JOIN complaints c ON c.id = k.complaint_id
        WHERE c.parent_id IS NULL
          AND NOT COALESCE(c.closed_at >= :since AND c.closed_at < :until
                           AND c.status = ANY(:closed), false)
    )
    SELECT district_code,
           count(*) AS closed,
           count(*) FILTER (WHERE closed_at <= due_at) AS within_sla,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM closed_at - created_at) / 60) AS median_min
    FROM closures
    GROUP BY GROUPING SETS ((district_code), ())
""")

_RATED = text("""
    SELECT c.district_code, count(*) AS ratings, avg(r.score) AS mean_score
    FROM satisfaction_ratings r JOIN complaints c ON c.id = r.complaint_id
    WHERE r.rated_at >= :since AND r.rated_at < :until
    GROUP BY GROUPING SETS ((c.district_code), ())
""")


def compute_kpi(session: Session, since: datetime, until: datetime,
                now: datetime | None = None) -> Kpi:
    """Compute the panel's figures for complaints over [since, until), every district listed.

    ``open_now`` and ``overdue_now`` are today's figures: for a period that ended before
    ``now`` they are None (today's open set is not that period's).
    """
    now = now or datetime.now(UTC)
    figures: dict[str | None, DistrictFigures] = {}

    def of(code):
        return figures.setdefault(code, DistrictFigures(code))

    # Every district has a row, with zeros when nothing happened there: a monthly report
    # always lists all of them.
    for code in session.scalars(select(District.code)):
        of(code)
    params = {"since": since, "until": until, "now": now,
              "open": [s.value for s in OPEN_STATUSES], "closed": list(CLOSED_STATUSES)}
    for row in session.execute(_RECEIVED, params):
        for target in (of(row.district_code), of(None)):
            target.received += row.received
            target.duplicates_merged += row.duplicates
    if until >= now:
        for row in session.execute(_OPEN, params):
            for target in (of(row.district_code), of(None)):
                target.open_now += row.open_now
                target.overdue_now += row.overdue_now
    for row in session.execute(_CLOSED, params):
        target = of(row.district_code)  # None is the grouping set () = the whole city
        target.closed = row.closed
        target.closed_within_sla = row.within_sla
        target.median_minutes_to_close = (round(float(row.median_min), 1)
                                          if row.median_min is not None else None)
    for row in session.execute(_RATED, params):
        target = of(row.district_code)
        target.ratings = row.ratings
        # The grouping set () gives the city a row even when nobody rated: mean is NULL then.
        target.satisfaction = (round(float(row.mean_score), 2)
                               if row.mean_score is not None else None)
    if until < now:
        _past_period(figures)
    city = figures.pop(None, DistrictFigures(None))
    return Kpi(since, until, city, sorted(figures.values(), key=lambda f: f.code))


def _past_period(figures: dict[str | None, DistrictFigures]) -> None:
    """Blank today's figures: they do not describe a period that has ended."""
    figures.setdefault(None, DistrictFigures(None))
    for target in figures.values():
        target.open_now = target.overdue_now = None
