"""Message catalogs: every template renders in every language, compiled catalogs are current."""

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from notify import templates
from notify.sms import count_parts

VALUES = dict(public_id="261128-0000042", district="강남구", dong="역삼1동",
              office="강남구청", phone="02-3423-5114", status="resolved", outcome="Outcome: fixed.",
              note="교체 완료",
              parent_id="261128-0000041", url="http://127.0.0.1:8000/report",
              category="가로등 고장", districts="관악구, 강남구", example="강남구 삼성동",
              score="5")


@pytest.mark.parametrize("language", templates.LANGUAGES)
@pytest.mark.parametrize("template", sorted(templates.TEMPLATES))
def test_every_template_renders(template, language):
    text = templates.render(template, language, **VALUES)
    assert text and "%(" not in text
    if language != "en":
        assert text != templates.render(template, "en", **VALUES)


@pytest.mark.parametrize("language", templates.LANGUAGES)
def test_receipt_names_the_ticket_and_fits_two_parts(language):
    text = templates.render("received", language, **VALUES)
    assert "261128-0000042" in text and "강남구" in text
    assert count_parts(text) <= 2


@pytest.mark.parametrize("language", [lang for lang in templates.LANGUAGES if lang != "en"])
def test_compiled_catalog_matches_po(language):
    folder = templates.LOCALE_DIR / language / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    wanted = {m.id: m.string for m in source if m.id}
    assert {m.id: m.string for m in compiled if m.id} == wanted
    sources = {*templates.TEMPLATES.values(), *templates.TITLES.values(),
               *templates.PHRASES.values(), *templates.OUTCOMES.values()}
    assert sources == set(wanted), "run pybabel update/compile after changing a text"


def test_unknown_template_or_missing_value():
    with pytest.raises(KeyError):
        templates.render("no_such_template", "ko")
    with pytest.raises(KeyError):
        templates.render("received", "ko", public_id="x")


def test_every_outcome_code_of_the_workflow_has_words():
    from dispatch.workflow import OUTCOME_CODES

    assert set(templates.OUTCOMES) == OUTCOME_CODES


@pytest.mark.parametrize("language", templates.LANGUAGES)
@pytest.mark.parametrize("code", sorted(templates.OUTCOMES))
def test_each_outcome_is_said_in_each_language(code, language):
    line = templates.outcome_line(code, language)
    assert line and "%(" not in line
    words = templates.translations(language).gettext(templates.OUTCOMES[code])
    assert words in line
    if language != "en":
        assert words != templates.OUTCOMES[code], "untranslated outcome"


def test_unknown_or_missing_outcome_says_nothing():
    assert templates.outcome_line(None, "ko") == ""
    assert templates.outcome_line("cancel", "ko") == ""


@pytest.mark.parametrize(("language", "note", "expected"), [
    ("en", "Lamp bulb replaced", "Lamp bulb replaced."),
    ("en", "Lamp bulb replaced.", "Lamp bulb replaced."),
    ("en", "Is it fixed? Yes!", "Is it fixed? Yes!"),
    ("en", '"Lamp replaced."', '"Lamp replaced."'),
    ("ko", "램프를 교체했습니다", "램프를 교체했습니다."),
    ("zh", "已更换灯泡", "已更换灯泡。"),
    ("ja", "電球を交換しました", "電球を交換しました。"),
    ("ja", "電球を交換しました。", "電球を交換しました。"),
    ("vi", "  Đã thay bóng đèn ", "Đã thay bóng đèn."),
    ("en", "", ""),
])
def test_a_note_ends_as_a_sentence(language, note, expected):
    assert templates.as_sentence(note, language) == expected


# Texts in every language but English (whose source strings are the msgids) are UCS-2: a reply
# over 70 characters costs two parts where one would do.
ONE_PART_VALUES = dict(public_id="261128-0000042", score="5", url="https://dasan.seoul.go.kr/",
                       district="Quận Dongdaemun")


@pytest.mark.parametrize("language", [lang for lang in templates.LANGUAGES if lang != "en"])
@pytest.mark.parametrize("template", ["sms_help", "rating_thanks", "rating_already",
                                      "sms_stopped", "received", "reopened"])
def test_replies_and_short_notices_fit_one_part(template, language):
    text = templates.render(template, language, **ONE_PART_VALUES)
    assert count_parts(text) == 1, (len(text), text)
