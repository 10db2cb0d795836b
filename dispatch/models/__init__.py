"""ORM models, one module per group of related tables; import from here."""

from dispatch.db import Base
from dispatch.models.abuse import BlockedPhone
from dispatch.models.areas import AreaImport, District, Dong
from dispatch.models.categories import Category
from dispatch.models.complaints import (
    OPEN_STATUSES,
    Channel,
    Complaint,
    ComplaintEscalation,
    ComplaintEvent,
    ComplaintStatus,
    DistrictSla,
    LocationPrecision,
)
from dispatch.models.notifications import (
    Notification,
    NotificationChannel,
    NotificationState,
    PushSubscription,
    SatisfactionRating,
    SmsInbound,
    SmsOptOut,
)
from dispatch.models.open311 import Open311Key
from dispatch.models.photos import ComplaintPhoto, PhotoFlag, PhotoKind
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
    "ComplaintEscalation",
    "ComplaintEvent",
    "ComplaintPhoto",
    "ComplaintStatus",
    "CongestionLevel",
    "DISTRICT_ROLES",
    "OPEN_STATUSES",
    "District",
    "DistrictSla",
    "Dong",
    "Facility",
    "FacilityKind",
    "Incident",
    "IncidentKind",
    "LocationPrecision",
    "Notification",
    "NotificationChannel",
    "NotificationState",
    "Open311Key",
    "PushSubscription",
    "PhotoFlag",
    "PhotoKind",
    "RoadLink",
    "Role",
    "SatisfactionRating",
    "SmsInbound",
    "SmsOptOut",
    "Staff",
    "StaffToken",
    "TrafficReading",
]
