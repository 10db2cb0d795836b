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
    client.post("/api/v1/complaints", json=complaint_json(phone="010-2468-1357"))
    text = client.get("/metrics").get_data(as_text=True)
    # Eight digits in a row: a float timestamp will not hold them by chance.
    assert "24681357" not in text and "2468-1357" not in text


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


def test_metrics_show_how_long_texts_have_waited(client, session, create_complaint):
    import re
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from dispatch.models import Notification

    complaint = create_complaint(phone="010-2468-1357")
    # A receipt still pending after 20 minutes: what an SMS gateway outage looks like.
    session.execute(update(Notification).where(Notification.complaint_id == complaint.id)
                    .values(state="pending", hold_until=None,
                            created_at=datetime.now(UTC) - timedelta(minutes=20)))
    text = client.get("/metrics").get_data(as_text=True)
    waited = re.search(r'dasan_notifications_oldest_waiting_seconds\{channel="sms"\} (\S+)', text)
    assert waited and float(waited.group(1)) >= 1200


def test_metrics_show_traffic_coverage_and_age(client, seoul_links, add_readings, use_settings):
    import re
    from datetime import UTC, datetime, timedelta

    # With no feed configured nothing polls: no coverage figure to alert on.
    assert "dasan_traffic_link_coverage" not in client.get("/metrics").get_data(as_text=True)
    use_settings(traffic_feeds=("topis",))
    add_readings({"1220003800": 30}, datetime.now(UTC).replace(microsecond=0)
                 - timedelta(minutes=3))
    text = client.get("/metrics").get_data(as_text=True)
    coverage = re.search(r"^dasan_traffic_link_coverage (\S+)$", text, re.M)
    age = re.search(r"^dasan_traffic_newest_reading_age_seconds (\S+)$", text, re.M)
    assert coverage and float(coverage.group(1)) == 1 / 24
    assert age and 170 <= float(age.group(1)) < 600


def test_a_text_sent_again_by_hand_waits_from_the_resend(client, session, create_complaint):
    import re
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from dispatch.models import Notification

    complaint = create_complaint(phone="010-2468-1358")
    # Failed two days ago, sent again (resend-failed) a minute ago: not a two-day wait.
    session.execute(update(Notification).where(Notification.complaint_id == complaint.id)
                    .values(state="pending", hold_until=None,
                            created_at=datetime.now(UTC) - timedelta(days=2),
                            data={"resent_at": (datetime.now(UTC)
                                                - timedelta(minutes=1)).isoformat()}))
    text = client.get("/metrics").get_data(as_text=True)
    waited = re.search(r'dasan_notifications_oldest_waiting_seconds\{channel="sms"\} (\S+)', text)
    assert waited and 30 <= float(waited.group(1)) < 3600
