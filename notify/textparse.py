"""Reading an incoming text: a 1-5 rating, a category by keyword, a place by dong name.

Leaf library: the caller builds the gazetteer and keyword table from its own data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TEXT_CHARS = 1000

_DIGIT = re.compile(r"[0-9·.,\s]+")


def normalise(text: str) -> str:
    """NFKC (full-width digits become ASCII), lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.lower().split())


# What people write after the number, in the six languages (compared without spaces).
_RATING_UNITS = sorted(("점", "点", "分", "điểm", "diem", "оноо", "points", "point", "pts", "pt",
                        "stars", "star", "sao", "星", "개", "⭐", "★", "/5", "outof5"),
                       key=len, reverse=True)
# ...and before it ("별 5개": five stars, "⭐ 4").
_RATING_PREFIXES = ("별", "⭐", "★")
# Korean politeness after the answer ("5점요", "4점이요", "5점입니다"): not part of the score.
_POLITE_ENDINGS = ("입니다", "이에요", "예요", "이요", "요")
_FILLED_STARS = frozenset("⭐★")
_EMPTY_STARS = frozenset("☆")
# Number words, only those that alone cannot mean something else (not 이/오, に/ご).
_RATING_WORDS = {
    "하나": 1, "둘": 2, "셋": 3, "넷": 4, "다섯": 5,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "нэг": 1, "хоёр": 2, "гурав": 3, "дөрөв": 4, "тав": 5,
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5,
}


def parse_rating(text: str) -> int | None:
    """Return 1-5 when the whole text is a score: ``"５"``, ``"3 점"``, ``"5/5"``, ``"⭐⭐⭐"``."""
    # Emoji variation selectors ("⭐️") say nothing about the score.
    cleaned = "".join(normalise(text).replace("\ufe0f", "").split()).rstrip(".!。！~")
    if cleaned and set(cleaned) <= _FILLED_STARS | _EMPTY_STARS:
        filled = sum(ch in _FILLED_STARS for ch in cleaned)
        # "★★★☆☆" is three of five; more than five symbols is no score we asked for.
        return filled if 1 <= filled <= 5 and len(cleaned) <= 5 else None
    for ending in _POLITE_ENDINGS:
        if cleaned.endswith(ending) and len(cleaned) > len(ending):
            cleaned = cleaned[: -len(ending)]
            break
    # "5/5점", "4/5 stars", "별5개": at most two units, then at most one word before.
    for _ in range(2):
        unit = next((u for u in _RATING_UNITS
                     if cleaned.endswith(u) and len(cleaned) > len(u)), None)
        if unit is None:
            break
        cleaned = cleaned[: -len(unit)]
    prefix = next((p for p in _RATING_PREFIXES
                   if cleaned.startswith(p) and len(cleaned) > len(p)), None)
    if prefix is not None:
        cleaned = cleaned[len(prefix):]
    if len(cleaned) == 1 and cleaned in "12345":
        return int(cleaned)
    return _RATING_WORDS.get(cleaned)


# Whole texts that ask for no more texts, in the six languages (compared without spaces),
# with the one language that uses the word (None: several do, or the script cannot tell).
# Not "cancel"/取消: the status link cancels a complaint, and the word may mean that.
_STOP_WORDS: dict[str, str | None] = {
    **dict.fromkeys(("stop", "stopall", "unsubscribe", "optout", "opt-out", "quit"), None),
    **dict.fromkeys(("수신거부", "거부", "중지", "수신중지", "문자거부", "그만", "수신거부요",
                     "수신거부합니다", "문자그만"), "ko"),
    # 停止 is written in Japanese too: the phone's language decides the reply.
    "停止": None,
    **dict.fromkeys(("退订", "退訂", "取消订阅", "td", "停止发送", "停止發送", "停止短信"), "zh"),
    **dict.fromkeys(("配信停止", "受信拒否", "配信解除", "受信停止", "ストップ", "すとっぷ"), "ja"),
    **dict.fromkeys(("зогс", "зогсоо", "зогсоох", "зогсооуу", "болих"), "mn"),
    **dict.fromkeys(("dừng", "ngừng", "ngưng", "hủy", "huỷ", "từchối", "dừnglại", "ngừnglại",
                     "ngưnglại", "ngừngnhận", "ngưngnhận", "dừngnhận", "hủyđăngký"), "vi"),
    # Without the marks phones sometimes drop, still Vietnamese, but the script cannot tell.
    **dict.fromkeys(("dung", "huy", "ngung", "dunglai"), None),
}


def _stop_key(text: str) -> str:
    return "".join(normalise(text).split()).rstrip(".!。！")


def is_stop_request(text: str) -> bool:
    """True when the whole text asks to stop the texts (``STOP``, ``수신거부``, ``退订``...)."""
    return _stop_key(text) in _STOP_WORDS


# Languages written in the same script, which a text in it cannot tell apart.
_SAME_SCRIPT = {"zh": "ja", "ja": "zh", "en": "vi", "vi": "en"}


def stop_reply_language(text: str, known: str | None) -> str:
    """The language to confirm a stop request in (``配信停止`` is Japanese, not Chinese).

    The word's own language wins over a guess from its script; over the phone's language
    only when that shares the word's script (a phone that reported in Korean hears Korean).
    """
    own = _STOP_WORDS.get(_stop_key(text))
    if own is not None and (known is None or _SAME_SCRIPT.get(own) == known):
        return own
    return reply_language(text, known)


def looks_binary(text: str) -> bool:
    """True for texts that are mostly control or replacement characters (binary payloads)."""
    if not text:
        return False
    bad = sum(1 for ch in text if ch == "\ufffd" or
              (unicodedata.category(ch) in ("Cc", "Co", "Cs") and ch not in "\n\r\t"))
    return bad * 4 > len(text)


def guess_language(text: str) -> str:
    """Guess which of the six languages a text is in, from its script."""
    counts = {"ko": 0, "ja": 0, "zh": 0, "mn": 0, "vi": 0}
    for ch in text:
        code = ord(ch)
        if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            counts["ko"] += 1
        elif 0x3040 <= code <= 0x30FF:
            counts["ja"] += 1
        elif 0x4E00 <= code <= 0x9FFF:
            counts["zh"] += 1
        elif 0x0400 <= code <= 0x04FF:
            counts["mn"] += 1
        elif ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ":
            counts["vi"] += 1
    if counts["ja"]:  # kana make it Japanese even when kanji outnumber them
        return "ja"
    best = max(counts, key=counts.get)
    return best if counts[best] else "en"


# Scripts that only one of the six languages uses: a text in them tells its language. Latin
# letters or digits alone (en or vi) and Han characters alone (zh or ja) do not.
_TELLING_SCRIPTS = {"ko", "ja", "mn", "vi"}


def reply_language(text: str, known: str | None) -> str:
    """The language to answer ``text`` in: its script when that tells, else ``known``."""
    guessed = guess_language(text)
    if guessed in _TELLING_SCRIPTS or known is None:
        return guessed
    return known


def name_variants(name: str) -> set[str]:
    """Spellings people use for an administrative dong name.

    ``역삼1동`` -> {역삼1동, 역삼동}; ``면목제3.8동`` -> {면목제3.8동, 면목3.8동, 면목동};
    ``Yeoksam 1-dong`` -> {yeoksam 1-dong, yeoksam-dong, yeoksam dong, yeoksam1dong}.
    """
    base = normalise(name)
    variants = {base, base.replace("제", "") if base.endswith("동") else base}
    if base.endswith("동"):
        stem = _DIGIT.sub("", base[:-1]).replace("제", "").rstrip("가")
        if len(stem) >= 2:
            variants.add(stem + "동")
    elif base.endswith("-dong"):
        stem = re.sub(r"[\s\d·.,]+(ga)?$", "", base[: -len("-dong")]).strip()
        if stem:
            variants.update({stem + "-dong", stem + " dong"})
        variants.add(base.replace(" ", "").replace("-", ""))
    return {v for v in variants if len(v) >= 2}


@dataclass(frozen=True)
class Place:
    """The dong a text names, and the spelling that matched."""

    dong_code: str
    district_code: str
    matched: str


@dataclass(frozen=True)
class AmbiguousPlace:
    """A dong name that several districts have, and the text does not say which district."""

    matched: str
    district_codes: tuple[str, ...]


def district_variants(name: str) -> set[str]:
    """Spellings of a district name: ``강남구`` -> {강남구, 강남}, ``Gangnam-gu`` -> +gangnam."""
    base = normalise(name)
    variants = {base}
    if base.startswith("quận "):  # Vietnamese puts the word for district first
        variants.add(base[len("quận "):])
    for suffix in ("-gu", " gu", "구", "区", "區", " дүүрэг"):
        if base.endswith(suffix):
            variants.add(base[: -len(suffix)].strip())
    # One-syllable stems (중구 -> 중) would be found inside unrelated words.
    return {v for v in variants if len(v) >= 2}


class Gazetteer:
    """Dong names and their variants -> dongs; the longest spelling found in a text wins."""

    def __init__(self, dongs: list[tuple[str, str, list[str]]],
                 districts: dict[str, list[str]] | None = None) -> None:
        """``dongs``: (dong code, district code, names in every language);
        ``districts``: district code -> its names in every language."""
        self.entries: dict[str, list[tuple[str, str, bool]]] = {}
        for dong_code, district_code, names in dongs:
            for name in names:
                if not name:
                    continue
                exact = normalise(name)
                for variant in name_variants(name):
                    self.entries.setdefault(variant, []).append(
                        (dong_code, district_code, variant == exact))
        self._ordered = sorted(self.entries, key=len, reverse=True)
        self.district_spellings = {
            code: set().union(*(district_variants(name) for name in names if name))
            for code, names in (districts or {}).items()}

    def find(self, text: str) -> Place | AmbiguousPlace | None:
        """Return the place a text names; AmbiguousPlace when districts share the name."""
        cleaned = normalise(text)
        for variant in self._ordered:
            if variant not in cleaned:
                continue
            # "역삼동" -> 역삼1동 and 역삼2동: same district, either routes right.
            # "삼성동" -> Gangnam's and Gwanak's: even an exact name is no proof (most people
            # mean Gangnam's), so only the district named in the text decides.
            candidates = sorted(set(self.entries[variant]), key=lambda e: (not e[2], e[0]))
            districts = sorted({district for _, district, _ in candidates})
            if len(districts) > 1:
                named = [code for code in districts if self._names_district(cleaned, code)]
                if len(named) != 1:
                    return AmbiguousPlace(variant, tuple(districts))
                candidates = [c for c in candidates if c[1] == named[0]]
            dong, district, _ = candidates[0]
            return Place(dong, district, variant)
        return None

    def _names_district(self, cleaned: str, district_code: str) -> bool:
        return any(spelling in cleaned
                   for spelling in self.district_spellings.get(district_code, ()))


def match_category(text: str, keywords: dict[str, dict[str, list[str]]]) -> str | None:
    """Return the category whose keyword (any language) is the longest match in ``text``."""
    cleaned = normalise(text)
    best: tuple[int, str] | None = None
    for code, by_language in keywords.items():
        for words in (by_language or {}).values():
            for word in words or []:
                word = normalise(word)
                if word and word in cleaned and (best is None or len(word) > best[0]):
                    best = (len(word), code)
    return best[1] if best else None
