"""Staff endpoints: a complaint's notifications, push subscriptions, the VAPID key."""

import base64

from sqlalchemy import func, select

from dispatch.models import PushSubscription
from tests.factories import complaint_json


def test_staff_see_the_notifications_of_a_complaint(client, create_staff, login, use_settings):
    use_settings()
    public_id = client.post("/api/v1/complaints",
                            json=complaint_json(phone="010-2222-3333")).get_json()["public_id"]
    url = f"/api/v1/complaints/{public_id}/notifications"
    assert client.get(url).status_code == 401
    rows = client.get(url, headers=login(create_staff("inspector", "11140"))).get_json()
    assert [(r["template"], r["channel"], r["state"]) for r in rows] == [
        ("received", "sms", "sent"), ("dispatched", "sms", "sent")]
    assert rows[0]["recipient"] == "+8210****3333"
    other = client.get(url, headers=login(create_staff("inspector", "11680")))
    assert other.status_code == 403
    assert client.get(url, headers=login(create_staff("dispatcher"))).status_code == 200
    missing = client.get("/api/v1/complaints/nope/notifications",
                         headers=login(create_staff("dispatcher")))
    assert missing.status_code == 404


def test_push_subscription_lifecycle(client, session, create_staff, login, push_endpoint):
    headers = login(create_staff("inspector", "11140"))
    subscription = push_endpoint.subscription()
    assert client.post("/api/v1/push-subscriptions", json=subscription).status_code == 401
    for _ in range(2):  # re-subscribing the same browser keeps one row
        response = client.post("/api/v1/push-subscriptions", json=subscription, headers=headers)
        assert response.status_code == 201
    count = select(func.count()).select_from(PushSubscription)
    assert session.scalar(count) == 1
    response = client.delete("/api/v1/push-subscriptions",
                             json={"endpoint": subscription["endpoint"]}, headers=headers)
    assert response.status_code == 204 and session.scalar(count) == 0


def test_bad_push_subscriptions_are_refused(client, create_staff, login, push_endpoint):
    headers = login(create_staff("inspector", "11140"))
    good = push_endpoint.subscription()
    for bad in ({}, {"endpoint": "http://push.example.com/x", "keys": good["keys"]},
                {"endpoint": good["endpoint"], "keys": {"p256dh": "x", "auth": "y"}},
                {"endpoint": "javascript:alert(1)", "keys": good["keys"]}):
        response = client.post("/api/v1/push-subscriptions", json=bad, headers=headers)
        assert response.status_code == 422, bad
    # The worker posts to the endpoint: only the listed push services, never an inside host.
    for inside in ("https://10.0.0.5/x", "https://metadata.google.internal/x",
                   "https://fcm.googleapis.com.evil.example/x", "http://localhost:6379/x",
                   "https://169.254.169.254/latest"):
        response = client.post("/api/v1/push-subscriptions", headers=headers,
                               json={"endpoint": inside, "keys": good["keys"]})
        assert response.status_code == 422, inside
        assert response.get_json()["error"] == "invalid_push_endpoint"
    for real in ("https://fcm.googleapis.com/fcm/send/abc:def",
                 "https://wns2-par02p.notify.windows.com/w/?token=abc",
                 "https://updates.push.services.mozilla.com/wpush/v2/gAAA"):
        response = client.post("/api/v1/push-subscriptions", headers=headers,
                               json={"endpoint": real, "keys": good["keys"]})
        assert response.status_code == 201, real


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_push_keys_that_can_never_work_are_refused(client, create_staff, login, push_endpoint):
    # Stored, they would only fail later in the worker, on every push.
    headers = login(create_staff("inspector", "11140"))
    good = push_endpoint.subscription()
    point = base64.urlsafe_b64decode(good["keys"]["p256dh"] + "==")
    off_curve = point[:-1] + bytes([point[-1] ^ 1])
    bad_keys = [
        {"p256dh": "x" * 87, "auth": "y" * 22},  # the review's: right lengths, not keys
        {"p256dh": _b64(b"\x02" + point[1:33] + bytes(32)), "auth": good["keys"]["auth"]},
        {"p256dh": _b64(off_curve), "auth": good["keys"]["auth"]},
        {"p256dh": good["keys"]["p256dh"] + "*", "auth": good["keys"]["auth"]},
        {"p256dh": good["keys"]["p256dh"], "auth": _b64(bytes(15))},
        {"p256dh": good["keys"]["p256dh"], "auth": _b64(bytes(17))},
        {"p256dh": good["keys"]["p256dh"], "auth": "!" * 22},
    ]
    for keys in bad_keys:
        response = client.post("/api/v1/push-subscriptions", headers=headers,
                               json={"endpoint": good["endpoint"], "keys": keys})
        assert response.status_code == 422, keys
        body = response.get_json()
        assert body["error"] == "validation_error", keys
        assert set(body["errors"]["json"]["keys"]) <= {"p256dh", "auth"}


def test_a_stored_push_subscription_is_answered_with_its_json(client, session, create_staff,
                                                              login, push_endpoint):
    headers = login(create_staff("inspector", "11140"))
    subscription = push_endpoint.subscription()
    padded = {**subscription, "keys": {"p256dh": subscription["keys"]["p256dh"] + "=",
                                       "auth": subscription["keys"]["auth"] + "=="}}
    response = client.post("/api/v1/push-subscriptions", json=padded, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    row = session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == subscription["endpoint"]))
    assert body == {"id": row.id, "endpoint": subscription["endpoint"],
                    "created_at": body["created_at"]}
    assert body["created_at"]
    # stored as browsers send the keys, whatever padding came in
    assert (row.p256dh, row.auth) == (subscription["keys"]["p256dh"],
                                      subscription["keys"]["auth"])


def test_vapid_public_key(client, use_settings, vapid_keys):
    use_settings(vapid_public_key="")
    assert client.get("/api/v1/push-subscriptions/vapid-public-key").status_code == 404
    use_settings(vapid_public_key=vapid_keys[1])
    response = client.get("/api/v1/push-subscriptions/vapid-public-key")
    assert response.get_json() == {"public_key": vapid_keys[1]}


def test_staff_never_see_the_reporters_token_in_a_receipt(client, create_staff, login,
                                                          use_settings, settings):
    from dispatch.citizens import citizen_token

    use_settings(public_url="https://dasan.example.seoul.kr")
    agent = login(create_staff("dispatcher"))
    filed = client.post("/api/v1/staff/complaints", headers=agent, json=complaint_json(
        phone="010-2222-3333", language="en"))
    assert filed.status_code == 201, filed.get_json()
    public_id = filed.get_json()["public_id"]
    token = citizen_token(settings.secret_key, public_id)
    rows = client.get(f"/api/v1/complaints/{public_id}/notifications",
                      headers=login(create_staff("inspector", "11140"))).get_json()
    receipt = next(row["body"] for row in rows if row["template"] == "received")
    assert f"/status/{public_id}?t=…" in receipt and token not in receipt


def test_the_log_gateway_logs_no_number_or_token_at_info(caplog):
    import logging

    from notify.sms import LogGateway

    text = "Received. Follow it here: https://x.example/status/261129-0000001?t=0123abcd4567ef"
    with caplog.at_level(logging.INFO, logger="notify.sms"):
        result = LogGateway().send(to="+821012345678", text=text, sender="1899-0120",
                                   reference="42", report_url=None)
    assert result.accepted
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "+8210****5678" in logged
    assert "12345678" not in logged and "0123abcd" not in logged and "Follow" not in logged
