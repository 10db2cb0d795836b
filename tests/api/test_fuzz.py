"""Property-based fuzzing of every documented operation (schemathesis over /api/openapi.json).

Bounded (a few examples per operation) so it runs in CI; staff operations are called with
a dispatcher's token so they are exercised past the auth check. Schemathesis' own pytest
plugin does not work with pytest 9, so the operations are driven with hypothesis directly.
"""

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

EXAMPLES_PER_OPERATION = 15
# Logging out would revoke the token every other case uses; it has its own tests.
SKIPPED = {("POST", "/api/v1/auth/logout")}


def test_no_server_errors_and_responses_match_schema(app, session, create_staff, login):
    token = login(create_staff("dispatcher"))["Authorization"]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures, exercised = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        exercised += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
                             derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.headers = {**(case.headers or {}), "Authorization": token}
            response = case.call()
            case.validate_response(response, checks=[
                not_a_server_error, response_schema_conformance, content_type_conformance])

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert exercised >= 10
    assert failures == [], "\n\n".join(failures)
