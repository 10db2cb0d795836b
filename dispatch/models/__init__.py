"""ORM models, one module per group of related tables; import from here."""

from dispatch.db import Base
from dispatch.models.abuse import BlockedPhone
from dispatch.models.areas import AreaImport, District, Dong
from dispatch.models.categories import Category
from dispatch.models.complaints import (
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
)
from dispatch.models.staff import DISTRICT_ROLES, Role, Staff, StaffToken
from dispatch.models.traffic import (
    CongestionLevel,
    Facility,
    FacilityKind,
    Incident,
    IncidentKind,
    RoadLink,
    TrafficReading,
)

__all__ = [
    "AreaImport",
    "Base",
    "BlockedPhone",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintEvent",
    "ComplaintStatus",
    "CongestionLevel",
    "DISTRICT_ROLES",
    "District",
    "Dong",
    "Facility",
    "FacilityKind",
    "Incident",
    "IncidentKind",
    "RoadLink",
    "Role",
    "Staff",
    "StaffToken",
    "TrafficReading",
]
