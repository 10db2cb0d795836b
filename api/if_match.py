"""Reading ``If-Match`` (RFC 9110 §13.1.1) into the complaint versions it accepts."""

from __future__ import annotations

import re

from flask import request
from flask_smorest import abort

# entity-tag = [ weak ] DQUOTE *etagc DQUOTE; etagc is any visible character but DQUOTE,
# and obs-text (how non-ASCII bytes arrive once decoded).
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([^"\x00-\x20\x7f]*)"[ \t]*')
_ELEMENT_END = re.compile(r"[ \t]*(,|$)")
_MAX_VERSION_DIGITS = 9
_UNREADABLE = ('If-Match could not be read: send the ETag of the complaint as it was given, '
               'e.g. If-Match: "7" (a list of such tags is fine)')


def if_match_versions() -> frozenset[int] | None:
    """The versions ``If-Match`` accepts; None when absent or ``*`` (no version sent).

    Strong comparison, as RFC 9110 prescribes for If-Match: a weak tag (``W/"3"``) never
    matches, and any listed strong tag that names the current version lets the change
    through. A tag that is no version of ours (``"abc"``) is read and matches nothing. A
    bare number (``3``), not RFC syntax, is taken as ``"3"``: clients sent it and it worked.

    :raises HTTPException: 400 malformed_request for a value that is no entity-tag list.
    """
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    text = raw.strip()
    if _is_version(text):
        return frozenset({int(text)})
    return frozenset(_versions(text))


def _versions(text: str) -> set[int]:
    versions: set[int] = set()
    position, seen_tag = 0, False
    while position < len(text):
        if text[position] in ", \t":  # empty list elements are allowed (RFC 9110 §5.6.1)
            position += 1
            continue
        tag = _ENTITY_TAG.match(text, position)
        end = tag and _ELEMENT_END.match(text, tag.end())
        if not end:
            abort(400, message=_UNREADABLE)
        weak, opaque = tag.groups()
        if not weak and _is_version(opaque):
            versions.add(int(opaque))
        position, seen_tag = end.end(), True
    if not seen_tag:
        abort(400, message=_UNREADABLE)
    return versions


def _is_version(text: str) -> bool:
    # isascii: str.isdigit admits '²' and other digits int() refuses.
    return text.isascii() and text.isdigit() and len(text) <= _MAX_VERSION_DIGITS
