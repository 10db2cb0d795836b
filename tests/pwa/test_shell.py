"""The service worker's offline shell and the accessibility check of every main page."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import KO, axe_violations, login, screenshot

pytestmark = pytest.mark.slow


def test_the_service_worker_serves_the_shell_offline(new_context):
    context = new_context()
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
    context.set_offline(True)
    for path, title in (("/field", KO["login_title"]), ("/", KO["app_title"]),
                        ("/dispatch", KO["dispatch_title"])):
        page.goto(path)
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("h1, h2").first).to_have_text(
            title if path != "/field" else KO["queue"])
    # The categories came from the cache too: the form is usable offline.
    page.goto("/")
    page.wait_for_selector("#categories input")
    screenshot(page, "citizen-offline")


def _filed(live_server) -> tuple[str, str]:
    body = json.dumps({"category": "garbage", "description": "browser test: axe",
                       "location": {"type": "Point", "coordinates": [126.978, 37.566]}}).encode()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/complaints", data=body, method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    return answer["public_id"], answer["citizen_token"]


@pytest.mark.parametrize("page_name", ["citizen", "status", "info", "field", "dispatch"])
def test_each_page_passes_axe(new_context, live_server, page_name):
    # bypass_csp only lets the test inject axe-core; the pages themselves run under the CSP.
    page = new_context(bypass_csp=True, viewport={"width": 1280, "height": 1000}).new_page()
    if page_name == "status":
        public_id, token = _filed(live_server)
        page.goto(f"/status/{public_id}?t={token}")
    else:
        page.goto({"citizen": "/", "info": "/info", "field": "/field",
                   "dispatch": "/dispatch"}[page_name])
    page.wait_for_selector("body[data-ready=true]")
    if page_name in ("field", "dispatch"):
        violations = axe_violations(page)  # the login form
        assert violations == [], violations
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        login(page, "disp1" if page_name == "dispatch" else "insp1")
        page.wait_for_selector("body[data-ready=true]")
    if page_name == "dispatch":
        page.locator("#caller summary").click()  # the agent's form is checked too
    page.wait_for_timeout(300)  # the map's layers settle
    violations = axe_violations(page)
    screenshot(page, f"{page_name}-axe")
    assert violations == [], violations
