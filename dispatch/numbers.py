"""Plain decimal numbers from text (query strings, form fields): the one parser for both APIs.

Python's ``float()`` and ``int()`` also take ``3_7.5``, full-width or Arabic-Indic digits,
``1e3``, ``inf`` and ``nan``. None of that is a decimal degree or a count a client means to
send, so only ASCII digits with an optional sign and decimal point are numbers here.
"""

from __future__ import annotations

import math
import re

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def is_plain_decimal(text: str) -> bool:
    """True for text like ``37.5``, ``-126``, ``+.5``: ASCII digits, a sign, one point."""
    return _DECIMAL.fullmatch(text) is not None


def is_plain_integer(text: str) -> bool:
    """True for text like ``100`` or ``-3`` (ASCII digits, up to 18 of them)."""
    return _INTEGER.fullmatch(text) is not None


def parse_decimal(text: str) -> float:
    """The finite number a plain decimal spells.

    :raises ValueError: anything else (exponents, underscores, non-ASCII digits, too large).
    """
    if not is_plain_decimal(text):
        raise ValueError(f"not a plain decimal number: {text[:32]!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("the number is too large")
    return value
