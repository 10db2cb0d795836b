"""The 120 agent's desk: file a caller's report; find a caller's reports by phone."""

import uuid

import pytest
from sqlalchemy import func, select

from dispatch.models import Complaint, ComplaintEvent, Notification
from tests.factories import PLACES, complaint_json

URL = "/api/v1/staff/complaints"
SEARCH = f"{URL}/search"


@pytest.fixture
def agent(create_staff, login):
    member = create_staff("dispatcher")
    return member, login(member)


def file_for_caller(client, headers, key=None, **overrides):
    return client.post(URL, json=complaint_json(**overrides),
                       headers={**headers, "Idempotency-Key": str(key or uuid.uuid4())})


def test_an_agent_files_for_a_caller_and_the_history_says_who_took_the_call(client, session,
                                                                          agent):
    member, headers = agent
    response = file_for_caller(client, headers, language="en", phone="010-2222-3333")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["district"]["code"] == "11140" and body["status"] == "dispatched"
    assert body["citizen_token"]
    complaint = session.scalar(select(Complaint).where(Complaint.public_id == body["public_id"]))
    assert (complaint.channel, complaint.reporter_phone, complaint.reporter_language) == (
        "phone", "+821022223333", "en")
    received = session.scalar(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "received"))
    assert (received.actor_kind, received.actor_id, received.data) == (
        "staff", member.id, {"channel": "phone"})
    # The caller gets the same texts as an app reporter, in the caller's language.
    texts = session.scalars(select(Notification).where(
        Notification.complaint_id == complaint.id, Notification.channel == "sms")).all()
    assert [(n.template, n.recipient, n.language) for n in texts if n.template == "received"] == [
        ("received", "+821022223333", "en")]


def test_the_answer_is_in_the_agents_language_not_the_callers(client, agent):
    _, headers = agent
    response = client.post(f"{URL}?lang=en", json=complaint_json(language="ko"),
                           headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201
    assert response.get_json()["district"]["name"] == "Jung-gu"


def test_a_repeated_key_files_once(client, session, agent):
    _, headers = agent
    key = uuid.uuid4()
    first = file_for_caller(client, headers, key=key)
    again = file_for_caller(client, headers, key=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["public_id"] == first.get_json()["public_id"]
    assert file_for_caller(client, headers, key=key, description="another").get_json()[
        "error"] == "idempotency_key_reused"


def test_a_repeat_after_the_agent_switched_language_files_once(client, session, agent):
    # The caller's language was not entered: the agent's Accept-Language must not make
    # the retry a "different" request.
    _, headers = agent
    key = uuid.uuid4()
    body = complaint_json()
    del body["language"]
    first = client.post(URL, json=body, headers={**headers, "Idempotency-Key": str(key),
                                                  "Accept-Language": "ko"})
    again = client.post(URL, json=body, headers={**headers, "Idempotency-Key": str(key),
                                                  "Accept-Language": "vi"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["public_id"] == first.get_json()["public_id"]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_may_take_calls(client, create_staff, login, role):
    headers = login(create_staff(role))
    assert file_for_caller(client, headers).status_code == 201


def test_an_inspector_may_not_and_a_stranger_must_log_in(client, create_staff, login):
    inspector = login(create_staff("inspector"))
    assert file_for_caller(client, inspector).get_json()["error"] == "forbidden"
    anonymous = client.post(URL, json=complaint_json(),
                            headers={"Idempotency-Key": str(uuid.uuid4())})
    assert (anonymous.status_code, anonymous.get_json()["error"]) == (401, "unauthorized")


def test_citizens_cannot_claim_the_phone_channel(client):
    response = client.post("/api/v1/complaints", json=complaint_json(channel="phone"),
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_error"


def test_a_call_centre_is_one_address_the_citizens_limit_does_not_stop_it(client, agent,
                                                                         low_limits):
    low_limits(rate_limit_intake_ip="2/minute", rate_limit_intake_phone="1/hour")
    _, headers = agent
    statuses = [file_for_caller(client, headers, phone="010-4444-5555").status_code
                for _ in range(4)]
    assert statuses == [201] * 4


@pytest.mark.parametrize("overrides,code", [
    ({"location": {"type": "Point", "coordinates": [129.07, 35.18]}}, "outside_service_area"),
    ({"category": "no_such_thing"}, "unknown_category"),
    ({"phone": "12"}, "invalid_phone"),
    ({"location": {"type": "Point", "coordinates": [37.56, 126.97]}}, "validation_error"),
    ({"channel": "sms"}, None),  # ignored: the channel is always phone
    ({"language": "fr"}, "validation_error"),
])
def test_bad_input_gets_a_stable_code(client, agent, overrides, code):
    _, headers = agent
    response = file_for_caller(client, headers, **overrides)
    if code is None:
        assert response.status_code == 201
    else:
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["error"] == code


def test_a_blocked_phone_is_refused_for_the_agent_too(client, create_staff, login, agent):
    manager = login(create_staff("supervisor"))
    blocked = client.post("/api/v1/blocked-phones", json={"phone": "010-6666-7777",
                                                          "reason": "abuse"}, headers=manager)
    assert blocked.status_code == 201, blocked.get_json()
    _, headers = agent
    response = file_for_caller(client, headers, phone="010-6666-7777")
    assert (response.status_code, response.get_json()["error"]) == (403, "phone_blocked")


def test_a_supervisor_cannot_file_for_a_spot_in_another_district(client, session,
                                                                 create_staff, login, agent):
    supervisor = login(create_staff("supervisor", "11140"))
    coex = {"type": "Point", "coordinates": list(PLACES["coex"][0])}
    before = session.scalar(select(func.count()).select_from(Complaint))
    refused = file_for_caller(client, supervisor, location=coex, phone="010-4444-5555")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "outside_your_district"
    assert body["details"]["district"] == PLACES["coex"][1]
    assert "city desk" in body["message"]
    assert session.scalar(select(func.count()).select_from(Complaint)) == before
    # Their own district's spot is fine, and the city desk files anywhere.
    assert file_for_caller(client, supervisor).status_code == 201
    _, dispatcher = agent
    assert file_for_caller(client, dispatcher, location=coex).status_code == 201


def test_the_point_decides_the_district_not_the_agent(client, agent):
    _, headers = agent
    (lonlat, district) = PLACES["coex"]
    body = file_for_caller(client, headers, location={
        "type": "Point", "coordinates": list(lonlat)}).get_json()
    assert body["district"]["code"] == district


def test_a_callers_reports_are_found_by_number_in_any_notation_newest_first(client, agent):
    _, headers = agent
    first = file_for_caller(client, headers, phone="010-7777-8888").get_json()["public_id"]
    second = file_for_caller(client, headers, phone="010-7777-8888", category="garbage",
                             location={"type": "Point", "coordinates": list(
                                 PLACES["coex"][0])}).get_json()["public_id"]
    file_for_caller(client, headers, phone="010-7777-9999")  # someone else
    for notation in ("010-7777-8888", "01077778888", "+82 10 7777 8888"):
        found = client.post(SEARCH, json={"phone": notation}, headers=headers)
        assert found.status_code == 200, found.get_json()
        assert [c["public_id"] for c in found.get_json()["items"]] == [second, first]
    assert "7777" not in found.get_data(as_text=True)  # the public view never shows the number


def test_a_supervisor_finds_only_their_districts_reports(client, agent, create_staff, login):
    _, headers = agent
    jung = file_for_caller(client, headers, phone="010-7777-1111").get_json()["public_id"]
    file_for_caller(client, headers, phone="010-7777-1111", location={
        "type": "Point", "coordinates": list(PLACES["coex"][0])})
    supervisor = login(create_staff("supervisor", "11140"))
    found = client.post(SEARCH, json={"phone": "01077771111"}, headers=supervisor)
    assert [c["public_id"] for c in found.get_json()["items"]] == [jung]


@pytest.mark.parametrize("query,code", [
    ({"phone": "12"}, "invalid_phone"),
    ({"phone": "not a number"}, "invalid_phone"),
    ({}, "validation_error"),
    ({"phone": "0" * 41}, "validation_error"),
])
def test_a_lookup_with_a_bad_number_gets_a_stable_code(client, agent, query, code):
    _, headers = agent
    response = client.post(SEARCH, json=query, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"] == code


def test_inspectors_and_strangers_cannot_look_up_callers(client, create_staff, login):
    inspector = login(create_staff("inspector"))
    assert client.post(SEARCH, json={"phone": "01012345678"},
                       headers=inspector).status_code == 403
    assert client.post(SEARCH, json={"phone": "01012345678"}).status_code == 401
