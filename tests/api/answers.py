"""Assertions on error answers: our JSON error document (/api) and Open311's (/open311)."""

import json


def error_of(response, status: int, code: str) -> dict:
    """Assert ``response`` is our JSON error with ``status`` and ``code``; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = json.loads(response.data)
    assert body["error"] == code and body["code"] == status and body["request_id"]
    return body


def open311_error(response, status: int, code: str) -> str:
    """Assert ``response`` is Open311's JSON error list naming ``code``; return its text."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    [error] = response.get_json()
    assert error["code"] == status and error["description"].startswith(code + ":")
    return error["description"]
