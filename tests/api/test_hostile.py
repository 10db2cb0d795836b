"""Hostile input: injections stored verbatim, text PostgreSQL cannot hold refused, no 500."""

import json

import pytest

from tests.factories import complaint_json

STORED_VERBATIM = [
    "'; DROP TABLE complaints; --",
    "\" OR 1=1 --",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "\u202eright-to-left override",
    "zero\u200bwidth\u200djoiner",
    "😀🚧🛣️ four-byte emoji",
    "ÅÄÖ ñ 가로등 路灯 街灯 гэрэл đèn",
    "{{7*7}} ${7*7} %s %n",
]


def body_of(response) -> dict:
    # Parsed with the standard library: the error body may quote the refused text.
    return json.loads(response.data)


@pytest.mark.parametrize("text", STORED_VERBATIM)
def test_injection_and_unicode_text_is_stored_and_returned_verbatim(client, text):
    response = client.post("/api/v1/complaints", json=complaint_json(
        description=text, address=text[:500], phone=None))
    assert response.status_code == 201
    public_id = response.get_json()["public_id"]
    shown = client.get(f"/api/v1/complaints/{public_id}").get_json()
    assert shown["description"] == text and shown["address"] == text


@pytest.mark.parametrize("field,value", [
    ("description", "before\x00after"), ("address", "\x00"), ("description", "\ud800"),
    ("category", "street\x00lamp"),
])
def test_text_postgres_cannot_store_is_422_invalid_text(client, field, value):
    response = client.post("/api/v1/complaints", json=complaint_json(**{field: value}))
    assert response.status_code == 422
    assert body_of(response)["error"] == "invalid_text"


@pytest.mark.parametrize("path", ["/api/v1/complaints/%00abc", "/api/v1/locate?lon=1&lat=2%00",
                                  "/api/v1/queue?category=%00"])
def test_nul_in_url_is_422(client, path):
    response = client.get(path)
    assert response.status_code == 422
    assert body_of(response)["error"] == "invalid_text"


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_refused(client, depth):
    nested = '{"a":' * depth + "1" + "}" * depth
    response = client.post("/api/v1/complaints", data=nested, content_type="application/json")
    assert response.status_code in (400, 422)
    assert body_of(response)["error"] in ("invalid_json", "invalid_text")


@pytest.mark.parametrize("number", ["1e308", "-1e308", "123456789012345678901234567890",
                                    "0.0000000000000000000001"])
def test_huge_and_tiny_numbers_are_refused_or_handled(client, number):
    raw = ('{"category": "garbage", "location": {"type": "Point", '
           f'"coordinates": [{number}, 37.5]}}}}')
    response = client.post("/api/v1/complaints", data=raw, content_type="application/json")
    assert response.status_code == 422


def test_long_path_and_long_query_values_are_4xx(client):
    assert client.get("/api/v1/complaints/" + "a" * 3000).status_code == 404
    assert client.get("/api/v1/locate?lon=" + "9" * 3000 + "&lat=1").status_code == 422
    # Past 4,096 characters the URL itself is refused, in JSON (tests/api/test_input_codes.py).
    assert client.get("/api/v1/complaints/" + "a" * 5000).status_code == 414


def test_login_with_nul_in_username_is_422(client):
    response = client.post("/api/v1/auth/login", json={"username": "a\x00", "password": "b"})
    assert response.status_code == 422


def test_text_the_database_refuses_is_422_not_500(app, engine):
    """The last line of defence: PostgreSQL's own refusal of a NUL in JSONB is bad input."""
    import sqlalchemy

    from api.errors import handle_statement_error

    with engine.connect() as connection, pytest.raises(sqlalchemy.exc.DataError) as caught:
        connection.execute(sqlalchemy.text("SELECT CAST(:value AS jsonb)"),
                           {"value": '{"plate": "\\u0000"}'})
    with app.test_request_context("/api/v1/complaints/with-photos", method="POST"):
        response = handle_statement_error(caught.value)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_text"


@pytest.mark.parametrize("token", ["é" * 32, "\u00ff", "0" * 31 + "é"])
def test_a_non_ascii_citizen_token_is_refused_not_a_500(client, token):
    public_id = client.post("/api/v1/complaints", json=complaint_json()).get_json()["public_id"]
    headers = {"X-Citizen-Token": token}
    for method, path in (("get", "timeline"), ("post", "cancel"), ("post", "reopen"),
                         ("get", "photos")):
        response = getattr(client, method)(f"/api/v1/complaints/{public_id}/{path}",
                                           headers=headers, json={} if method == "post" else None)
        assert response.status_code == 404, (path, response.status_code)


@pytest.mark.parametrize("tag", ['"²"', '"١"', '"1²"', "W/\"٣\""])
def test_an_if_match_of_non_ascii_digits_is_a_stale_version(client, settings, tag):
    from dispatch.citizens import citizen_token

    public_id = client.post("/api/v1/complaints", json=complaint_json()).get_json()["public_id"]
    response = client.post(f"/api/v1/complaints/{public_id}/cancel", json={}, headers={
        "X-Citizen-Token": citizen_token(settings.secret_key, public_id), "If-Match": tag})
    assert response.status_code == 412 and body_of(response)["error"] == "stale_version"


def test_control_characters_stay_in_json_and_leave_open311_xml_well_formed(client):
    import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own response

    text = "lamp\x0bout\x1b[31m here\x7f"
    response = client.post("/api/v1/complaints", json=complaint_json(description=text))
    assert response.status_code == 201
    public_id = response.get_json()["public_id"]
    assert client.get(f"/api/v1/complaints/{public_id}").get_json()["description"] == text
    for path in (f"/open311/v2/requests/{public_id}.xml", "/open311/v2/requests.xml"):
        document = ET.fromstring(client.get(path).data)  # noqa: S314 - our own output
        descriptions = [node.text for node in document.iter("description")]
        assert "lampout[31m here\x7f" in descriptions, path
