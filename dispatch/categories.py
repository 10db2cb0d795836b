"""Loading and looking up complaint categories."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.category_checks import category_problems
from dispatch.errors import ImportFailed, UnknownCategory
from dispatch.models import Category, DistrictSla


def load_categories(session: Session, path: Path | str) -> tuple[int, int]:
    """Insert or update the categories of a fixture file; return (added, updated).

    Safe to rerun: existing categories are updated in place, none are deleted
    (complaints refer to them), and categories missing from the file stay as they are.

    :raises ImportFailed: when the file is unreadable or any category is not right (every
        problem is named; nothing is stored then).
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = document["categories"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImportFailed(f"cannot read categories from {path}: {exc}") from exc
    if not isinstance(entries, list):
        raise ImportFailed(f"cannot read categories from {path}: 'categories' is not a list")
    problems = []
    for position, entry in enumerate(entries, start=1):
        name = entry.get("code") if isinstance(entry, dict) else None
        problems += [f"category {name or position!r}: {problem}"
                     for problem in category_problems(entry)]
    codes = [entry["code"] for entry in entries if isinstance(entry, dict) and "code" in entry]
    problems += [f"category {code!r} is listed twice"
                 for code in sorted({code for code in codes if codes.count(code) > 1})]
    if problems:
        raise ImportFailed(f"{path}: " + "; ".join(problems))
    added = updated = 0
    for order, entry in enumerate(entries):
        category = session.get(Category, entry["code"])
        if category is None:
            category = Category(code=entry["code"])
            session.add(category)
            added += 1
        else:
            updated += 1
        category.names = entry["names"]
        category.descriptions = entry.get("descriptions", {})
        category.keywords = entry.get("keywords", {})
        category.group = entry["group"]
        category.icon = entry["icon"]
        category.priority = int(entry.get("priority", 3))
        category.sla_minutes = int(entry["sla_minutes"])
        category.duplicate_radius_m = int(entry["duplicate_radius_m"])
        category.duplicate_window_hours = int(entry["duplicate_window_hours"])
        category.attributes = entry.get("attributes", [])
        category.sort_order = order
        category.active = bool(entry.get("active", True))
    session.flush()
    forget_cached_categories()
    return added, updated


@dataclass(frozen=True)
class CategoryRules:
    """A read-only snapshot of a category, cached per process for the intake hot path."""

    code: str
    names: dict
    descriptions: dict
    keywords: dict
    priority: int
    sla_minutes: int
    duplicate_radius_m: int
    duplicate_window_hours: int
    attributes: list


def public_attributes(rules: CategoryRules | None, values: dict | None) -> dict:
    """The attribute values anyone may read: those whose spec is not marked ``private``.

    A vehicle plate identifies a person's car: staff need it, the public view and Open311
    do not (public ids are sequential, so every complaint can be read by anyone).
    """
    if rules is None:
        return {}  # a category no longer active: its specs, private ones too, are unknown
    private = {spec["code"] for spec in rules.attributes or [] if spec.get("private")}
    return {code: value for code, value in (values or {}).items() if code not in private}


_rules: dict[str, CategoryRules] = {}
_district_slas: dict[tuple[str, str], int] = {}
_rules_loaded_at = float("-inf")
_rules_lock = threading.Lock()


def forget_cached_categories() -> None:
    """Drop this process's category snapshot (after an import, and in tests)."""
    global _rules_loaded_at
    _rules_loaded_at = float("-inf")


def cached_categories(session: Session, max_age_s: float = 30.0) -> dict[str, CategoryRules]:
    """Return active categories by code, re-read at most every ``max_age_s`` seconds.

    A category change made by ``load-categories`` reaches every process within that time.
    """
    global _rules, _rules_loaded_at, _district_slas
    if time.monotonic() - _rules_loaded_at < max_age_s:
        return _rules
    with _rules_lock:
        if time.monotonic() - _rules_loaded_at >= max_age_s:
            _district_slas = {(row.district_code, row.category_code): row.sla_minutes
                              for row in session.scalars(select(DistrictSla))}
            _rules = {
                c.code: CategoryRules(c.code, c.names, c.descriptions, c.keywords, c.priority,
                                      c.sla_minutes, c.duplicate_radius_m,
                                      c.duplicate_window_hours, c.attributes or [])
                for c in list_categories(session)
            }
            _rules_loaded_at = time.monotonic()
    return _rules


def category_rules(session: Session, code: str, max_age_s: float = 30.0) -> CategoryRules:
    """Return the cached rules of active category ``code``.

    :raises UnknownCategory: when there is no such active category.
    """
    rules = cached_categories(session, max_age_s)
    found = rules.get(code) if isinstance(code, str) else None
    if found is None:
        known = ", ".join(rules)
        raise UnknownCategory(f"unknown category {code!r}; known: {known}", known=known)
    return found


def sla_minutes(session: Session, rules: CategoryRules, district_code: str,
                max_age_s: float = 30.0) -> int:
    """The SLA of a category in a district: the district's override, else the category's."""
    cached_categories(session, max_age_s)
    return _district_slas.get((district_code, rules.code), rules.sla_minutes)


def due_time(session: Session, rules: CategoryRules, district_code: str, start: datetime,
             max_age_s: float = 30.0) -> datetime:
    """When work on a complaint starting at ``start`` is due: start plus its SLA there."""
    return start + timedelta(minutes=sla_minutes(session, rules, district_code, max_age_s))


def list_categories(session: Session) -> list[Category]:
    """Return the active categories in display order."""
    query = select(Category).where(Category.active.is_(True)).order_by(Category.sort_order)
    return list(session.scalars(query))


def get_category(session: Session, code: str) -> Category:
    """Return the active category ``code``.

    :raises UnknownCategory: when there is no such active category.
    """
    category = session.get(Category, code) if isinstance(code, str) else None
    if category is None or not category.active:
        known = ", ".join(c.code for c in list_categories(session))
        raise UnknownCategory(f"unknown category {code!r}; known: {known}", known=known)
    return category
