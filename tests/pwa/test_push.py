"""The service worker's push handler (a push delivered through the DevTools protocol)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_a_push_message_shows_a_notification_that_opens_the_complaint(new_context, live_server):
    context = new_context(permissions=["geolocation", "notifications"])
    page = context.new_page()
    page.goto("/field")
    page.wait_for_selector("body[data-ready=true]")
    scope = page.evaluate("() => navigator.serviceWorker.ready.then(r => r.scope)")
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(200)
    registration = next(r for r in registrations if r["scopeURL"] == scope)
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server.url, "registrationId": registration["registrationId"],
        "data": json.dumps({"title": "새 민원", "body": "중구 가로등",
                            "url": "/staff/complaints/261129-0000009",
                            "tag": "complaint-261129-0000009"})})
    notifications = page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        for (let i = 0; i < 50; i++) {
            const shown = await registration.getNotifications();
            if (shown.length) return shown.map(n => ({title: n.title, body: n.body,
                                                      url: n.data.url, tag: n.tag}));
            await new Promise(r => setTimeout(r, 100));
        }
        return [];
    }""")
    assert notifications == [{"title": "새 민원", "body": "중구 가로등",
                              "url": "/staff/complaints/261129-0000009",
                              "tag": "complaint-261129-0000009"}]
    # What a click opens: the inspector app on that complaint.
    page.goto(notifications[0]["url"])
    assert page.url.endswith("/field?c=261129-0000009")
