"""The six service languages and how a name is picked for a reader."""

from __future__ import annotations

from dispatch.settings import LANGUAGES

# When a name is missing in the reader's language, try these next.
_FALLBACK = ("en", "ko")


def is_language(code: str | None) -> bool:
    """True when ``code`` is one of the six service languages."""
    return code in LANGUAGES


def pick_name(names: dict[str, str] | None, language: str, default: str = "") -> str:
    """Return the name in ``language``, else English, else Korean, else ``default``."""
    names = names or {}
    for code in (language, *_FALLBACK):
        value = names.get(code)
        if value:
            return value
    return default


def negotiate(accept_language: str | None, default: str) -> str:
    """Pick the best service language from an Accept-Language header value."""
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else default
