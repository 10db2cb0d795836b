"""How many SMS parts a text costs: GSM-7 when every character is in GSM 03.38, else UCS-2.

Leaf library, no I/O. The carrier bills per part, so a text that fits the GSM 7-bit default
alphabet (160 septets alone, 153 a part when concatenated) must not be sent as UCS-2
(70 UTF-16 units alone, 67 a part).
"""

from __future__ import annotations

# 3GPP TS 23.038 default alphabet (one septet each), in table order; ESC (0x1B) left out.
# 0x09 is left out on purpose: the standard draws it as 'Ç', the Unicode mapping says 'ç', and
# Kannel turns 'ç' into 'Ç' on the way; a text holding either goes as UCS-2 and arrives intact.
_BASIC = ("@£$¥èéùìò\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_BASIC = frozenset(_BASIC)
# The extension table: ESC plus one septet, so two septets each.
GSM7_EXTENSION = frozenset("^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Shortening must not push a GSM-7 text into UCS-2: '…' is not in the GSM alphabet.
GSM7_ELLIPSIS, UCS2_ELLIPSIS = "...", "…"


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM 03.38 default alphabet or extension."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _units(text: str, gsm7: bool) -> list[int]:
    # What each character costs: septets in GSM-7, UTF-16 code units in UCS-2.
    if gsm7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [len(c.encode("utf-16-be")) // 2 for c in text]


def units(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) ``text`` takes in the coding it is sent in."""
    return sum(_units(text, is_gsm7(text)))


def count_parts(text: str) -> int:
    """Return how many SMS parts ``text`` needs in the coding it is sent in.

    Multipart texts are packed the way Kannel splits them: a character (an escape pair or a
    surrogate pair) is never cut in two, so it moves whole into the next part.
    """
    gsm7 = is_gsm7(text)
    costs = _units(text, gsm7)
    if sum(costs) <= (GSM7_SINGLE if gsm7 else UCS2_SINGLE):
        return 1
    size = GSM7_PART if gsm7 else UCS2_PART
    parts, used = 1, 0
    for cost in costs:
        if used + cost > size:
            parts, used = parts + 1, 0
        used += cost
    return parts


def ellipsis_for(text: str) -> str:
    """The ellipsis that keeps ``text`` in its coding: '...' for GSM-7, '…' for UCS-2."""
    return GSM7_ELLIPSIS if is_gsm7(text) else UCS2_ELLIPSIS


def fit_text(text: str, max_parts: int) -> str:
    """Shorten ``text`` (with an ellipsis) so it fits in ``max_parts`` parts of its coding."""
    if count_parts(text) <= max_parts:
        return text
    # Cutting may drop the one non-GSM character, so each candidate is counted as it is.
    low, high = 0, len(text) - 1  # the longest kept prefix that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if count_parts(_cut(text, middle)) <= max_parts:
            low = middle
        else:
            high = middle - 1
    return _cut(text, low)


def _cut(text: str, keep: int) -> str:
    kept = text[:keep].rstrip()
    return kept + ellipsis_for(kept)
