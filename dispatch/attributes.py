"""A category's extra attributes: the one rule for their values, whatever the channel.

The PWA, the 120 agent desk and Open311 all file through intake, which calls
``validated_attributes``: unknown codes, required ones, length, and each value against its
Open311 datatype (``number``, ``datetime``, a key of a ``singlevaluelist``, keys of a
``multivaluelist`` joined by ``,``). Refusals are ``InvalidComplaint`` naming the attribute
and a stable ``problem`` code clients can translate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from dispatch.errors import InvalidComplaint
from dispatch.moments import ERA_END, ERA_START, moment_problem
from dispatch.numbers import parse_decimal

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
MAX_ATTRIBUTE_CHARS = 200
# A '+' sent unencoded in a form body arrives as a space: "2026-11-28T10:00:00 09:00".
_SPACED_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")


def datatype(spec: Mapping) -> str:
    """The spec's Open311 datatype; a missing or unknown one is ``string``."""
    kind = spec.get("datatype", "string")
    return kind if kind in DATATYPES else "string"


def list_keys(spec: Mapping) -> list[str]:
    """The keys a list attribute allows, in the spec's order."""
    return [str(value["key"]) for value in spec.get("values") or []]


def repaired_datetime(text: str) -> str:
    """``text`` with a space before a trailing UTC offset read as the ``+`` it was."""
    return _SPACED_OFFSET.sub(r"\1+\2", text)


def validated_attributes(category_code: str, specs: list[Mapping] | None,
                         given: Mapping[str, object]) -> dict[str, str]:
    """The attribute values to store for a complaint of ``category_code``.

    Blank is missing; values are trimmed; a multivaluelist is stored as its keys joined
    by ``,`` (each once, in the order sent).

    :raises InvalidComplaint: with ``attribute`` and ``problem`` (``unknown``, ``required``,
        ``too_long``, ``not_a_number``, ``not_a_datetime``, ``unknown_value``, ``one_value``).
    """
    by_code = {spec["code"]: spec for spec in specs or []}
    unknown = sorted(set(given) - set(by_code))
    if unknown:
        raise InvalidComplaint(
            f"category {category_code} has no attribute {', '.join(unknown)}",
            field="attributes", allowed=sorted(by_code), attribute=unknown[0],
            problem="unknown")
    result = {}
    for code, spec in by_code.items():
        # Blank is missing (the PWA forms apply the same rule before sending): a required
        # plate of spaces would otherwise be stored as an empty one.
        value = "" if given.get(code) is None else str(given[code]).strip()
        if not value:
            if spec.get("required"):
                raise InvalidComplaint(f"attribute {code} is required", field="attributes",
                                       attribute=code, problem="required")
            continue
        if len(value) > MAX_ATTRIBUTE_CHARS:
            raise InvalidComplaint(f"attribute {code} is longer than {MAX_ATTRIBUTE_CHARS}",
                                   field="attributes", attribute=code, problem="too_long")
        result[code] = _checked_value(code, spec, value)
    return result


def _checked_value(code: str, spec: Mapping, value: str) -> str:
    """``value`` as stored, once it fits the spec's datatype."""
    kind = datatype(spec)
    if kind == "number":
        try:
            parse_decimal(value)
        except ValueError:
            raise InvalidComplaint(f"attribute {code} must be a plain decimal number",
                                   field="attributes", attribute=code,
                                   problem="not_a_number") from None
    elif kind == "datetime":
        problem = _datetime_problem(value)
        if problem:
            raise InvalidComplaint(f"attribute {code} {problem}", field="attributes",
                                   attribute=code, problem="not_a_datetime")
    elif kind in LIST_DATATYPES:
        allowed = list_keys(spec)
        chosen = ([part.strip() for part in value.split(",") if part.strip()]
                  if kind == "multivaluelist" else [value])
        wrong = [key for key in chosen if key not in allowed]
        if kind == "singlevaluelist" and wrong and "," in value and all(
                part.strip() in allowed for part in value.split(",")):
            raise InvalidComplaint(f"attribute {code} takes one value", field="attributes",
                                   attribute=code, problem="one_value")
        if wrong:
            raise InvalidComplaint(f"attribute {code} has no value {wrong[0][:64]!r}",
                                   field="attributes", attribute=code, allowed=allowed,
                                   problem="unknown_value")
        value = ",".join(dict.fromkeys(chosen))
    return value


def _datetime_problem(text: str) -> str | None:
    """Why ``text`` is not an ISO 8601 date-time of the service's era, or None."""
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return "is not an ISO 8601 date-time (e.g. 2026-11-28T09:00:00+09:00)"
    # Without an offset it is local time; the era's bounds are far from any such doubt.
    return moment_problem(moment, ERA_START, ERA_END)
