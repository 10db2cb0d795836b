"""gunicorn's access log (production config) keeps tokens that travel in URLs out of the log."""

import os
import subprocess
import sys

import requests

from tests.services import ROOT, app_answers, free_port


def test_the_access_log_has_no_query_strings_or_referers(database_url, redis_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DASAN_DATABASE_URL": database_url, "DASAN_REDIS_URL": redis_url,
           "DASAN_SECRET_KEY": "test-secret-key-0123456789", "DASAN_ACCESS_LOG": "1",
           "DASAN_WEB_BIND": f"127.0.0.1:{port}", "DASAN_WEB_WORKERS": "1",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn_conf.py", "api.wsgi:app"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        assert app_answers(base, 60), "gunicorn did not answer"
        # The stream's staff token and a status page's citizen token, as a browser sends them.
        requests.get(f"{base}/api/v1/stream?access_token=staff-secret-0001", timeout=5,
                     stream=True).close()
        requests.get(f"{base}/health/live", timeout=5, headers={
            "Referer": f"{base}/status/261129-0000001?t=citizen-secret-0002"})
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "GET /api/v1/stream HTTP/1.1" in text  # the request is logged, its query not
    assert "staff-secret-0001" not in text and "citizen-secret-0002" not in text
