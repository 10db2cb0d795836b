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
from dispatch.models.notifications import (
    Notification,
    NotificationChannel,
    NotificationState,
    PushSubscription,
    SatisfactionRating,
    SmsInbound,
)
from dispatch.models.staff import DISTRICT_ROLES, Role, Staff, StaffToken

__all__ = [
    "AreaImport",
    "Base",
    "BlockedPhone",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintEvent",
    "ComplaintStatus",
    "DISTRICT_ROLES",
    "District",
    "Dong",
    "Notification",
    "NotificationChannel",
    "NotificationState",
    "PushSubscription",
    "Role",
    "SatisfactionRating",
    "SmsInbound",
    "Staff",
    "StaffToken",
]
