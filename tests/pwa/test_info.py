"""The citizen's location view and the traffic layer of the staff maps, in Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.pwa.conftest import KO, login, screenshot

pytestmark = pytest.mark.slow

EN = json.loads((Path(__file__).resolve().parents[2] / "pwa" / "i18n" / "en.json")
                .read_text(encoding="utf-8"))
COEX = {"longitude": 127.0590, "latitude": 37.5125}


@pytest.fixture
def traffic(live_server):
    """Fresh readings (세종대로 jammed, the rest moving) and an incident with a detour."""
    live_server.sql("DELETE FROM traffic_readings")
    live_server.sql("DELETE FROM incidents")
    live_server.sql(
        "INSERT INTO traffic_readings (link_id, observed_at, speed_kmh, travel_time_s, level,"
        " source) SELECT link_id, now(), CASE WHEN name = '세종대로' THEN 6 ELSE 55 END, 60,"
        " CASE WHEN name = '세종대로' THEN 'jammed' ELSE 'free' END, 'topis' FROM road_links")
    live_server.sql(
        "INSERT INTO incidents (kind, area, detour, descriptions, starts_at, ends_at) VALUES"
        " ('works', ST_GeomFromText('POINT(126.9769 37.5665)', 4326),"
        " ST_GeomFromText('LINESTRING(126.9750 37.5650, 126.9740 37.5680, 126.9760 37.5700)',"
        " 4326), '{\"ko\": \"상수도 공사\", \"en\": \"Water main works\"}',"
        " now() - interval '1 hour', now() + interval '1 day')")
    yield
    live_server.sql("DELETE FROM incidents")
    live_server.sql("DELETE FROM traffic_readings")


def open_info(context):
    page = context.new_page()
    page.goto("/info")
    page.wait_for_selector("body[data-ready=true]")
    return page


def test_a_citizen_sees_traffic_incidents_and_the_nearest_facilities(new_context, traffic):
    page = open_info(new_context())
    expect(page.locator("#traffic-text")).to_contain_text("세종대로")
    expect(page.locator("#incidents li").first).to_contain_text("상수도 공사")
    expect(page.locator("#incidents li").first).to_contain_text(KO["info_detour"])
    facilities = page.locator("#facilities li")
    expect(facilities.first).to_be_visible()
    assert 1 <= facilities.count() <= 5
    distances = [int(text.split(" m")[0].split("· ")[-1])
                 for text in facilities.locator("div").all_inner_texts()]
    assert distances == sorted(distances) and distances[0] < 1000
    expect(page.locator("#map")).to_have_attribute("data-incidents", "1")
    assert int(page.locator("#map").get_attribute("data-traffic-links")) > 0
    assert page.locator("#place").inner_text().startswith("중구")
    screenshot(page, "citizen-info")
    # Only district offices: every answer is one, the nearest is the 중구청.
    page.select_option("#kind", "district_office")
    expect(facilities.first.locator("div")).to_contain_text(KO["kind_district_office"])
    expect(facilities.first.locator("strong")).to_contain_text("구청")


def test_the_view_follows_gps_and_the_language(new_context, traffic):
    page = open_info(new_context(geolocation=COEX))
    page.click("#gps")
    expect(page.locator("body")).to_have_attribute("data-point", "127.059,37.5125")
    expect(page.locator("#place")).to_contain_text("강남구")
    page.select_option("#lang", "en")
    expect(page.locator("h1")).to_have_text(EN["info_title"])
    expect(page.locator("#place")).to_contain_text("Gangnam")


def test_without_a_position_the_user_is_told_in_their_language(new_context, traffic):
    page = open_info(new_context(permissions=[]))
    page.click("#gps")
    expect(page.locator("#notice")).to_have_text(KO["gps_unavailable"])


def test_offline_the_view_shows_its_last_answer(new_context, traffic):
    context = new_context()
    page = open_info(context)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#facilities li").first).to_be_visible()
    first = page.locator("#facilities li strong").first.inner_text()
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#facilities li strong").first).to_have_text(first)


def test_the_inspector_and_dispatcher_maps_draw_the_traffic_layer(new_context, traffic):
    for path, user in (("/field", "insp1"), ("/dispatch", "disp1")):
        page = new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.goto(path)
        page.wait_for_selector("body[data-ready=true]")
        login(page, user)
        page.wait_for_selector("#map[data-traffic-links]")
        expect(page.locator("#map")).to_have_attribute("data-incidents", "1")
        assert int(page.locator("#map").get_attribute("data-traffic-links")) > 0
        assert page.locator("#map path.leaflet-interactive").count() > 0


def test_an_old_summary_says_when_it_was_and_ended_incidents_are_dropped(new_context, traffic):
    """A cached answer replayed later: the server's sentence once, its time, current incidents."""
    summary = {"text": "세종대로 정체 · 교통 정보가 10분 넘게 갱신되지 않았습니다",
               "language": "ko", "stale": True, "feed_updated_at": "2026-01-05T09:30:00+09:00",
               "jammed": [], "slow": [], "moving": [], "incidents": [
                   {"type": "Feature", "id": 1, "geometry": None, "properties": {
                       "id": 1, "kind": "works", "description": "끝난 공사", "detour": None,
                       "starts_at": "2026-01-05T08:00:00+09:00",
                       "ends_at": "2026-01-05T09:00:00+09:00"}},
                   {"type": "Feature", "id": 2, "geometry": None, "properties": {
                       "id": 2, "kind": "works", "description": "계속되는 공사", "detour": None,
                       "starts_at": "2026-01-05T08:00:00+09:00",
                       "ends_at": "2099-01-05T18:30:00+09:00"}}]}
    page = new_context(service_workers="block").new_page()
    page.route("**/api/v1/traffic/summary*", lambda route: route.fulfill(json=summary))
    page.goto("/info")
    page.wait_for_selector("body[data-ready=true]")
    as_of = KO["info_as_of"].replace("{time}", "09:30")
    expect(page.locator("#traffic-text")).to_have_text(f"{summary['text']} ({as_of})")
    assert KO["traffic_stale_note"] not in page.locator("#traffic-text").inner_text()
    expect(page.locator("#incidents li")).to_have_count(1)
    expect(page.locator("#incidents li")).to_contain_text("계속되는 공사")
    expect(page.locator("#incidents li")).to_contain_text(KO["info_until"].replace("{time}",
                                                                                  "18:30"))


def test_the_offline_location_cache_serves_no_old_answer(new_context, traffic, live_server):
    context = new_context()
    page = open_info(context)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")
    url = f"{live_server.url}/api/v1/traffic/summary?lon=127.01&lat=37.55&radius=1000&lang=ko"
    page.evaluate("""async ([url, hours]) => {
        const cache = await caches.open('dasan-info');
        const date = new Date(Date.now() - hours * 3600 * 1000).toUTCString();
        await cache.put(url, new Response('{"text": "cached"}', {headers: {
            'Content-Type': 'application/json', Date: date}}));
    }""", [url, 2])
    context.set_offline(True)
    fetch = "async (url) => fetch(url).then((r) => r.json()).then((b) => b.text, () => 'failed')"
    assert page.evaluate(fetch, url) == "failed"  # two hours old: not served as current
    context.set_offline(False)
    page.evaluate("""async ([url, hours]) => {
        const cache = await caches.open('dasan-info');
        const date = new Date(Date.now() - hours * 3600 * 1000).toUTCString();
        await cache.put(url, new Response('{"text": "cached"}', {headers: {
            'Content-Type': 'application/json', Date: date}}));
    }""", [url, 0])
    context.set_offline(True)
    assert page.evaluate(fetch, url) == "cached"  # a fresh one still is


def test_far_from_any_facility_the_view_says_nothing_is_near(new_context, traffic):
    page = open_info(new_context(geolocation={"longitude": -74.0, "latitude": 40.7}))
    expect(page.locator("#facilities li").first).to_be_visible()  # City Hall first
    expect(page.locator("#facilities-none")).to_be_hidden()
    page.click("#gps")
    expect(page.locator("body")).to_have_attribute("data-point", "-74,40.7")
    expect(page.locator("#facilities li")).to_have_count(0)
    expect(page.locator("#facilities-none")).to_have_text(KO["info_nothing_near"])


def test_each_directions_link_names_its_facility(new_context, traffic):
    page = open_info(new_context())
    links = page.locator("#facilities li a")
    expect(links.first).to_be_visible()
    names = page.locator("#facilities li strong").all_inner_texts()
    labels = [links.nth(i).get_attribute("aria-label") for i in range(links.count())]
    assert labels == [KO["navigate_to"].replace("{name}", name) for name in names]


def test_the_pin_tooltip_follows_the_language(new_context, traffic):
    page = open_info(new_context())
    pin = page.locator(".leaflet-marker-icon")
    expect(pin).to_have_attribute("title", KO["info_pin"])
    page.select_option("#lang", "en")
    expect(pin).to_have_attribute("title", EN["info_pin"])


@pytest.mark.parametrize("locale", ["en-US", "zh-CN", "ja-JP", "mn-MN"])
def test_each_directions_links_name_begins_with_its_visible_text(new_context, traffic, locale):
    # WCAG 2.5.3: a voice-control user says what they see ("click Navigate").
    page = open_info(new_context(locale=locale, bypass_csp=True))
    links = page.locator("#facilities li a")
    expect(links.first).to_be_visible()
    for i in range(links.count()):
        link = links.nth(i)
        assert link.get_attribute("aria-label").startswith(link.text_content()), \
            (link.get_attribute("aria-label"), link.text_content())
    page.add_script_tag(path=str(Path(__file__).resolve().parents[2] / "pwa" / "node_modules"
                                 / "axe-core" / "axe.min.js"))
    mismatched = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'rule',
        values: ['label-content-name-mismatch']}})).violations.length""")
    assert mismatched == 0
