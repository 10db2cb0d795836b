"""The reporter's satisfaction rating from the PWA: once, after closure, counted by the KPI."""

from tests.api.test_workflow import h, move, staff  # noqa: F401 (the fixture)
from tests.factories import complaint_json


def _closed(client, staff):  # noqa: F811
    filed = client.post("/api/v1/complaints", json=complaint_json(
        phone="010-3333-5555", category="road_damage")).get_json()
    pid = filed["public_id"]
    move(client, pid, "accept", h(staff, "inspector", 1))
    closed = move(client, pid, "unfounded", h(staff, "inspector", 2), outcome="not_found",
                  public_note="Nothing found.")
    assert closed.status_code == 200, closed.get_json()
    return pid, {"X-Citizen-Token": filed["citizen_token"]}


def test_reporter_rates_once_and_the_timeline_and_kpi_show_it(client, staff):  # noqa: F811
    pid, token = _closed(client, staff)
    before = client.get(f"/api/v1/complaints/{pid}/timeline", headers=token).get_json()
    assert before["ratable"] is True and before["rating"] is None
    rated = client.post(f"/api/v1/complaints/{pid}/rating", json={"score": 4}, headers=token)
    assert rated.status_code == 201, rated.get_json()
    assert rated.get_json() == {"public_id": pid, "score": 4}
    after = client.get(f"/api/v1/complaints/{pid}/timeline", headers=token).get_json()
    assert after["ratable"] is False and after["rating"] == 4
    assert after["events"][-1]["kind"] == "rated"
    again = client.post(f"/api/v1/complaints/{pid}/rating", json={"score": 1}, headers=token)
    assert again.status_code == 409 and again.get_json()["error"] == "already_rated"
    kpi = client.get("/api/v1/kpi", headers=h(staff, "dispatcher")).get_json()
    assert kpi["city"]["ratings"] == 1 and kpi["city"]["satisfaction"] == 4.0
    district = next(d for d in kpi["districts"] if d["code"] == "11140")
    assert district["ratings"] == 1 and district["satisfaction"] == 4.0


def test_an_open_complaint_cannot_be_rated(client):
    filed = client.post("/api/v1/complaints", json=complaint_json()).get_json()
    answer = client.post(f"/api/v1/complaints/{filed['public_id']}/rating", json={"score": 5},
                         headers={"X-Citizen-Token": filed["citizen_token"]})
    assert answer.status_code == 409 and answer.get_json()["error"] == "invalid_transition"


def test_wrong_token_and_bad_scores_are_refused(client, staff):  # noqa: F811
    pid, token = _closed(client, staff)
    url = f"/api/v1/complaints/{pid}/rating"
    assert client.post(url, json={"score": 3}).status_code == 404
    assert client.post(url, json={"score": 3},
                       headers={"X-Citizen-Token": "0" * 32}).status_code == 404
    for bad in ({}, {"score": 0}, {"score": 6}, {"score": "5"}, {"score": 4.5},
                {"score": None}, {"score": True}):
        answer = client.post(url, json=bad, headers=token)
        assert answer.status_code == 422, (bad, answer.get_json())
        assert answer.get_json()["error"] == "validation_error"
    timeline = client.get(f"/api/v1/complaints/{pid}/timeline", headers=token).get_json()
    assert timeline["rating"] is None
