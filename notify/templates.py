"""Message texts in six languages (gettext catalogs compiled by Babel) and their rendering.

The English source strings below are the msgids; ``notify/locale/<lang>/LC_MESSAGES/
messages.po`` hold the translations (``pybabel compile -d notify/locale`` makes the .mo
files, which are also committed so a fresh clone works).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("ko", "en", "zh", "ja", "mn", "vi")


def N_(message: str) -> str:  # noqa: N802 - the gettext marker name pybabel extracts
    """Mark a string for extraction without translating it here."""
    return message


# One entry per template: the SMS (or push body) text.
TEMPLATES: dict[str, str] = {
    "received": N_("[Seoul 120] Your complaint %(public_id)s was received (%(district)s)."),
    "dispatched": N_("[Seoul 120] Complaint %(public_id)s was sent to %(office)s "
                     "(tel. %(phone)s)."),
    # status: a RESULT phrase; outcome: the "outcome_line" phrase or empty; note: a sentence.
    "result": N_("[Seoul 120] Complaint %(public_id)s: %(status)s. %(outcome)s %(note)s"),
    "satisfaction": N_("How satisfied are you? Reply with a number from 1 (poor) "
                       "to 5 (very good)."),
    "transferred": N_("[Seoul 120] Complaint %(public_id)s was transferred to %(district)s."),
    "duplicate": N_("[Seoul 120] Complaint %(public_id)s was merged with %(parent_id)s, "
                    "which is already being handled. You will get its result."),
    "reopened": N_("[Seoul 120] Complaint %(public_id)s was reopened and will be "
                   "inspected again."),
    "sms_help": N_("[Seoul 120] We could not understand your text. Please report the "
                   "problem here: %(url)s"),
    "sms_which_district": N_("[Seoul 120] %(dong)s is in more than one district "
                             "(%(districts)s). Please send your text again with the "
                             "district, e.g. \"%(example)s\"."),
    "rating_thanks": N_("[Seoul 120] Thank you. Your rating %(score)s/5 for complaint "
                        "%(public_id)s was recorded."),
    "rating_already": N_("[Seoul 120] Complaint %(public_id)s was already rated "
                         "(%(score)s/5). Thank you."),
    "sms_stopped": N_("[Seoul 120] You will get no more texts about your complaints. "
                      "A new complaint from this number turns them back on."),
    "push_new": N_("%(category)s in %(dong)s"),
    "push_assigned": N_("%(category)s in %(dong)s was assigned to you"),
    "push_escalated": N_("%(category)s in %(district)s is overdue"),
}

TITLES: dict[str, str] = {
    "push_new": N_("New complaint %(public_id)s"),
    "push_assigned": N_("Assigned: %(public_id)s"),
    "push_escalated": N_("Escalated: %(public_id)s"),
}

# Words inside other texts.
PHRASES: dict[str, str] = {
    "office": N_("%(district)s office"),
    "outcome_resolved": N_("resolved"),
    "outcome_unfounded": N_("closed, no problem was found"),
    "outcome_referred": N_("referred to the responsible agency"),
    "outcome_line": N_("Outcome: %(outcome)s."),
    # A note that ends without a full stop gets the language's own before the next sentence.
    "note_sentence": N_("%(note)s."),
    # Appended to the receipt of reports by text or by phone: those reporters have no app
    # that keeps the status link, and it is how they follow, cancel or reopen.
    "follow_link": N_("Follow, cancel or reopen it here: %(url)s"),
}


# The outcome codes of a closing move (dispatch.workflow.OUTCOMES), as the reporter reads them.
OUTCOMES: dict[str, str] = {
    "fixed": N_("fixed"),
    "repaired": N_("repaired"),
    "removed": N_("removed"),
    "collected": N_("collected"),
    "towed": N_("towed"),
    "warned": N_("warned"),
    "fined": N_("fined"),
    "other": N_("other (see the note)"),
    "not_found": N_("not found on site"),
    "no_violation": N_("no violation"),
    "already_fixed": N_("already fixed"),
    "other_agency": N_("another agency's matter"),
    "private_property": N_("private property"),
    "police": N_("a matter for the police"),
}

# What may end a sentence, and what may follow its end (closing quotes and brackets).
SENTENCE_ENDS = frozenset(".!?…。！？｡")
CLOSERS = "\"'”’)]}）」』】"


@lru_cache(maxsize=16)
def translations(language: str) -> NullTranslations:
    """Return the compiled catalog of ``language`` (English: the msgids themselves)."""
    if language not in LANGUAGES or language == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def _render(source: str, language: str, values: dict) -> str:
    return translations(language).gettext(source) % values


def render(template: str, language: str, **values: str) -> str:
    """Return the text of ``template`` in ``language`` with ``values`` filled in.

    :raises KeyError: for an unknown template or a missing value.
    """
    return _render(TEMPLATES[template], language, values).strip()


def render_title(template: str, language: str, **values: str) -> str:
    """Return the push title of ``template`` in ``language``."""
    return _render(TITLES[template], language, values)


def phrase(key: str, language: str, **values: str) -> str:
    """Return a phrase (office name, outcome) in ``language``."""
    return _render(PHRASES[key], language, values)


def outcome_line(code: str | None, language: str) -> str:
    """Return "Outcome: <words>." for an outcome code in ``language`` ("" for none or unknown)."""
    if code not in OUTCOMES:
        return ""
    words = translations(language).gettext(OUTCOMES[code])
    return phrase("outcome_line", language, outcome=words)


def as_sentence(text: str, language: str) -> str:
    """Return ``text`` ending like a sentence, so a following one does not run into it."""
    text = text.strip()
    if not text or text.rstrip(CLOSERS)[-1:] in SENTENCE_ENDS:
        return text
    return phrase("note_sentence", language, note=text)
