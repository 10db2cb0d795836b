import pytest

from tests.factories import complaint_json


@pytest.fixture
def supervisor_headers(create_staff, login):
    return login(create_staff("supervisor", "11140"))


def test_blocked_phone_cannot_file_and_gets_clear_code(client, supervisor_headers):
    blocked = client.post("/api/v1/blocked-phones", headers=supervisor_headers,
                          json={"phone": "010-4444-3333", "reason": "200 prank reports"})
    assert blocked.status_code == 201 and blocked.get_json()["phone"] == "+821044443333"
    response = client.post("/api/v1/complaints", json=complaint_json(phone="01044443333"))
    assert response.status_code == 403
    assert response.get_json()["error"] == "phone_blocked"
    assert client.post("/api/v1/complaints",
                       json=complaint_json(phone="010-4444-0000")).status_code == 201


def test_unblock_lets_the_number_file_again(client, supervisor_headers):
    client.post("/api/v1/blocked-phones", headers=supervisor_headers,
                json={"phone": "010-4444-3333", "reason": "x"})
    listed = client.get("/api/v1/blocked-phones", headers=supervisor_headers).get_json()
    assert [row["phone"] for row in listed] == ["+821044443333"]
    assert client.delete("/api/v1/blocked-phones/+821044443333",
                         headers=supervisor_headers).status_code == 204
    assert client.post("/api/v1/complaints",
                       json=complaint_json(phone="010-4444-3333")).status_code == 201
    again = client.delete("/api/v1/blocked-phones/+821044443333", headers=supervisor_headers)
    assert again.status_code == 404


@pytest.mark.parametrize("role,status", [("inspector", 403), ("dispatcher", 200),
                                         ("admin", 200), ("supervisor", 200)])
def test_only_supervisors_dispatchers_admins_manage_blocks(client, create_staff, login,
                                                           role, status):
    headers = login(create_staff(role, "11140"))
    assert client.get("/api/v1/blocked-phones", headers=headers).status_code == status


def test_anonymous_cannot_see_blocks(client):
    assert client.get("/api/v1/blocked-phones").status_code == 401


def test_blocking_a_bad_number_is_422(client, supervisor_headers):
    response = client.post("/api/v1/blocked-phones", headers=supervisor_headers,
                           json={"phone": "12", "reason": "x"})
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_phone"


def test_a_supervisor_manages_only_their_district_offices_blocks(client, create_staff, login,
                                                                 supervisor_headers):
    gangnam = login(create_staff("supervisor", "11680"))
    dispatcher = login(create_staff("dispatcher"))
    assert client.post("/api/v1/blocked-phones", headers=gangnam, json={
        "phone": "010-9999-0001", "reason": "abusive caller"}).status_code == 201
    # Jung-gu's supervisor neither sees Gangnam-gu's block nor can lift or take it over.
    assert client.get("/api/v1/blocked-phones", headers=supervisor_headers).get_json() == []
    lift = client.delete("/api/v1/blocked-phones/+821099990001", headers=supervisor_headers)
    assert lift.status_code == 404
    take = client.post("/api/v1/blocked-phones", headers=supervisor_headers, json={
        "phone": "010-9999-0001", "reason": "mine now"})
    assert take.status_code == 403
    # The block still holds for the whole city; the city's dispatchers see and lift it.
    assert client.post("/api/v1/complaints", json=complaint_json(
        phone="010-9999-0001")).status_code == 403
    listed = client.get("/api/v1/blocked-phones", headers=dispatcher).get_json()
    assert [(row["phone"], row["reason"]) for row in listed] == [
        ("+821099990001", "abusive caller")]
    assert client.delete("/api/v1/blocked-phones/+821099990001",
                         headers=dispatcher).status_code == 204
