"""ORM models, one module per group of related tables; import from here."""

from dispatch.db import Base
from dispatch.models.abuse import BlockedPhone
from dispatch.models.areas import AreaImport, District, Dong
from dispatch.models.categories import Category
from dispatch.models.complaints import (
    Channel,
    Complaint,
    ComplaintEscalation,
    ComplaintEvent,
    ComplaintStatus,
    DistrictSla,
)
from dispatch.models.notifications import (
    Notification,
    NotificationChannel,
    NotificationState,
    PushSubscription,
    SatisfactionRating,
    SmsInbound,
)
from dispatch.models.photos import ComplaintPhoto, PhotoFlag, PhotoKind
from dispatch.models.staff import DISTRICT_ROLES, Role, Staff, StaffToken

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
    "DISTRICT_ROLES",
    "District",
    "DistrictSla",
    "Dong",
    "Notification",
    "NotificationChannel",
    "NotificationState",
    "PushSubscription",
    "PhotoFlag",
    "PhotoKind",
    "Role",
    "SatisfactionRating",
    "SmsInbound",
    "Staff",
    "StaffToken",
]
