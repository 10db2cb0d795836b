"""Reading incoming texts: ratings, dong names, category keywords, languages."""

import pytest

from notify.textparse import (
    AmbiguousPlace,
    Gazetteer,
    guess_language,
    is_stop_request,
    looks_binary,
    match_category,
    name_variants,
    parse_rating,
    reply_language,
    stop_reply_language,
)

DONGS = [
    ("1168064000", "11680", ["역삼1동", "Yeoksam 1-dong"]),
    ("1168065000", "11680", ["역삼2동", "Yeoksam 2-dong"]),
    ("1168058000", "11680", ["삼성1동", "Samseong 1-dong"]),
    ("1162074500", "11620", ["삼성동", "Samseong-dong"]),
    ("1126055000", "11260", ["면목제3.8동", "Myeonmok 3.8-dong"]),
]
DISTRICTS = {"11680": ["강남구", "Gangnam-gu", "江南区", "Quận Gangnam"],
             "11620": ["관악구", "Gwanak-gu", "冠岳区", "Quận Gwanak"],
             "11260": ["중랑구", "Jungnang-gu"]}
KEYWORDS = {"street_lamp": {"ko": ["가로등"], "en": ["street lamp", "lamp"], "zh": ["路灯"]},
            "pothole": {"ko": ["포트홀", "도로 파임"], "en": ["pothole"]}}


@pytest.mark.parametrize(("text", "score"), [
    ("5", 5), (" 1 ", 1), ("５", 5), ("3점", 3), ("4.", 4),
    ("5 점", 5), ("5点", 5), ("5分", 5), ("5 điểm", 5), ("5 оноо", 5), ("5/5", 5), ("4 / 5", 4),
    ("五", 5), ("五分", 5), ("다섯", 5), ("다섯 점", 5), ("tav", None), ("тав", 5), ("năm", 5),
    ("Five stars", 5), ("2 points!", 2),
    ("6", None), ("0", None), ("12", None), ("", None), ("좋아요", None), ("5/10", None),
    ("10점", None), ("이", None), ("点", None), ("/5", None),
])
def test_rating(text, score):
    assert parse_rating(text) == score


@pytest.mark.parametrize(("text", "score"), [
    # Stars as people type them: emoji (with or without the variation selector), a count.
    ("⭐⭐⭐⭐⭐", 5), ("⭐️⭐️⭐️⭐️⭐️", 5), ("★★★☆☆", 3), ("★★", 2), ("5⭐", 5), ("⭐ 4", 4),
    ("5 sao", 5), ("năm sao", 5), ("별 5개", 5), ("5개", 5),
    # Korean politeness after the number, and "out of five".
    ("5점요", 5), ("4점이요", 4), ("5점입니다", 5), ("다섯이요", 5), ("5/5점", 5),
    ("5 out of 5", 5), ("4/5 stars", 4),
    ("⭐⭐⭐⭐⭐⭐", None), ("☆☆☆", None), ("⭐⭐⭐⭐⭐⭐⭐", None), ("요", None), ("점요", None),
])
def test_rating_as_people_write_it(text, score):
    assert parse_rating(text) == score


def test_variants_drop_number_and_je():
    assert {"역삼1동", "역삼동"} <= name_variants("역삼1동")
    assert {"면목제3.8동", "면목3.8동", "면목동"} <= name_variants("면목제3.8동")
    assert "yeoksam-dong" in name_variants("Yeoksam 1-dong")


@pytest.mark.parametrize(("text", "dong"), [
    ("역삼1동 가로등 고장", "1168064000"),
    ("가로등 고장 역삼동 123", "1168064000"),  # same district either way
    ("역삼2동 앞 가로등", "1168065000"),
    ("Street lamp out in Yeoksam 2-dong", "1168065000"),
    ("면목동 포트홀", "1126055000"),
    ("삼성1동 가로등", "1168058000"),
])
def test_gazetteer_finds_the_dong(text, dong):
    place = Gazetteer(DONGS).find(text)
    assert place is not None and place.dong_code == dong


@pytest.mark.parametrize("text", ["삼성동 쓰레기", "Samseong-dong trash", "Trash, Samseong-dong"])
def test_a_name_several_districts_share_is_ambiguous(text):
    # 삼성동 is Gwanak's dong name and also how people call Gangnam's 삼성1동: even the
    # exact name is no proof: most people mean Gangnam's.
    place = Gazetteer(DONGS, DISTRICTS).find(text)
    assert isinstance(place, AmbiguousPlace)
    assert place.district_codes == ("11620", "11680")


@pytest.mark.parametrize(("text", "dong"), [
    ("강남구 삼성동 쓰레기", "1168058000"), ("관악구 삼성동 쓰레기", "1162074500"),
    ("Samseong-dong, Gangnam-gu: trash", "1168058000"), ("강남 삼성동 쓰레기", "1168058000"),
    ("Quận Gwanak, Samseong-dong", "1162074500"),
])
def test_the_district_in_the_text_settles_a_shared_name(text, dong):
    place = Gazetteer(DONGS, DISTRICTS).find(text)
    assert place.dong_code == dong


def test_naming_both_districts_stays_ambiguous():
    assert isinstance(Gazetteer(DONGS, DISTRICTS).find("강남구 관악구 삼성동"), AmbiguousPlace)


def test_gazetteer_without_a_place():
    assert Gazetteer(DONGS).find("가로등이 고장났어요") is None


def test_category_longest_keyword_wins():
    assert match_category("도로 파임 신고", KEYWORDS) == "pothole"
    assert match_category("STREET LAMP broken", KEYWORDS) == "street_lamp"
    assert match_category("路灯坏了", KEYWORDS) == "street_lamp"
    assert match_category("hello", KEYWORDS) is None


@pytest.mark.parametrize(("text", "language"), [
    ("역삼1동 가로등 고장", "ko"), ("路灯坏了", "zh"), ("街灯が消えています", "ja"),
    ("гудамжны гэрэл", "mn"), ("đèn đường bị hỏng", "vi"), ("lamp out", "en"), ("123", "en"),
])
def test_language_by_script(text, language):
    assert guess_language(text) == language


def test_binary_detection():
    assert looks_binary("\x01\x02\x03\x04abc")
    assert looks_binary("\ufffd\ufffd\ufffdx")
    assert not looks_binary("가로등 고장\n역삼동")


@pytest.mark.parametrize(("text", "known", "language"), [
    ("5", "mn", "mn"), ("STOP", "vi", "vi"), ("五", "ja", "ja"), ("5", None, "en"),
    ("路灯坏了", None, "zh"), ("đèn đường", "ko", "vi"), ("가로등", "en", "ko"),
])
def test_reply_language_prefers_the_phones_language_when_the_script_does_not_tell(
        text, known, language):
    assert reply_language(text, known) == language


@pytest.mark.parametrize(("text", "stop"), [
    ("STOP", True), ("stop.", True), ("수신거부", True), ("수신 거부", True), ("退订", True),
    ("配信停止", True), ("Зогс", True), ("DỪNG", True), ("Unsubscribe", True),
    ("stop the noise in 역삼1동", False), ("cancel", False), ("5", False),
])
def test_stop_request(text, stop):
    assert is_stop_request(text) is stop


@pytest.mark.parametrize("text", [
    "ストップ", "配信解除", "受信停止", "退訂", "停止發送", "停止发送", "ngưng", "Dừng lại",
    "ngừng nhận", "수신거부요", "зогсоо уу",
])
def test_stop_words_people_use_in_every_language(text):
    assert is_stop_request(text) is True


@pytest.mark.parametrize(("text", "known", "language"), [
    ("配信停止", None, "ja"), ("受信拒否", "zh", "ja"), ("退订", None, "zh"), ("STOP", "vi", "vi"),
    ("停止", "ja", "ja"), ("dừng", "ko", "vi"),
])
def test_a_stop_word_of_one_language_is_answered_in_it(text, known, language):
    assert stop_reply_language(text, known) == language
