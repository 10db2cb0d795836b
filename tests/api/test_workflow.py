"""The lifecycle through the API, role by role, with versions, transfers and duplicates."""

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.citizens import citizen_token
from tests.api.test_photos import upload
from tests.factories import PLACES, complaint_json
from tests.photo_factory import make_image


@pytest.fixture
def staff(create_staff, login):
    members = {
        "inspector": create_staff("inspector", "11140"),
        "other_inspector": create_staff("inspector", "11140"),
        "gangnam_inspector": create_staff("inspector", "11680"),
        "supervisor": create_staff("supervisor", "11140"),
        "gangnam_supervisor": create_staff("supervisor", "11680"),
        "dispatcher": create_staff("dispatcher"),
    }
    return {name: (member, login(member)) for name, member in members.items()}


@pytest.fixture
def filed(client):
    body = client.post("/api/v1/complaints", json=complaint_json(
        phone="010-3333-4444", category="road_damage")).get_json()
    return body


def h(staff, name, version=None):
    headers = dict(staff[name][1])
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return headers


def move(client, public_id, name, headers, **body):
    return client.post(f"/api/v1/complaints/{public_id}/{name}", json=body, headers=headers)


def test_inspector_works_a_complaint_from_accept_to_resolve(client, staff, filed, settings):
    pid = filed["public_id"]
    detail = client.get(f"/api/v1/staff/complaints/{pid}", headers=h(staff, "inspector"))
    assert detail.status_code == 200 and detail.headers["ETag"] == '"1"'
    assert "accept" in detail.get_json()["allowed_moves"]
    reporter = {"X-Citizen-Token": citizen_token(settings.secret_key, pid)}
    open_now = client.get(f"/api/v1/complaints/{pid}/timeline", headers=reporter).get_json()
    assert open_now["reopen_until"] is None  # open: nothing to reopen
    accepted = move(client, pid, "accept", h(staff, "inspector", 1))
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "assigned" and accepted.headers["ETag"] == '"2"'
    on_site = move(client, pid, "on-site", h(staff, "inspector", 2),
                   location={"type": "Point", "coordinates": list(PLACES["city_hall"][0])})
    assert on_site.get_json()["status"] == "on_site"
    no_photo = move(client, pid, "resolve", h(staff, "inspector", 3), outcome="repaired",
                    public_note="Pothole filled.")
    assert no_photo.status_code == 422 and no_photo.get_json()["error"] == "evidence_required"
    complaint_stub = type("C", (), {"public_id": pid})
    assert upload(client, complaint_stub, h(staff, "inspector"), make_image()).status_code == 201
    resolved = move(client, pid, "resolve", h(staff, "inspector", 3), outcome="repaired",
                    public_note="Pothole filled.", internal_note="took 20 minutes")
    assert resolved.status_code == 200, resolved.get_json()
    body = resolved.get_json()
    assert body["status"] == "resolved" and body["outcome"] == "repaired"
    kinds = [event["kind"] for event in body["history"]]
    assert kinds == ["received", "dispatched", "assigned", "on_site", "photo_added", "resolved"]
    # The reporter's timeline shows public notes only.
    token = {"X-Citizen-Token": citizen_token(settings.secret_key, pid)}
    timeline = client.get(f"/api/v1/complaints/{pid}/timeline", headers=token).get_json()
    assert "Pothole filled." in str(timeline) and "20 minutes" not in str(timeline)
    # The status page hides "reopen" once the window has passed: the timeline says when.
    closed = datetime.fromisoformat(body["closed_at"])
    assert datetime.fromisoformat(timeline["reopen_until"]) == closed + timedelta(
        days=settings.reopen_days)


def test_state_changes_need_the_version_and_refuse_stale_ones(client, staff, filed):
    pid = filed["public_id"]
    missing = move(client, pid, "accept", h(staff, "inspector"))
    assert missing.status_code == 428 and missing.get_json()["error"] == "version_required"
    assert move(client, pid, "accept", h(staff, "inspector", 1)).status_code == 200
    stale = move(client, pid, "accept", h(staff, "other_inspector", 1))
    assert stale.status_code == 412 and stale.get_json()["error"] == "stale_version"
    garbage = move(client, pid, "on-site", h(staff, "inspector") | {"If-Match": "nonsense"})
    assert garbage.status_code == 400 and garbage.get_json()["error"] == "malformed_request"
    assert "If-Match" in garbage.get_json()["message"]


@pytest.mark.parametrize(("tag", "matches"), [
    ('W/"2", "1"', True),  # any listed tag may match; the weak one is skipped
    ('"7", "1"', True),
    ('"1" , W/"1"', True),
    ('"1",', True),  # an empty list element is allowed
    ("1", True),  # a bare number: not RFC 9110, but clients sent it and it always worked
    ('W/"1"', False),  # strong comparison: a weak tag never matches
    ('"2", "3"', False),
    ('"a,b", "x"', False),  # opaque tags (a comma inside quotes) are read, and do not match
])
def test_if_match_lists_are_read_per_rfc_9110(client, staff, filed, tag, matches):
    pid = filed["public_id"]
    answer = move(client, pid, "accept", h(staff, "inspector") | {"If-Match": tag})
    if matches:
        assert answer.status_code == 200, answer.get_json()
        return
    assert (answer.status_code, answer.get_json()["error"]) == (412, "stale_version")
    assert answer.get_json()["details"]["current_version"] == 1
    assert "-1" not in answer.get_json()["message"]


@pytest.mark.parametrize("tag", ['"1', '"1" "2"', "W/1", 'W/"1" x', "1, 2", '"1";"2"'])
def test_an_unreadable_if_match_says_so(client, staff, filed, tag):
    answer = move(client, filed["public_id"], "accept",
                  h(staff, "inspector") | {"If-Match": tag})
    assert (answer.status_code, answer.get_json()["error"]) == (400, "malformed_request")
    assert "If-Match" in answer.get_json()["message"] and "-1" not in answer.get_json()["message"]


def test_forbidden_moves_are_409_and_wrong_roles_403(client, staff, filed):
    pid = filed["public_id"]
    early = move(client, pid, "on-site", h(staff, "supervisor", 1))
    assert early.status_code == 409 and early.get_json()["error"] == "invalid_transition"
    assert move(client, pid, "transfer", h(staff, "inspector", 1),
                district_code="11680", internal_note="x").status_code == 403
    assert move(client, pid, "accept", h(staff, "dispatcher", 1)).status_code == 403


def test_other_district_cannot_see_or_touch_it(client, staff, filed):
    pid = filed["public_id"]
    assert client.get(f"/api/v1/staff/complaints/{pid}",
                      headers=h(staff, "gangnam_inspector")).status_code == 404
    assert move(client, pid, "accept", h(staff, "gangnam_inspector", 1)).status_code == 404


def test_only_the_assignee_inspector_may_close(client, staff, filed):
    pid = filed["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    other = move(client, pid, "unfounded", h(staff, "other_inspector", 2), outcome="not_found",
                 public_note="Nothing there.")
    assert other.status_code == 403


def test_supervisor_assigns_and_closing_needs_outcome_and_note(client, staff, filed):
    pid = filed["public_id"]
    inspector = staff["inspector"][0]
    assigned = move(client, pid, "assign", h(staff, "supervisor", 1), assignee_id=inspector.id)
    assert assigned.get_json()["assignee_id"] == inspector.id
    wrong = move(client, pid, "assign", h(staff, "supervisor", 2),
                 assignee_id=staff["gangnam_inspector"][0].id)
    assert wrong.status_code == 422
    no_outcome = move(client, pid, "unfounded", h(staff, "inspector", 2), public_note="x")
    assert no_outcome.get_json()["error"] == "invalid_outcome"
    no_note = move(client, pid, "unfounded", h(staff, "inspector", 2), outcome="not_found")
    assert no_note.get_json()["error"] == "invalid_outcome"
    done = move(client, pid, "unfounded", h(staff, "inspector", 2), outcome="not_found",
                public_note="No damage found at the spot.")
    assert done.get_json()["status"] == "unfounded"


def test_a_bad_assignee_or_district_gets_its_own_code(client, staff, filed):
    # They answered invalid_outcome, which the apps show as "check the outcome and the note".
    pid = filed["public_id"]
    wrong = move(client, pid, "assign", h(staff, "supervisor", 1),
                 assignee_id=staff["gangnam_inspector"][0].id)
    unknown = move(client, pid, "assign", h(staff, "supervisor", 1), assignee_id=2**40)
    none = move(client, pid, "assign", h(staff, "supervisor", 1))
    for answer in (wrong, unknown, none):
        assert (answer.status_code, answer.get_json()["error"]) == (422, "invalid_assignee")
        assert "assignee_id" in answer.get_json()["errors"]["json"]
    nowhere = move(client, pid, "transfer", h(staff, "supervisor", 1), district_code="%",
                   internal_note="Somewhere else.")
    assert (nowhere.status_code, nowhere.get_json()["error"]) == (422, "unknown_district")
    assert "district_code" in nowhere.get_json()["errors"]["json"]
    here = move(client, pid, "transfer", h(staff, "supervisor", 1), district_code="11140",
                internal_note="Here.")
    assert (here.status_code, here.get_json()["error"]) == (422, "already_in_district")


@pytest.mark.parametrize("who", ["disabled_inspector", "supervisor", "dispatcher", "nobody"])
def test_assign_only_to_an_active_inspector_of_the_district(client, staff, filed, session,
                                                           create_staff, who):
    from sqlalchemy import func, select

    from dispatch.models import Complaint, ComplaintEvent

    if who == "disabled_inspector":
        assignee = create_staff("inspector", "11140")
        assignee.active = False
        session.flush()
        assignee_id = assignee.id
    else:
        assignee_id = staff[who][0].id if who in staff else 2**31 - 1
    pid = filed["public_id"]
    refused = move(client, pid, "assign", h(staff, "supervisor", 1), assignee_id=assignee_id)
    assert refused.status_code == 422, refused.get_json()
    body = refused.get_json()
    assert body["error"] == "invalid_assignee" and list(body["errors"]["json"]) == ["assignee_id"]
    row = session.scalar(select(Complaint).where(Complaint.public_id == pid))
    session.refresh(row)
    assert (row.status, row.version, row.assignee_id) == ("dispatched", 1, None)
    assert session.scalar(select(func.count()).select_from(ComplaintEvent).where(
        ComplaintEvent.complaint_id == row.id, ComplaintEvent.kind == "assigned")) == 0


def test_transfer_moves_it_to_the_other_district_queue(client, staff, filed):
    pid = filed["public_id"]
    moved = move(client, pid, "transfer", h(staff, "supervisor", 1), district_code="11680",
                 internal_note="The road belongs to Gangnam-gu.")
    assert moved.status_code == 200 and moved.get_json()["status"] == "transferred"
    # The dong follows the district (the nearest Gangnam-gu dong to the spot).
    assert filed["dong"]["code"].startswith("11140")
    dong = moved.get_json()["dong"]["code"]
    assert dong.startswith("11680")
    assert client.get(f"/api/v1/staff/complaints/{pid}",
                      headers=h(staff, "inspector")).status_code == 404
    queue = client.get("/api/v1/queue", headers=h(staff, "gangnam_inspector")).get_json()
    assert pid in [item["public_id"] for item in queue["items"]]
    by_dong = client.get(f"/api/v1/queue?dong={dong}",
                         headers=h(staff, "gangnam_inspector")).get_json()
    assert pid in [item["public_id"] for item in by_dong["items"]]
    assert move(client, pid, "accept", h(staff, "gangnam_inspector", 2)).status_code == 200
    no_reason = move(client, pid, "transfer", h(staff, "gangnam_supervisor", 3),
                     district_code="11140")
    assert no_reason.status_code == 422


def test_reporter_cancels_before_assignment_only(client, staff, settings):
    first = client.post("/api/v1/complaints", json=complaint_json()).get_json()
    token = {"X-Citizen-Token": first["citizen_token"]}
    wrong = client.post(f"/api/v1/complaints/{first['public_id']}/cancel", json={},
                        headers={"X-Citizen-Token": "0" * 32})
    assert wrong.status_code == 404
    cancelled = client.post(f"/api/v1/complaints/{first['public_id']}/cancel",
                            json={"public_note": "Fixed itself."}, headers=token)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    second = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location={"type": "Point", "coordinates": [127.0095, 37.5665]}))
    second = second.get_json()
    move(client, second["public_id"], "accept", h(staff, "inspector", 1))
    late = client.post(f"/api/v1/complaints/{second['public_id']}/cancel", json={},
                       headers={"X-Citizen-Token": second["citizen_token"]})
    assert late.status_code == 409


def test_reporter_reopens_within_window(client, staff, filed, session, settings):
    pid = filed["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    move(client, pid, "unfounded", h(staff, "inspector", 2), outcome="not_found",
         public_note="Nothing found.")
    token = {"X-Citizen-Token": filed["citizen_token"]}
    reopened = client.post(f"/api/v1/complaints/{pid}/reopen",
                           json={"public_note": "It is still broken."}, headers=token)
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "dispatched"


def _closed_minutes_ago(client, staff, filed, session, settings, minutes_past_deadline):
    """Close ``filed`` (unfounded) and date the closure so the reopen deadline is that far off."""
    from sqlalchemy import select

    from dispatch.models import Complaint

    pid = filed["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    move(client, pid, "unfounded", h(staff, "inspector", 2), outcome="not_found",
         public_note="Nothing found.")
    row = session.scalar(select(Complaint).where(Complaint.public_id == pid))
    row.closed_at = datetime.now(UTC) - timedelta(days=settings.reopen_days,
                                                  minutes=minutes_past_deadline)
    session.flush()
    return row


def test_reporter_cannot_reopen_after_the_window(client, staff, filed, session, settings):
    from sqlalchemy import func, select

    from dispatch.models import ComplaintEvent

    row = _closed_minutes_ago(client, staff, filed, session, settings, 1)
    version = row.version
    late = client.post(f"/api/v1/complaints/{filed['public_id']}/reopen",
                       json={"public_note": "It is still broken."},
                       headers={"X-Citizen-Token": filed["citizen_token"]})
    assert late.status_code == 409, late.get_json()
    assert late.get_json()["error"] == "invalid_transition"
    session.refresh(row)
    assert (row.status, row.version) == ("unfounded", version)
    assert session.scalar(select(func.count()).select_from(ComplaintEvent).where(
        ComplaintEvent.complaint_id == row.id, ComplaintEvent.kind == "reopened")) == 0


def test_reporter_can_reopen_a_minute_before_the_window_ends(client, staff, filed, session,
                                                              settings):
    _closed_minutes_ago(client, staff, filed, session, settings, -1)
    just_in_time = client.post(f"/api/v1/complaints/{filed['public_id']}/reopen", json={},
                               headers={"X-Citizen-Token": filed["citizen_token"]})
    assert just_in_time.status_code == 200, just_in_time.get_json()
    assert just_in_time.get_json()["status"] == "dispatched"


def test_a_reopened_complaint_gets_a_fresh_deadline_and_can_escalate_again(
        client, staff, filed, session, settings):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from dispatch.escalation import escalate_due
    from dispatch.models import Complaint, ComplaintEscalation, ComplaintEvent

    pid = filed["public_id"]
    row = session.scalar(select(Complaint).where(Complaint.public_id == pid))
    row.due_at = datetime.now(UTC) - timedelta(hours=1)  # it ran late
    session.flush()
    assert escalate_due(session, settings)["breached"] == 1
    move(client, pid, "accept", h(staff, "inspector", row.version))
    move(client, pid, "unfounded", h(staff, "inspector", row.version + 1),
         outcome="not_found", public_note="Nothing found.")
    session.refresh(row)
    closed_version = row.version
    reopened = client.post(f"/api/v1/complaints/{pid}/reopen", json={},
                           headers={"X-Citizen-Token": filed["citizen_token"]})
    assert reopened.status_code == 200
    assert reopened.get_json()["version"] == closed_version + 1  # one change, one version
    session.refresh(row)
    # road_damage's SLA from now, not the old, long-passed deadline.
    assert row.due_at > datetime.now(UTC) + timedelta(hours=1)
    assert session.scalar(select(func.count()).select_from(ComplaintEscalation).where(
        ComplaintEscalation.complaint_id == row.id)) == 0
    row.due_at = datetime.now(UTC) - timedelta(minutes=1)  # and runs late again
    session.flush()
    assert escalate_due(session, settings)["breached"] == 1
    escalated = session.scalar(select(func.count()).select_from(ComplaintEvent).where(
        ComplaintEvent.complaint_id == row.id, ComplaintEvent.kind == "escalated"))
    assert escalated == 2


def test_phone_is_shown_to_assignee_and_supervisor_only(client, staff, filed):
    pid = filed["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    mine = client.get(f"/api/v1/staff/complaints/{pid}", headers=h(staff, "inspector"))
    other = client.get(f"/api/v1/staff/complaints/{pid}", headers=h(staff, "other_inspector"))
    boss = client.get(f"/api/v1/staff/complaints/{pid}", headers=h(staff, "supervisor"))
    city = client.get(f"/api/v1/staff/complaints/{pid}", headers=h(staff, "dispatcher"))
    assert mine.get_json()["reporter_phone"] == "+821033334444"
    assert boss.get_json()["reporter_phone"] == "+821033334444"
    assert "3333" not in other.get_json()["reporter_phone"]
    assert "3333" not in city.get_json()["reporter_phone"]


def test_second_report_nearby_becomes_duplicate_and_closes_with_parent(client, staff, session):
    from sqlalchemy import select

    from dispatch import notifications
    from dispatch.models import Complaint, Notification

    parent = client.post("/api/v1/complaints", json=complaint_json(
        category="street_lamp", phone="010-1000-0001")).get_json()
    nearby = client.get("/api/v1/complaints/nearby?lon=126.97791&lat=37.56631"
                        "&category=street_lamp").get_json()
    assert parent["public_id"] in [row["public_id"] for row in nearby]
    child = client.post("/api/v1/complaints", json=complaint_json(
        category="street_lamp", phone="010-1000-0002",
        location={"type": "Point", "coordinates": [126.97795, 37.56632]})).get_json()
    assert child["status"] == "duplicate"
    detail = client.get(f"/api/v1/staff/complaints/{child['public_id']}",
                        headers=h(staff, "supervisor")).get_json()
    assert detail["parent"] == parent["public_id"]
    pid = parent["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    move(client, pid, "unfounded", h(staff, "inspector", 2), outcome="already_fixed",
         public_note="The lamp works again.")
    closed_child = session.scalar(select(Complaint).where(
        Complaint.public_id == child["public_id"]))
    session.refresh(closed_child)
    assert closed_child.status == "unfounded" and closed_child.outcome == "already_fixed"
    results = select(Notification.recipient).where(Notification.template == "result")
    assert set(session.scalars(results)) == {"+821010000001", "+821010000002"}
    # The child's reporter reopens it: work of its own now, no longer the parent's.
    reopened = client.post(f"/api/v1/complaints/{child['public_id']}/reopen", json={},
                           headers={"X-Citizen-Token": child["citizen_token"]})
    assert reopened.status_code == 200, reopened.get_json()
    session.refresh(closed_child)
    assert (closed_child.status, closed_child.parent_id) == ("dispatched", None)
    parent_row = session.scalar(select(Complaint).where(Complaint.public_id == pid))
    assert notifications.reporters_of(session, parent_row) == [parent_row]
    # The parent is reopened and closed again: only its own reporter hears the result.
    assert client.post(f"/api/v1/complaints/{pid}/reopen", json={},
                       headers={"X-Citizen-Token": parent["citizen_token"]}).status_code == 200
    before = len(session.scalars(results).all())
    move(client, pid, "accept", h(staff, "inspector", 4))
    closed = move(client, pid, "unfounded", h(staff, "inspector", 5), outcome="not_found",
                  public_note="Checked again: the lamp works.")
    assert closed.status_code == 200, closed.get_json()
    assert session.scalars(results).all()[before:] == ["+821010000001"]


def test_when_the_first_reporter_cancels_the_oldest_duplicate_takes_over(client, staff,
                                                                        session):
    from sqlalchemy import select

    from dispatch.models import Complaint, ComplaintEvent, Notification

    def file(phone, lon):
        return client.post("/api/v1/complaints", json=complaint_json(
            category="street_lamp", phone=phone,
            location={"type": "Point", "coordinates": [lon, 37.56632]})).get_json()

    parent = file("010-2000-0001", 126.97791)
    second, third = file("010-2000-0002", 126.97795), file("010-2000-0003", 126.97797)
    assert {second["status"], third["status"]} == {"duplicate"}
    cancelled = client.post(f"/api/v1/complaints/{parent['public_id']}/cancel", json={},
                            headers={"X-Citizen-Token": parent["citizen_token"]})
    assert cancelled.status_code == 200
    # The lamp is still out for the others: the second report is in the queue now.
    lead = client.get(f"/api/v1/staff/complaints/{second['public_id']}",
                      headers=h(staff, "supervisor")).get_json()
    assert (lead["status"], lead["parent"]) == ("dispatched", None)
    assert lead["duplicates"] == [third["public_id"]]
    follower = client.get(f"/api/v1/staff/complaints/{third['public_id']}",
                          headers=h(staff, "supervisor")).get_json()
    assert (follower["status"], follower["parent"]) == ("duplicate", second["public_id"])
    queue = client.get("/api/v1/queue", headers=h(staff, "supervisor")).get_json()
    assert second["public_id"] in [item["public_id"] for item in queue["items"]]
    row = session.scalar(select(Complaint).where(Complaint.public_id == second["public_id"]))
    taken_over = session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == row.id).order_by(ComplaintEvent.id)).all()[-1]
    assert (taken_over.from_status, taken_over.to_status, taken_over.actor_kind) == (
        "duplicate", "dispatched", "system")
    assert taken_over.data["took_over_from"] == parent["public_id"]
    # Its reporter is told where the report went, like any dispatched complaint.
    assert session.scalar(select(Notification).where(
        Notification.complaint_id == row.id, Notification.template == "dispatched"))
    # Resolving the new lead now closes the remaining duplicate with it.
    move(client, second["public_id"], "accept", h(staff, "inspector", lead["version"]))
    move(client, second["public_id"], "unfounded", h(staff, "inspector", lead["version"] + 1),
         outcome="already_fixed", public_note="Works again.")
    after = client.get(f"/api/v1/staff/complaints/{third['public_id']}",
                       headers=h(staff, "supervisor")).get_json()
    assert after["status"] == "unfounded"


def test_staff_link_and_unlink_duplicates_by_hand(client, staff):
    a = client.post("/api/v1/complaints", json=complaint_json(category="garbage")).get_json()
    b = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location={"type": "Point",
                                      "coordinates": [126.9850, 37.5640]})).get_json()
    assert b["status"] == "dispatched"
    linked = client.post(f"/api/v1/complaints/{b['public_id']}/link-duplicate",
                         json={"parent": a["public_id"]}, headers=h(staff, "supervisor", 1))
    assert linked.status_code == 200 and linked.get_json()["status"] == "duplicate"
    unlinked = client.post(f"/api/v1/complaints/{b['public_id']}/unlink-duplicate",
                           headers=h(staff, "supervisor", 2))
    assert unlinked.get_json()["status"] == "dispatched"
    itself = client.post(f"/api/v1/complaints/{a['public_id']}/link-duplicate",
                         json={"parent": a["public_id"]}, headers=h(staff, "supervisor", 1))
    assert itself.status_code == 409


def test_duplicates_are_linked_in_one_district_and_follow_a_transfer(client, staff, session):
    from sqlalchemy import select

    from dispatch.models import Complaint, ComplaintEvent, Notification

    a = client.post("/api/v1/complaints", json=complaint_json(category="garbage")).get_json()
    b = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", phone="010-7777-0001", location={
            "type": "Point", "coordinates": [126.9850, 37.5640]})).get_json()
    gangnam = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location={"type": "Point",
                                      "coordinates": list(PLACES["coex"][0])})).get_json()
    across = client.post(f"/api/v1/complaints/{gangnam['public_id']}/link-duplicate",
                         json={"parent": a["public_id"]}, headers=h(staff, "dispatcher", 1))
    assert across.status_code == 409 and across.get_json()["error"] == "invalid_transition"
    linked = client.post(f"/api/v1/complaints/{b['public_id']}/link-duplicate",
                         json={"parent": a["public_id"]}, headers=h(staff, "supervisor", 1))
    assert linked.status_code == 200
    texts = select(Notification.template).where(Notification.channel == "sms")
    child_texts = session.scalars(texts.join(Complaint).where(
        Complaint.public_id == b["public_id"])).all()
    assert child_texts[-1] == "duplicate"
    moved = move(client, a["public_id"], "transfer", h(staff, "supervisor", 1),
                 district_code="11680", internal_note="Gangnam-gu's street.")
    assert moved.status_code == 200, moved.get_json()
    assert moved.headers["ETag"] == '"2"'  # the parent is written once
    child = session.scalar(select(Complaint).where(Complaint.public_id == b["public_id"]))
    session.refresh(child)
    assert (child.district_code, child.status) == ("11680", "duplicate")
    assert child.dong_code.startswith("11680")
    event = session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == child.id).order_by(ComplaintEvent.id.desc())).first()
    assert (event.kind, event.actor_kind, event.data["parent"]) == (
        "followed_parent", "system", a["public_id"])
    # The duplicate's reporter is told nothing now: they get the parent's result.
    assert session.scalars(texts.where(Notification.complaint_id == child.id)).all() == (
        child_texts)


def test_linking_a_parent_moves_its_duplicates_with_an_event_each(client, staff, session):
    from sqlalchemy import select

    from dispatch.models import Complaint, ComplaintEvent

    a = client.post("/api/v1/complaints", json=complaint_json(category="garbage")).get_json()
    spot = {"type": "Point", "coordinates": [126.9850, 37.5640]}
    b = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location=spot)).get_json()
    c = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", phone="010-7777-0002", location=spot)).get_json()
    assert (b["status"], c["status"]) == ("dispatched", "duplicate")
    linked = client.post(f"/api/v1/complaints/{b['public_id']}/link-duplicate",
                         json={"parent": a["public_id"]}, headers=h(staff, "supervisor", 1))
    assert linked.status_code == 200, linked.get_json()
    grandchild = session.scalar(select(Complaint).where(Complaint.public_id == c["public_id"]))
    session.refresh(grandchild)
    parent_id = session.scalar(select(Complaint.id).where(Complaint.public_id == a["public_id"]))
    assert grandchild.parent_id == parent_id
    event = session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == grandchild.id).order_by(ComplaintEvent.id.desc())).first()
    assert (event.kind, event.data["parent"], event.data["former_parent"]) == (
        "relinked_duplicate", a["public_id"], b["public_id"])


def test_queue_filters_and_sorts_by_distance(client, staff):
    near = client.post("/api/v1/complaints", json=complaint_json(category="garbage")).get_json()
    far = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location={"type": "Point",
                                      "coordinates": list(PLACES["ddp"][0])})).get_json()
    by_distance = client.get("/api/v1/queue?sort=distance&lon=127.0095&lat=37.5665"
                             "&category=garbage", headers=h(staff, "inspector")).get_json()
    ids = [item["public_id"] for item in by_distance["items"]]
    assert ids.index(far["public_id"]) < ids.index(near["public_id"])
    assert by_distance["items"][0]["distance_m"] < 50
    move(client, near["public_id"], "accept", h(staff, "inspector", 1))
    mine = client.get("/api/v1/queue?mine=true", headers=h(staff, "inspector")).get_json()
    assert [item["public_id"] for item in mine["items"]] == [near["public_id"]]
    other = client.get("/api/v1/queue?district=11680", headers=h(staff, "inspector"))
    assert other.status_code == 403


def test_suggested_assignees_prefer_light_load_then_distance(client, staff):
    pid = client.post("/api/v1/complaints", json=complaint_json(category="garbage")).get_json()[
        "public_id"]
    for name, lonlat in (("inspector", PLACES["ddp"][0]),
                         ("other_inspector", PLACES["city_hall"][0])):
        client.post("/api/v1/staff/me/position", headers=h(staff, name),
                    json={"location": {"type": "Point", "coordinates": list(lonlat)}})
    suggestions = client.get(f"/api/v1/complaints/{pid}/suggested-assignees",
                             headers=h(staff, "supervisor")).get_json()
    assert suggestions[0]["staff_id"] == staff["other_inspector"][0].id  # nearer
    move(client, pid, "accept", h(staff, "other_inspector", 1))
    pid2 = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location={"type": "Point",
                                      "coordinates": [126.9790, 37.5670]})).get_json()["public_id"]
    again = client.get(f"/api/v1/complaints/{pid2}/suggested-assignees",
                       headers=h(staff, "supervisor")).get_json()
    assert again[0]["staff_id"] == staff["inspector"][0].id  # lighter load wins


def test_suggested_assignees_list_every_inspector_on_duty_first(client, staff, session):
    pid = client.post("/api/v1/complaints", json=complaint_json(category="garbage")).get_json()[
        "public_id"]
    url = f"/api/v1/complaints/{pid}/suggested-assignees"
    nobody = client.get(url, headers=h(staff, "supervisor")).get_json()
    # Nobody on duty: still every active inspector of the district, none suggested.
    assert {p["staff_id"] for p in nobody} == {staff["inspector"][0].id,
                                               staff["other_inspector"][0].id}
    assert not any(p["on_duty"] or p["suggested"] for p in nobody)
    for name in ("inspector", "other_inspector"):
        client.post("/api/v1/staff/me/position", headers=h(staff, name),
                    json={"location": {"type": "Point", "coordinates": list(PLACES["ddp"][0])}})
    # A position from last night does not count: on_duty is still true, but stale.
    staff["inspector"][0].last_seen_at = datetime.now(UTC) - timedelta(hours=9)
    session.flush()
    people = client.get(url, headers=h(staff, "supervisor")).get_json()
    assert [p["staff_id"] for p in people] == [staff["other_inspector"][0].id,
                                              staff["inspector"][0].id]
    assert people[0]["on_duty"] and people[0]["suggested"] and people[0]["distance_m"]
    assert people[1] == {**people[1], "on_duty": False, "suggested": False, "distance_m": None}
    # Logging out takes the inspector off duty at once.
    assert client.post("/api/v1/auth/logout", headers=h(staff, "other_inspector")
                       ).status_code == 204
    after = client.get(url, headers=h(staff, "supervisor")).get_json()
    assert not any(p["on_duty"] for p in after) and len(after) == 2


def test_queue_items_say_how_many_photos_the_reporter_sent(client, staff, settings):
    with_photos = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location={"type": "Point", "coordinates": [126.9800, 37.5650]})
    ).get_json()
    without = client.post("/api/v1/complaints", json=complaint_json(
        category="garbage", location={"type": "Point", "coordinates": [126.9900, 37.5600]})
    ).get_json()
    reporter = {"X-Citizen-Token": citizen_token(settings.secret_key, with_photos["public_id"])}
    stub = type("C", (), {"public_id": with_photos["public_id"]})
    assert upload(client, stub, reporter, make_image(), make_image((480, 640))).status_code == 201
    # A staff evidence photo is not the reporter's.
    assert upload(client, type("C", (), {"public_id": without["public_id"]}),
                  h(staff, "supervisor"), make_image()).status_code == 201
    items = client.get("/api/v1/queue?category=garbage", headers=h(staff, "inspector")).get_json()
    counts = {item["public_id"]: item["report_photos"] for item in items["items"]}
    assert counts[with_photos["public_id"]] == 2
    assert counts[without["public_id"]] == 0


def test_the_queue_shows_the_reporters_phone_to_the_assignee_only(client, staff, filed):
    pid = filed["public_id"]

    def phone_seen_by(name):
        items = client.get("/api/v1/queue?category=road_damage", headers=h(staff, name)).get_json()
        return {item["public_id"]: item["reporter_phone"] for item in items["items"]}[pid]

    assert phone_seen_by("inspector") is None  # not yet anyone's
    assert phone_seen_by("supervisor") == "+821033334444"
    assert move(client, pid, "accept", h(staff, "inspector", 1)).status_code == 200
    assert phone_seen_by("inspector") == "+821033334444"
    assert phone_seen_by("other_inspector") is None


def test_the_assigned_inspector_may_transfer_with_a_reason_and_it_leaves_the_queue(client, staff,
                                                                                 filed):
    pid = filed["public_id"]
    assert move(client, pid, "accept", h(staff, "inspector", 1)).status_code == 200
    other = move(client, pid, "transfer", h(staff, "other_inspector", 2), district_code="11110",
                 internal_note="Jongno's side")
    assert (other.status_code, other.get_json()["error"]) == (403, "forbidden")
    no_reason = move(client, pid, "transfer", h(staff, "inspector", 2), district_code="11110")
    assert no_reason.status_code == 422 and no_reason.get_json()["error"] == "invalid_outcome"
    moved = move(client, pid, "transfer", h(staff, "inspector", 2), district_code="11110",
                 internal_note="The lamp stands on Jongno's side of the street")
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["status"], moved.get_json()["district"]["code"]) == (
        "transferred", "11110")
    queue = client.get("/api/v1/queue", headers=h(staff, "inspector")).get_json()
    assert pid not in [item["public_id"] for item in queue["items"]]


def test_supervisor_hands_an_on_site_ticket_to_a_colleague(client, staff, filed):
    pid = filed["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    on_site = move(client, pid, "on-site", h(staff, "inspector", 2),
                   location={"type": "Point", "coordinates": [126.9779, 37.5663]})
    assert on_site.get_json()["status"] == "on_site"
    detail = client.get(f"/api/v1/staff/complaints/{pid}", headers=h(staff, "supervisor"))
    assert {"assign", "release"} <= set(detail.get_json()["allowed_moves"])
    colleague = staff["other_inspector"][0]
    handed = move(client, pid, "assign", h(staff, "supervisor", 3), assignee_id=colleague.id)
    assert handed.status_code == 200, handed.get_json()
    assert (handed.get_json()["status"], handed.get_json()["assignee_id"]) == (
        "assigned", colleague.id)
    # The first inspector can no longer act on it; the colleague goes on site.
    assert move(client, pid, "on-site", h(staff, "inspector", 4)).status_code == 403
    back = move(client, pid, "on-site", h(staff, "other_inspector", 4),
                location={"type": "Point", "coordinates": [126.9779, 37.5663]})
    assert back.get_json()["status"] == "on_site"
    # And an inspector at the end of a shift can give an on-site ticket back to the queue.
    released = move(client, pid, "release", h(staff, "other_inspector", 5))
    assert (released.get_json()["status"], released.get_json()["assignee_id"]) == (
        "dispatched", None)


def test_a_released_ticket_does_not_text_the_reporter_again(client, staff, filed, session):
    from sqlalchemy import func, select

    from dispatch.models import Complaint, Notification

    pid = filed["public_id"]
    row = session.scalar(select(Complaint).where(Complaint.public_id == pid))

    def texts(template):
        return session.scalar(select(func.count()).select_from(Notification).where(
            Notification.complaint_id == row.id, Notification.channel == "sms",
            Notification.template == template))

    assert texts("dispatched") == 1
    move(client, pid, "accept", h(staff, "inspector", 1))
    released = move(client, pid, "release", h(staff, "inspector", 2))
    assert released.get_json()["status"] == "dispatched"
    assert texts("dispatched") == 1


def test_evidence_comes_from_the_assignee_and_from_this_visit(client, staff, filed, settings):
    pid = filed["public_id"]
    stub = type("C", (), {"public_id": pid})
    assert move(client, pid, "accept", h(staff, "inspector", 1)).status_code == 200
    # A colleague's photo would stand as proof of a visit they were not sent on.
    other = upload(client, stub, h(staff, "other_inspector"), make_image())
    assert other.status_code == 403 and other.get_json()["error"] == "forbidden"
    assert upload(client, stub, h(staff, "inspector"), make_image()).status_code == 201
    resolved = move(client, pid, "resolve", h(staff, "inspector", 2), outcome="repaired",
                    public_note="Pothole filled.")
    assert resolved.status_code == 200, resolved.get_json()
    token = {"X-Citizen-Token": citizen_token(settings.secret_key, pid)}
    assert client.post(f"/api/v1/complaints/{pid}/reopen", json={},
                       headers=token).status_code == 200
    assert move(client, pid, "accept", h(staff, "inspector", 4)).status_code == 200
    # The first visit's photo proves nothing about the second.
    again = move(client, pid, "resolve", h(staff, "inspector", 5), outcome="repaired",
                 public_note="Filled again.")
    assert again.status_code == 422 and again.get_json()["error"] == "evidence_required"
    # A supervisor of the district may add evidence too (e.g. from the office's camera).
    by_supervisor = upload(client, stub, h(staff, "supervisor"), make_image(size=(600, 400)))
    assert by_supervisor.status_code == 201
    assert move(client, pid, "resolve", h(staff, "inspector", 5), outcome="repaired",
                public_note="Filled again.").status_code == 200


def test_queue_items_carry_the_description_and_every_attribute_for_staff(client, staff):
    # The inspector on site needs the reporter's words and the plate (private from the public).
    parked = client.post("/api/v1/complaints", json=complaint_json(
        category="illegal_parking", description="White van on the crossing",
        attributes={"vehicle_plate": "12가3456"},
        location={"type": "Point", "coordinates": [126.9810, 37.5655]})).get_json()
    lamp = client.post("/api/v1/complaints", json=complaint_json(
        category="street_lamp", description="Third lamp from the bakery",
        location={"type": "Point", "coordinates": [126.9910, 37.5605]})).get_json()
    items = {item["public_id"]: item for item in client.get(
        "/api/v1/queue", headers=h(staff, "inspector")).get_json()["items"]}
    assert items[parked["public_id"]]["description"] == "White van on the crossing"
    assert items[parked["public_id"]]["attributes"] == {"vehicle_plate": "12가3456"}
    assert items[lamp["public_id"]]["description"] == "Third lamp from the bakery"
    assert items[lamp["public_id"]]["attributes"] == {}
    # Still private everywhere public.
    public = client.get(f"/api/v1/complaints/{parked['public_id']}").get_json()
    assert public["attributes"] == {}
    assert "12가3456" not in str(client.get(
        f"/open311/v2/requests/{parked['public_id']}.json?extensions=true").get_json())
    assert "12가3456" not in str(client.get(
        "/api/v1/complaints/nearby?lon=126.9810&lat=37.5655").get_json())
ISO_SEOUL = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$"


def test_event_times_are_iso_in_the_display_time_zone(client, staff, filed, settings):
    import re

    pid = filed["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    history = client.get(f"/api/v1/staff/complaints/{pid}",
                         headers=h(staff, "inspector")).get_json()["history"]
    reporter = {"X-Citizen-Token": citizen_token(settings.secret_key, pid)}
    events = client.get(f"/api/v1/complaints/{pid}/timeline", headers=reporter).get_json()["events"]
    assert len(history) == 3 and len(events) == 3
    for event in history + events:
        assert re.match(ISO_SEOUL, event["at"]), event["at"]
    assert datetime.fromisoformat(events[0]["at"]) == datetime.fromisoformat(filed["created_at"])


def test_staff_history_says_where_on_site_was_pressed_and_the_public_never(client, staff,
                                                                           settings):
    lon, lat = PLACES["city_hall"][0]
    near = client.post("/api/v1/complaints", json=complaint_json(
        category="road_damage")).get_json()["public_id"]
    far = client.post("/api/v1/complaints", json=complaint_json(
        category="illegal_dumping")).get_json()["public_id"]
    for pid, at in ((near, [lon, lat + 0.0003]), (far, [lon + 0.01, lat])):
        assert move(client, pid, "accept", h(staff, "inspector", 1)).status_code == 200
        answer = move(client, pid, "on-site", h(staff, "inspector", 2),
                      location={"type": "Point", "coordinates": at})
        assert answer.status_code == 200, answer.get_json()
    entries = {}
    for pid in (near, far):
        history = client.get(f"/api/v1/staff/complaints/{pid}",
                             headers=h(staff, "supervisor")).get_json()["history"]
        entries[pid] = {event["kind"]: event for event in history}
    on_site = entries[near]["on_site"]
    assert on_site["location"] == {"type": "Point", "coordinates": [lon, lat + 0.0003]}
    assert 30 < on_site["distance_m"] < 37 and on_site["flags"] == []
    far_on_site = entries[far]["on_site"]
    assert far_on_site["distance_m"] > settings.photo_max_distance_m
    assert far_on_site["flags"] == ["far_from_site"]
    # An event without a position says so (no distance, no flag).
    assert entries[near]["assigned"]["location"] is None
    assert entries[near]["assigned"]["distance_m"] is None
    assert entries[near]["assigned"]["flags"] == []
    reporter = {"X-Citizen-Token": citizen_token(settings.secret_key, near)}
    timeline = client.get(f"/api/v1/complaints/{near}/timeline", headers=reporter).get_json()
    for event in timeline["events"]:
        assert not {"location", "distance_m", "flags", "actor_id"} & set(event), event
    staff_timeline = client.get(f"/api/v1/complaints/{near}/timeline",
                                headers=h(staff, "supervisor")).get_json()
    assert "location" not in str(staff_timeline["events"])


def test_staff_history_does_not_judge_on_site_by_a_report_by_texts_stand_in_point(
        client, staff, session):
    from sqlalchemy import text

    lon, lat = PLACES["city_hall"][0]
    pid = client.post("/api/v1/complaints", json=complaint_json(
        category="road_damage")).get_json()["public_id"]
    # As a report by text is stored: a point inside the dong standing for the whole dong.
    session.execute(text("UPDATE complaints SET location_precision = 'dong' "
                         "WHERE public_id = :p"), {"p": pid})
    assert move(client, pid, "accept", h(staff, "inspector", 1)).status_code == 200
    answer = move(client, pid, "on-site", h(staff, "inspector", 2),
                  location={"type": "Point", "coordinates": [lon + 0.01, lat]})
    assert answer.status_code == 200, answer.get_json()
    history = client.get(f"/api/v1/staff/complaints/{pid}",
                         headers=h(staff, "supervisor")).get_json()["history"]
    on_site = next(event for event in history if event["kind"] == "on_site")
    assert on_site["location"] == {"type": "Point", "coordinates": [lon + 0.01, lat]}
    assert on_site["distance_m"] is None and on_site["flags"] == []


def test_the_public_view_names_the_outcome_once_closed(client, staff, filed, settings):
    pid = filed["public_id"]
    assert client.get(f"/api/v1/complaints/{pid}").get_json()["outcome"] is None
    move(client, pid, "accept", h(staff, "inspector", 1))
    move(client, pid, "on-site", h(staff, "inspector", 2))
    upload(client, type("C", (), {"public_id": pid}), h(staff, "inspector"), make_image())
    resolved = move(client, pid, "resolve", h(staff, "inspector", 3), outcome="repaired",
                    public_note="Pothole filled")
    assert resolved.status_code == 200, resolved.get_json()
    assert client.get(f"/api/v1/complaints/{pid}").get_json()["outcome"] == "repaired"


def test_a_cancelled_complaint_shows_no_outcome_code(client, settings):
    body = client.post("/api/v1/complaints", json=complaint_json()).get_json()
    pid = body["public_id"]
    token = {"X-Citizen-Token": body["citizen_token"], "If-Match": f'"{body["version"]}"'}
    assert client.post(f"/api/v1/complaints/{pid}/cancel", json={},
                       headers=token).status_code == 200
    assert client.get(f"/api/v1/complaints/{pid}").get_json()["outcome"] is None
