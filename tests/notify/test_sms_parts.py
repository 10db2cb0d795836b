"""Part counting: GSM-7 when the GSM 03.38 alphabet carries the text, UCS-2 otherwise."""

import pytest

from notify.sms_parts import count_parts, fit_text, is_gsm7, units


@pytest.mark.parametrize("text", ["Lamp replaced.", "@£$¥èéùìòØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡§¿ÄÖÑÜäöñüà",
                                  "[120] {x} ~ | \\ ^ €", "line\nbreak"])
def test_gsm7_texts(text):
    assert is_gsm7(text)


@pytest.mark.parametrize("text", ["`tick`", "가로등", "ç", "Ç", "café…", "Đường", "ё", "😀",
                                  "á", "\t"])
def test_not_gsm7(text):
    # Not ASCII: '`' and tab are not in it, 'é' is; 'ç' / 'Ç' share one ambiguous code
    # (Kannel turns 'ç' into 'Ç'), so both go as UCS-2.
    assert not is_gsm7(text)


def test_gsm7_single_and_multipart_boundaries():
    assert count_parts("a" * 160) == 1
    assert count_parts("a" * 161) == 2
    assert count_parts("a" * 306) == 2
    assert count_parts("a" * 307) == 3
    assert count_parts("a" * 459) == 3


def test_extension_characters_count_two_septets():
    assert units("a[") == 3
    assert count_parts("a" * 158 + "€") == 1
    assert count_parts("a" * 159 + "[") == 2
    # An escape pair is never cut: with 152 septets used, '€' moves whole to part two.
    assert count_parts("a" * 152 + "€" + "b" * 151) == 2
    assert count_parts("a" * 152 + "€" + "b" * 152) == 3
    assert count_parts("a" * 151 + "€" + "b" * 153) == 2


def test_ucs2_single_and_multipart_boundaries():
    assert count_parts("가" * 70) == 1
    assert count_parts("가" * 71) == 2
    assert count_parts("가" * 134) == 2
    assert count_parts("가" * 135) == 3
    # One non-GSM character turns an English text into UCS-2.
    assert count_parts("a" * 69 + "`") == 1
    assert count_parts("a" * 70 + "`") == 2
    assert count_parts("😀" * 35) == 1  # a surrogate pair is two units
    assert count_parts("a" * 66 + "😀" + "a" * 66) == 3  # and is never cut either


def test_english_texts_of_72_to_177_characters_cost_fewer_parts():
    assert count_parts("a" * 100) == 1
    assert count_parts("a" * 177) == 2


def test_fit_text_keeps_a_gsm7_text_in_gsm7():
    shortened = fit_text("Lamp replaced. " * 40, 2)
    assert shortened.endswith("...") and is_gsm7(shortened)
    assert count_parts(shortened) == 2 and len(shortened) == 306


def test_fit_text_in_ucs2_uses_one_character_ellipsis():
    shortened = fit_text("가" * 500, 2)
    assert shortened.endswith("…") and count_parts(shortened) == 2 and len(shortened) == 134


def test_fit_text_leaves_a_fitting_text_alone():
    assert fit_text("a" * 160, 1) == "a" * 160
    assert fit_text("a" * 161, 1) == "a" * 157 + "..."
