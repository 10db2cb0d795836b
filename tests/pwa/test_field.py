"""The inspector's app in Chromium: accept to resolve with evidence, partly offline; conflicts."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.factories import STAFF_PASSWORD
from tests.pwa.conftest import KO, file_with_photo, jpeg_bytes, login, open_as, screenshot
from tests.services import ROOT

pytestmark = pytest.mark.slow


def call(live_server, method: str, path: str, body=None, headers=None):
    """One JSON request to the live server: (status, body, headers)."""
    data = json.dumps(body).encode() if body is not None else None
    content = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(f"{live_server.url}{path}", data=data, method=method,
                                     headers={**content, **(headers or {})})
    try:
        # Generous: on a loaded machine an intake behind a cold cache took more than 10 s.
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc), exc.headers


def file_complaint(live_server, description: str, lonlat: tuple[float, float],
                   phone: str | None = None, category: str = "street_lamp",
                   attributes: dict | None = None) -> str:
    """File a complaint in Jung-gu (each test its own spot: close ones merge as duplicates)."""
    status, body, _ = call(live_server, "POST", "/api/v1/complaints", {
        "category": category, "description": description, "phone": phone,
        "location": {"type": "Point", "coordinates": list(lonlat)},
        **({"attributes": attributes} if attributes else {})},
        {"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, body
    return body["public_id"]


def staff_headers(live_server, username: str) -> dict:
    status, body, _ = call(live_server, "POST", "/api/v1/auth/login",
                           {"username": username, "password": STAFF_PASSWORD})
    assert status == 200, body
    return {"Authorization": f"Bearer {body['token']}"}


def accept_as(live_server, public_id: str, headers: dict) -> None:
    """Accept ``public_id`` through the API as the staff member of ``headers`` (its ETag first)."""
    status, view, answer = call(live_server, "GET", f"/api/v1/staff/complaints/{public_id}",
                                headers=headers)
    assert status == 200, view
    status, body, _ = call(live_server, "POST", f"/api/v1/complaints/{public_id}/accept", {},
                           {**headers, "If-Match": answer["ETag"]})
    assert status == 200, body


def item(page, public_id: str):
    return page.locator(f"#queue li[data-public-id='{public_id}']")


def open_field(context):
    return open_as(context.new_page(), "/field", "insp1")


def open_installed_field(context, path: str = "/field"):
    """Open the field app as insp1 once its service worker controls it (as an installed app)."""
    page = context.new_page()
    page.goto(path)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    login(page, "insp1")
    page.wait_for_selector("body[data-ready=true]")
    return page


def reload_offline(context, page) -> None:
    """Lose the network and open the app again: what it shows comes from its caches."""
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")


def test_inspector_accepts_and_resolves_with_evidence_partly_offline(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: field lamp", (126.9850, 37.5640),
                               phone="010-5555-6666")
    context = new_context()
    page = open_field(context)
    call_back = item(page, public_id).locator("a[href^='tel:']")
    expect(call_back).to_have_count(0)  # not the inspector's yet: no phone number
    item(page, public_id).locator("button[data-move=accept]").click()
    expect(item(page, public_id).locator("button[data-move=on_site]")).to_be_visible()
    # The accept arrives while online; the rest happens offline.
    expect(page.locator("#outbox-section")).to_be_hidden()
    expect(call_back).to_have_attribute("href", "tel:+821055556666")  # now it is: call back
    screenshot(page, "field-queue")
    context.set_offline(True)
    item(page, public_id).locator("button[data-move=on_site]").click()
    item(page, public_id).locator("button[data-move=resolve]").click()
    form = item(page, public_id).locator("form")
    form.locator("select").select_option("repaired")
    form.locator("textarea").fill("New lamp fitted")
    form.locator("input[type=file]").set_input_files(files=[{
        "name": "evidence.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(1200, 900)}])
    form.locator("button[type=submit]").click()
    expect(page.locator("#outbox li")).to_have_count(2)  # waiting, in order
    expect(page.locator("#offline")).to_be_visible()
    assert live_server.sql("SELECT status FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == "assigned"
    screenshot(page, "field-offline")
    context.set_offline(False)
    expect(page.locator("#outbox-section")).to_be_hidden()
    status, outcome, photos = live_server.sql(
        "SELECT status, outcome, (SELECT count(*) FROM complaint_photos p WHERE "
        "p.complaint_id = c.id AND p.kind = 'evidence') FROM complaints c "
        "WHERE public_id = :p", p=public_id)[0]
    assert (status, outcome, photos) == ("resolved", "repaired", 1)
    # The moves arrived in the order they were made (the photo's event has no status).
    kinds = [row[0] for row in live_server.sql(
        "SELECT e.to_status FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id "
        "WHERE c.public_id = :p AND e.to_status IS NOT NULL ORDER BY e.id", p=public_id)]
    assert kinds[-3:] == ["assigned", "on_site", "resolved"]


def test_a_complaint_transferred_while_offline_is_explained_not_lost(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: transferred", (126.9900, 37.5610))
    context = new_context()
    page = open_field(context)
    expect(item(page, public_id)).to_be_visible()
    context.set_offline(True)
    item(page, public_id).locator("button[data-move=accept]").click()
    expect(page.locator("#outbox li")).to_have_count(1)
    # Meanwhile the dispatcher sends it to Jongno-gu.
    dispatcher = staff_headers(live_server, "disp1")
    status, view, headers = call(live_server, "GET", f"/api/v1/staff/complaints/{public_id}",
                                 headers=dispatcher)
    assert status == 200, view
    status, body, _ = call(live_server, "POST", f"/api/v1/complaints/{public_id}/transfer",
                           {"district_code": "11110", "internal_note": "Jongno's side"},
                           {**dispatcher, "If-Match": headers["ETag"]})
    assert status == 200, body
    context.set_offline(False)
    failed = page.locator("#outbox li[data-error]:not([data-error=''])")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text(KO["forbidden"])
    screenshot(page, "field-conflict")
    # Acknowledged by the inspector, it goes; the complaint stays with the other district.
    failed.locator("button").click()
    expect(page.locator("#outbox-section")).to_be_hidden()
    assert live_server.sql("SELECT district_code FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == "11110"


def test_someone_else_taking_it_first_is_shown_in_plain_words(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: taken", (126.9950, 37.5600))
    context = new_context()
    page = open_field(context)
    expect(item(page, public_id)).to_be_visible()
    context.set_offline(True)
    item(page, public_id).locator("button[data-move=accept]").click()
    other = staff_headers(live_server, "insp2")
    accept_as(live_server, public_id, other)
    context.set_offline(False)
    failed = page.locator("#outbox li[data-error]:not([data-error=''])")
    expect(failed).to_have_count(1)
    text = failed.text_content()
    assert KO["stale_version"] in text or KO["invalid_transition"] in text


def test_a_move_whose_answer_was_lost_is_not_reported_as_a_conflict(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: lost answer", (126.9990, 37.5630))
    page = open_field(new_context())
    expect(item(page, public_id)).to_be_visible()

    def lose_the_answer(route):
        route.fetch()  # the server applies the move...
        route.abort()  # ...and the phone never hears back

    page.route(f"**/api/v1/complaints/{public_id}/accept*", lose_the_answer)
    item(page, public_id).locator("button[data-move=accept]").click()
    expect(page.locator("#outbox li")).to_have_count(1)
    page.unroute(f"**/api/v1/complaints/{public_id}/accept*")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    # The replay is refused (stale version), but the complaint is already ours: no conflict.
    expect(page.locator("#outbox-section")).to_be_hidden()
    expect(item(page, public_id).locator("button[data-move=on_site]")).to_be_visible()
    assert live_server.sql("SELECT status FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == "assigned"


def test_a_waiting_move_stays_on_screen_when_the_queue_is_refreshed(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: busy server", (127.0020, 37.5620))
    page = open_field(new_context())
    expect(item(page, public_id)).to_be_visible()
    busy = f"**/api/v1/complaints/{public_id}/accept*"
    page.route(busy, lambda route: route.fulfill(status=503, json={"error": "unavailable"}))
    item(page, public_id).locator("button[data-move=accept]").click()
    expect(page.locator("#outbox li")).to_have_count(1)  # busy: it waits, no error
    # A fresh queue from the server still says "dispatched"; the screen keeps the waiting move.
    with page.expect_response("**/api/v1/queue*"):
        page.locator("#sort-due").click()
    expect(item(page, public_id).locator("button[data-move=on_site]")).to_be_visible()
    expect(item(page, public_id).locator("button[data-move=accept]")).to_have_count(0)
    page.unroute(busy)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox-section")).to_be_hidden()
    assert live_server.sql("SELECT status FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == "assigned"
    # Given back, it waits for someone else to accept. (The outbox was already hidden before
    # the click: wait for the server's answer, not for the screen.)
    with page.expect_response(lambda r: f"/{public_id}/release" in r.url) as answer:
        item(page, public_id).locator("button[data-move=release]").click()
    assert answer.value.ok
    expect(item(page, public_id).locator("button[data-move=accept]")).to_be_visible()
    expect(page.locator("#outbox-section")).to_be_hidden()
    assert live_server.sql("SELECT status, assignee_id FROM complaints WHERE public_id = :p",
                           p=public_id)[0] == ("dispatched", None)


def test_the_inspector_sees_the_reporters_photo_also_offline(new_context, live_server):
    context = new_context()
    public_id = file_with_photo(context.request, live_server, "street_lamp",
                                "browser test: lamp with a photo", (127.0040, 37.5655))
    page = context.new_page()
    page.goto("/field")
    page.wait_for_selector("body[data-ready=true]")
    # Installed apps are controlled by their service worker; wait for that on this first visit.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    login(page, "insp1")
    page.wait_for_selector("body[data-ready=true]")
    button = item(page, public_id).locator("button[data-photos]")
    expect(button).to_have_text(f"{KO['photos']} 1")
    # After the queue loads, the app keeps the reporter's photo for offline use by itself.
    # The service worker keeps it by path (the signed URL changes, the picture does not).
    mine = []
    for _ in range(100):
        kept = page.evaluate("""() => caches.open('dasan-photos').then((cache) => cache.keys())
            .then((keys) => keys.map((k) => new URL(k.url).pathname + new URL(k.url).search))""")
        mine = [key for key in kept if key.startswith(f"/api/v1/complaints/{public_id}/photos/")]
        if mine:
            break
        page.wait_for_timeout(100)
    assert len(mine) == 1 and mine[0].endswith("?size=thumb"), kept
    context.set_offline(True)
    button.click()
    picture = item(page, public_id).locator(".photo-box img")
    expect(picture).to_be_visible()
    expect(picture).to_have_attribute("alt", f"{KO['photo_alt']} 1")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                           arg=picture.element_handle())
    screenshot(page, "field-photos")
    expect(button).to_have_attribute("aria-expanded", "true")


def test_an_inspector_on_site_sends_it_to_the_right_district_with_a_reason(new_context,
                                                                           live_server):
    public_id = file_complaint(live_server, "browser test: wrong side", (126.9920, 37.5680))
    page = open_field(new_context())
    item(page, public_id).locator("button[data-move=accept]").click()
    expect(page.locator("#outbox-section")).to_be_hidden()
    item(page, public_id).locator("button[data-move=transfer]").click()
    form = item(page, public_id).locator("form")
    expect(form.locator("select option[value='11140']")).to_have_count(0)  # not to itself
    form.locator("select").select_option("11110")
    form.locator("button[type=submit]").click()  # no reason: the browser asks for one
    expect(item(page, public_id).locator("form")).to_be_visible()
    form.locator("textarea").fill("The lamp stands on Jongno's side of the street")
    # A queue refresh meanwhile keeps the half-filled form as it is.
    with page.expect_response("**/api/v1/queue*"):
        page.locator("#sort-due").click()
    page.wait_for_timeout(300)  # the refreshed list is painted
    expect(form.locator("textarea")).to_have_value("The lamp stands on Jongno's side of the street")
    expect(form.locator("select")).to_have_value("11110")
    form.locator("button[type=submit]").click()
    expect(item(page, public_id)).to_have_count(0)  # gone to Jongno-gu's queue
    expect(page.locator("#outbox-section")).to_be_hidden()
    # The item leaves the list before the page has sent the move: wait for the server.
    assert live_server.sql_eventually(
        "SELECT c.district_code, c.status, e.internal_note FROM complaints c JOIN "
        "complaint_events e ON e.complaint_id = c.id AND e.kind = 'transferred' "
        "WHERE c.public_id = :p", p=public_id)[0] == (
        "11110", "transferred", "The lamp stands on Jongno's side of the street")


def test_the_app_reports_where_the_inspector_is_for_assignment_suggestions(new_context,
                                                                           live_server):
    live_server.sql("UPDATE staff SET last_location = NULL, on_duty = false "
                    "WHERE username = 'insp1'")
    open_field(new_context())
    row = live_server.sql_eventually(
        "SELECT ST_X(last_location), ST_Y(last_location), on_duty "
        "FROM staff WHERE username = 'insp1' AND last_location IS NOT NULL")
    assert row, "the app did not report the inspector's position"
    lon, lat, on_duty = row[0]
    # The browser's (mocked) GPS position: City Hall.
    assert (round(lon, 4), round(lat, 4), on_duty) == (126.9779, 37.5663, True)


def staff_id(live_server, username: str) -> int:
    return live_server.sql("SELECT id FROM staff WHERE username = :u", u=username)[0][0]


def status_becomes(live_server, public_id: str, status: str) -> bool:
    """Whether the complaint reaches ``status`` (the page sends its moves asynchronously)."""
    return bool(live_server.sql_eventually(
        "SELECT 1 FROM complaints WHERE public_id = :p AND status = :s", p=public_id, s=status))


def test_a_move_after_being_reassigned_back_uses_the_version_on_screen(new_context,
                                                                       live_server):
    public_id = file_complaint(live_server, "browser test: reassigned back", (126.9880, 37.5625))
    page = open_field(new_context())
    item(page, public_id).locator("button[data-move=accept]").click()
    assert status_becomes(live_server, public_id, "assigned")
    expect(page.locator("#outbox-section")).to_be_hidden()
    # The supervisor hands it to a colleague, then back: version 4.
    dispatcher = staff_headers(live_server, "disp1")
    for username in ("insp2", "insp1"):
        status, _, headers = call(live_server, "GET", f"/api/v1/staff/complaints/{public_id}",
                                  headers=dispatcher)
        status, body, _ = call(live_server, "POST", f"/api/v1/complaints/{public_id}/assign",
                               {"assignee_id": staff_id(live_server, username)},
                               {**dispatcher, "If-Match": headers["ETag"]})
        assert status == 200, body
    with page.expect_response("**/api/v1/queue*"):
        page.locator("#sort-due").click()
    expect(item(page, public_id)).to_have_attribute("data-version", "4")
    item(page, public_id).locator("button[data-move=on_site]").click()
    assert status_becomes(live_server, public_id, "on_site")
    expect(page.locator("#outbox-section")).to_be_hidden()


def test_a_flush_cut_between_two_moves_sends_the_next_with_the_new_version(new_context,
                                                                           live_server):
    public_id = file_complaint(live_server, "browser test: cut flush", (126.9930, 37.5645))
    context = new_context()
    page = open_field(context)
    expect(item(page, public_id)).to_be_visible()
    context.set_offline(True)
    item(page, public_id).locator("button[data-move=accept]").click()
    item(page, public_id).locator("button[data-move=on_site]").click()
    expect(page.locator("#outbox li")).to_have_count(2)
    # Back online, the accept arrives; the connection drops before the on-site goes out.
    page.route(f"**/api/v1/complaints/{public_id}/on-site*", lambda route: route.abort())
    context.set_offline(False)
    assert status_becomes(live_server, public_id, "assigned")
    expect(page.locator("#outbox li")).to_have_count(1)
    page.close()
    # The app opened again (nothing kept in memory) sends the on-site with version 2.
    again = context.new_page()
    again.goto("/field")
    again.wait_for_selector("body[data-ready=true]")
    assert status_becomes(live_server, public_id, "on_site")
    expect(again.locator("#outbox-section")).to_be_hidden()


def cached_keys(page) -> list[str]:
    """The keys of the app's IndexedDB cache store."""
    return page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('dasan');
        open.onsuccess = () => open.result.transaction('cache').objectStore('cache')
            .getAllKeys().onsuccess = (e) => resolve(e.target.result.map(String));
    })""")


def test_a_shared_phone_sends_each_inspectors_moves_only_for_them(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: shared phone", (126.9975, 37.5670),
                               phone="010-4444-3333")
    page = open_field(new_context())
    expect(item(page, public_id)).to_be_visible()
    busy = f"**/api/v1/complaints/{public_id}/accept*"
    page.route(busy, lambda route: route.fulfill(status=503, json={"error": "unavailable"}))
    item(page, public_id).locator("button[data-move=accept]").click()
    expect(page.locator("#outbox li")).to_have_count(1)
    assert any(key.startswith("complaint:") for key in cached_keys(page))
    # Logging out warns of the waiting move and forgets the cached queue and complaints.
    warnings = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.accept()))
    page.locator("#logout").click()
    page.wait_for_selector("#login:not([hidden])")
    assert warnings == [KO["logout_unsent"].replace("{n}", "1")]
    assert not [key for key in cached_keys(page)
                if key.startswith(("queue:", "complaint:", "photos:"))]
    page.unroute(busy)
    # The next inspector on this phone does not send it under their name; they are told.
    login(page, "insp2")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#outbox-others")).to_have_text(
        KO["others_waiting"].replace("{n}", "1"))
    expect(page.locator("#outbox li")).to_have_count(0)
    page.wait_for_timeout(500)
    assert live_server.sql("SELECT status FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == "dispatched"
    page.locator("#logout").click()  # nothing of theirs waits: no question asked
    page.wait_for_selector("#login:not([hidden])")
    # Its author back, the move goes out.
    login(page, "insp1")
    assert status_becomes(live_server, public_id, "assigned")
    assert live_server.sql("SELECT assignee_id FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == staff_id(live_server, "insp1")
    expect(page.locator("#outbox-section")).to_be_hidden()


def invalid(locator) -> bool:
    """Whether the browser's form validation refuses this field."""
    return locator.evaluate("(el) => !el.checkValidity()")


def test_the_close_form_asks_for_what_the_server_requires(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: close form", (127.0000, 37.5600))
    page = open_field(new_context())
    item(page, public_id).locator("button[data-move=accept]").click()
    assert status_becomes(live_server, public_id, "assigned")
    item(page, public_id).locator("button[data-move=resolve]").click()
    form = item(page, public_id).locator("form")
    # Outcomes read as words, not codes.
    expect(form.locator("select option[value=repaired]")).to_have_text(KO["outcome_repaired"])
    form.locator("select").select_option("repaired")
    form.locator("button[type=submit]").click()  # no note, no photo: the browser asks
    assert invalid(form.locator("textarea")) and invalid(form.locator("input[type=file]"))
    form.locator("textarea").fill("New lamp fitted")
    form.locator("button[type=submit]").click()  # still no photo
    expect(form).to_be_visible()
    page.wait_for_timeout(300)
    expect(page.locator("#outbox-section")).to_be_hidden()
    assert live_server.sql("SELECT status FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == "assigned"
    # Unfounded needs the note too, but no photo.
    item(page, public_id).locator("button[data-move=unfounded]").click()
    form = item(page, public_id).locator("form")
    assert invalid(form.locator("textarea"))
    assert not invalid(form.locator("input[type=file]"))
    # With evidence already on the complaint, resolving asks for no second photo.
    answer = page.request.post(
        f"{live_server.url}/api/v1/complaints/{public_id}/photos",
        headers=staff_headers(live_server, "insp1"),
        multipart={"photos": {"name": "e.jpg", "mimeType": "image/jpeg",
                              "buffer": jpeg_bytes(800, 600)}})
    assert answer.status == 201, answer.text()
    item(page, public_id).locator("button[data-move=resolve]").click()
    form = item(page, public_id).locator("form")
    expect(form.locator("label").nth(2)).to_have_text(KO["evidence"])
    assert not invalid(form.locator("input[type=file]"))
    form.locator("textarea").fill("Fixed; photo sent before")
    form.locator("button[type=submit]").click()
    assert status_becomes(live_server, public_id, "resolved")
    expect(page.locator("#outbox-section")).to_be_hidden()


def test_only_the_moves_the_server_allows_are_offered(new_context, live_server):
    free = file_complaint(live_server, "browser test: nobody's yet", (126.9960, 37.5615))
    taken = file_complaint(live_server, "browser test: a colleague's", (127.0030, 37.5600))
    colleague = staff_headers(live_server, "insp2")
    accept_as(live_server, taken, colleague)
    page = open_field(new_context())
    expect(item(page, free).locator("button[data-move]")).to_have_count(1)
    expect(item(page, free).locator("button[data-move=accept]")).to_be_visible()
    expect(item(page, taken)).to_be_visible()
    expect(item(page, taken).locator("button[data-move]")).to_have_count(0)
    # Once accepted, the inspector's own ticket offers the rest.
    item(page, free).locator("button[data-move=accept]").click()
    expect(item(page, free).locator("button[data-move]")).to_have_count(6)


def test_a_move_that_failed_on_a_weak_connection_is_tried_again_by_itself(new_context,
                                                                          live_server):
    public_id = file_complaint(live_server, "browser test: weak signal", (126.9905, 37.5660))
    page = open_field(new_context())
    expect(item(page, public_id)).to_be_visible()
    attempts = []

    def weak_signal(route):
        attempts.append(route.request.url)
        if len(attempts) == 1:
            route.abort()  # the request fails, yet the browser still says it is online
        else:
            route.continue_()

    page.route(f"**/api/v1/complaints/{public_id}/accept*", weak_signal)
    item(page, public_id).locator("button[data-move=accept]").click()
    expect(page.locator("#outbox li")).to_have_count(1)
    # No `online` event comes: the app retries by itself (the route answers while
    # Playwright waits in the page, so wait there first).
    expect(page.locator("#outbox-section")).to_be_hidden()
    assert status_becomes(live_server, public_id, "assigned")
    assert len(attempts) == 2


def test_dates_follow_the_chosen_language_not_the_browsers(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: dates", (126.9940, 37.5585))
    page = new_context().new_page()  # a Korean browser
    page.goto("/field")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#lang", "en")
    login(page, "insp1")
    page.wait_for_selector("body[data-ready=true]")
    state = item(page, public_id).locator("p").first.text_content()
    assert ("AM" in state or "PM" in state) and "오전" not in state and "오후" not in state, state


def test_the_inspector_reads_the_reporters_words_and_the_plate_also_offline(new_context,
                                                                           live_server):
    public_id = file_complaint(live_server, "browser test: white van on the crossing",
                               (126.9865, 37.5652), category="illegal_parking",
                               attributes={"vehicle_plate": "34나5678"})
    plate_label = next(spec["names"]["ko"] for category in json.loads(
        (ROOT / "fixtures" / "categories.json").read_text(encoding="utf-8"))["categories"]
        for spec in category["attributes"] if spec["code"] == "vehicle_plate")
    context = new_context()
    page = open_installed_field(context)
    line = item(page, public_id)
    expect(line.locator(".description")).to_have_text("browser test: white van on the crossing")
    plate = line.locator("[data-attribute=vehicle_plate]")
    expect(plate).to_have_text(f"{plate_label}: 34나5678")
    screenshot(page, "field-description")
    # Offline the cached queue still carries them, and the labels come from the kept categories.
    reload_offline(context, page)
    expect(line.locator(".description")).to_have_text("browser test: white van on the crossing")
    expect(plate).to_have_text(f"{plate_label}: 34나5678")


def test_the_inspector_reads_a_lists_choices_by_their_names(new_context, live_server):
    # illegal_dumping has a singlevaluelist and a multivaluelist here (tests/pwa/conftest.py);
    # the keys are stored, the names are read.
    public_id = file_complaint(live_server, "browser test: sofa and fridge dumped",
                               (126.9905, 37.5640), category="illegal_dumping",
                               attributes={"amount": "large",
                                           "waste_kinds": "furniture,appliance"})
    page = open_field(new_context())
    line = item(page, public_id)
    expect(line.locator("[data-attribute=amount]")).to_have_text("양: 트럭 한 대 분량")
    expect(line.locator("[data-attribute=waste_kinds]")).to_have_text("폐기물 종류: 가구, 가전제품")


def mine_first(page) -> list[str]:
    """The public ids of the inspector's own lines, asserting they come before all others."""
    lines = page.eval_on_selector_all(
        "#queue li", "els => els.map((e) => [e.dataset.publicId, e.classList.contains('mine')])")
    flags = [is_mine for _, is_mine in lines]
    assert flags == sorted(flags, reverse=True), lines
    return [public_id for public_id, is_mine in lines if is_mine]


def test_the_inspectors_own_ticket_stays_first_when_the_district_list_is_cut(new_context,
                                                                            live_server):
    # Mine is due in a day; three illegal-parking tickets filed after it are due in two hours,
    # so a district page of two (?page_size=2) does not reach it.
    own = file_complaint(live_server, "browser test: my own lamp", (126.9895, 37.5588))
    inspector = staff_headers(live_server, "insp1")
    accept_as(live_server, own, inspector)
    for n, spot in enumerate([(126.9812, 37.5601), (126.9822, 37.5612), (126.9832, 37.5623)]):
        file_complaint(live_server, f"browser test: storm {n}", spot, category="illegal_parking")
    status, first, _ = call(live_server, "GET", "/api/v1/queue?limit=2", headers=inspector)
    assert status == 200 and own not in [i["public_id"] for i in first["items"]], first
    total = first["total"]

    def partial(shown: int) -> str:
        return KO["queue_partial"].replace("{n}", str(shown)).replace("{total}", str(total))

    context = new_context()
    page = open_installed_field(context, "/field?page_size=2")
    lines = page.locator("#queue li")
    expect(item(page, own)).to_have_class(re.compile(r"\bmine\b"))
    expect(item(page, own)).to_contain_text(KO["yours"])
    assert own in mine_first(page)
    shown = lines.count()
    assert shown < total
    count = page.locator("#queue-count")
    expect(count).to_have_text(partial(shown))
    screenshot(page, "field-partial")
    # The next page comes on demand; the own ticket stays first.
    page.locator("#load-more").click()
    expect(count).not_to_have_text(partial(shown))
    more = lines.count()
    assert more > shown
    assert own in mine_first(page)
    if more < total:
        expect(count).to_have_text(partial(more))
    # Offline, the kept list says the same.
    reload_offline(context, page)
    expect(lines).to_have_count(more)
    assert own in mine_first(page)
    if more < total:
        expect(count).to_have_text(partial(more))


def test_switching_language_asks_for_the_queue_again_in_it(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: queue in english", (127.0010, 37.5575))
    page = open_field(new_context())  # a Korean browser
    title = item(page, public_id).locator("h2")
    expect(title).to_contain_text("가로등")
    page.select_option("#lang", "en")
    # The category name comes from the server: the queue is fetched again in English.
    expect(title).not_to_contain_text(re.compile("[가-힣]"))
    expect(page.locator(".leaflet-control-layers-overlays")).to_have_text(re.compile("Traffic"))


def test_the_due_time_is_seouls_on_a_phone_in_another_zone(new_context, live_server):
    public_id = file_complaint(live_server, "browser test: field seoul time", (127.0050, 37.5575))
    live_server.sql("UPDATE complaints SET due_at = '2026-12-01 03:30:00+00' WHERE public_id = :p",
                    p=public_id)
    page = open_field(new_context(locale="en-US", timezone_id="America/New_York"))
    state = item(page, public_id).locator("p").first
    expect(state).to_contain_text("Dec 1, 2026")
    expect(state).to_contain_text("12:30")
    assert "10:30" not in state.text_content()
