from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dispatch.models import StaffToken
from dispatch.staff_admin import disable_staff


def test_login_returns_token_that_identifies_staff(client, create_staff, login):
    inspector = create_staff("inspector", "11680")
    headers = login(inspector)
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.get_json()["district_code"] == "11680"
    assert me.get_json()["role"] == "inspector"


def test_login_with_wrong_password_is_401_and_says_nothing_more(client, create_staff):
    inspector = create_staff()
    wrong = client.post("/api/v1/auth/login",
                        json={"username": inspector.username, "password": "nope-nope-nope"})
    unknown = client.post("/api/v1/auth/login",
                          json={"username": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["message"] == unknown.get_json()["message"]
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_password_is_stored_as_argon2_hash(create_staff):
    staff = create_staff()
    assert staff.password_hash.startswith("$argon2")
    assert "correct-horse" not in staff.password_hash


def test_token_is_stored_only_as_hash(client, create_staff, login, session):
    headers = login(create_staff())
    token = headers["Authorization"].split()[1]
    hashes = session.scalars(select(StaffToken.token_hash)).all()
    assert token not in hashes and len(hashes[-1]) == 64


def test_me_without_token_is_401(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_forged_token_is_401(client):
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401


def test_expired_token_is_401(client, create_staff, login, session):
    headers = login(create_staff())
    for row in session.scalars(select(StaffToken)):
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["details"]["reason"] == "expired"


def test_logout_revokes_token(client, create_staff, login):
    headers = login(create_staff())
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["details"]["reason"] == "revoked"


def test_disabled_account_cannot_use_its_token_or_log_in(client, create_staff, login, session):
    staff = create_staff()
    headers = login(staff)
    disable_staff(session, staff.username)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    again = client.post("/api/v1/auth/login",
                        json={"username": staff.username, "password": "correct-horse-battery"})
    assert again.status_code == 401
