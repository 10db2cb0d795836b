"""Incoming texts without Kannel: places by dong, ambiguous names, ratings, opt-out."""

import pytest
from sqlalchemy import select

from dispatch.models import Complaint, Notification, SatisfactionRating, SmsInbound
from tests.api.test_sms_gateway import incoming
from tests.factories import complaint_json

YEOKSAM_1 = "1168064000"


def text_in(client, session, settings, gateway_id: str, phone: str, text: str) -> SmsInbound:
    """Post one incoming text as Kannel would and return its stored row."""
    assert incoming(client, settings, id=gateway_id, text=text,
                    **{"from": phone}).status_code == 204
    return session.scalar(select(SmsInbound).where(SmsInbound.gateway_id == gateway_id))


def replies_to(session, phone: str) -> list[Notification]:
    """Every text planned for ``phone``, oldest first."""
    return session.scalars(select(Notification).where(Notification.recipient == phone)
                           .order_by(Notification.id)).all()


def test_reports_by_text_are_located_to_the_dong_and_never_merged(
        client, session, use_settings, create_staff, login):
    settings = use_settings()
    texts = ["역삼동 가로등 고장", "역삼1동 가로등이 꺼졌어요", "Street lamp out in Yeoksam 1-dong",
             "Đèn đường ở Yeoksam 1-dong bị hỏng"]
    complaints = []
    for n, text in enumerate(texts):
        inbound = text_in(client, session, settings, f"lamp-{n}", f"+82105555000{n}", text)
        assert inbound.outcome == "complaint"
        complaints.append(session.get(Complaint, inbound.complaint_id))
    # All four stand on the same point (the dong's), yet each may be a different lamp.
    assert [(c.dong_code, c.status, c.parent_id, c.location_precision) for c in complaints] \
        == [(YEOKSAM_1, "dispatched", None, "dong")] * 4
    assert not session.scalars(select(Notification).where(
        Notification.template == "duplicate")).all()
    headers = login(create_staff("dispatcher"))
    view = client.get(f"/api/v1/staff/complaints/{complaints[1].public_id}", headers=headers)
    assert view.get_json()["location_precision"] == "dong"


def test_a_report_on_the_map_is_not_merged_into_a_text_placed_at_the_dong(
        client, session, use_settings):
    from dispatch.sms_inbound import dong_point

    settings = use_settings()
    text_in(client, session, settings, "lamp-t", "+821055551111", "역삼1동 가로등 고장")
    lon, lat = dong_point(session, YEOKSAM_1)
    filed = client.post("/api/v1/complaints", json=complaint_json(
        phone="010-5555-2222", location={"type": "Point", "coordinates": [lon, lat]}))
    assert filed.status_code == 201
    assert filed.get_json()["status"] == "dispatched"
    mapped = session.scalar(select(Complaint).where(
        Complaint.public_id == filed.get_json()["public_id"]))
    assert (mapped.parent_id, mapped.location_precision) == (None, "point")


def test_a_dong_name_two_districts_share_gets_a_question_not_a_guess(client, session,
                                                                    use_settings):
    settings = use_settings()
    inbound = text_in(client, session, settings, "samseong-1", "+821055553333",
                      "삼성동 쓰레기 무단투기")
    assert (inbound.outcome, inbound.complaint_id) == ("ambiguous_place", None)
    [reply] = replies_to(session, "+821055553333")
    assert reply.template == "sms_which_district"
    assert "관악구" in reply.body and "강남구" in reply.body and "삼성동" in reply.body
    # Named with its district, the same text becomes a complaint in that district.
    again = text_in(client, session, settings, "samseong-2", "+821055553333",
                    "강남구 삼성동 쓰레기 무단투기")
    assert again.outcome == "complaint"
    assert session.get(Complaint, again.complaint_id).district_code == "11680"


def close(session, complaint, kind="resolved"):
    """Close ``complaint`` as an inspector would; its result text asks for a rating."""
    from datetime import UTC, datetime

    from dispatch.events import Actor, record_event

    complaint.status = kind
    record_event(session, complaint, kind=kind, actor=Actor.system(), at=datetime.now(UTC),
                 public_note="Fixed.")
    session.flush()


def test_a_second_number_soon_after_does_not_rate_another_ticket(
        client, session, use_settings, create_complaint):
    settings = use_settings()
    older = create_complaint(phone="010-5555-4444", category="road_damage")
    newer = create_complaint(phone="010-5555-4444")
    close(session, older)
    close(session, newer)
    first = text_in(client, session, settings, "rate-1", "+821055554444", "4 점")
    assert (first.outcome, first.complaint_id) == ("rating", newer.id)
    second = text_in(client, session, settings, "rate-2", "+821055554444", "5")
    assert (second.outcome, second.complaint_id) == ("rating_repeat", newer.id)
    assert session.scalar(select(SatisfactionRating.score).where(
        SatisfactionRating.complaint_id == older.id)) is None
    thanks, already = [row for row in replies_to(session, "+821055554444")
                       if row.inbound_id is not None]
    assert thanks.template == "rating_thanks" and newer.public_id in thanks.body
    assert "4/5" in thanks.body and "감사합니다" in thanks.body
    assert already.template == "rating_already" and newer.public_id in already.body


@pytest.mark.parametrize(("language", "text", "thanks"), [
    ("mn", "5", "Баярлалаа"), ("ja", "五", "ありがとう"), ("vi", "5 điểm", "Cảm ơn")])
def test_the_reply_speaks_the_language_of_the_phones_complaint(
        client, session, use_settings, create_complaint, language, text, thanks):
    settings = use_settings()
    complaint = create_complaint(phone="010-5555-6666", language=language)
    close(session, complaint)
    inbound = text_in(client, session, settings, f"lang-{language}", "+821055556666", text)
    assert inbound.outcome == "rating"
    [reply] = [row for row in replies_to(session, "+821055556666")
               if row.inbound_id == inbound.id]
    assert reply.language == language and thanks in reply.body


def test_no_second_rating_question_after_a_reopened_ticket_was_rated(
        client, session, use_settings, create_complaint):
    from datetime import UTC, datetime

    from dispatch.events import Actor, record_event

    settings = use_settings()
    complaint = create_complaint(phone="010-5555-7777")
    close(session, complaint)
    text_in(client, session, settings, "rated-1", "+821055557777", "3")
    complaint.status = "dispatched"
    record_event(session, complaint, kind="reopened", actor=Actor.citizen(),
                 at=datetime.now(UTC))
    close(session, complaint)
    first, second = [row for row in replies_to(session, "+821055557777")
                     if row.template == "result"]
    assert first.data.get("asks_rating") and "1 (poor)" not in second.body
    assert not second.data.get("asks_rating") and "1(불만족)" not in second.body


def test_the_help_text_links_to_the_report_page_that_exists(client, session, use_settings):
    from urllib.parse import urlsplit

    settings = use_settings()
    inbound = text_in(client, session, settings, "help-1", "+821055558888", "안녕하세요")
    assert inbound.outcome == "not_understood"
    [reply] = replies_to(session, "+821055558888")
    link = reply.body.split()[-1]
    assert link.startswith(settings.public_url)
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200 and b"citizen" in page.data


def planned(session, complaint, template):
    """The texts planned for ``complaint`` with ``template``."""
    return session.scalars(select(Notification).where(
        Notification.complaint_id == complaint.id, Notification.template == template)).all()


@pytest.mark.parametrize("word", ["STOP", "수신 거부", "退订"])
def test_stop_ends_the_texts_about_earlier_complaints_until_a_new_one(
        client, session, use_settings, create_complaint, word):
    from datetime import UTC, datetime

    from dispatch.events import Actor, record_event
    from dispatch.models import SmsOptOut

    settings = use_settings()
    earlier = create_complaint(phone="010-5555-9999")
    inbound = text_in(client, session, settings, "stop-1", "+821055559999", word)
    assert inbound.outcome == "opt_out"
    assert session.get(SmsOptOut, "+821055559999") is not None
    [confirmation] = [row for row in replies_to(session, "+821055559999")
                      if row.inbound_id == inbound.id]
    assert confirmation.template == "sms_stopped" and confirmation.language == "ko"
    close(session, earlier)
    assert planned(session, earlier, "result") == []
    # A new complaint from the number turns the texts back on, for it and the earlier one.
    later = create_complaint(phone="010-5555-9999", category="road_damage")
    assert len(planned(session, later, "received")) == 1
    earlier.status = "dispatched"
    record_event(session, earlier, kind="reopened", actor=Actor.citizen(),
                 at=datetime.now(UTC))
    session.flush()
    assert len(planned(session, earlier, "reopened")) == 1


def test_a_text_the_intake_refuses_is_answered_with_help_and_files_nothing(
        client, session, use_settings):
    from sqlalchemy import func

    from dispatch.categories import forget_cached_categories
    from dispatch.models import Category

    settings = use_settings()
    # The rules changed under the text: street lamps now need a lamp-post number, which a
    # text cannot give, so the intake refuses it (InvalidComplaint).
    lamp = session.get(Category, "street_lamp")
    lamp.attributes = [{**spec, "required": True} for spec in lamp.attributes]
    session.flush()
    forget_cached_categories()
    try:
        inbound = text_in(client, session, settings, "refused-1", "+821055558888",
                          "역삼1동 가로등 고장")
    finally:
        forget_cached_categories()
    # Kannel got its 204 (no retry storm), the text is kept with its outcome, no
    # complaint was made, and the sender learns how to report instead.
    assert (inbound.outcome, inbound.complaint_id) == ("not_understood", None)
    assert session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.reporter_phone == "+821055558888")) == 0
    assert [row.template for row in replies_to(session, "+821055558888")] == ["sms_help"]


def test_texts_are_taken_while_redis_is_down(client, session, use_settings,
                                             create_complaint):
    from tests.services import free_port

    # Redis counts the texts per sender (the flood limit); without it every text is
    # still taken: a citizen's report matters more than the limit.
    settings = use_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", sms_mo_per_hour=1)
    complaint = create_complaint(phone="010-5555-9999")
    close(session, complaint)
    rating = text_in(client, session, settings, "redis-down-1", "+821055559999", "4")
    assert (rating.outcome, rating.complaint_id) == ("rating", complaint.id)
    assert session.scalar(select(SatisfactionRating.score).where(
        SatisfactionRating.complaint_id == complaint.id)) == 4
    report = text_in(client, session, settings, "redis-down-2", "+821055559999",
                     "역삼1동 가로등 고장")
    assert report.outcome == "complaint"  # over the limit of 1, yet not rate_limited


@pytest.mark.parametrize(("text", "known", "language"), [
    ("配信停止", None, "ja"), ("受信拒否", "zh", "ja"), ("Dừng lại", "ko", "vi")])
def test_a_stop_word_of_one_language_is_confirmed_in_that_language(
        client, session, use_settings, create_complaint, text, known, language):
    settings = use_settings()
    if known:
        create_complaint(phone="010-5555-7171", language=known)
    inbound = text_in(client, session, settings, f"stop-{language}", "+821055557171", text)
    assert inbound.outcome == "opt_out"
    [confirmation] = [row for row in replies_to(session, "+821055557171")
                      if row.inbound_id == inbound.id]
    assert confirmation.language == language


@pytest.mark.parametrize("text", ["⭐⭐⭐⭐⭐", "5⭐", "5점이요", "5 sao"])
def test_a_rating_written_with_stars_or_politely_is_recorded(
        client, session, use_settings, create_complaint, text):
    settings = use_settings()
    complaint = create_complaint(phone="010-5555-7272")
    close(session, complaint)
    inbound = text_in(client, session, settings, "stars-1", "+821055557272", text)
    assert (inbound.outcome, inbound.complaint_id) == ("rating", complaint.id)
    assert session.scalar(select(SatisfactionRating.score).where(
        SatisfactionRating.complaint_id == complaint.id)) == 5


def kannel_query(settings, gateway_id: str, phone: str, raw_text: bytes, charset: str,
                 coding: str) -> str:
    """The query string Kannel's get-url makes: the text's bytes percent-encoded as they are."""
    from urllib.parse import quote

    return (f"secret={quote(settings.sms_mo_secret_value)}&from={quote(phone)}&to=120"
            f"&text={quote(raw_text, safe='')}&id={gateway_id}&charset={charset}"
            f"&coding={coding}")


@pytest.mark.parametrize(("charset", "encoding", "coding"), [
    ("UTF-16BE", "utf-16-be", "2"),   # a UCS-2 text mo-recode left as it was
    ("UTF-8", "utf-8", "0"),          # a GSM-7 text, or a UCS-2 one mo-recode converted
    ("ISO-8859-1", "latin-1", "0"),   # a text Kannel recoded to Latin-1
])
def test_a_text_is_read_in_the_charset_kannel_names(client, session, use_settings, charset,
                                                    encoding, coding):
    from tests.api.test_sms_gateway import GATEWAY

    settings = use_settings()
    text = ("Street lamp out by the café, Yeoksam 1-dong" if encoding == "latin-1"
            else "Đèn đường ở Yeoksam 1-dong bị hỏng")
    gateway_id = f"charset-{charset}"
    answer = client.get("/api/v1/sms/incoming?" + kannel_query(
        settings, gateway_id, "+821055559999", text.encode(encoding), charset, coding),
        environ_base=GATEWAY)
    assert answer.status_code == 204
    inbound = session.scalar(select(SmsInbound).where(SmsInbound.gateway_id == gateway_id))
    assert inbound.text == text
    assert inbound.outcome == "complaint"  # "Yeoksam 1-dong" understood: the place was read
    assert session.get(Complaint, inbound.complaint_id).dong_code == YEOKSAM_1


def test_a_korean_ucs2_text_kannel_could_not_recode_is_read_whole(client, session,
                                                                  use_settings):
    from tests.api.test_sms_gateway import GATEWAY

    settings = use_settings()
    text = "역삼1동 가로등 고장 🙏"  # outside the BMP: UTF-16 surrogates
    answer = client.get("/api/v1/sms/incoming?" + kannel_query(
        settings, "ucs2-ko", "+821055558888", text.encode("utf-16-be"), "UTF-16BE", "2"),
        environ_base=GATEWAY)
    assert answer.status_code == 204
    inbound = session.scalar(select(SmsInbound).where(SmsInbound.gateway_id == "ucs2-ko"))
    assert (inbound.text, inbound.outcome) == (text, "complaint")


@pytest.mark.parametrize("charset", ["", "8-BIT", "no-such-charset"])
def test_binary_or_unknown_charsets_are_read_as_utf8_as_before(client, session, use_settings,
                                                              charset):
    from tests.api.test_sms_gateway import GATEWAY

    settings = use_settings()
    gateway_id = f"bin-{charset or 'none'}"
    answer = client.get("/api/v1/sms/incoming?" + kannel_query(
        settings, gateway_id, "+821055557777", "역삼1동 가로등 고장".encode(), charset, "1"),
        environ_base=GATEWAY)
    assert answer.status_code == 204
    inbound = session.scalar(select(SmsInbound).where(SmsInbound.gateway_id == gateway_id))
    assert inbound.text == "역삼1동 가로등 고장"
