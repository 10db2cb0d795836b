"""Phone-number validation and normalisation to E.164 (Korean numbers by default)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# Only numbers that can receive a text message are useful to us.
_TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhoneNumber(ValueError):
    """A number that cannot be parsed, is not valid, or cannot receive SMS."""


def normalise_phone(raw: str, default_region: str = "KR") -> str:
    """Return ``raw`` as E.164 (``+821012345678``) if it is a valid mobile number.

    Accepts Korean notation (``010-1234-5678``) and international numbers
    (``+14155552671``).

    :raises InvalidPhoneNumber: with a reason a citizen can act on.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhoneNumber("the phone number is empty")
    if len(raw) > 32:
        raise InvalidPhoneNumber("the phone number is too long")
    try:
        number = phonenumbers.parse(raw, default_region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("not a valid phone number (Korean mobile or +E.164)")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise InvalidPhoneNumber("not a mobile number; text messages cannot reach it")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Return the number with its middle digits hidden, for staff lists (``+82 10-****-5678``)."""
    if len(e164) < 8:
        return "****"
    return e164[:-8] + "****" + e164[-4:]
