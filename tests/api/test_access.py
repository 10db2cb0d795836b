"""Every endpoint x every role: staff views admit exactly the roles they declare.

The matrix is read from the app itself (``staff_required`` records its roles on each view),
so a new endpoint joins this test without being listed. Role checks run before the body is
parsed, which is why the requests below can send an empty JSON object.
"""

import re

import pytest

from api.auth import admits_citizens, required_roles
from tests.factories import complaint_json

ROLES = ("inspector", "supervisor", "dispatcher", "admin")
SKIP = {
    ("POST", "/api/v1/auth/logout"),  # revokes the caller's token; tested in test_auth.py
    # EventSource sends no headers: the staff token comes in the query; tested in test_stream.py
    ("GET", "/api/v1/stream"),
    # Kannel's callbacks: no staff login, a gateway secret and address instead (403 without);
    # tested in test_sms_gateway.py.
    ("GET", "/api/v1/sms/incoming"),
    ("GET", "/api/v1/sms/reports/<int:notification_id>/<string:token>"),
    # Open311 is public, but filing needs a client application's api_key (403 without, as
    # the spec says); tested in test_open311.py. Its GETs stay in the matrix.
    ("POST", "/open311/v2/requests.<fmt>"),
}
SKIP_PREFIXES = ("/static/", "/api/docs", "/sw.js")


def _operations(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIP_PREFIXES):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in SKIP:
                yield rule, method


def _path(rule_text: str, values: dict) -> str:
    def fill(match):
        name = match.group(2)
        return values.get(name, "1" if match.group(1) == "int" else "x")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule_text)


@pytest.fixture
def callers(client, create_staff, login):
    headers = {None: {}}
    for role in ROLES:
        headers[role] = login(create_staff(role, "11140"))
    return headers


def test_every_endpoint_admits_exactly_its_roles(app, client, callers):
    public_id = client.post("/api/v1/complaints", json=complaint_json()).get_json()["public_id"]
    values = {"public_id": public_id, "phone": "+821000000000", "fmt": "json",
              "request_id": public_id, "code": "street_lamp"}
    problems, checked = [], 0
    with app.test_request_context():
        matrix = [(rule, method, required_roles(rule.endpoint, method),
                   admits_citizens(rule.endpoint, method))
                  for rule, method in _operations(app)]
    for rule, method, roles, citizens in matrix:
        url = _path(rule.rule, values)
        for caller, headers in callers.items():
            response = client.open(url, method=method, headers=headers,
                                   json={} if method in ("POST", "PUT", "PATCH") else None)
            status = response.status_code
            checked += 1
            if status >= 500:
                problems.append(f"{method} {rule.rule} as {caller}: {status}")
            elif citizens:
                # Reporter (citizen token) or staff of the complaint's district (11140).
                if caller is None and status not in (401, 404):
                    problems.append(f"{method} {rule.rule} anonymous got {status}, not 401")
                elif caller is not None and status in (401, 403):
                    problems.append(f"{method} {rule.rule} as {caller} refused with {status}")
            elif roles is None:
                if caller is None and status in (401, 403):
                    problems.append(f"{method} {rule.rule} is public but refused anonymous")
            elif caller is None:
                if status != 401:
                    problems.append(f"{method} {rule.rule} anonymous got {status}, not 401")
            elif roles and caller not in roles:
                if status not in (403, 404):
                    problems.append(f"{method} {rule.rule} as {caller} got {status}, not 403")
            elif status in (401, 403):
                problems.append(f"{method} {rule.rule} as {caller} refused with {status}")
    assert checked > 50
    assert problems == [], "\n".join(problems)
