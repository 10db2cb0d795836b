"""Staff accounts over HTTP: who lists whom, admins' changes, password changes and resets."""

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select, update

from dispatch.models import Complaint, ComplaintEvent, Notification, PushSubscription, Staff
from tests.factories import STAFF_PASSWORD, complaint_json

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def people(create_staff, login):
    members = {
        "admin": create_staff("admin"),
        "dispatcher": create_staff("dispatcher"),
        "supervisor": create_staff("supervisor", "11140"),
        "inspector": create_staff("inspector", "11140"),
        "colleague": create_staff("inspector", "11140"),
        "gangnam_inspector": create_staff("inspector", "11680"),
    }
    return {name: (member, login(member)) for name, member in members.items()}


def headers(people, name, version=None):
    found = dict(people[name][1])
    if version is not None:
        found["If-Match"] = f'"{version}"'
    return found


def account_url(people, name):
    return f"/api/v1/staff/accounts/{people[name][0].id}"


def log_in(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


@pytest.fixture
def assigned_tickets(client, people):
    """Two tickets the inspector accepted; the second is on site."""
    ids = []
    for category in ("street_lamp", "road_damage"):
        filed = client.post("/api/v1/complaints", json=complaint_json(
            category=category, phone="010-5555-0001")).get_json()
        accepted = client.post(f"/api/v1/complaints/{filed['public_id']}/accept", json={},
                               headers=headers(people, "inspector", filed["version"]))
        assert accepted.status_code == 200, accepted.get_json()
        ids.append(filed["public_id"])
    on_site = client.post(f"/api/v1/complaints/{ids[1]}/on-site", json={},
                          headers=headers(people, "inspector", 2))
    assert on_site.status_code == 200, on_site.get_json()
    return ids


def test_a_supervisor_lists_their_district_and_a_dispatcher_the_city(client, people):
    mine = client.get("/api/v1/staff/accounts", headers=headers(people, "supervisor"))
    assert mine.status_code == 200
    districts = {account["district_code"] for account in mine.get_json()}
    assert districts == {"11140"}
    assert "password_hash" not in mine.get_json()[0]
    city = client.get("/api/v1/staff/accounts?role=inspector",
                      headers=headers(people, "dispatcher")).get_json()
    ids = {account["id"] for account in city}
    assert {people["inspector"][0].id, people["gangnam_inspector"][0].id} <= ids
    assert {account["role"] for account in city} == {"inspector"}
    other = client.get(account_url(people, "gangnam_inspector"),
                       headers=headers(people, "supervisor"))
    assert other.status_code == 404 and other.get_json()["error"] == "not_found"
    bad = client.get("/api/v1/staff/accounts?role=chief", headers=headers(people, "admin"))
    assert bad.status_code == 422


def test_an_admin_adds_an_account_that_can_log_in(client, people):
    username = f"lee{uuid.uuid4().hex[:8]}"
    made = client.post("/api/v1/staff/accounts", headers=headers(people, "admin"), json={
        "username": username, "display_name": "Lee", "role": "inspector",
        "district_code": "11680", "language": "vi", "password": NEW_PASSWORD})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["district_code"] == "11680" and "password" not in made.get_json()
    assert log_in(client, username, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"role": "inspector"}, "district_code"),
    ({"role": "inspector", "district_code": "99999"}, "district_code"),
    ({"role": "dispatcher", "language": "fr"}, "language"),
    ({"role": "dispatcher", "password": "short"}, "password"),
    ({"role": "dispatcher", "password": "x" * 201}, "password"),
    ({"role": "dispatcher", "username": "has space"}, "username"),
    ({"role": "dispatcher", "username": "admin1"}, "username"),  # taken (the fixture's admin)
    ({"role": "chief"}, "role"),
])
def test_a_bad_new_account_is_refused_naming_the_field(client, people, body, field):
    people["admin"][0].username = "admin1"  # make the taken name predictable
    full = {"username": f"new{uuid.uuid4().hex[:8]}", "password": NEW_PASSWORD, **body}
    refused = client.post("/api/v1/staff/accounts", headers=headers(people, "admin"), json=full)
    assert refused.status_code == 422, refused.get_json()
    answer = refused.get_json()
    assert field in answer.get("errors", {}).get("json", {}) or answer.get("field") == field


def test_usernames_are_unique_and_log_in_whatever_the_case(client, people):
    # RVIN_ADMIN beside rvin_admin invited look-alike accounts.
    username = f"Kim{uuid.uuid4().hex[:8]}"
    body = {"display_name": "Kim", "role": "dispatcher", "password": NEW_PASSWORD}
    made = client.post("/api/v1/staff/accounts", headers=headers(people, "admin"),
                       json={**body, "username": username})
    assert made.status_code == 201, made.get_json()
    for other in (username.upper(), username.lower()):
        refused = client.post("/api/v1/staff/accounts", headers=headers(people, "admin"),
                              json={**body, "username": other})
        assert refused.status_code == 422 and refused.get_json()["error"] == "invalid_staff"
        assert "username" in refused.get_json()["errors"]["json"]
    assert log_in(client, username.upper(), NEW_PASSWORD).status_code == 200
    assert log_in(client, username.lower(), NEW_PASSWORD).status_code == 200
    assert log_in(client, username.lower(), STAFF_PASSWORD).status_code == 401


@pytest.mark.parametrize("name", ["\u202eevil", "Lee\u2066Kim", "x\u202ay", "\u2069"])
def test_display_names_with_bidi_controls_are_refused(client, people, name):
    created = client.post("/api/v1/staff/accounts", headers=headers(people, "admin"), json={
        "username": f"bidi{uuid.uuid4().hex[:8]}", "display_name": name, "role": "dispatcher",
        "password": NEW_PASSWORD})
    changed = client.patch(account_url(people, "inspector"), headers=headers(people, "admin"),
                           json={"display_name": name})
    for refused in (created, changed):
        assert refused.status_code == 422, refused.get_json()
        assert refused.get_json()["error"] == "invalid_staff"
        assert "display_name" in refused.get_json()["errors"]["json"]


def test_disabling_an_inspector_hands_their_tickets_back(client, people, session,
                                                         assigned_tickets):
    session.add(PushSubscription(staff_id=people["inspector"][0].id,
                                 endpoint="https://push.example/abc", p256dh="k", auth="a"))
    session.flush()
    texts_before = session.scalar(select(Notification.id).order_by(Notification.id.desc())
                                  .limit(1))
    done = client.patch(account_url(people, "inspector"), headers=headers(people, "admin"),
                        json={"active": False})
    assert done.status_code == 200, done.get_json()
    assert sorted(done.get_json()["handed_back"]) == sorted(assigned_tickets)
    assert done.get_json()["active"] is False
    for public_id in assigned_tickets:
        row = session.scalar(select(Complaint).where(Complaint.public_id == public_id))
        session.refresh(row)
        assert (row.status, row.assignee_id) == ("dispatched", None)
        last = session.scalars(select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == row.id).order_by(ComplaintEvent.id.desc())).first()
        assert (last.actor_kind, last.data["reason"]) == ("system", "staff_disabled")
        # Back in the queue, the reporter is not told "sent to the office" a second time.
        assert not session.scalars(select(Notification).where(
            Notification.complaint_id == row.id, Notification.id > (texts_before or 0),
            Notification.channel == "sms")).all()
    # The colleague can take the ticket now; the disabled inspector's token is dead.
    detail = client.get(f"/api/v1/staff/complaints/{assigned_tickets[0]}",
                        headers=headers(people, "colleague")).get_json()
    assert "accept" in detail["allowed_moves"]
    dead = client.get("/api/v1/auth/me", headers=headers(people, "inspector"))
    assert dead.status_code == 401
    assert not session.scalars(select(PushSubscription).where(
        PushSubscription.staff_id == people["inspector"][0].id)).all()


@pytest.mark.parametrize(("change", "reason"), [
    ({"district_code": "11680"}, "staff_moved"),
    ({"role": "supervisor"}, "staff_role_changed"),
])
def test_moving_an_inspector_hands_back_their_tickets(client, people, session, assigned_tickets,
                                                     change, reason):
    done = client.patch(account_url(people, "inspector"), headers=headers(people, "admin"),
                        json=change)
    assert done.status_code == 200, done.get_json()
    assert sorted(done.get_json()["handed_back"]) == sorted(assigned_tickets)
    events = session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.kind == "dispatched", ComplaintEvent.from_status.in_(
            ("assigned", "on_site")))).all()
    assert {event.data.get("reason") for event in events} >= {reason}
    # The token still works, with the new district or role taking effect at once.
    me = client.get("/api/v1/auth/me", headers=headers(people, "inspector")).get_json()
    assert {key: me[key] for key in change} == change


def test_a_name_or_language_change_keeps_the_tickets(client, people, assigned_tickets):
    done = client.patch(account_url(people, "inspector"), headers=headers(people, "admin"),
                        json={"display_name": "  Park Jiwoo ", "language": "mn"})
    assert done.status_code == 200
    assert done.get_json()["handed_back"] == []
    assert (done.get_json()["display_name"], done.get_json()["language"]) == ("Park Jiwoo", "mn")


@pytest.mark.parametrize("change", [
    {"district_code": "99999"}, {"language": "xx"}, {"role": "nobody"}, {"display_name": ""},
    {"active": "perhaps"}, {"username": "renamed"}])
def test_a_bad_change_is_refused(client, people, change):
    refused = client.patch(account_url(people, "inspector"), headers=headers(people, "admin"),
                           json=change)
    assert refused.status_code == 422, refused.get_json()


def test_an_inspector_made_dispatcher_loses_the_district(client, people):
    done = client.patch(account_url(people, "inspector"), headers=headers(people, "admin"),
                        json={"role": "dispatcher"})
    assert done.status_code == 200
    assert done.get_json()["district_code"] is None


def test_the_last_active_admin_cannot_be_disabled_or_demoted(client, people, session):
    me = people["admin"][0]
    session.execute(update(Staff).where(Staff.role == "admin", Staff.id != me.id)
                    .values(active=False))
    for change in ({"active": False}, {"role": "dispatcher"}):
        refused = client.patch(account_url(people, "admin"), headers=headers(people, "admin"),
                               json=change)
        assert refused.status_code == 409 and refused.get_json()["error"] == "last_admin"
    promoted = client.patch(account_url(people, "dispatcher"), headers=headers(people, "admin"),
                            json={"role": "admin"})
    assert promoted.status_code == 200
    stepped_down = client.patch(account_url(people, "admin"), headers=headers(people, "admin"),
                                json={"role": "dispatcher"})
    assert stepped_down.status_code == 200, stepped_down.get_json()


def test_an_admin_resets_a_password_and_the_old_sessions_end(client, people):
    member = people["colleague"][0]
    reset = client.post(f"{account_url(people, 'colleague')}/password",
                        headers=headers(people, "admin"), json={"password": NEW_PASSWORD})
    assert reset.status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers(people, "colleague")).status_code == 401
    assert log_in(client, member.username, STAFF_PASSWORD).status_code == 401
    assert log_in(client, member.username, NEW_PASSWORD).status_code == 200
    short = client.post(f"{account_url(people, 'colleague')}/password",
                        headers=headers(people, "admin"), json={"password": "short"})
    assert short.status_code == 422


def test_staff_change_their_own_password(client, people):
    member = people["inspector"][0]
    second = log_in(client, member.username, STAFF_PASSWORD).get_json()["token"]
    wrong = client.post("/api/v1/auth/password", headers=headers(people, "inspector"),
                        json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 403 and wrong.get_json()["error"] == "wrong_password"
    short = client.post("/api/v1/auth/password", headers=headers(people, "inspector"),
                        json={"current_password": STAFF_PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    changed = client.post("/api/v1/auth/password", headers=headers(people, "inspector"),
                          json={"current_password": STAFF_PASSWORD,
                                "new_password": NEW_PASSWORD})
    assert changed.status_code == 204
    # This session goes on; the other one (a lost phone, say) is logged out.
    assert client.get("/api/v1/auth/me", headers=headers(people, "inspector")).status_code == 200
    assert client.get("/api/v1/auth/me",
                      headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert log_in(client, member.username, NEW_PASSWORD).status_code == 200


def test_guessing_the_current_password_is_rate_limited(client, people, low_limits):
    low_limits(rate_limit_login="2/minute")
    answers = [client.post("/api/v1/auth/password", headers=headers(people, "dispatcher"),
                           json={"current_password": f"guess-{n}",
                                 "new_password": NEW_PASSWORD}).status_code
               for n in range(3)]
    assert answers == [403, 403, 429]


def test_the_command_line_resets_and_disables(client, database_url):
    env = {**os.environ, "DASAN_DATABASE_URL": database_url,
           "DASAN_SECRET_KEY": "test-secret-key-0123456789"}
    username = f"cli{uuid.uuid4().hex[:8]}"

    def cli(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "dispatch.cli", *args], env=env,
                              input=stdin, text=True, capture_output=True, check=False)

    assert cli("create-staff", "--role", "dispatcher", username,
               stdin=STAFF_PASSWORD).returncode == 0
    assert cli("set-password", username, stdin=NEW_PASSWORD).returncode == 0
    assert log_in(client, username, STAFF_PASSWORD).status_code == 401
    assert log_in(client, username, NEW_PASSWORD).status_code == 200
    short = cli("set-password", username, stdin="short")
    assert short.returncode != 0 and "password" in short.stderr
    assert cli("set-password", "nobody-by-that-name", stdin=NEW_PASSWORD).returncode != 0
    assert cli("set-password", username.upper(), stdin=STAFF_PASSWORD).returncode == 0
    assert log_in(client, username, STAFF_PASSWORD).status_code == 200
    assert cli("disable-staff", username.upper()).returncode == 0
    assert log_in(client, username, STAFF_PASSWORD).status_code == 401
