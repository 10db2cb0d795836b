"""The staff page and "change my password" in Chromium: admins add, disable and reset accounts;
dispatchers only read the list; every member of staff changes their own password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import STAFF_PASSWORD
from tests.pwa.conftest import KO, axe_violations, login, open_as, screenshot
from tests.pwa.test_field import accept_as, call, file_complaint, staff_headers

pytestmark = pytest.mark.slow

EN = json.loads((Path(__file__).resolve().parents[2] / "pwa" / "i18n" / "en.json")
                .read_text(encoding="utf-8"))
WIDE = {"width": 1280, "height": 1000}
NEW_PASSWORD = "a fresh one 4 the field"


def add_inspector(live_server, username: str) -> int:
    """An inspector of Jung-gu (11140) added through the API by admin1; returns their id."""
    status, body, _ = call(live_server, "POST", "/api/v1/staff/accounts", {
        "username": username, "display_name": f"Test {username}", "role": "inspector",
        "district_code": "11140", "password": STAFF_PASSWORD,
    }, staff_headers(live_server, "admin1"))
    assert status == 201, body
    return body["id"]


def district_name(live_server, code: str) -> str:
    return live_server.sql("SELECT COALESCE(names->>'ko', name) FROM districts WHERE code = :c",
                           c=code)[0][0]


def log_in_with(page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login button[type=submit]")


def account_row(page, username: str):
    return page.locator(f"#list-body tr[data-username='{username}']")


def test_an_admin_adds_an_inspector_who_can_then_log_in(new_context, live_server):
    page = open_as(new_context(viewport=WIDE).new_page(), "/staff", "admin1")
    page.locator("#add summary").click()
    page.fill("#a-username", "added1")
    page.fill("#a-name", "Added Inspector")
    page.select_option("#a-role", "inspector")
    page.select_option("#a-language", "en")
    page.fill("#a-password", NEW_PASSWORD)
    # An inspector belongs to a district: named before anything is sent.
    page.click("#add-form button[type=submit]")
    expect(page.locator("#result")).to_have_text(
        KO["staff_field_error"].replace("{field}", KO["district"]))
    page.select_option("#a-district", "11140")
    page.click("#add-form button[type=submit]")
    expect(page.locator("#result")).to_have_text(f"{KO['staff_added']} added1")
    row = account_row(page, "added1")
    expect(row).to_contain_text(KO["role_inspector"])
    expect(row).to_contain_text(district_name(live_server, "11140"))
    expect(row).to_contain_text("English")
    # The same username again: the server's invalid_staff, in words, naming the field.
    page.fill("#a-username", "added1")
    page.select_option("#a-district", "11140")
    page.fill("#a-password", NEW_PASSWORD)
    page.click("#add-form button[type=submit]")
    expect(page.locator("#result")).to_have_text(
        f"{KO['invalid_staff']} {KO['staff_field_error'].replace('{field}', KO['username'])}")
    screenshot(page, "staff-admin")
    # The new inspector logs in to the field app with the first password.
    field = new_context().new_page()
    field.goto("/field")
    field.wait_for_selector("body[data-ready=true]")
    log_in_with(field, "added1", NEW_PASSWORD)
    field.wait_for_selector("#app:not([hidden])")
    field.wait_for_selector("body[data-ready=true]")


def test_disabling_an_inspector_hands_their_ticket_back_and_shows_it(new_context, live_server):
    add_inspector(live_server, "leaving1")
    public_id = accepted_by(live_server, "leaving1", "browser test: held by a leaver",
                            (126.9930, 37.5610))
    inspector = staff_headers(live_server, "leaving1")
    page = open_as(new_context(viewport=WIDE).new_page(), "/staff", "admin1")
    row = account_row(page, "leaving1")
    row.locator("button").click()
    expect(page.locator("#edit-title")).to_be_focused()
    expect(page.locator("#toggle-active")).to_have_text(KO["staff_disable"])
    # Asked first: saying no changes nothing.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("#toggle-active")
    expect(page.locator("#toggle-active")).to_have_text(KO["staff_disable"])
    assert questions and "leaving1" in questions[0]
    assert live_server.sql("SELECT active FROM staff WHERE username = 'leaving1'")[0][0] is True
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#toggle-active")
    expect(page.locator("#result")).to_have_text(
        f"{KO['staff_saved']} {KO['staff_handed_back']} {public_id}")
    expect(row).to_contain_text(KO["staff_no"])
    expect(page.locator("#toggle-active")).to_have_text(KO["staff_enable"])
    assert live_server.sql("SELECT status, assignee_id FROM complaints WHERE public_id = :p",
                           p=public_id)[0] == ("dispatched", None)
    # Its old token no longer works; a reset password is asked for first, then set.
    status, _, _ = call(live_server, "GET", "/api/v1/auth/me", headers=inspector)
    assert status == 401
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#toggle-active")  # enabled again
    expect(row).to_contain_text(KO["staff_yes"])
    page.fill("#r-password", "short")
    page.click("#reset-form button[type=submit]")
    expect(page.locator("#result")).to_have_text(KO["password_length"])
    page.fill("#r-password", NEW_PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#reset-form button[type=submit]")
    expect(page.locator("#result")).to_have_text(KO["staff_reset_done"])
    status, _, _ = call(live_server, "POST", "/api/v1/auth/login",
                        {"username": "leaving1", "password": NEW_PASSWORD})
    assert status == 200


def accepted_by(live_server, username: str, description: str, lonlat) -> str:
    """A complaint filed in Jung-gu and accepted by ``username``; returns its public id."""
    public_id = file_complaint(live_server, description, lonlat)
    headers = staff_headers(live_server, username)
    accept_as(live_server, public_id, headers)
    return public_id


def test_an_admin_renames_moves_and_promotes_an_inspector(new_context, live_server):
    add_inspector(live_server, "mover1")
    public_id = accepted_by(live_server, "mover1", "browser test: held by a mover",
                            (126.9960, 37.5620))
    page = open_as(new_context(viewport=WIDE).new_page(), "/staff", "admin1")
    row = account_row(page, "mover1")
    row.locator("button").click()
    page.fill("#e-name", "Moved One")
    page.select_option("#e-district", "11110")
    page.click("#edit-form button[type=submit]")
    # Moved to Jongno-gu: the Jung-gu ticket goes back to Jung-gu's queue.
    expect(page.locator("#result")).to_have_text(
        f"{KO['staff_saved']} {KO['staff_handed_back']} {public_id}")
    expect(row).to_contain_text("Moved One")
    expect(row).to_contain_text(district_name(live_server, "11110"))
    # A dispatcher works city-wide: the district is off and dropped.
    page.select_option("#e-role", "dispatcher")
    expect(page.locator("#e-district")).to_be_disabled()
    page.click("#edit-form button[type=submit]")
    expect(row).to_contain_text(KO["role_dispatcher"])
    assert live_server.sql("SELECT display_name, role, district_code FROM staff "
                           "WHERE username = 'mover1'")[0] == ("Moved One", "dispatcher", None)


def test_the_last_admin_cannot_be_disabled_and_is_told_why(new_context, live_server):
    page = open_as(new_context(viewport=WIDE).new_page(), "/staff", "admin1")
    page.select_option("#f-role", "admin")
    page.click("#filters button[type=submit]")
    expect(page.locator("#list-body tr")).to_have_count(1)
    account_row(page, "admin1").locator("button").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#toggle-active")
    expect(page.locator("#result")).to_have_text(KO["last_admin"])


def test_a_dispatcher_reads_the_list_without_edit_controls(new_context, live_server):
    page = open_as(new_context(viewport=WIDE).new_page(), "/dispatch", "disp1")
    link = page.locator("#staff-link")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url("**/staff")
    page.wait_for_selector("body[data-ready=true]")  # the same session: no second login
    expect(account_row(page, "insp1")).to_contain_text(KO["role_inspector"])
    expect(account_row(page, "disp1")).to_contain_text(KO["role_dispatcher"])
    expect(page.locator("#add")).to_be_hidden()
    expect(page.locator("#actions-col")).to_be_hidden()
    expect(page.locator("#list-body button")).to_have_count(0)
    # The filters narrow the list on the server.
    page.select_option("#f-role", "dispatcher")
    page.click("#filters button[type=submit]")
    expect(account_row(page, "insp1")).to_have_count(0)
    expect(account_row(page, "disp1")).to_have_count(1)
    expect(page.locator("#list-body tr", has_not_text=KO["role_dispatcher"])).to_have_count(0)


def test_an_inspector_has_no_staff_list_and_no_link_to_it(new_context, live_server):
    page = open_as(new_context(viewport=WIDE).new_page(), "/dispatch", "insp1")
    expect(page.locator("#staff-link")).to_be_hidden()
    page.goto("/staff")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#notice")).to_have_text(KO["staff_forbidden"])


def test_an_inspector_changes_their_own_password(new_context, live_server):
    add_inspector(live_server, "changer1")
    # In English: the server's refusal is shown in the inspector's language.
    page = new_context(locale="en-US").new_page()
    page.goto("/field")
    page.wait_for_selector("body[data-ready=true]")
    log_in_with(page, "changer1", STAFF_PASSWORD)
    page.wait_for_selector("body[data-ready=true]")
    page.click("#change-password")
    dialog = page.locator("#password-dialog")
    expect(dialog).to_be_visible()
    message = dialog.locator("#pw-message")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/auth/password" in r.url else None)
    # Checked on the phone first: too short, then two different new passwords.
    page.fill("#pw-current", STAFF_PASSWORD)
    page.fill("#pw-new", "short")
    page.fill("#pw-again", "short")
    dialog.locator("button[type=submit]").click()
    expect(message).to_have_text(EN["password_length"])
    page.fill("#pw-new", NEW_PASSWORD)
    page.fill("#pw-again", NEW_PASSWORD + "!")
    dialog.locator("button[type=submit]").click()
    expect(message).to_have_text(EN["password_mismatch"])
    assert sent == []
    # A wrong current password: the server says no (403 wrong_password), in English.
    page.fill("#pw-current", "not my password at all")
    page.fill("#pw-again", NEW_PASSWORD)
    dialog.locator("button[type=submit]").click()
    expect(message).to_have_text(EN["wrong_password"])
    page.fill("#pw-current", STAFF_PASSWORD)
    page.fill("#pw-new", NEW_PASSWORD)
    page.fill("#pw-again", NEW_PASSWORD)
    dialog.locator("button[type=submit]").click()
    expect(message).to_have_text(EN["password_changed"])
    screenshot(page, "field-password")
    dialog.locator("button[data-close]").click()
    expect(dialog).to_be_hidden()
    # This session goes on; after logging out, only the new password logs in.
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    log_in_with(page, "changer1", STAFF_PASSWORD)
    expect(page.locator("#notice")).to_have_text(EN["bad_login"])
    log_in_with(page, "changer1", NEW_PASSWORD)
    page.wait_for_selector("#app:not([hidden])")


def test_the_staff_page_passes_axe(new_context, live_server):
    # bypass_csp only lets the test inject axe-core; the page itself runs under the CSP.
    page = new_context(bypass_csp=True, viewport=WIDE).new_page()
    page.goto("/staff")
    page.wait_for_selector("body[data-ready=true]")
    violations = axe_violations(page)  # the login form
    assert violations == [], violations
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    login(page, "admin1")
    page.wait_for_selector("body[data-ready=true]")
    page.locator("#add summary").click()
    account_row(page, "insp1").locator("button").click()
    violations = axe_violations(page)
    screenshot(page, "staff-axe")
    assert violations == [], violations
    page.click("#change-password")
    violations = axe_violations(page)
    assert violations == [], violations


@pytest.mark.parametrize(("path", "role"), [("/dispatch", "dispatcher"), ("/staff", "supervisor")])
def test_the_password_dialog_works_from_the_dispatcher_and_staff_pages(new_context, live_server,
                                                                       path, role):
    username = f"pw-{role}"
    status, body, _ = call(live_server, "POST", "/api/v1/staff/accounts", {
        "username": username, "display_name": username, "role": role,
        "district_code": "11140" if role == "supervisor" else None,
        "password": STAFF_PASSWORD}, staff_headers(live_server, "admin1"))
    assert status == 201, body
    page = new_context(viewport=WIDE).new_page()
    page.goto(path)
    page.wait_for_selector("body[data-ready=true]")
    log_in_with(page, username, STAFF_PASSWORD)
    page.wait_for_selector("body[data-ready=true]")
    page.click("#change-password")
    dialog = page.locator("#password-dialog")
    page.fill("#pw-current", STAFF_PASSWORD)
    page.fill("#pw-new", NEW_PASSWORD)
    page.fill("#pw-again", NEW_PASSWORD)
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator("#pw-message")).to_have_text(KO["password_changed"])
    status, _, _ = call(live_server, "POST", "/api/v1/auth/login",
                        {"username": username, "password": NEW_PASSWORD})
    assert status == 200


def test_closing_the_edit_panel_puts_the_focus_back_on_its_edit_button(new_context, live_server):
    page = open_as(new_context(viewport=WIDE).new_page(), "/staff", "admin1")
    opener = account_row(page, "insp2").locator("button")
    opener.click()
    expect(page.locator("#edit")).to_be_visible()
    page.click("#edit-close")
    expect(page.locator("#edit")).to_be_hidden()
    expect(account_row(page, "insp2").locator("button")).to_be_focused()
