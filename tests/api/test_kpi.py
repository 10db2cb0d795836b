from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dispatch.events import Actor, record_event
from dispatch.models import Complaint, ComplaintStatus
from tests.factories import PLACES


@pytest.fixture
def dispatcher(create_staff, login):
    return login(create_staff("dispatcher"))


def close(session, complaint, minutes_after_creation):
    at = complaint.created_at + timedelta(minutes=minutes_after_creation)
    record_event(session, complaint, kind="resolved", actor=Actor("staff", 1), at=at,
                 from_status=complaint.status, to_status="resolved")
    session.execute(update(Complaint).where(Complaint.id == complaint.id)
                    .values(status="resolved", closed_at=at, version=Complaint.version + 1))
    session.flush()


def test_kpi_counts_received_open_overdue_and_time_to_close(client, session, dispatcher,
                                                            create_complaint):
    base = client.get("/api/v1/kpi", headers=dispatcher).get_json()
    # About 90 m apart, so none is taken for a duplicate of another.
    jung = [create_complaint(lonlat=(126.9779 + i * 0.001, 37.5663), category="illegal_parking")
            for i in range(3)]
    close(session, jung[0], 60)    # within the 120-minute SLA
    close(session, jung[1], 600)   # late
    session.execute(update(Complaint).where(Complaint.id == jung[2].id).values(
        due_at=datetime.now(UTC) - timedelta(minutes=1)))
    session.flush()
    body = client.get("/api/v1/kpi?until=" + (datetime.now(UTC) + timedelta(days=1)).isoformat()
                      .replace("+", "%2B"), headers=dispatcher).get_json()
    city = body["city"]
    assert city["received"] - base["city"]["received"] == 3
    assert city["closed"] - base["city"]["closed"] == 2
    assert city["closed_within_sla"] - base["city"]["closed_within_sla"] == 1
    district = next(d for d in body["districts"] if d["code"] == "11140")
    assert district["overdue_now"] >= 1 and district["open_now"] >= 1
    assert district["median_minutes_to_close"] is not None
    # The panel as the page first asks for it, with no period: "now" figures are there.
    default = client.get("/api/v1/kpi", headers=dispatcher).get_json()
    assert default["city"]["open_now"] >= 1 and default["city"]["overdue_now"] >= 1


def test_a_merged_duplicate_counts_as_received_and_merged_never_as_closed(
        client, session, dispatcher, create_complaint):
    from dispatch.workflow import MoveRequest, close_children

    until = "?until=" + (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+", "%2B")
    base = client.get("/api/v1/kpi" + until, headers=dispatcher).get_json()["city"]
    parent = create_complaint(lonlat=PLACES["coex"][0], category="garbage")
    child = create_complaint(lonlat=PLACES["coex"][0], category="garbage")
    assert child.parent_id == parent.id and child.status == "duplicate"
    merged = client.get("/api/v1/kpi" + until, headers=dispatcher).get_json()["city"]
    assert merged["received"] - base["received"] == 2
    assert merged["duplicates_merged"] - base["duplicates_merged"] == 1
    # The parent closes, and its duplicate with it (status 'resolved' now, still merged).
    close(session, parent, 30)
    parent.outcome = "repaired"
    close_children(session, parent, ComplaintStatus.RESOLVED, None, datetime.now(UTC),
                   MoveRequest("resolve", public_note="Collected."))
    session.flush()
    session.refresh(child)
    assert child.status == "resolved"
    after = client.get("/api/v1/kpi" + until, headers=dispatcher).get_json()["city"]
    assert after["duplicates_merged"] - base["duplicates_merged"] == 1
    assert after["closed"] - base["closed"] == 1  # one ticket closed, not two


def test_supervisor_sees_only_own_district(client, create_staff, login, create_complaint):
    create_complaint(lonlat=PLACES["coex"][0])
    create_complaint(lonlat=PLACES["city_hall"][0])
    headers = login(create_staff("supervisor", "11680"))
    body = client.get("/api/v1/kpi", headers=headers).get_json()
    assert [d["code"] for d in body["districts"]] == ["11680"]
    assert body["city"] is None


def test_inspector_may_not_read_kpi(client, create_staff, login):
    assert client.get("/api/v1/kpi", headers=login(create_staff())).status_code == 403


@pytest.mark.parametrize("query", ["since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
                                   "since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z",
                                   "since=yesterday"])
def test_bad_periods_are_422(client, dispatcher, query):
    assert client.get(f"/api/v1/kpi?{query}", headers=dispatcher).status_code == 422


def test_the_figures_export_as_a_spreadsheet_excel_reads(client, session, dispatcher,
                                                         create_complaint):
    create_complaint(lonlat=PLACES["city_hall"][0], category="garbage")
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+", "%2B")
    panel = client.get(f"/api/v1/kpi?until={until}", headers=dispatcher).get_json()
    response = client.get(f"/api/v1/kpi/export?until={until}&lang=en", headers=dispatcher)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="dasan-kpi-')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 with the mark
    import csv

    rows = list(csv.DictReader(text[1:].splitlines()))
    assert rows[0]["code"] == "city" and int(rows[0]["received"]) == panel["city"]["received"]
    jung = next(row for row in rows if row["code"] == "11140")
    assert jung["name"] == "Jung-gu"
    assert int(jung["open_now"]) == next(d for d in panel["districts"]
                                         if d["code"] == "11140")["open_now"]
    assert len(rows) == 1 + len(panel["districts"])


def test_a_supervisor_exports_only_their_district_and_an_inspector_nothing(client, create_staff,
                                                                          login, create_complaint):
    create_complaint(lonlat=PLACES["coex"][0])
    create_complaint(lonlat=PLACES["city_hall"][0])
    supervisor = login(create_staff("supervisor", "11680"))
    text = client.get("/api/v1/kpi/export", headers=supervisor).get_data(as_text=True)
    assert [line.split(",")[0] for line in text[1:].splitlines()] == ["code", "11680"]
    assert client.get("/api/v1/kpi/export", headers=login(create_staff())).status_code == 403
    assert client.get("/api/v1/kpi/export").status_code == 401
    bad = client.get("/api/v1/kpi/export?since=yesterday", headers=supervisor)
    assert bad.status_code == 422 and bad.get_json()["error"] == "validation_error"


def q(moment: datetime) -> str:
    return moment.isoformat().replace("+", "%2B")


def test_a_past_period_has_no_now_figures(client, dispatcher, create_complaint):
    create_complaint(lonlat=PLACES["city_hall"][0])
    now = datetime.now(UTC)
    past = client.get(f"/api/v1/kpi?since={q(now - timedelta(days=40))}"
                      f"&until={q(now - timedelta(days=10))}", headers=dispatcher).get_json()
    assert past["city"]["open_now"] is None and past["city"]["overdue_now"] is None
    assert all(d["open_now"] is None and d["overdue_now"] is None for d in past["districts"])
    current = client.get(f"/api/v1/kpi?until={q(now + timedelta(days=1))}",
                         headers=dispatcher).get_json()
    assert current["city"]["open_now"] >= 1 and current["city"]["overdue_now"] is not None
    csv_text = client.get(f"/api/v1/kpi/export?since={q(now - timedelta(days=40))}"
                          f"&until={q(now - timedelta(days=10))}", headers=dispatcher
                          ).get_data(as_text=True)
    city = csv_text[1:].splitlines()[1].split(",")
    header = csv_text[1:].splitlines()[0].split(",")
    assert city[header.index("open_now")] == "" and city[header.index("overdue_now")] == ""


def test_a_closure_counts_in_its_period_though_reopened_later(client, session, dispatcher,
                                                              create_complaint):
    complaint = create_complaint(lonlat=(126.9829, 37.5663), category="illegal_parking")
    close(session, complaint, 30)
    closed_at = complaint.created_at + timedelta(minutes=30)
    period = f"?since={q(closed_at - timedelta(hours=1))}&until={q(closed_at + timedelta(hours=1))}"
    before = client.get("/api/v1/kpi" + period, headers=dispatcher).get_json()["city"]
    # The reporter reopens it: closed_at is cleared, the status is open again.
    record_event(session, complaint, kind="reopened", actor=Actor.citizen(),
                 at=closed_at + timedelta(hours=2), from_status="resolved",
                 to_status="dispatched")
    session.execute(update(Complaint).where(Complaint.id == complaint.id)
                    .values(status="dispatched", closed_at=None, version=Complaint.version + 1))
    session.flush()
    after = client.get("/api/v1/kpi" + period, headers=dispatcher).get_json()["city"]
    assert after["closed"] == before["closed"] >= 1
    assert after["closed_within_sla"] == before["closed_within_sla"]
    assert after["median_minutes_to_close"] == before["median_minutes_to_close"]


def test_times_without_an_offset_are_seoul_time_and_every_district_is_listed(client, session,
                                                                            dispatcher):
    from dispatch.models import District

    body = client.get("/api/v1/kpi?since=2024-03-01&until=2024-04-01T00:00:00",
                      headers=dispatcher).get_json()
    assert body["since"] == "2024-03-01T00:00:00+09:00"
    assert body["until"] == "2024-04-01T00:00:00+09:00"
    codes = sorted(session.scalars(select(District.code)))
    assert len(codes) > 1
    # Nothing was filed in March 2024, yet every district has its row of zeros.
    assert [d["code"] for d in body["districts"]] == codes
    assert all(d["received"] == 0 and d["closed"] == 0 for d in body["districts"])
    explicit = client.get("/api/v1/kpi?since=2024-03-01T00:00:00Z&until=2024-04-01T00:00:00Z",
                          headers=dispatcher).get_json()
    assert explicit["since"] == "2024-03-01T09:00:00+09:00"  # an offset given is kept


def test_the_export_is_named_by_the_last_day_it_includes(client, dispatcher):
    response = client.get("/api/v1/kpi/export?since=2026-11-01&until=2026-12-01",
                          headers=dispatcher)
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="dasan-kpi-20261101-20261130.csv"')
    rows = response.get_data(as_text=True)[1:].splitlines()
    panel = client.get("/api/v1/kpi?since=2026-11-01&until=2026-12-01",
                       headers=dispatcher).get_json()
    assert len(rows) == 2 + len(panel["districts"])  # header, city, every district
