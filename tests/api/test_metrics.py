from tests.factories import complaint_json


def test_metrics_count_requests_and_expose_domain_counts(client):
    client.post("/api/v1/complaints", json=complaint_json())
    text = client.get("/metrics").get_data(as_text=True)
    assert 'dasan_http_requests_total{endpoint="/api/v1/complaints",method="POST",status="201"}' \
        in text
    assert "dasan_http_request_duration_seconds_bucket" in text
    assert 'dasan_complaints{status="dispatched"}' in text
    assert "dasan_complaints_overdue" in text
    assert 'dasan_queue_depth{queue="notify"}' in text
    assert 'dasan_notifications{channel="sms",state=' in text


def test_metrics_carry_no_personal_data(client):
    client.post("/api/v1/complaints", json=complaint_json(phone="010-2222-7777"))
    assert "2222" not in client.get("/metrics").get_data(as_text=True)


def test_request_id_is_echoed_and_generated(client):
    given = client.get("/health/live", headers={"X-Request-ID": "abc12345-test"})
    assert given.headers["X-Request-ID"] == "abc12345-test"
    made = client.get("/health/live", headers={"X-Request-ID": "<script>"})
    assert made.headers["X-Request-ID"] != "<script>" and len(made.headers["X-Request-ID"]) == 32


def test_security_headers_are_set(client):
    response = client.get("/api/v1/categories")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_metrics_count_sla_escalations(client, session, settings, create_complaint):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from dispatch.escalation import escalate_due
    from dispatch.models import Complaint

    complaint = create_complaint(category="other")
    session.execute(update(Complaint).where(Complaint.id == complaint.id).values(
        due_at=datetime.now(UTC) - timedelta(minutes=1)))
    escalate_due(session, settings)
    assert 'dasan_sla_escalations{threshold="breached"}' in client.get("/metrics").get_data(
        as_text=True)
