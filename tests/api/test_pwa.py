"""The PWA's pages, service worker, manifest and assets as the server hands them out."""

from __future__ import annotations

import json

import pytest

from api.pwa import tile_origin
from api.static import ROOT
from tests.services import unavailable

PAGES = ["/", "/status/261129-0000001", "/field", "/dispatch", "/staff"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_csp_without_inline_scripts(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    body = response.get_data(as_text=True)
    # Every script is a file of our own origin: no inline code, no CDN.
    assert "<script>" not in body and "https://" not in body


def test_the_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert "__SHELL_REVISION__" not in body
    assert "const REVISION = '" in body


def test_every_script_and_page_of_the_app_is_precached_for_offline_use(client):
    from api.pwa import PWA

    body = client.get("/sw.js").get_data(as_text=True)
    scripts = sorted(f"/pwa/js/{path.name}" for path in (PWA / "js").glob("*.js"))
    assert [script for script in scripts if f"'{script}'" not in body] == []
    for page in ("/", "/info", "/field", "/dispatch", "/staff", "/status/_shell"):
        assert f"'{page}'" in body


def test_manifest_and_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == "image/png"


def test_six_catalogues_with_the_same_keys(client):
    keys = None
    for lang in ("ko", "en", "zh", "ja", "mn", "vi"):
        with client.get(f"/pwa/i18n/{lang}.json") as response:
            catalogue = response.get_json()
        assert all(isinstance(v, str) and v for v in catalogue.values())
        keys = keys or set(catalogue)
        assert set(catalogue) == keys, lang


# Codes a citizen or an inspector may meet; each needs a message, not "Something went wrong".
USER_FACING_CODES = ["invalid_outcome", "complaint_closed", "too_many_photos", "corrupt_image",
                     "image_too_large", "empty_file", "unknown_category", "version_required",
                     "evidence_required", "invalid_phone", "stale_version", "invalid_transition",
                     "wrong_password", "invalid_staff", "last_admin", "evidence_is_report_photo",
                     "report_is_evidence_photo", "invalid_assignee", "unknown_district",
                     "already_in_district"]


def test_every_error_a_user_may_meet_has_a_message(client):
    for lang in ("ko", "en", "zh", "ja", "mn", "vi"):
        with client.get(f"/pwa/i18n/{lang}.json") as response:
            catalogue = response.get_json()
        assert [code for code in USER_FACING_CODES if code not in catalogue] == [], lang


@pytest.mark.parametrize("path", [
    "/pwa/node_modules/leaflet/package.json", "/pwa/js/../sw.js", "/pwa/js/%2e%2e/sw.js",
    "/pwa/i18n/../../api/__init__.py", "/pwa/js/nothing.js",
    "/static/vendor/workbox/evil.prod.js", "/static/vendor/nothing/x.js",
])
def test_nothing_outside_the_asset_folders_is_served(client, path):
    with client.get(path) as response:
        assert response.status_code == 404


def test_vendored_libraries_come_from_node_modules(client):
    if not (ROOT / "pwa" / "node_modules" / "leaflet").is_dir():
        unavailable("pwa/node_modules not installed (npm ci)")
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/idb/index.js",
                 "/static/vendor/markercluster/leaflet.markercluster.js",
                 "/static/vendor/workbox/workbox-precaching.prod.js",
                 "/static/vendor/workbox-sw/workbox-sw.js",
                 "/static/vendor/swagger-ui/swagger-ui-bundle.js"):
        with client.get(path) as response:
            assert response.status_code == 200, path


def test_config_names_the_tile_url_and_languages(client, settings):
    config = client.get("/pwa/config.json").get_json()
    assert config["tile_url"] == settings.tile_url
    assert config["languages"] == ["ko", "en", "zh", "ja", "mn", "vi"]


@pytest.mark.parametrize(("template", "origin"), [
    ("", ""),
    ("https://tiles.example/{z}/{x}/{y}.png", "https://tiles.example"),
    ("https://{s}.tile.example:8443/{z}/{x}/{y}.png", "https://*.tile.example:8443"),
    ("javascript:alert(1)", ""),
    ("tiles/{z}/{x}/{y}.png", ""),
])
def test_tile_origin_for_the_csp(template, origin):
    assert tile_origin(template) == origin


def test_a_push_notifications_link_opens_the_inspector_app_on_the_complaint(client):
    response = client.get("/staff/complaints/261129-0000009")
    assert response.status_code == 302
    assert response.headers["Location"] == "/field?c=261129-0000009"
    response = client.get("/staff/complaints/a%3Fb%26c")
    assert response.headers["Location"] == "/field?c=a%3Fb%26c"
