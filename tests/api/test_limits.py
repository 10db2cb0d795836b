import uuid

from tests.factories import STAFF_PASSWORD, complaint_json


def post(client, **overrides):
    return client.post("/api/v1/complaints", json=complaint_json(**overrides),
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def test_intake_per_address_limit_answers_429_with_retry_after(client, low_limits):
    low_limits(rate_limit_intake_ip="3/minute")
    statuses = [post(client, phone=None).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    response = post(client, phone=None)
    assert response.get_json()["error"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_intake_per_phone_limit_ignores_formatting(client, low_limits):
    low_limits(rate_limit_intake_phone="2/hour")
    assert post(client, phone="010-5555-1234").status_code == 201
    assert post(client, phone="01055551234").status_code == 201
    assert post(client, phone="+82 10 5555 1234").status_code == 429
    assert post(client, phone="010-5555-9999").status_code == 201


def test_intake_per_phone_limit_holds_for_digits_of_other_scripts(client, low_limits):
    low_limits(rate_limit_intake_phone="2/hour")
    assert post(client, phone="010-5555-4321").status_code == 201
    assert post(client, phone="０１０-５５５５-４３２１").status_code == 201  # full-width
    for variant in ("٠١٠-٥٥٥٥-٤٣٢١", "０10-5555-4321", "0１0 5555 4321"):
        assert post(client, phone=variant).status_code == 429, variant


def test_login_limit_per_username(client, low_limits, create_staff):
    low_limits(rate_limit_login="2/minute")
    staff = create_staff()
    for _ in range(2):
        client.post("/api/v1/auth/login", json={"username": staff.username, "password": "x"})
    response = client.post("/api/v1/auth/login",
                           json={"username": staff.username, "password": STAFF_PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response.headers
