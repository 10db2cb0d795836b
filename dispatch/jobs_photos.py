"""RQ jobs of the photo store: module-level, no arguments that hold state, safe to run twice."""

from __future__ import annotations

import logging

from dispatch.db import session_scope
from dispatch.photos import sweep_orphan_photos
from dispatch.runtime import current_settings
from dispatch.storage import photo_store

log = logging.getLogger(__name__)

# Blobs younger than this may belong to a request that has not committed yet.
ORPHAN_MIN_AGE_SECONDS = 3600.0


def sweep_photo_store(min_age_seconds: float = ORPHAN_MIN_AGE_SECONDS) -> int:
    """Delete photo blobs that no row refers to (left by rolled-back requests)."""
    settings = current_settings()
    with session_scope() as session:
        removed = sweep_orphan_photos(session, photo_store(settings.photo_dir),
                                      older_than_seconds=min_age_seconds)
    if removed:
        log.info("removed %d orphan photo blobs", removed)
    return removed
