"""The text of an incoming SMS as Kannel hands it over: raw bytes in the charset it names.

Kannel's sms-service puts the message's bytes in ``%a`` and their charset in ``%C``: UTF-8
for GSM-7 texts and for UCS-2 ones ``mo-recode`` could convert, UTF-16BE for UCS-2 it left
as it was (a text with characters outside the Basic Multilingual Plane, or ``mo-recode``
off on an operator's smsbox), ISO-8859-1 or WINDOWS-1252 from some SMSC drivers, ``8-BIT``
for binary data. Read as UTF-8 whatever the charset, a Vietnamese or Korean text could
arrive as mojibake and be misrouted or answered with the help text.
"""

from __future__ import annotations

import codecs
from urllib.parse import unquote_to_bytes

# Kannel's names for what is not a text charset (binary data): read as UTF-8, as the
# development SMSC sends UTF-8 data.
_AS_UTF8 = {"", "8-BIT", "BINARY"}
_ALIASES = {"UCS-2": "utf-16-be", "UCS2": "utf-16-be", "UTF-16": "utf-16-be"}


def codec_for(charset: str | None) -> str:
    """The Python codec for a charset name Kannel gives (UTF-8 when none or unknown)."""
    name = (charset or "").strip().upper()
    if name in _AS_UTF8:
        return "utf-8"
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def raw_parameter(query_string: bytes, name: str) -> bytes | None:
    """The bytes of one query parameter, percent-decoded but not read as any charset."""
    for pair in query_string.split(b"&"):
        key, _, value = pair.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == name.encode():
            return unquote_to_bytes(value.replace(b"+", b" "))
    return None


def incoming_text(query_string: bytes, charset: str | None) -> str | None:
    """The ``text`` parameter read in the charset Kannel named; None when it is absent."""
    raw = raw_parameter(query_string, "text")
    if raw is None:
        return None
    return raw.decode(codec_for(charset), "replace")
