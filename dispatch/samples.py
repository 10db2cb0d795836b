"""Which sample datasets (fixtures/) may be loaded: only into tables the city has not filled.

``scripts/setup.sh`` loads the Seoul sample on every start so the first run works out of
the box. Once a table holds data (the sample itself, or the city's own areas, categories,
links or facilities), the sample is not loaded again: a rerun must never put Seoul's data
back over the city's. ``--force`` on the CLI loads it anyway, except the synthetic road
links, which never go into a database that has real links (they are invented; see
fixtures/SOURCES.md).
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from dispatch.models import Category, District, Dong, Facility, RoadLink

# The source label the synthetic links are stored under; import_links drops these links
# once a real link layer is imported.
SAMPLE_LINKS_SOURCE = "fixtures/seoul_links_synthetic.geojson"


def _has_rows(session: Session, model) -> bool:
    return bool(session.scalar(select(exists().select_from(model))))


def has_areas(session: Session, level: str) -> bool:
    """True when districts (``level='district'``) or dongs are already loaded."""
    return _has_rows(session, District if level == "district" else Dong)


def has_categories(session: Session) -> bool:
    """True when any complaint category is loaded."""
    return _has_rows(session, Category)


def has_links(session: Session) -> bool:
    """True when any road link is loaded (the synthetic sample or real ones)."""
    return _has_rows(session, RoadLink)


def has_real_links(session: Session) -> bool:
    """True when a road link from anywhere but the synthetic sample is loaded."""
    return bool(session.scalar(select(exists().where(RoadLink.source != SAMPLE_LINKS_SOURCE))))


def has_facilities(session: Session) -> bool:
    """True when any facility point is loaded."""
    return _has_rows(session, Facility)
