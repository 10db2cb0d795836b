"""The dispatcher's map in Chromium: a new complaint appears live (SSE) and the KPIs count it."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import (
    KO,
    file_with_photo,
    login,
    open_as,
    required_lamp_number,
    screenshot,
)

pytestmark = pytest.mark.slow


def file_complaint(live_server, description: str, lonlat=(127.0300, 37.5500)) -> str:
    body = json.dumps({"category": "street_lamp", "description": description,
                       "location": {"type": "Point", "coordinates": list(lonlat)}}).encode()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/complaints", data=body, method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["public_id"]


def test_a_new_complaint_shows_on_the_map_live_and_in_the_kpis(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.goto("/dispatch")
    page.wait_for_selector("#login:not([hidden])")
    login(page, "disp1")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-kpi=received] strong")
    expect(page.locator("#live")).to_contain_text("●")
    received = int(page.locator("[data-kpi=received] strong").text_content())
    public_id = file_complaint(live_server, "browser test: live lamp")
    # The event stream (another gunicorn worker wrote it) brings it without a reload.
    expect(page.locator("#map")).to_have_attribute("data-last-event", public_id)
    # ... and into the list beside the map (the map's text alternative).
    row = page.locator("#list-body tr", has_text=public_id)
    expect(row).to_have_count(1)
    expect(page.locator("[data-kpi=received] strong")).to_have_text(str(received + 1))
    assert page.locator("#kpi-chart svg rect").count() > 0
    # The same figures as a spreadsheet for the monthly report.
    with page.expect_download() as download:
        page.locator("#kpi-export").click()
    assert download.value.suggested_filename.startswith("dasan-kpi-")
    with open(download.value.path(), encoding="utf-8-sig") as sheet:
        lines = sheet.read().splitlines()
    assert lines[0].startswith("code,name,received,open_now,overdue_now")
    assert lines[1].startswith(f"city,,{received + 1},")
    screenshot(page, "dispatch-map")
    # Its panel shows the history; a transfer with a note moves it to Jongno-gu.
    page.locator(f".complaint-marker[title^='{public_id}']").click()
    expect(page.locator("#detail h3")).to_contain_text(public_id)
    assert page.locator("#detail ol li").count() >= 1
    page.select_option("#transfer-district", "11110")
    page.fill("#transfer-district-note", "Jongno's side of the street")
    page.locator("#transfer-district ~ button").click()
    expect(page.locator("#detail p").first).to_contain_text(KO["s_transferred"])
    # The history shows staff why it moved.
    expect(page.locator("#detail ol em.internal")).to_have_text(
        f" {KO['internal_note']}: Jongno's side of the street")
    screenshot(page, "dispatch-panel")
    assert live_server.sql("SELECT district_code, status FROM complaints WHERE public_id = :p",
                           p=public_id)[0] == ("11110", "transferred")
    # The list follows the change live, and its button opens the panel from the keyboard too.
    expect(row).to_contain_text(KO["s_transferred"])
    page.locator("#detail").evaluate("(panel) => panel.replaceChildren()")
    row.locator("button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail h3")).to_contain_text(public_id)


def test_a_lost_session_brings_back_the_login_with_a_message(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.goto("/dispatch")
    login(page, "disp1")
    page.wait_for_selector("body[data-ready=true]")
    # The token is revoked elsewhere (logout from another device).
    page.evaluate("""() => fetch('/api/v1/auth/logout', {method: 'POST', headers:
        {Authorization: 'Bearer ' + JSON.parse(localStorage.getItem('dasan.staff')).token}})""")
    # Any next call notices (a live event's KPI refresh may already have): ask for one.
    page.evaluate("() => document.getElementById('filters').requestSubmit()")
    page.wait_for_selector("#login:not([hidden])")
    expect(page.locator("#notice")).to_have_text(KO["unauthorized"])


def open_dispatch(new_context):
    page = new_context(viewport={"width": 1280, "height": 1000}).new_page()
    return open_as(page, "/dispatch", "disp1")


def test_an_agent_files_a_callers_report_from_the_map(new_context, live_server):
    page = open_dispatch(new_context)
    page.locator("#caller summary").click()
    page.locator("#caller-form button[type=submit]").click()
    expect(page.locator("#caller-result")).to_have_text(KO["caller_pick_first"])
    # The caller describes a spot south-west of the centre; the agent clicks it on the map.
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] / 2 - 150,
                                         "y": box["height"] / 2 + 100})
    expect(page.locator("#caller-where")).to_have_attribute("data-state", "inside")
    place = page.locator("#caller-where").text_content()
    page.select_option("#c-category", "road_damage")
    page.fill("#c-description", "browser test: pothole reported by phone")
    page.fill("#c-phone", "010-3333-4444")
    page.select_option("#c-language", "en")
    page.locator("#caller-form button[type=submit]").click()
    expect(page.locator("#caller-result")).to_contain_text(KO["caller_filed"])
    public_id = page.locator("#caller-result").get_attribute("data-public-id")
    expect(page.locator("#detail h3")).to_contain_text(public_id)  # its panel opens
    facts = page.locator("#detail dl.facts")
    expect(facts).to_contain_text(KO["channel_phone"])
    expect(facts).to_contain_text("****4444")  # a dispatcher sees the caller's number masked
    expect(facts.locator("a[href^='tel:']")).to_have_count(0)
    expect(page.locator("#caller-where")).to_have_text("—")  # the form is ready for the next call
    screenshot(page, "dispatch-caller")
    district, channel, language, actor = live_server.sql(
        "SELECT d.name, c.channel, c.reporter_language, "
        "(SELECT s.username FROM complaint_events e JOIN staff s ON s.id = e.actor_id "
        " WHERE e.complaint_id = c.id AND e.kind = 'received') "
        "FROM complaints c JOIN districts d ON d.code = c.district_code "
        "WHERE c.public_id = :p", p=public_id)[0]
    assert place.startswith(district)
    assert (channel, language, actor) == ("phone", "en", "disp1")
    # The caller rings again without the ticket number: their number finds the report.
    page.fill("#find-id", "010 3333 4444")
    page.locator("#find button").click()
    expect(page.locator("#detail h3")).to_have_text(KO["caller_reports"])
    page.locator("#detail li button", has_text=public_id).click()
    expect(page.locator("#detail h3")).to_contain_text(public_id)


def test_a_ticket_number_opens_its_panel_with_photos_and_an_unknown_one_says_so(new_context,
                                                                               live_server):
    page = open_dispatch(new_context)
    public_id = file_with_photo(page.request, live_server, "garbage",
                                "browser test: caller quotes a ticket", (127.0310, 37.5480))
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    expect(page.locator("#detail h3")).to_contain_text(public_id)
    picture = page.locator("#detail .previews img")
    expect(picture).to_have_attribute("alt", f"{KO['photo_alt']} 1")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                           arg=picture.element_handle())
    page.fill("#find-id", "000000-0000000")
    page.locator("#find button").click()
    expect(page.locator("#notice")).to_have_text(KO["not_found"])


def test_a_full_server_is_retried_and_the_map_refreshed_meanwhile(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 1000}).new_page()
    full = "**/api/v1/stream*"
    page.route(full, lambda route: route.fulfill(
        status=503, headers={"Retry-After": "30"},
        json={"error": "streams_full", "message": "try again shortly"}))
    open_as(page, "/dispatch", "disp1")
    expect(page.locator("#live")).to_contain_text("○")
    page.unroute(full)
    public_id = file_complaint(live_server, "browser test: while the streams were full",
                               (127.0350, 37.5450))
    # Within 5-15 s the page refreshes its map and opens the stream again.
    expect(page.locator("#list-body tr", has_text=public_id)).to_have_count(1, timeout=25_000)
    expect(page.locator("#live")).to_contain_text("●", timeout=25_000)


def test_the_panels_dates_follow_the_chosen_language(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 1000}).new_page()  # a Korean browser
    page.goto("/dispatch")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#lang", "en")
    login(page, "disp1")
    page.wait_for_selector("body[data-ready=true]")
    public_id = file_with_photo(page.request, live_server, "garbage",
                                "browser test: dates in the panel", (127.0290, 37.5470))
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    expect(page.locator("#detail h3")).to_contain_text(public_id)
    due = page.locator("#detail p").first.text_content()
    assert ("AM" in due or "PM" in due) and "오전" not in due and "오후" not in due, due


def _mark_truncated(seen: list):
    """A route handler: the real map answer, said to be cut at the server's limit."""
    def handle(route):
        seen.append(route.request.url)
        response = route.fetch()
        body = response.json()
        body["truncated"] = True
        route.fulfill(response=response, json=body)
    return handle


def test_a_cut_map_shows_the_servers_clusters_and_says_how_many_there_are(new_context,
                                                                          live_server):
    public_id = file_complaint(live_server, "browser test: one of very many",
                               (127.0320, 37.5520))
    page = new_context(viewport={"width": 1280, "height": 1000}).new_page()
    seen: list[str] = []
    page.route("**/api/v1/map/complaints*", _mark_truncated(seen))
    open_as(page, "/dispatch", "disp1")
    # The map asks for its view only, and reads the cut: clusters count every complaint.
    assert "bbox=" in seen[-1]
    expect(page.locator("#map-truncated")).to_be_visible()
    total = sum(row[0] for row in live_server.sql(
        "SELECT count(*) FROM complaints WHERE status IN "
        "('received', 'dispatched', 'transferred', 'assigned', 'on_site')"))
    shown = int(page.locator("#map").get_attribute("data-count"))
    expect(page.locator("#map-truncated")).to_have_text(
        KO["map_truncated"].replace("{shown}", f"{shown:,}").replace("{total}", f"{total:,}"))
    assert page.locator(".server-cluster").count() > 0
    expect(page.locator(".complaint-marker")).to_have_count(0)
    # The list beside the map still has what the server sent.
    expect(page.locator("#list-body tr", has_text=public_id)).to_have_count(1)
    # New tickets while the view is cut: the view (clusters, N) is asked for again shortly.
    with page.expect_request(lambda r: "/api/v1/map/clusters" in r.url, timeout=15_000):
        file_complaint(live_server, "browser test: and one more", (127.0322, 37.5522))
    # Moving the map asks again for the new view; a whole answer brings the markers back.
    page.unroute("**/api/v1/map/complaints*")
    with page.expect_request(lambda r: "/api/v1/map/complaints" in r.url) as request:
        page.locator(".leaflet-control-zoom-in").click()
    assert "bbox=" in request.value.url and request.value.url.split("bbox=")[1] != \
        seen[-1].split("bbox=")[1]
    expect(page.locator("#map")).to_have_attribute("data-truncated", "false")
    expect(page.locator("#map-truncated")).to_be_hidden()
    expect(page.locator(".server-cluster")).to_have_count(0)


def test_a_past_period_ends_at_midnight_keeps_new_tickets_off_and_shows_no_current_figures(
        new_context, live_server):
    page = open_dispatch(new_context)
    # The other engineer's server says null for "now" figures of a past period.
    def no_current_figures(route):
        response = route.fetch()
        body = response.json()
        for row in [body.get("city") or {}, *body["districts"]]:
            row["open_now"] = row["overdue_now"] = None
        route.fulfill(response=response, json=body)
    page.route("**/api/v1/kpi?*", no_current_figures)
    page.fill("#f-since", "2020-02-01")
    page.fill("#f-until", "2020-02-29")
    with page.expect_request(lambda r: "/api/v1/map/complaints" in r.url) as request:
        page.locator("#filters button[type=submit]").click()
    # The last day counts up to the next day's midnight (the server compares with <).
    assert "until=2020-03-01T00%3A00%3A00%2B09%3A00" in request.value.url
    expect(page.locator("[data-kpi=open_now] strong")).to_have_text("—")
    public_id = file_complaint(live_server, "browser test: not in February 2020",
                               (127.0330, 37.5510))
    expect(page.locator("#map")).to_have_attribute("data-last-event", public_id)
    page.wait_for_timeout(500)  # the list is redrawn 300 ms after an event
    expect(page.locator("#list-body tr", has_text=public_id)).to_have_count(0)
    expect(page.locator(".complaint-marker[title^='" + public_id + "']")).to_have_count(0)


def test_a_ticket_number_with_an_eight_digit_serial_is_a_ticket_not_a_phone(new_context,
                                                                           live_server):
    page = open_dispatch(new_context)
    page.fill("#find-id", "261129-12345678")
    page.locator("#find button").click()
    expect(page.locator("#notice")).to_have_text(KO["not_found"])
    expect(page.locator("#detail h3")).to_have_count(0)


def _staff_id(live_server, username: str) -> int:
    return live_server.sql("SELECT id FROM staff WHERE username = :u", u=username)[0][0]


def test_every_inspector_is_offered_for_assignment_off_duty_ones_marked(new_context,
                                                                        live_server):
    page = open_dispatch(new_context)
    insp1, insp2 = _staff_id(live_server, "insp1"), _staff_id(live_server, "insp2")
    people = [  # the server's answer: suggested ones first, then everyone else of the district
        {"staff_id": insp1, "display_name": "insp1", "open_assignments": 0,
         "distance_m": 300.0, "on_duty": True, "suggested": True},
        {"staff_id": insp2, "display_name": "insp2", "open_assignments": 4,
         "distance_m": None, "on_duty": False, "suggested": False},
    ]
    page.route("**/suggested-assignees*", lambda route: route.fulfill(json=people))
    public_id = file_with_photo(page.request, live_server, "garbage",
                                "browser test: assign whoever", (126.9970, 37.5640))
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    options = page.locator("#assign-staff option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text(KO["suggested"])
    expect(options.nth(1)).to_contain_text(KO["off_duty"])
    page.select_option("#assign-staff", str(insp2))
    page.locator("#assign-staff ~ button").click()
    expect(page.locator("#detail p").first).to_contain_text(KO["s_assigned"])
    assert live_server.sql("SELECT assignee_id FROM complaints WHERE public_id = :p",
                           p=public_id)[0][0] == insp2
    # With nobody to offer, the form still says so rather than vanishing.
    page.unroute("**/suggested-assignees*")
    page.route("**/suggested-assignees*", lambda route: route.fulfill(json=[]))
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    expect(page.locator("#assign-staff")).to_have_text(KO["no_inspectors"])


def test_a_dispatcher_links_a_duplicate_unlinks_it_and_refers_it(new_context, live_server):
    page = open_dispatch(new_context)
    parent = file_complaint(live_server, "browser test: the lamp, first report",
                            (127.0100, 37.5700))
    # 100 m away: beyond the 30 m in which intake links a lamp report by itself.
    child = file_complaint(live_server, "browser test: the same lamp again",
                           (127.0100, 37.5709))
    page.fill("#find-id", child)
    page.locator("#find button").click()
    expect(page.locator("#detail h3")).to_contain_text(child)
    # Nearby open reports of the same category are offered; the parent among them.
    expect(page.locator(f"#duplicate-parent option[value='{parent}']")).to_have_count(1)
    # Someone else changed it meanwhile: the link is refused and the page says why.
    live_server.sql("UPDATE complaints SET version = version + 1 WHERE public_id = :p", p=child)
    page.select_option("#duplicate-parent", parent)
    page.locator("#duplicate-parent ~ button").click()
    expect(page.locator("#notice")).to_have_text(KO["stale_version"])
    page.locator("#detail h3").evaluate("(title) => { title.dataset.stale = 'yes'; }")
    page.fill("#find-id", child)
    page.locator("#find button").click()
    page.wait_for_selector("#detail h3:not([data-stale])")  # the panel at its new version
    page.fill("#duplicate-ticket", parent)  # the ticket number typed in works as well
    page.locator("#duplicate-parent ~ button").click()
    expect(page.locator("#detail p").first).to_contain_text(KO["s_duplicate"])
    expect(page.locator("#detail dl.facts")).to_contain_text(parent)
    assert live_server.sql("SELECT c.status, p.public_id FROM complaints c JOIN complaints p "
                           "ON p.id = c.parent_id WHERE c.public_id = :p",
                           p=child)[0] == ("duplicate", parent)
    # Not a duplicate after all: back to the district's queue.
    page.locator("#unlink-duplicate").click()
    expect(page.locator("#detail p").first).to_contain_text(KO["s_dispatched"])
    # It is another agency's matter: refer it with a note for the reporter.
    page.select_option("#refer-outcome", "police")
    page.fill("#refer-outcome-note", "The police handle lamps on this bridge.")
    page.locator("#refer-outcome ~ button").click()
    expect(page.locator("#detail p").first).to_contain_text(KO["s_referred"])
    assert live_server.sql("SELECT status, outcome, parent_id FROM complaints "
                           "WHERE public_id = :p", p=child)[0] == ("referred", "police", None)


def test_the_panels_history_says_where_on_site_was_pressed(new_context, live_server):
    from geo.points import haversine_m

    spot = (127.0330, 37.5490)
    public_id = file_complaint(live_server, "browser test: where was on site", spot)
    # Two visits' "on site", written directly (the move itself is tested in tests/api): one
    # beside the lamp, one a kilometre away.
    for lonlat in ((spot[0], spot[1] + 0.0003), (spot[0] + 0.0113, spot[1])):
        live_server.sql(
            "INSERT INTO complaint_events (complaint_id, at, actor_kind, kind, from_status,"
            " to_status, location, data) SELECT id, now(), 'staff', 'on_site', 'assigned',"
            " 'on_site', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), '{}'::jsonb"
            " FROM complaints WHERE public_id = :p", lon=lonlat[0], lat=lonlat[1], p=public_id)
    page = open_dispatch(new_context)
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    expect(page.locator("#detail h3")).to_contain_text(public_id)
    near = round(round(haversine_m(*spot, spot[0], spot[1] + 0.0003), 1))
    places = page.locator("#detail ol li .place")
    expect(places).to_have_count(2)
    expect(places.first).to_have_text(f" · {KO['event_distance'].replace('{m}', str(near))}")
    # Only the far one is flagged, as a doubtful evidence photo is.
    flags = page.locator("#detail ol li .flag")
    expect(flags).to_have_count(1)
    expect(page.locator("#detail ol li").last.locator(".flag")).to_have_text(
        f" {KO['event_far_from_site']}")
    screenshot(page, "dispatch-history-place")


def _pick_caller_place(page, dx: int, dy: int) -> None:
    """Open the caller form and click the map (dx, dy) px from its centre: a spot of the
    test's own, since other tests' markers there would take the click."""
    page.locator("#caller summary").click()
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] / 2 + dx,
                                         "y": box["height"] / 2 + dy})
    expect(page.locator("#caller-where")).to_have_attribute("data-state", "inside")


def test_an_agent_files_a_lamp_post_number_and_the_panel_shows_it(new_context, live_server):
    page = open_dispatch(new_context)
    _pick_caller_place(page, -100, -40)
    box = page.locator("#c-attributes")
    page.select_option("#c-category", "road_damage")
    expect(box).to_be_hidden()  # potholes ask for nothing more
    # A list of choices (tests/pwa/conftest.py) is a select in this form too.
    page.select_option("#c-category", "illegal_dumping")
    expect(box.locator("select[data-attribute=amount] option")).to_have_text(
        [KO["attribute_choose"], "봉투 몇 개", "트럭 한 대 분량"])
    page.select_option("#c-category", "street_lamp")
    expect(box.locator("label")).to_have_text(re.compile("가로등 번호"))
    box.locator("[data-attribute=lamp_post_number]").fill("J-2048")
    page.fill("#c-description", "browser test: lamp out, caller read the number")
    page.locator("#caller-form button[type=submit]").click()
    expect(page.locator("#caller-result")).to_contain_text(KO["caller_filed"])
    public_id = page.locator("#caller-result").get_attribute("data-public-id")
    expect(page.locator("#detail h3")).to_contain_text(public_id)
    # The panel shows it read-only, named as the form names it.
    facts = page.locator("#detail dl.facts")
    expect(facts.locator("dt[data-attribute=lamp_post_number]")).to_have_text("가로등 번호")
    expect(facts).to_contain_text("J-2048")
    expect(facts.locator("input")).to_have_count(0)
    stored = live_server.sql("SELECT attributes FROM complaints WHERE public_id = :p",
                             p=public_id)
    assert stored[0][0] == {"lamp_post_number": "J-2048"}
    # The form is ready for the next call: its first category (street lamps) asks anew.
    expect(page.locator("#c-category")).to_have_value("street_lamp")
    expect(box.locator("[data-attribute=lamp_post_number]")).to_have_value("")


def test_the_panel_names_a_lists_choices_in_the_pages_language(new_context, live_server):
    page = open_dispatch(new_context)
    answer = page.request.post(f"{live_server.url}/api/v1/complaints", data={
        "category": "illegal_dumping", "description": "browser test: bags and a wardrobe",
        "location": {"type": "Point", "coordinates": [127.0320, 37.5470]},
        "attributes": {"amount": "small", "waste_kinds": "furniture"},
    }, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 201, answer.text()
    public_id = answer.json()["public_id"]
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    facts = page.locator("#detail dl.facts")
    expect(facts.locator("dt[data-attribute=amount] + dd")).to_have_text("봉투 몇 개")
    expect(facts.locator("dt[data-attribute=waste_kinds] + dd")).to_have_text("가구")
    page.select_option("#lang", "en")
    expect(facts.locator("dt[data-attribute=amount] + dd")).to_have_text("A few bags")


def test_the_agent_form_refuses_a_required_attribute_left_empty(new_context, live_server):
    page = new_context(viewport={"width": 1280, "height": 1000},
                       service_workers="block").new_page()
    page.route("**/api/v1/categories*", required_lamp_number)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/staff/complaints" in r.url
            and r.method == "POST" else None)
    open_as(page, "/dispatch", "disp1")
    _pick_caller_place(page, -60, 60)
    page.select_option("#c-category", "street_lamp")
    page.fill("#c-description", "browser test: agent forgot the lamp number")
    page.locator("#caller-form button[type=submit]").click()
    expect(page.locator("#caller-result")).to_have_text(
        KO["attribute_required"].replace("{name}", "가로등 번호"))
    expect(page.locator("#c-attributes [data-attribute=lamp_post_number]")).to_be_focused()
    assert sent == []


HANGUL = re.compile("[가-힣]")


def english_complaint(live_server, description: str, lonlat) -> str:
    """A Jung-gu complaint whose own words (address, description, language) are English."""
    from tests.pwa.test_field import call

    status, body, _ = call(live_server, "POST", "/api/v1/complaints", {
        "category": "street_lamp", "description": description, "address": "Main gate",
        "language": "en", "location": {"type": "Point", "coordinates": list(lonlat)}},
        {"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201, body
    return body["public_id"]


def test_the_dispatcher_reads_seoul_times_on_a_computer_in_another_zone(new_context,
                                                                        live_server):
    public_id = english_complaint(live_server, "browser test: seoul time desk", (126.9870, 37.5575))
    # 03:30 UTC on 1 December is 12:30 on 1 December in Seoul, 22:30 on 30 November in New York.
    live_server.sql("UPDATE complaints SET due_at = '2026-12-01 03:30:00+00' WHERE public_id = :p",
                    p=public_id)
    page = new_context(viewport={"width": 1280, "height": 1000}, locale="en-US",
                       timezone_id="America/New_York").new_page()
    open_as(page, "/dispatch", "disp1")
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    state = page.locator("#detail p").first
    expect(state).to_contain_text("Dec 1, 2026")
    expect(state).to_contain_text("12:30")
    assert "10:30" not in state.text_content()
    filed = live_server.sql("SELECT to_char(created_at AT TIME ZONE 'Asia/Seoul', 'FMHH12:MI')"
                            " FROM complaints WHERE public_id = :p", p=public_id)[0][0]
    expect(page.locator("#detail ol li").first).to_contain_text(filed)


def test_switching_language_leaves_no_korean_on_the_dispatchers_page(new_context, live_server):
    public_id = english_complaint(live_server, "browser test: switch the desk", (126.9890, 37.5575))
    live_server.sql("UPDATE complaints SET status = 'resolved', outcome = 'fixed',"
                    " closed_at = now(), version = version + 1 WHERE public_id = :p", p=public_id)
    page = open_dispatch(new_context)  # a Korean browser
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    expect(page.locator("#detail h3")).to_contain_text(public_id)
    expect(page.locator("#detail dl.facts")).to_contain_text(KO["outcome_fixed"])  # not "fixed"
    expect(page.locator("#live")).to_contain_text(KO["live"])
    page.select_option("#lang", "en")
    expect(page.locator("#detail p").first).to_contain_text("Due")
    expect(page.locator("#detail dl.facts")).to_contain_text("Fixed")
    for selector in ("#detail", "#f-category", "#f-district", "#c-category", "#list-body",
                     "#live", ".leaflet-control-layers-overlays"):
        expect(page.locator(selector)).not_to_contain_text(HANGUL)
    expect(page.locator(".leaflet-control-layers-overlays")).to_contain_text("Traffic")


def test_the_open_panel_follows_another_users_move(new_context, live_server):
    from tests.pwa.test_field import accept_as, staff_headers

    public_id = english_complaint(live_server, "browser test: moved elsewhere", (126.9910, 37.5575))
    page = open_dispatch(new_context)
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    state = page.locator("#detail p").first
    expect(state).not_to_contain_text(KO["s_assigned"])
    accept_as(live_server, public_id, staff_headers(live_server, "insp1"))
    # The stream says it changed: the panel shows the new state without a click.
    expect(state).to_contain_text(KO["s_assigned"])


def test_a_refused_move_shows_the_complaints_latest_state(new_context, live_server):
    from tests.pwa.test_field import accept_as, staff_headers

    public_id = english_complaint(live_server, "browser test: stale reassign", (126.9990, 37.5575))
    page = new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.route("**/api/v1/stream**", lambda route: route.abort())  # no live updates here
    open_as(page, "/dispatch", "disp1")
    page.fill("#find-id", public_id)
    page.locator("#find button").click()
    expect(page.locator("#assign-staff")).to_be_visible()
    accept_as(live_server, public_id, staff_headers(live_server, "insp1"))
    page.wait_for_timeout(500)
    expect(page.locator("#detail p").first).not_to_contain_text(KO["s_assigned"])  # stale
    page.fill("#assign-staff-note", "to the nearer one")
    page.locator("#assign-staff ~ button").click()
    expect(page.locator("#notice")).to_have_text(KO["stale_version"])
    # Refused: the panel shows where it stands now, and the note typed is still there.
    expect(page.locator("#detail p").first).to_contain_text(KO["s_assigned"])
    expect(page.locator("#assign-staff-note")).to_have_value("to the nearer one")
