"""What a category file must hold: checked before anything of it is stored.

The file is edited by hand (a city adds a category, a list of choices, an SLA). A mistake
must stop ``load-categories`` with a message naming the category and the field, not reach
intake: an attribute without a code made every report of its category fail, an SLA of
``"2h"`` stopped the command with a traceback, and a list key holding ``,`` could never be
chosen (a multivaluelist is stored as keys joined by ``,``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dispatch.attributes import DATATYPES, LIST_DATATYPES
from dispatch.settings import LANGUAGES

REQUIRED = ("code", "names", "group", "icon", "sla_minutes", "duplicate_radius_m",
            "duplicate_window_hours")
CODE = re.compile(r"^[a-z0-9_]{1,64}$")  # in URLs and Open311 service codes
KEY = re.compile(r"^[^,\s][^,]{0,63}$")
# What each number may be: a due time of at least a minute, a radius and a window that may
# be zero (no duplicate search), a priority on the scale the map colours.
NUMBERS = {"sla_minutes": (1, 60 * 24 * 365), "duplicate_radius_m": (0, 5000),
           "duplicate_window_hours": (0, 24 * 365), "priority": (1, 5)}


def category_problems(entry: object) -> list[str]:
    """Everything wrong with one category of the file (empty when it can be stored)."""
    if not isinstance(entry, Mapping):
        return ["is not an object"]
    problems = [f"lacks {key}" for key in REQUIRED if key not in entry]
    names = entry.get("names")
    if not isinstance(names, Mapping):
        names = {}
    problems += [f"lacks names.{lang}" for lang in LANGUAGES
                 if not isinstance(names.get(lang), str) or not names[lang].strip()]
    if "code" in entry and not (isinstance(entry["code"], str) and CODE.match(entry["code"])):
        problems.append("code must be 1-64 of a-z, 0-9 and _")
    for key in ("group", "icon"):
        if key in entry and not (isinstance(entry[key], str) and 0 < len(entry[key]) <= 64):
            problems.append(f"{key} must be a text of 1-64 characters")
    for key, (low, high) in NUMBERS.items():
        if key in entry and not _integer_within(entry[key], low, high):
            problems.append(f"{key} must be a whole number from {low} to {high}")
    descriptions = entry.get("descriptions", {})
    if not (isinstance(descriptions, Mapping)
            and all(isinstance(text, str) for text in descriptions.values())):
        problems.append("descriptions must map languages to texts")
    keywords = entry.get("keywords", {})
    if not (isinstance(keywords, Mapping) and all(
            isinstance(words, list) and all(isinstance(word, str) and word.strip()
                                            for word in words)
            for words in keywords.values())):
        problems.append("keywords must map languages to lists of words")
    if "active" in entry and not isinstance(entry["active"], bool):
        problems.append("active must be true or false")
    attributes = entry.get("attributes", [])
    if not isinstance(attributes, list):
        return problems + ["attributes must be a list"]
    codes = [spec.get("code") for spec in attributes if isinstance(spec, Mapping)]
    problems += [f"attribute {code!r} is listed twice" for code in sorted(
        {code for code in codes if isinstance(code, str) and codes.count(code) > 1})]
    for position, spec in enumerate(attributes, start=1):
        problems += [f"attribute {position}: {problem}" for problem in attribute_problems(spec)]
    return problems


def attribute_problems(spec: object) -> list[str]:
    """Everything wrong with one attribute spec of a category."""
    if not isinstance(spec, Mapping):
        return ["is not an object"]
    problems = []
    if not (isinstance(spec.get("code"), str) and CODE.match(spec["code"])):
        problems.append("code must be 1-64 of a-z, 0-9 and _")
    kind = spec.get("datatype", "string")
    if kind not in DATATYPES:
        problems.append(f"datatype must be one of {', '.join(DATATYPES)}")
    for flag in ("required", "private"):
        if flag in spec and not isinstance(spec[flag], bool):
            problems.append(f"{flag} must be true or false")
    if "order" in spec and not _integer_within(spec["order"], 0, 10_000):
        problems.append("order must be a whole number")
    names = spec.get("names")
    if not isinstance(names, Mapping) or not any(
            isinstance(name, str) and name.strip() for name in names.values()):
        problems.append("needs names (at least one language; the others fall back to it)")
    values = spec.get("values", [])
    if kind in LIST_DATATYPES and not values:
        problems.append(f"a {kind} needs values to choose from")
    if not isinstance(values, list):
        return problems + ["values must be a list"]
    keys = []
    for choice in values:
        key = choice.get("key") if isinstance(choice, Mapping) else None
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)
        if not (isinstance(key, str) and KEY.match(key)):
            problems.append(f"value key {key!r} must be 1-64 characters without ','"
                            " (several keys are stored joined by ',')")
        keys.append(key)
    problems += [f"value key {key!r} is listed twice"
                 for key in sorted({k for k in keys if isinstance(k, str) and keys.count(k) > 1})]
    return problems


def _integer_within(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
