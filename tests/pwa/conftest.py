"""A live server (gunicorn, two gthread workers) on its own committed database, and Chromium.

The suite's ``session`` fixture keeps each test in a rolled-back transaction, which another
process cannot see; the browser tests therefore get a database of their own, migrated and
loaded once per run, and a real gunicorn serving it.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from dispatch.db import sqlalchemy_url
from tests.conftest import create_empty_database, drop_database
from tests.factories import STAFF_PASSWORD
from tests.services import (
    ROOT,
    app_answers,
    checkout_database_name,
    free_port,
    unavailable,
    wait_for_port,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
AXE = ROOT / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
SECRET = "live-secret-key-0123456789"
KO = json.loads((ROOT / "pwa" / "i18n" / "ko.json").read_text(encoding="utf-8"))
CITY_HALL = {"longitude": 126.9779, "latitude": 37.5663}


@pytest.fixture(scope="session", autouse=True)
def patient_expectations():
    """Give expect() the same 10 s as actions: on a loaded CI machine 5 s proved too short
    for a round trip through the outbox (a CI run failed on exactly that)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)


@dataclass
class LiveServer:
    """Where the live server listens and the database it uses."""

    url: str
    database_url: str

    def sql(self, statement: str, **params):
        """Run one statement on the live database and return all rows."""
        engine = create_engine(sqlalchemy_url(self.database_url), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return result.all() if result.returns_rows else []
        finally:
            engine.dispose()

    def sql_eventually(self, statement: str, timeout: float = 10.0, **params):
        """Run a query until it returns rows (the page sends its work asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.sql(statement, **params)
            if rows or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)


def _cli(env: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "dispatch.cli", *args], env=env, cwd=ROOT,
                   input=stdin, text=True, check=True, capture_output=True)


@pytest.fixture(scope="session")
def live_server(redis_url, tmp_path_factory):
    """gunicorn serving the app on a free port, with staff disp1, admin1, insp1/insp2 (11140).

    The database has Seoul's areas, the synthetic road links and the facility points.
    """
    from alembic import command

    from dispatch.migrate import alembic_config

    if not (ROOT / "pwa" / "node_modules" / "leaflet").is_dir():
        unavailable("the PWA's npm libraries (pwa/node_modules; scripts/setup.sh runs npm ci)")
    name = f"{checkout_database_name()}_live"
    database_url = create_empty_database(name)
    command.upgrade(alembic_config(database_url), "head")
    folder = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {**os.environ, "DASAN_DATABASE_URL": database_url, "DASAN_SECRET_KEY": SECRET,
           "DASAN_REDIS_URL": redis_url, "DASAN_QUEUE_ASYNC": "false",
           "DASAN_WEB_BIND": f"127.0.0.1:{port}", "DASAN_WEB_WORKERS": "2",
           "DASAN_WEB_THREADS": "8", "DASAN_PHOTO_DIR": str(folder / "photos"),
           "DASAN_SSE_POLL_SECONDS": "0.2", "DASAN_RATE_LIMIT_INTAKE_IP": "100000/minute",
           "DASAN_RATE_LIMIT_INTAKE_PHONE": "100000/minute",
           "DASAN_RATE_LIMIT_LOGIN": "100000/minute",
           "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}
    _cli(env, "load-seoul")
    _cli(env, "load-traffic-fixtures")  # road links and facilities for the traffic layers
    _give_dumping_choices(database_url)
    _cli(env, "create-staff", "--role", "dispatcher", "disp1", stdin=STAFF_PASSWORD)
    _cli(env, "create-staff", "--role", "admin", "admin1", stdin=STAFF_PASSWORD)
    for username in ("insp1", "insp2"):
        _cli(env, "create-staff", "--role", "inspector", "--district", "11140", username,
             stdin=STAFF_PASSWORD)
    log = (folder / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn_conf.py", "api.wsgi:app"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for_port(port, 20) or not app_answers(f"http://127.0.0.1:{port}", 60):
            pytest.fail(f"gunicorn did not start; see {folder / 'gunicorn.log'}")
        yield LiveServer(url=f"http://127.0.0.1:{port}", database_url=database_url)
    finally:
        # SIGQUIT: stop at once (open event streams would hold a graceful stop for 20 s).
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        drop_database(name)


# A city may give a category lists of choices (the sample file has none): illegal dumping gets
# two here, before any server process has cached the categories (each caches them 30 s).
DUMPING_ATTRIBUTES = [
    {"code": "amount", "datatype": "singlevaluelist", "required": False, "order": 1,
     "names": {"ko": "양", "en": "Amount", "zh": "数量", "ja": "量", "mn": "Хэмжээ",
               "vi": "Số lượng"},
     "values": [{"key": "small", "names": {"ko": "봉투 몇 개", "en": "A few bags"}},
                {"key": "large", "names": {"ko": "트럭 한 대 분량", "en": "A truckload"}}]},
    {"code": "waste_kinds", "datatype": "multivaluelist", "required": False, "order": 2,
     "names": {"ko": "폐기물 종류", "en": "Kinds of waste"},
     "values": [{"key": "furniture", "names": {"ko": "가구", "en": "Furniture"}},
                {"key": "appliance", "names": {"ko": "가전제품", "en": "Appliances"}}]},
]


def _give_dumping_choices(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE categories SET attributes = CAST(:a AS jsonb) "
                              "WHERE code = 'illegal_dumping'"),
                         {"a": json.dumps(DUMPING_ATTRIBUTES)})
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live_server):
    """Return a function that opens a browser context (phone-sized, Korean, GPS at City Hall)."""
    contexts = []

    def _open(**options):
        settings = {"base_url": live_server.url, "locale": "ko-KR",
                    "viewport": {"width": 412, "height": 900},
                    "geolocation": CITY_HALL, "permissions": ["geolocation"], **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield _open
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot to test-output/screenshots/ for review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def jpeg_bytes(width: int = 2400, height: int = 1800) -> bytes:
    """A real JPEG photo, larger than the PWA sends (so compression has work to do)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "#6d8fb3")
    ImageDraw.Draw(image).rectangle((200, 200, width - 200, height - 200), fill="#f2c14e")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.1 A/AA rules) on the page and return the violations."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")


def login(page, username: str) -> None:
    """Log a member of staff in through the page's login form."""
    page.fill("#username", username)
    page.fill("#password", STAFF_PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")


def file_with_photo(api_request, live_server, category: str, description: str,
                    lonlat: tuple[float, float]) -> str:
    """File a complaint with one photo through Playwright's request API; return its public id."""
    answer = api_request.post(f"{live_server.url}/api/v1/complaints/with-photos", multipart={
        "category": category, "description": description,
        "lon": str(lonlat[0]), "lat": str(lonlat[1]),
        "photos": {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(800, 600)},
    }, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 201, answer.text()
    return answer.json()["public_id"]


def open_as(page, path: str, username: str):
    """Open a staff page, log in through its form, and return the page once it is ready."""
    page.goto(path)
    page.wait_for_selector("body[data-ready=true]")
    login(page, username)
    page.wait_for_selector("body[data-ready=true]")
    return page


__all__ = ["KO", "LiveServer", "axe_violations", "file_with_photo", "jpeg_bytes", "login",
           "open_as", "screenshot"]


def required_lamp_number(route) -> None:
    """A route handler: /api/v1/categories as a city would serve it with the lamp-post
    number required (the sample has no required attribute)."""
    categories = route.fetch().json()
    for category in categories:
        for spec in category["attributes"]:
            spec["required"] = spec["required"] or spec["code"] == "lamp_post_number"
    route.fulfill(json=categories)
