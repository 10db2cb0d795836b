"""Under the production gunicorn config, long URLs and big headers get our JSON, not HTML."""

import os
import subprocess
import sys

import pytest
import requests

from tests.services import ROOT, app_answers, free_port


@pytest.fixture(scope="module")
def server(database_url, redis_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    port = free_port()
    env = {**os.environ, "DASAN_DATABASE_URL": database_url, "DASAN_REDIS_URL": redis_url,
           "DASAN_SECRET_KEY": "test-secret-key-0123456789", "DASAN_ACCESS_LOG": "0",
           "DASAN_WEB_BIND": f"127.0.0.1:{port}", "DASAN_WEB_WORKERS": "1",
           "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}
    with (folder / "gunicorn.log").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn_conf.py", "api.wsgi:app"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        assert app_answers(base, 60), "gunicorn did not answer"
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text[:200]
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"] == code
    return response.json()


def test_a_url_past_the_old_gunicorn_limit_is_json_414(server):
    json_error(requests.get(f"{server}/api/v1/categories?x={'a' * 5000}", timeout=10),
               414, "uri_too_long")


def test_an_open311_url_that_is_too_long_is_the_specs_document(server):
    response = requests.get(f"{server}/open311/v2/requests.xml?x={'a' * 5000}", timeout=10)
    assert response.status_code == 414 and b"<errors>" in response.content


def test_big_or_many_headers_are_json_431(server):
    json_error(requests.get(f"{server}/api/v1/categories", headers={"X-Big": "b" * 9000},
                            timeout=10), 431, "request_header_fields_too_large")
    many = {f"X-H{number}": "1" for number in range(120)}
    json_error(requests.get(f"{server}/api/v1/categories", headers=many, timeout=10),
               431, "request_header_fields_too_large")
