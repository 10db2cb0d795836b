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
