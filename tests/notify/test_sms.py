"""The SMS gateways: part counting, shortening, and Kannel's smsbox for real."""

import pytest

from notify.sms import KannelGateway, LogGateway, count_parts, fit_text
from tests.services import free_port


def test_part_counting_picks_the_coding():
    assert count_parts("a" * 160) == 1
    assert count_parts("a" * 161) == 2


def test_part_counting_in_ucs2():
    assert count_parts("가" * 70) == 1
    assert count_parts("가" * 71) == 2
    assert count_parts("가" * 134) == 2
    assert count_parts("가" * 135) == 3
    assert count_parts("😀" * 35) == 1  # a surrogate pair is two units


def test_fit_text_shortens_with_an_ellipsis():
    assert fit_text("짧다", 1) == "짧다"
    shortened = fit_text("가" * 500, 2)
    assert shortened.endswith("…") and count_parts(shortened) == 2


def test_log_gateway_accepts():
    result = LogGateway().send(to="+821012345678", text="안녕", sender="120", reference="7",
                               report_url=None)
    assert result.accepted and result.provider_id == "log-7"


@pytest.fixture
def gateway(kannel):
    if not kannel.boxes.running:
        kannel.start()
    kannel.smsc.drain()
    kannel.callback.drain()
    return KannelGateway(kannel.sendsms_url, kannel.username, kannel.password, timeout=5)


def test_korean_text_arrives_intact_with_delivery_reports(gateway, kannel):
    text = "[서울120] 민원 261128-0000042이(가) 접수되었습니다(강남구)."
    result = gateway.send(to="+821012345678", text=text, sender="1899-0120", reference="41",
                          report_url=f"{kannel.callback.base_url}/dlr/41?type=%d")
    assert result.accepted
    [message] = kannel.smsc.texts(1)
    assert (message.sender, message.receiver, message.text) == ("1899-0120", "+821012345678",
                                                                text)
    reports = kannel.callback.take("/dlr/41", count=2)
    assert {path.rsplit("=", 1)[1] for path in reports} == {"8", "1"}


def test_english_text_goes_as_gsm7_and_arrives_intact(gateway, kannel):
    # Extension characters ([ ] { } ~ | \\ ^ €) and accented letters of the GSM alphabet.
    text = "[Seoul 120] Complaint {42} ~ done | cost 0 € ^ \\ café Ärger ñ @ $ _"
    result = gateway.send(to="+821012345678", text=text, sender="120", reference="43",
                          report_url=None)
    assert result.accepted and result.parts == 1
    [part] = kannel.smsc.take(1)
    assert part.text == text and part.udh == b""


def test_english_text_of_161_septets_takes_two_gsm7_parts(gateway, kannel):
    text = "a" * 152 + "€" + "b" * 7  # the escape pair moves whole into part two
    result = gateway.send(to="+821012345678", text=text, sender="120", reference="44",
                          report_url=None)
    assert result.accepted and result.parts == 2
    first, second = kannel.smsc.take(2)
    assert (first.text, second.text) == ("a" * 152, "€" + "b" * 7)


def test_a_character_outside_gsm7_goes_as_ucs2_intact(gateway, kannel):
    text = "Façade `fixed`"
    assert gateway.send(to="+821012345678", text=text, sender="120", reference="45",
                        report_url=None).accepted
    [message] = kannel.smsc.texts(1)
    assert message.text == text


@pytest.mark.parametrize("language_text", [("가로등 교체 완료. " * 12).strip(),
                                           ("Lamp replaced. " * 15).strip(),
                                           ("Lamp replaced [ok]. " * 20).strip()])
def test_long_text_is_concatenated(gateway, kannel, language_text):
    assert gateway.send(to="+821012345678", text=language_text, sender="120", reference="42",
                        report_url=None).accepted
    [message] = kannel.smsc.texts(1)
    assert message.text == language_text


def test_wrong_password_is_refused(kannel):
    result = KannelGateway(kannel.sendsms_url, kannel.username, "wrong").send(
        to="+821012345678", text="x", sender="120", reference="1", report_url=None)
    assert not result.accepted and "403" in result.error


def test_gateway_down_is_temporary():
    url = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
    result = KannelGateway(url, "u", "p", timeout=2).send(
        to="+821012345678", text="x", sender="120", reference="1", report_url=None)
    assert not result.accepted and result.temporary and "unreachable" in result.error


def test_an_unreachable_gateway_is_the_gateways_fault_not_the_messages():
    url = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
    result = KannelGateway(url, "u", "p", timeout=2).send(
        to="+821012345678", text="x", sender="120", reference="1", report_url=None)
    assert result.gateway_fault


def test_parts_reported_for_the_row_follow_the_coding():
    # The outbox stores SendResult.parts on the notification row.
    send = LogGateway().send
    assert send(to="+821012345678", text="a" * 100, sender="120", reference="8",
                report_url=None).parts == 1
    assert send(to="+821012345678", text="가" * 100, sender="120", reference="9",
                report_url=None).parts == 2
