"""A short traffic summary around a point: "jammed on X, moving on Y, incident Z with detour"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dispatch.i18n import pick_name
from dispatch.incidents import IncidentRow, incidents_near
from dispatch.traffic import Freshness, LinkState, feed_freshness, links_near

# Sentence parts per service language; a language without one uses English.
_TEMPLATES = {
    "ko": {"jammed": "{roads} 정체", "slow": "{roads} 서행", "free": "{roads} 원활",
           "incident": "{kind}: {text}", "detour": " (우회로 있음)", "sep": ", ",
           "stale": "교통 정보가 {minutes}분 넘게 갱신되지 않았습니다",
           "nothing": "주변에 교통 정보가 없습니다",
           "kinds": {"accident": "사고", "works": "공사", "event": "행사", "closure": "통제"}},
    "en": {"jammed": "jammed on {roads}", "slow": "slow on {roads}",
           "free": "moving on {roads}", "incident": "{kind}: {text}",
           "detour": " (detour available)", "sep": "; ",
           "stale": "traffic data has not been updated for over {minutes} minutes",
           "nothing": "no traffic information nearby",
           "kinds": {"accident": "accident", "works": "road works", "event": "event",
                     "closure": "closure"}},
    # zh/ja/mn/vi were written for this project and await review by native speakers.
    "zh": {"jammed": "{roads}拥堵", "slow": "{roads}缓行", "free": "{roads}畅通",
           "incident": "{kind}：{text}", "detour": "（有绕行路线）", "sep": "；",
           "stale": "交通信息已超过{minutes}分钟未更新", "nothing": "附近没有交通信息",
           "kinds": {"accident": "事故", "works": "施工", "event": "活动", "closure": "封路"}},
    "ja": {"jammed": "{roads}：渋滞", "slow": "{roads}：混雑", "free": "{roads}：順調",
           "incident": "{kind}：{text}", "detour": "（迂回路あり）", "sep": "、",
           "stale": "交通情報が{minutes}分以上更新されていません",
           "nothing": "付近の交通情報はありません",
           "kinds": {"accident": "事故", "works": "工事", "event": "イベント",
                     "closure": "通行止め"}},
    "vi": {"jammed": "ùn tắc trên {roads}", "slow": "di chuyển chậm trên {roads}",
           "free": "thông thoáng trên {roads}", "incident": "{kind}: {text}",
           "detour": " (có đường vòng)", "sep": "; ",
           "stale": "dữ liệu giao thông chưa được cập nhật hơn {minutes} phút",
           "nothing": "không có thông tin giao thông gần đây",
           "kinds": {"accident": "tai nạn", "works": "thi công", "event": "sự kiện",
                     "closure": "cấm đường"}},
    "mn": {"jammed": "{roads}: түгжрэлтэй", "slow": "{roads}: удаан хөдөлгөөнтэй",
           "free": "{roads}: хөдөлгөөн хэвийн", "incident": "{kind}: {text}",
           "detour": " (тойруу зам бий)", "sep": "; ",
           "stale": "замын хөдөлгөөний мэдээлэл {minutes} минутаас дээш хугацаанд "
                    "шинэчлэгдээгүй",
           "nothing": "ойролцоо замын хөдөлгөөний мэдээлэл алга",
           "kinds": {"accident": "осол", "works": "засварын ажил", "event": "арга хэмжээ",
                     "closure": "зам хаалттай"}},
}
LEVEL_ORDER = ("jammed", "slow", "free")


@dataclass
class RoadSummary:
    """One road near the point: its name, links by level and mean current speed."""

    name: str
    level: str
    links: int = 0
    speeds: list[float] = field(default_factory=list)

    @property
    def mean_speed_kmh(self) -> float | None:
        """Mean current speed of the road's links with a speed, rounded to 0.1."""
        return round(sum(self.speeds) / len(self.speeds), 1) if self.speeds else None


@dataclass
class TrafficSummary:
    """Roads by level, incidents near the point, freshness, and one sentence."""

    freshness: Freshness
    roads: dict[str, list[RoadSummary]]
    incidents: list[IncidentRow]
    text: str
    language: str


def _worst_level_per_road(links: list[LinkState], language: str) -> dict[str, list]:
    by_road: dict[str, RoadSummary] = {}
    for link in links:
        if link.stale or link.level not in LEVEL_ORDER:
            continue
        name = pick_name(link.names, language, link.name or link.link_id)
        road = by_road.setdefault(name, RoadSummary(name, link.level))
        road.links += 1
        if link.speed_kmh is not None:
            road.speeds.append(link.speed_kmh)
        # A road counts as jammed if any of its links near the point is jammed.
        if LEVEL_ORDER.index(link.level) < LEVEL_ORDER.index(road.level):
            road.level = link.level
    grouped: dict[str, list] = {level: [] for level in LEVEL_ORDER}
    for road in sorted(by_road.values(), key=lambda r: r.name):
        grouped[road.level].append(road)
    return grouped


def summarize_traffic(session: Session, lon: float, lat: float, radius_m: float,
                      language: str, stale_minutes: int,
                      now: datetime | None = None) -> TrafficSummary:
    """Summarise traffic and incidents within ``radius_m`` of a point in ``language``.

    When the feed is stale no road is reported as jammed or moving: the sentence says
    the data is old instead; incidents are still listed (they do not come from the feed).
    """
    now = now or datetime.now(UTC)
    freshness = feed_freshness(session, stale_minutes, now)
    links = [] if freshness.stale else links_near(session, lon, lat, radius_m,
                                                  stale_minutes, now)
    roads = _worst_level_per_road(links, language)
    incidents = incidents_near(session, lon, lat, radius_m, now)
    template = _TEMPLATES.get(language, _TEMPLATES["en"])
    parts = []
    if freshness.stale:
        parts.append(template["stale"].format(minutes=stale_minutes))
    for level in LEVEL_ORDER:
        if roads[level]:
            parts.append(template[level].format(roads=", ".join(r.name for r in roads[level])))
    for row in incidents:
        incident = row.incident
        parts.append(template["incident"].format(
            kind=template["kinds"][incident.kind],
            text=pick_name(incident.descriptions, language, ""))
            + (template["detour"] if row.detour else ""))
    text = template["sep"].join(parts) if parts else template["nothing"]
    return TrafficSummary(freshness, roads, incidents, text, language)
