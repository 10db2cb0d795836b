"""The citizen's report page in Chromium: GPS, photo, offline queue, bad input, languages."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import CITY_HALL, KO, jpeg_bytes, required_lamp_number, screenshot

pytestmark = pytest.mark.slow



def open_report(context):
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#area[data-state=inside]")
    return page


def complaints_with(live_server, description: str) -> list:
    return live_server.sql(
        "SELECT c.public_id, (SELECT count(*) FROM complaint_photos p WHERE p.complaint_id = c.id)"
        " FROM complaints c WHERE c.description = :d", d=description)


def test_citizen_files_a_report_with_gps_and_a_photo(new_context, live_server):
    page = open_report(new_context())
    # GPS at City Hall: the district and dong are shown in Korean.
    assert "중구" in page.locator("#area").text_content()
    page.locator("#categories input[value=garbage]").check()
    page.set_input_files("#photo", files=[{"name": "street.jpg", "mimeType": "image/jpeg",
                                           "buffer": jpeg_bytes()}])
    page.wait_for_selector("#previews img")
    alt = page.locator("#previews img").first.get_attribute("alt")
    assert alt.startswith(KO["photo_alt"])
    page.fill("#description", "browser test: bags by the gate")
    screenshot(page, "citizen-report")
    page.click("#submit")
    page.wait_for_selector("#notice[data-kind=success]")
    link = page.locator("#notice a").get_attribute("href")
    rows = complaints_with(live_server, "browser test: bags by the gate")
    assert len(rows) == 1 and rows[0][1] == 1  # one complaint with its one photo
    assert link.startswith(f"/status/{rows[0][0]}?t=")
    # The photo was shrunk on the phone before it was sent.
    width = live_server.sql("SELECT max(width) FROM complaint_photos p JOIN complaints c "
                            "ON c.id = p.complaint_id WHERE c.public_id = :p", p=rows[0][0])
    assert width[0][0] <= 1600
    page.goto(link)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#photos img")
    assert rows[0][0] in page.locator("#summary h2").text_content()
    # Questions go to the district office, or to the 120 line when no number is on file.
    office = live_server.sql("SELECT office_phone FROM districts WHERE code = '11140'")[0][0]
    expected = "".join(ch for ch in office if ch.isdigit() or ch == "+") if office else "120"
    expect(page.locator("#summary a[href^='tel:']")).to_have_attribute("href", f"tel:{expected}")
    screenshot(page, "citizen-status")


def test_an_offline_report_arrives_once_when_back_online(new_context, live_server):
    context = new_context()
    page = open_report(context)
    page.locator("#categories input[value=garbage]").check()
    page.fill("#description", "browser test: offline lamp")
    context.set_offline(True)
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text(KO["queued_offline"])
    assert complaints_with(live_server, "browser test: offline lamp") == []
    context.set_offline(False)
    page.wait_for_selector("#notice[data-kind=success]")
    # A second flush (a reload, an online event) sends nothing again.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(300)
    assert len(complaints_with(live_server, "browser test: offline lamp")) == 1
    assert page.evaluate("""async () => new Promise(resolve => {
        const open = indexedDB.open('dasan');
        open.onsuccess = () => open.result.transaction('outbox').objectStore('outbox')
            .count().onsuccess = e => resolve(e.target.result);
    })""") == 0


def test_a_report_the_network_failed_goes_by_itself_with_no_online_event(new_context,
                                                                       live_server):
    """A weak connection: the browser says online, the request fails, no event will come."""
    context = new_context()  # no background-sync permission: like the browsers without it
    page = open_report(context)
    page.locator("#categories input[value=garbage]").check()
    page.fill("#description", "browser test: weak connection")
    failed = []

    def fail_posts(route):
        if route.request.method != "POST":
            return route.continue_()
        failed.append(route.request.url)
        return route.abort()

    page.route("**/api/v1/complaints**", fail_posts)
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text(KO["queued_offline"])
    assert failed and complaints_with(live_server, "browser test: weak connection") == []
    page.unroute("**/api/v1/complaints**")
    # No `online` event, no reload: the page tries again by itself within seconds.
    page.wait_for_selector("#notice[data-kind=success]", timeout=12_000)
    assert len(complaints_with(live_server, "browser test: weak connection")) == 1


def test_offline_a_newly_picked_place_is_queued_and_arrives_once_online(new_context,
                                                                       live_server):
    """Offline, /locate cannot answer: that says nothing about the place, so it is queued."""
    context = new_context()
    page = open_report(context)
    page.locator("#categories input[value=garbage]").check()
    page.fill("#description", "browser test: offline new place")
    context.set_offline(True)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 40)
    expect(page.locator("#area")).to_have_attribute("data-state", "unknown")
    expect(page.locator("#area")).to_contain_text(KO["area_offline"])
    expect(page.locator("#location-error")).to_be_hidden()
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text(KO["queued_offline"])
    assert complaints_with(live_server, "browser test: offline new place") == []
    context.set_offline(False)
    page.wait_for_selector("#notice[data-kind=success]")
    [(lon, lat)] = live_server.sql(
        "SELECT ST_X(location), ST_Y(location) FROM complaints WHERE description = :d",
        d="browser test: offline new place")
    # The clicked place, not City Hall where the GPS put the pin first.
    assert (round(lon, 4), round(lat, 4)) != (CITY_HALL["longitude"], CITY_HALL["latitude"])


def test_a_report_needs_a_category_chosen(new_context, live_server):
    page = open_report(new_context())
    expect(page.locator("#categories input:checked")).to_have_count(0)
    page.fill("#description", "browser test: no category")
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text(KO["category_pick_first"])
    page.wait_for_timeout(300)
    assert complaints_with(live_server, "browser test: no category") == []


def test_switching_language_keeps_the_category_and_the_area(new_context):
    page = open_report(new_context())
    page.locator("#categories input[value=illegal_parking]").check()
    page.select_option("#lang", "en")
    expect(page.locator("h1")).to_have_text("Dasan complaint report")
    expect(page.locator("#categories input[value=illegal_parking]")).to_be_checked()
    expect(page.locator("#categories input:checked")).to_have_count(1)
    expect(page.locator("#area")).to_have_attribute("data-state", "inside")
    expect(page.locator("#area")).not_to_have_text("Choose a place")
    expect(page.locator("#area")).not_to_have_text("…")
    expect(page.locator(".leaflet-marker-icon")).to_have_attribute("title", "Location")


def test_background_sync_sends_a_queued_report_with_no_report_page_open(new_context,
                                                                        live_server):
    """The citizen left the report page: the service worker's sync event sends the report."""
    context = new_context()
    page = open_report(context)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("#area[data-state=inside]")
    page.locator("#categories input[value=garbage]").check()
    page.fill("#description", "browser test: sent by the service worker")
    context.set_offline(True)
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text(KO["queued_offline"])
    page.goto("/info")  # not the report page: nobody there to flush the outbox
    page.wait_for_selector("body[data-ready=true]")
    context.set_offline(False)
    assert complaints_with(live_server, "browser test: sent by the service worker") == []
    # A real sync event, fired by Chromium as when the connection returns.
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    [registration] = [r for r in registrations if not r.get("isDeleted")]
    for _ in range(2):  # a second sync (a retry) must not file it twice
        cdp.send("ServiceWorker.dispatchSyncEvent", {
            "origin": live_server.url, "registrationId": registration["registrationId"],
            "tag": "outbox", "lastChance": False})
    for _ in range(50):
        if complaints_with(live_server, "browser test: sent by the service worker"):
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)
    assert len(complaints_with(live_server, "browser test: sent by the service worker")) == 1
    outbox, tickets = page.evaluate("""async () => new Promise(resolve => {
        const open = indexedDB.open('dasan');
        open.onsuccess = () => {
            const tx = open.result.transaction(['outbox', 'tickets']);
            tx.objectStore('outbox').count().onsuccess = (o) =>
                tx.objectStore('tickets').getAll().onsuccess = (t) =>
                    resolve([o.target.result, t.target.result.map((x) => x.public_id)]);
        };
    })""")
    [(public_id, _photos)] = complaints_with(live_server,
                                             "browser test: sent by the service worker")
    assert outbox == 0 and public_id in tickets


def test_a_pin_outside_the_city_is_refused_in_the_users_language(new_context, live_server):
    context = new_context(geolocation={"longitude": 129.0756, "latitude": 35.1796})  # Busan
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("#area[data-state=outside]")
    page.wait_for_selector("#location-error:not([hidden])")
    assert page.locator("#location-error").text_content() == KO["outside_city"]
    page.fill("#description", "browser test: busan")
    page.click("#submit")
    assert complaints_with(live_server, "browser test: busan") == []
    screenshot(page, "citizen-outside-city")


def test_a_file_that_is_not_a_photo_is_refused_with_a_message(new_context):
    page = open_report(new_context())
    page.set_input_files("#photo", files=[{"name": "photo.jpg", "mimeType": "image/jpeg",
                                           "buffer": b"this is not a picture"}])
    page.wait_for_selector("#photo-error:not([hidden])")
    assert page.locator("#photo-error").text_content() == KO["photo_refused"]
    assert page.locator("#previews img").count() == 0


def test_switching_language_changes_the_ui_and_is_remembered(new_context):
    page = open_report(new_context())
    assert page.locator("h1").text_content() == KO["app_title"]
    for lang, title in (("en", "Dasan complaint report"), ("vi", "Báo cáo khiếu nại Dasan"),
                        ("mn", "Дасан гомдол мэдээлэх")):
        page.select_option("#lang", lang)
        expect(page.locator("h1")).to_have_text(title)
        assert page.evaluate("document.documentElement.lang") == lang
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("h1").text_content() == "Дасан гомдол мэдээлэх"
    assert page.locator("#categories label").count() == 9


def test_the_reporter_cancels_from_the_status_page(new_context, live_server):
    from tests.pwa.test_field import call

    status, body, _ = call(live_server, "POST", "/api/v1/complaints", {
        "category": "illegal_signage", "description": "browser test: cancel me",
        "location": {"type": "Point", "coordinates": [126.9700, 37.5550]}},
        {"Idempotency-Key": "7b0e3c1e-5d0f-4a59-9d64-3f5c1b8f0a11"})
    assert status == 201, body
    page = new_context().new_page()
    # A shared link without the token shows the state, and no button the server would refuse.
    page.goto(f"/status/{body['public_id']}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#timeline li").first).to_be_visible()
    expect(page.locator("#cancel")).to_be_hidden()
    page.goto(f"/status/{body['public_id']}?t={body['citizen_token']}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#timeline li").first).to_be_visible()
    expect(page.locator("#cancel")).to_be_visible()
    expect(page.locator("#summary dt", has_text=KO["due"])).to_have_count(1)
    # It asks first: said no, nothing happens.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("#cancel")
    page.wait_for_timeout(300)
    assert questions == [KO["cancel_confirm"]]
    assert live_server.sql("SELECT status FROM complaints WHERE public_id = :p",
                           p=body["public_id"])[0][0] != "cancelled"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel")
    expect(page.locator("#summary dd").first).to_have_text(KO["s_cancelled"])
    expect(page.locator("#cancel")).to_be_hidden()
    # A cancelled report has no deadline left: none is shown.
    expect(page.locator("#summary dt", has_text=KO["due"])).to_have_count(0)
    assert live_server.sql("SELECT status FROM complaints WHERE public_id = :p",
                           p=body["public_id"])[0][0] == "cancelled"
    # Without the right token nobody else can move it.
    status, _, _ = call(live_server, "POST", f"/api/v1/complaints/{body['public_id']}/reopen",
                        {}, {"X-Citizen-Token": "wrong", "If-Match": '"1"'})
    assert status == 404


def test_the_reporter_rates_a_closed_complaint_from_the_status_page(new_context, live_server):
    from tests.pwa.test_field import call

    status, body, _ = call(live_server, "POST", "/api/v1/complaints", {
        "category": "illegal_signage", "description": "browser test: rate me",
        "location": {"type": "Point", "coordinates": [126.9710, 37.5560]}},
        {"Idempotency-Key": "0c1d6f0e-2d6b-4b8e-9a53-6a1f0f3b2c77"})
    assert status == 201, body
    # An inspector's closure, written directly: the workflow itself is tested elsewhere.
    live_server.sql("UPDATE complaints SET status = 'resolved', closed_at = now(),"
                    " outcome = 'removed', version = version + 1 WHERE public_id = :p",
                    p=body["public_id"])
    page = new_context().new_page()
    page.goto(f"/status/{body['public_id']}?t={body['citizen_token']}")
    page.wait_for_selector("body[data-ready=true]")
    # What was done, in words (the result text says it too).
    expect(page.locator("#summary dt", has_text=KO["outcome"])).to_have_count(1)
    expect(page.locator("#summary dd").nth(1)).to_have_text(KO["outcome_removed"])
    expect(page.locator("#rating")).to_be_visible()
    expect(page.locator("#rating legend")).to_have_text(KO["rate_question"])
    page.click("#rating button[type=submit]")
    expect(page.locator("#notice")).to_have_text(KO["rate_pick"])
    page.get_by_label(KO["rate_4"]).check()
    screenshot(page, "citizen-rating")
    page.click("#rating button[type=submit]")
    expect(page.locator("#rated")).to_contain_text("4 / 5")
    expect(page.locator("#rating")).to_be_hidden()
    # The rating is a line of its own in the timeline, not a raw key.
    expect(page.locator("#timeline li").last).to_contain_text(KO["event_rated"])
    assert "s_undefined" not in page.locator("#timeline").text_content()
    assert live_server.sql(
        "SELECT r.score FROM satisfaction_ratings r JOIN complaints c ON c.id = r.complaint_id"
        " WHERE c.public_id = :p", p=body["public_id"]) == [(4,)]


def test_the_draft_stays_until_the_server_accepts_it(new_context, live_server):
    page = open_report(new_context())
    page.locator("#categories input[value=garbage]").check()
    page.fill("#description", "browser test: draft kept")
    page.fill("#phone", "12")  # refused by the server: 422 invalid_phone
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text(KO["invalid_phone"])
    expect(page.locator("#description")).to_have_value("browser test: draft kept")
    assert complaints_with(live_server, "browser test: draft kept") == []
    page.fill("#phone", "")
    page.click("#submit")
    page.wait_for_selector("#notice[data-kind=success]")
    expect(page.locator("#description")).to_have_value("")
    [(public_id, _)] = complaints_with(live_server, "browser test: draft kept")
    # The sent report is listed with its status link; the refused one is not left behind.
    mine = page.locator("#mine-list li")
    expect(mine.filter(has_text=public_id).locator("a")).to_have_attribute(
        "href", re.compile(rf"^/status/{public_id}\?t="))
    expect(page.locator("#mine-list li[data-error]")).to_have_count(0)


def test_at_most_five_photos_are_taken(new_context):
    page = open_report(new_context())
    page.set_input_files("#photo", files=[
        {"name": f"p{i}.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(800, 600)}
        for i in range(6)])
    expect(page.locator("#photo-error")).to_have_text(KO["too_many_photos"])
    expect(page.locator("#previews img")).to_have_count(5)


def test_refused_reports_are_listed_to_retry_or_dismiss(new_context, live_server):
    page = open_report(new_context())
    # Two reports the service worker tried while no page was open: the server refused both.
    page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('dasan');
        open.onsuccess = () => {
            const tx = open.result.transaction('outbox', 'readwrite');
            const report = (text) => ({category: 'garbage', lon: 126.978, lat: 37.566,
                                       description: text, phone: '', language: 'ko'});
            tx.objectStore('outbox').add({kind: 'report', client_ref: crypto.randomUUID(),
                photos: [], report: report('browser test: refused, retried'), created: 1,
                error: {code: 'rate_limited', status: 422, message: 'busy'}});
            tx.objectStore('outbox').add({kind: 'report', client_ref: crypto.randomUUID(),
                photos: [], report: report('browser test: refused, dismissed'), created: 2,
                error: {code: 'too_many_photos', status: 422, message: 'too many'}});
            tx.oncomplete = () => resolve(true);
        };
    })""")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    refused = page.locator("#mine-list li[data-error]:not([data-error=''])")
    expect(refused).to_have_count(2)
    expect(refused.nth(1)).to_contain_text(KO["too_many_photos"])
    screenshot(page, "citizen-my-reports")
    refused.nth(1).locator("button[data-action=dismiss]").click()
    expect(refused).to_have_count(1)
    refused.first.locator("button[data-action=retry]").click()
    expect(refused).to_have_count(0)
    [(public_id, _)] = complaints_with(live_server, "browser test: refused, retried")
    expect(page.locator("#mine-list a")).to_contain_text([public_id])
    assert complaints_with(live_server, "browser test: refused, dismissed") == []


def closed_complaint(live_server, description: str, lonlat: list, days_ago: int) -> tuple:
    """A complaint an inspector closed ``days_ago`` days ago: (public id, citizen token)."""
    from tests.pwa.test_field import call

    status, body, _ = call(live_server, "POST", "/api/v1/complaints", {
        "category": "illegal_signage", "description": description,
        "location": {"type": "Point", "coordinates": lonlat}},
        {"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, body
    live_server.sql("UPDATE complaints SET status = 'resolved', version = version + 1,"
                    " closed_at = now() - make_interval(days => :d) WHERE public_id = :p",
                    p=body["public_id"], d=days_ago)
    return body["public_id"], body["citizen_token"]


def test_reopen_is_offered_only_within_its_window_and_a_refusal_is_explained(new_context,
                                                                              live_server):
    page = new_context().new_page()
    old_id, old_token = closed_complaint(live_server, "browser test: closed long ago",
                                         [126.9720, 37.5570], days_ago=30)
    page.goto(f"/status/{old_id}?t={old_token}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#timeline li").first).to_be_visible()
    expect(page.locator("#reopen")).to_be_hidden()
    recent_id, recent_token = closed_complaint(live_server, "browser test: closed today",
                                               [126.9730, 37.5580], days_ago=0)
    page.goto(f"/status/{recent_id}?t={recent_token}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#reopen")).to_be_visible()
    # Refused all the same (the window closed while the page was open): said plainly.
    page.route(f"**/api/v1/complaints/{recent_id}/reopen*", lambda route: route.fulfill(
        status=409, json={"error": "invalid_transition", "message": "too late"}))
    page.click("#reopen")
    expect(page.locator("#notice")).to_have_text(KO["reopen_too_late"])
    expect(page.locator("#reopen")).to_be_hidden()


def test_the_status_page_keeps_the_reporters_token_out_of_the_address_bar(new_context,
                                                                          live_server):
    from tests.pwa.test_field import call

    status, body, _ = call(live_server, "POST", "/api/v1/complaints", {
        "category": "illegal_signage", "description": "browser test: my link, not yours",
        "location": {"type": "Point", "coordinates": [126.9710, 37.5560]}},
        {"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, body
    public_id, token = body["public_id"], body["citizen_token"]
    page = new_context().new_page()
    page.goto(f"/status/{public_id}?t={token}")
    page.wait_for_selector("body[data-ready=true]")
    # The token left the address bar and the history entry; the reporter may still act.
    assert page.url == f"{live_server.url}/status/{public_id}", page.url
    expect(page.locator("#cancel")).to_be_visible()
    share = page.locator("#share").get_attribute("href")
    assert share == f"{live_server.url}/status/{public_id}"
    expect(page.locator("#share")).to_have_text(KO["share_link"])
    # Opened later on the same phone without the token, the page finds it in its storage.
    page.goto("/")
    page.go_back()
    page.wait_for_selector("body[data-ready=true]")
    assert "t=" not in page.url
    expect(page.locator("#cancel")).to_be_visible()
    page.goto(f"/status/{public_id}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#cancel")).to_be_visible()
    # Someone given the shared link sees the state but has none of the reporter's rights.
    other = new_context().new_page()
    asked = []
    other.on("request", lambda request: asked.append(request.url))
    other.goto(share)
    other.wait_for_selector("body[data-ready=true]")
    expect(other.locator("#timeline li").first).to_be_visible()
    expect(other.locator("#cancel")).to_be_hidden()
    # Nor does it ask for what only the reporter may read (the server would say 401).
    other.wait_for_timeout(300)
    refused = [url for url in asked
               if "/api/" in url and ("/timeline" in url or "/photos" in url)]
    assert refused == [], refused


def test_a_photo_can_be_removed_and_replaced_at_the_limit(new_context, live_server):
    page = open_report(new_context())
    page.set_input_files("#photo", files=[
        {"name": f"p{i}.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(800 + i, 600)}
        for i in range(5)])  # different pictures: the server keeps one of identical ones
    expect(page.locator("#previews img")).to_have_count(5)
    remove = page.locator("#previews button[data-action=remove-photo]")
    expect(remove.nth(1)).to_have_attribute("aria-label", f"{KO['photo_remove']} 2")
    remove.nth(1).click()
    expect(page.locator("#previews img")).to_have_count(4)
    assert [page.locator("#previews img").nth(i).get_attribute("alt") for i in range(4)] == [
        f"{KO['photo_alt']} {n}" for n in range(1, 5)]
    page.set_input_files("#photo", files=[{"name": "new.jpg", "mimeType": "image/jpeg",
                                           "buffer": jpeg_bytes(900, 600)}])
    expect(page.locator("#previews img")).to_have_count(5)
    expect(page.locator("#photo-error")).to_be_hidden()
    page.locator("#categories input[value=garbage]").check()
    page.fill("#description", "browser test: photo replaced")
    page.click("#submit")
    page.wait_for_selector("#notice[data-kind=success]")
    [(_, count)] = complaints_with(live_server, "browser test: photo replaced")
    assert count == 5


def test_offline_in_a_language_not_cached_the_categories_of_another_are_shown(new_context):
    context = new_context()
    page = open_report(context)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#categories input")).not_to_have_count(0)
    count = page.locator("#categories input").count()
    context.set_offline(True)
    page.evaluate("localStorage.setItem('dasan.lang', 'vi')")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#categories input")).to_have_count(count)
    expect(page.locator("#category-error")).to_be_hidden()


def test_with_no_categories_at_all_the_page_says_so(new_context):
    page = new_context(service_workers="block").new_page()
    page.route("**/api/v1/categories*", lambda route: route.abort())
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#category-error")).to_have_text(KO["categories_unavailable"])


def test_the_photo_button_shows_keyboard_focus(new_context):
    page = open_report(new_context())
    label = page.locator("label[for=photo]")
    assert label.evaluate("(el) => getComputedStyle(el).outlineStyle") == "none"
    page.focus("#description")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "photo"
    assert label.evaluate("(el) => getComputedStyle(el).outlineStyle") == "solid"


def attributes_queued_offline(context, page) -> list[dict]:
    """Send the report with the phone offline; return the attributes of what waits to go."""
    context.set_offline(True)
    page.click("#submit")
    expect(page.locator("#notice[data-kind=info]")).to_be_visible()
    return page.evaluate("""async () => new Promise(resolve => {
        const open = indexedDB.open('dasan');
        open.onsuccess = () => open.result.transaction('outbox').objectStore('outbox')
            .getAll().onsuccess = e => resolve(e.target.result.map(r => r.report.attributes));
    })""")


def test_an_illegal_parking_report_keeps_the_plate_through_the_offline_queue(new_context,
                                                                            live_server):
    context = new_context()
    page = open_report(context)
    box = page.locator("#attributes")
    expect(box).to_be_hidden()  # no category chosen: no extra fields
    page.locator("#categories input[value=illegal_parking]").check()
    plate = box.locator("[data-attribute=vehicle_plate]")
    expect(box.locator("label")).to_have_text(re.compile("차량 번호"))
    plate.fill(" 12가3456 ")
    # A new language names the field anew and keeps what was typed.
    page.select_option("#lang", "en")
    expect(box.locator("label")).to_contain_text("Vehicle plate")
    expect(plate).to_have_value(" 12가3456 ")
    page.set_input_files("#photo", files=[{"name": "car.jpg", "mimeType": "image/jpeg",
                                           "buffer": jpeg_bytes()}])
    page.wait_for_selector("#previews img")
    page.fill("#description", "browser test: car on the crossing")
    queued = attributes_queued_offline(context, page)
    assert queued == [{"vehicle_plate": "12가3456"}]
    context.set_offline(False)
    page.wait_for_selector("#notice[data-kind=success]")
    expect(box).to_be_hidden()  # the sent draft is cleared, its fields too
    stored = live_server.sql(
        "SELECT attributes, (SELECT count(*) FROM complaint_photos p WHERE p.complaint_id = c.id)"
        " FROM complaints c WHERE description = 'browser test: car on the crossing'")
    assert [tuple(row) for row in stored] == [({"vehicle_plate": "12가3456"}, 1)]


def test_a_required_attribute_left_empty_is_refused_before_sending(new_context, live_server):
    page = new_context(service_workers="block").new_page()
    page.route("**/api/v1/categories*", required_lamp_number)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST"
            and "/api/v1/complaints" in r.url else None)
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#area[data-state=inside]")
    page.locator("#categories input[value=street_lamp]").check()
    field = page.locator("#attributes [data-attribute=lamp_post_number]")
    expect(page.locator("#attributes label")).to_have_text(re.compile(r"가로등 번호 \*"))
    field.fill("   ")  # blank is missing, as the server has it
    page.fill("#description", "browser test: required lamp number")
    page.click("#submit")
    expect(page.locator("#notice")).to_have_text(
        KO["attribute_required"].replace("{name}", "가로등 번호"))
    expect(field).to_be_focused()
    assert sent == [] and complaints_with(live_server, "browser test: required lamp number") == []
    field.fill("J-1024")
    page.click("#submit")
    page.wait_for_selector("#notice[data-kind=success]")
    stored = live_server.sql("SELECT attributes FROM complaints "
                             "WHERE description = 'browser test: required lamp number'")
    assert stored[0][0] == {"lamp_post_number": "J-1024"}


def test_a_list_attribute_is_chosen_and_its_key_stored_through_the_offline_queue(
        new_context, live_server):
    # illegal_dumping has a singlevaluelist and a multivaluelist here (tests/pwa/conftest.py).
    context = new_context()
    page = open_report(context)
    page.locator("#categories input[value=illegal_dumping]").check()
    amount = page.get_by_role("combobox", name=re.compile("^양"))  # a <select> with its label
    expect(amount).to_have_js_property("tagName", "SELECT")
    expect(amount.locator("option")).to_have_text(
        [KO["attribute_choose"], "봉투 몇 개", "트럭 한 대 분량"])
    expect(amount).to_have_value("")  # nothing is chosen for the citizen
    amount.select_option(label="트럭 한 대 분량")
    kinds = page.get_by_role("group", name="폐기물 종류")  # checkboxes in a fieldset
    kinds.get_by_label("가전제품").check()
    kinds.get_by_label("가구").check()
    # A new language names the choices anew and keeps them.
    page.select_option("#lang", "en")
    amount = page.get_by_role("combobox", name=re.compile("^Amount"))
    expect(amount.locator("option")).to_have_text([re.compile("Choose"), "A few bags",
                                                   "A truckload"])
    expect(amount).to_have_value("large")
    expect(page.get_by_role("group", name="Kinds of waste").get_by_label("Appliances")
           ).to_be_checked()
    page.fill("#description", "browser test: sofa and fridge by the wall")
    queued = attributes_queued_offline(context, page)
    assert queued == [{"amount": "large", "waste_kinds": "furniture,appliance"}]
    context.set_offline(False)
    page.wait_for_selector("#notice[data-kind=success]")
    stored = live_server.sql("SELECT attributes FROM complaints "
                             "WHERE description = 'browser test: sofa and fridge by the wall'")
    assert stored[0][0] == {"amount": "large", "waste_kinds": "furniture,appliance"}


PHONE_390 = {"width": 390, "height": 844}


@pytest.mark.parametrize("locale", ["mn-MN", "en-US", "vi-VN"])
def test_the_category_cards_fit_a_small_phone_in_every_language(new_context, locale):
    page = open_report(new_context(locale=locale, viewport=PHONE_390))
    expect(page.locator("#categories .choice").first).to_be_visible()
    # No sideways scrolling, and no name running out of its card.
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
    spilled = page.evaluate("""() => [...document.querySelectorAll('#categories .choice')]
        .filter((card) => {
            const box = card.getBoundingClientRect();
            const name = card.querySelector('span');
            return name.getBoundingClientRect().right > box.right + 0.5
                || name.scrollWidth > name.clientWidth + 1;
        }).map((card) => card.textContent)""")
    assert spilled == [], spilled


def filed_with_token(live_server, description: str, lonlat: list) -> tuple[str, str]:
    """File a complaint through the API; return its number and the reporter's token."""
    from tests.pwa.test_field import call

    status, body, _ = call(live_server, "POST", "/api/v1/complaints", {
        "category": "illegal_signage", "description": description,
        "location": {"type": "Point", "coordinates": lonlat}},
        {"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, body
    return body["public_id"], body["citizen_token"]


def test_the_status_page_shows_seoul_times_on_a_phone_set_to_another_zone(new_context,
                                                                          live_server):
    public_id, token = filed_with_token(live_server, "browser test: seoul time",
                                        [126.9760, 37.5520])
    # 03:30 UTC on 1 December is 12:30 on 1 December in Seoul, 22:30 on 30 November in New York.
    live_server.sql("UPDATE complaints SET due_at = '2026-12-01 03:30:00+00' WHERE public_id = :p",
                    p=public_id)
    page = new_context(locale="en-US", timezone_id="America/New_York").new_page()
    page.goto(f"/status/{public_id}?t={token}")
    page.wait_for_selector("body[data-ready=true]")
    due = page.locator("#summary dd").nth(3)
    expect(due).to_contain_text("Dec 1, 2026")
    expect(due).to_contain_text("12:30")
    expect(due).to_contain_text("GMT+9")  # the zone is named: the phone's clock says otherwise
    assert "10:30" not in due.text_content()
    # The timeline too: the filing time in Seoul, not New York's.
    filed = live_server.sql("SELECT to_char(created_at AT TIME ZONE 'Asia/Seoul', 'FMHH12:MI')"
                            " FROM complaints WHERE public_id = :p", p=public_id)[0][0]
    expect(page.locator("#timeline li").first).to_contain_text(filed)


def status_page_cut_off(new_context, live_server, description: str, place: list[float]):
    """A status page whose data requests fail: the page itself comes (from the service worker,
    in real life), its data does not. Returns (context, page, public_id, refused URLs)."""
    public_id, token = filed_with_token(live_server, description, place)
    context = new_context()
    page = context.new_page()
    refused = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort()

    page.route("**/api/v1/complaints/**", refuse)
    page.goto(f"/status/{public_id}?t={token}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#notice")).to_have_text(KO["network_error"])
    expect(page.locator("#summary h2")).to_have_count(0)
    return context, page, public_id, refused


def test_a_status_page_opened_offline_loads_by_itself_once_back_online(new_context,
                                                                       live_server):
    context, page, public_id, _ = status_page_cut_off(
        new_context, live_server, "browser test: back online", [126.9800, 37.5540])
    page.unroute("**/api/v1/complaints/**")
    context.set_offline(True)
    context.set_offline(False)  # the phone is back: the `online` event
    expect(page.locator("#summary h2")).to_have_text(public_id)
    expect(page.locator("#notice")).to_be_hidden()


def test_a_status_page_tries_again_soon_when_the_first_try_back_online_fails(new_context,
                                                                            live_server):
    # Phones say `online` before the network carries anything (a radio waking, a captive
    # portal, Chromium's own emulation): the first try after it may fail too. The page must
    # not then wait its long interval, but try again within seconds.
    context, page, public_id, refused = status_page_cut_off(
        new_context, live_server, "browser test: online too early", [126.9810, 37.5550])
    before = len(refused)
    context.set_offline(True)
    context.set_offline(False)
    # The try the `online` event starts is refused as well ...
    deadline = time.monotonic() + 5
    while len(refused) <= before and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert len(refused) > before, "the `online` event started no new try"
    page.unroute("**/api/v1/complaints/**")
    # ... and the next one, a few seconds later (2 s, then 4 s, not the 20 s it once waited),
    # finds the server.
    expect(page.locator("#summary h2")).to_have_text(public_id, timeout=12_000)
    expect(page.locator("#notice")).to_be_hidden()


def test_a_photo_thumbnail_fits_inside_its_frame(new_context, live_server):
    page = new_context().new_page()
    answer = page.request.post(f"{live_server.url}/api/v1/complaints/with-photos", multipart={
        "category": "garbage", "description": "browser test: thumbnail frame",
        "lon": "126.9840", "lat": "37.5560",
        "photos": {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(800, 600)},
    }, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 201, answer.text()
    body = answer.json()
    page.goto(f"/status/{body['public_id']}?t={body['citizen_token']}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#photos img")).to_be_visible()
    page.wait_for_function("() => document.querySelector('#photos img').complete")
    image = page.locator("#photos img").bounding_box()
    frame = page.locator("#photos li").bounding_box()
    inside = frame["x"] <= image["x"] and image["x"] + image["width"] <= frame["x"] + frame["width"]
    assert inside, (image, frame)


def test_with_location_refused_the_page_says_to_tap_the_map_and_to_choose_first(new_context,
                                                                                live_server):
    page = new_context(permissions=[]).new_page()  # the phone refuses the position
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    # No pin to drag: the page says to tap the map instead.
    expect(page.locator("#location-error")).to_have_text(KO["gps_unavailable"])
    expect(page.locator("#drag-hint")).to_be_hidden()
    page.locator("#categories input[value=garbage]").check()
    page.fill("#description", "browser test: nowhere chosen")
    page.click("#submit")
    # Nothing chosen is not "outside the city".
    expect(page.locator("#location-error")).to_have_text(KO["place_pick_first"])
    assert complaints_with(live_server, "browser test: nowhere chosen") == []
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#area")).to_have_attribute("data-state", "inside")
    expect(page.locator("#drag-hint")).to_be_visible()
    expect(page.locator("#location-error")).to_be_hidden()
