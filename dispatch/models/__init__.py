"""ORM models, one module per group of related tables; import from here."""

from dispatch.db import Base
from dispatch.models.areas import AreaImport, District, Dong
from dispatch.models.categories import Category
from dispatch.models.complaints import (
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
)

__all__ = [
    "AreaImport",
    "Base",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintEvent",
    "ComplaintStatus",
    "District",
    "Dong",
]
