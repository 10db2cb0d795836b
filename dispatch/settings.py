"""Settings: every ``DASAN_*`` environment variable, typed and validated once at start-up."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PREFIX = "DASAN_"


class SettingsError(RuntimeError):
    """Raised at start-up when settings are missing or malformed; names every bad key."""


def _int(value: str) -> int:
    return int(value.strip())


def _float(value: str) -> float:
    result = float(value.strip())
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    return result


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _str(value: str) -> str:
    return value


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_PARSERS = {int: _int, float: _float, bool: _bool, str: _str, tuple: _csv}


def _setting(default: Any = dataclasses.MISSING, *, doc: str, secret: bool = False):
    """Declare a field with its documentation (the README table is checked against it)."""
    metadata = {"doc": doc, "secret": secret}
    if default is dataclasses.MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """All runtime configuration. Tests build it directly; processes call ``from_env``."""

    database_url: str = _setting(
        doc="PostgreSQL/PostGIS URL, e.g. postgresql://dasan:dasan@127.0.0.1:5432/dasan"
    )
    secret_key: str = _setting(
        doc="Secret for signing tokens; at least 16 characters", secret=True
    )
    redis_url: str = _setting(
        "redis://127.0.0.1:6379/0", doc="Redis URL for the RQ queues and rate limits"
    )
    timezone: str = _setting("Asia/Seoul", doc="Time zone in which times are shown")
    default_language: str = _setting(
        "ko", doc="Language used when a request names none (ko en zh ja mn vi)"
    )
    routing_tolerance_m: float = _setting(
        200.0,
        doc="How far outside every area (metres) a point may be and still go to the "
        "nearest one; beyond it intake answers 422 outside_service_area",
    )
    area_refresh_seconds: float = _setting(
        30.0,
        doc="How often a process checks whether the area layers were re-imported "
        "and rebuilds its in-memory routing index",
    )
    db_pool_size: int = _setting(5, doc="SQLAlchemy pool size per web process")
    db_statement_timeout_ms: int = _setting(
        10000, doc="PostgreSQL statement_timeout of every connection: web requests, worker "
        "jobs, the scheduler and CLI commands (ms; 0 disables it)"
    )
    web_bind: str = _setting("127.0.0.1:8000", doc="Address gunicorn listens on")
    web_workers: int = _setting(2, doc="gunicorn worker processes")
    web_threads: int = _setting(4, doc="threads per gunicorn worker (gthread)")
    access_log: bool = _setting(False, doc="true makes gunicorn log every request")
    public_url: str = _setting(
        "http://127.0.0.1:8000", doc="Public base URL used in links sent to citizens"
    )
    queue_async: bool = _setting(
        True, doc="false runs RQ jobs inline (tests and single-process demos)"
    )
    rate_limit_intake_ip: str = _setting(
        "30/minute;300/hour", doc="complaints one client address may file (flask-limiter syntax)")
    rate_limit_intake_phone: str = _setting(
        "10/hour;30/day", doc="complaints one reporter phone number may file")
    rate_limit_login: str = _setting(
        "10/minute;50/hour", doc="login attempts per client address and per username")
    proxy_count: int = _setting(
        0, doc="how many trusted reverse proxies set X-Forwarded-For (0: none)")
    reopen_days: int = _setting(7, doc="days after closure during which a reporter may reopen")
    personal_data_days: int = _setting(
        365, doc="days after a complaint closes after which its reporter's phone number and "
        "the number and words of its texts are erased, and incoming texts older than this "
        "are deleted (open work keeps them); 0 keeps them forever")
    sla_warning_minutes: int = _setting(
        60, doc="escalate as due_soon when an open complaint is this close to its due time")
    escalation_interval_seconds: int = _setting(
        60, doc="how often the scheduler looks for complaints to escalate")
    tile_url: str = _setting(
        "", doc="Map tile URL template for the PWA maps, e.g. "
        "https://tiles.example/{z}/{x}/{y}.png (empty: no tiles; districts and markers still show)")
    sse_poll_seconds: float = _setting(
        0.5, doc="How often a live-map stream looks for new complaint events (seconds)")
    sse_max_streams: int = _setting(
        0, doc="live-map streams one web process holds at once (each holds a thread); "
        "0: half of DASAN_WEB_THREADS, at least 1, so streams never starve other requests")
    client_read_timeout_s: float = _setting(
        15.0, doc="seconds a client may stall while sending a request before it gets 408")
    token_ttl_hours: float = _setting(12.0, doc="How long a staff login token is valid")
    duty_fresh_minutes: int = _setting(
        30, doc="An inspector counts as on duty for assignment suggestions only with a "
        "position reported within this many minutes (the field app reports every 2)")
    sms_backend: str = _setting(
        "log", doc="log (write texts to the outbox row and the log only) or kannel")
    sms_sender: str = _setting("1899-0120", doc="Sender number shown on outgoing texts")
    kannel_sendsms_url: str = _setting(
        "http://127.0.0.1:13013/cgi-bin/sendsms", doc="Kannel smsbox sendsms URL")
    kannel_username: str = _setting("dasan", doc="Kannel sendsms-user username")
    kannel_password: str = _setting(
        "", doc="Kannel sendsms-user password (empty: derived from DASAN_SECRET_KEY)",
        secret=True)
    sms_callback_url: str = _setting(
        "http://127.0.0.1:8000",
        doc="Base URL at which Kannel reaches this service for delivery reports and "
        "incoming texts")
    sms_mo_secret: str = _setting(
        "", doc="Shared secret in Kannel's incoming-SMS URL (empty: derived from "
        "DASAN_SECRET_KEY)", secret=True)
    sms_gateway_ips: tuple = _setting(
        ("127.0.0.1", "::1"), doc="Addresses allowed to post incoming texts and delivery "
        "reports (comma-separated)")
    sms_max_parts: int = _setting(
        4, doc="Most concatenated parts one text may use; longer texts are shortened")
    sms_mo_per_hour: int = _setting(
        10, doc="Incoming texts one sender may send per hour before being ignored")
    quiet_hours: str = _setting(
        "22:00-08:00", doc="Local hours (DASAN_TIMEZONE) in which non-urgent texts are "
        "held back, e.g. 22:00-08:00; empty disables")
    notify_max_attempts: int = _setting(
        6, doc="Delivery attempts of one notification before it is marked failed")
    notify_retry_seconds: int = _setting(
        30, doc="First retry delay; it doubles per attempt (capped at one hour)")
    notify_gateway_give_up_hours: float = _setting(
        24.0, doc="How long a text waits for an SMS gateway that cannot be reached "
        "(refused, timed out, 5xx) before it is marked failed; retried at most every "
        "5 minutes meanwhile, and these waits do not count as attempts")
    notify_threads: int = _setting(
        16, doc="Most parallel sends of one outbox drain (a thread per 10 due texts)")
    notify_settle_seconds: int = _setting(
        600, doc="How long a notification may stay 'sending' (its worker stopped mid-send) "
        "without a delivery report before the sweeper sends it again")
    vapid_private_key: str = _setting(
        "", doc="Web Push VAPID private key (base64url; python -m dispatch.cli vapid-keys); "
        "empty disables push", secret=True)
    vapid_public_key: str = _setting(
        "", doc="Web Push VAPID public key (base64url, the PWA's applicationServerKey)")
    vapid_subject: str = _setting(
        "mailto:ops@dasan.invalid", doc="VAPID contact (mailto: or https: URL)")
    push_timeout_seconds: float = _setting(10.0, doc="Timeout of one web push request")
    push_hosts: tuple = _setting(
        ("fcm.googleapis.com", "updates.push.services.mozilla.com", "*.notify.windows.com",
         "web.push.apple.com", "*.push.apple.com"),
        doc="Push services a browser's subscription may name (comma-separated; *.host for "
        "subdomains); the worker posts to them, so no other address is accepted")
    log_level: str = _setting(
        "INFO", doc="Python log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (any case)")
    traffic_feeds: tuple = _setting(
        (), doc="traffic feeds the scheduler polls every 5 minutes, comma-separated: "
        "topis, citydata (empty: none)")
    topis_url_template: str = _setting(
        "http://openapi.seoul.go.kr:8088/{key}/xml/TrafficInfo/1/5/{link_id}",
        doc="TOPIS TrafficInfo URL with {key} and {link_id}; http(s):// or file://")
    topis_api_key: str = _setting("", doc="Seoul Open Data API key for TOPIS TrafficInfo",
                                  secret=True)
    citydata_url_template: str = _setting(
        "http://openapi.seoul.go.kr:8088/{key}/json/citydata/1/5/{area}",
        doc="Seoul city-data URL with {key} and {area}; http(s):// or file://")
    citydata_api_key: str = _setting("", doc="Seoul Open Data API key for city data",
                                     secret=True)
    citydata_areas: tuple = _setting(
        (), doc="hotspot area names (AREA_NM) the city-data feed is polled for, comma-separated")
    traffic_fetch_concurrency: int = _setting(
        8, doc="at most this many feed requests at once")
    traffic_fetch_rate: float = _setting(
        40.0, doc="at most this many feed requests started per second (TOPIS needs one per "
        "link: 5,000 links take about 125 s; requests not started within 150 s are skipped)")
    traffic_fetch_timeout_s: float = _setting(
        10.0, doc="connect and read timeout of one feed request (seconds)")
    traffic_stale_minutes: int = _setting(
        15, doc="no new reading for this long and the API marks traffic as stale")
    traffic_min_coverage: float = _setting(
        0.8, doc="share of road links (0-1) that should have a reading younger than "
        "DASAN_TRAFFIC_STALE_MINUTES; below it readiness reports traffic_feed as low coverage")
    traffic_history_days: float = _setting(
        7.0, doc="how long speed readings are kept; older ones are pruned hourly")
    traffic_thresholds: tuple = _setting(
        ("expressway:70/30", "arterial:25/15", "*:25/15"),
        doc="congestion thresholds per road class as class:free/jammed km/h "
        "(at or above free: free; below jammed: jammed; between: slow); * is the default")
    photo_dir: str = _setting(
        "var/photos", doc="Folder of the local photo store (content-addressed files); "
        "relative paths start at the working directory")
    photo_max_bytes: int = _setting(
        10 * 1024 * 1024, doc="Largest photo file accepted, in bytes; beyond it 413")
    photo_max_pixels: int = _setting(
        50_000_000, doc="Largest decoded image (width x height) accepted; guards against "
        "decompression bombs")
    photo_max_lossless_pixels: int = _setting(
        24_000_000, doc="Largest PNG or WebP (width x height) accepted: they compress flat "
        "areas a thousandfold, so a tiny file can decode to gigabytes")
    photo_max_decodes: int = _setting(
        2, doc="Photos one process decodes at once; others wait up to 10 s, then get 503 "
        "photo_decoders_busy (bounds memory: a 24 MP image takes about 100 MB per decode)")
    photo_max_side: int = _setting(
        2048, doc="Stored photos are re-encoded to at most this many pixels on the long side")
    photo_thumb_side: int = _setting(320, doc="Long side of photo thumbnails, in pixels")
    photo_max_per_complaint: int = _setting(
        5, doc="Photos the reporter, and staff as evidence, may each attach to one complaint")
    photo_max_distance_m: float = _setting(
        200.0, doc="An evidence photo whose GPS lies farther from the complaint (metres) "
        "is flagged far_from_site, and so is an on_site move sent from farther away")
    photo_url_ttl_seconds: int = _setting(
        3600, doc="How long a signed photo URL (for <img src>) stays valid")
    open311_jurisdiction: str = _setting(
        "seoul.go.kr", doc="Open311 jurisdiction_id this service answers for; requests "
        "naming another get 404")
    open311_public_photos: bool = _setting(
        False, doc="true lists signed photo URLs (media_url) in Open311 output; off by "
        "default because reporter photos are not public (docs/PHOTOS.md)")
    rate_limit_open311_key: str = _setting(
        "60/minute;2000/day", doc="requests one Open311 API key may file (flask-limiter syntax)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``DASAN_*`` variables, naming every missing or malformed one at once.

        :raises SettingsError: when any required key is missing or a value does not parse.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in dataclasses.fields(cls):
            key = PREFIX + spec.name.upper()
            raw = env.get(key)
            if raw is None or (raw == "" and spec.type != "str"):
                if spec.default is dataclasses.MISSING:
                    problems.append(f"{key} is required ({spec.metadata['doc']})")
                continue
            parser = _PARSERS[_field_type(spec)]
            try:
                values[spec.name] = parser(raw)
            except ValueError as exc:
                problems.append(f"{key}={raw!r} is invalid: {exc}")
        if not problems:
            try:
                settings = cls(**values)
                settings.validate()
                return settings
            except SettingsError as exc:
                problems.extend(exc.args[0].split("\n"))
        raise SettingsError("\n".join(problems))

    @classmethod
    def from_env_or_exit(cls) -> Settings:
        """``from_env`` for a process's start: bad settings print every problem and exit 2."""
        try:
            return cls.from_env()
        except SettingsError as exc:
            print(f"settings are incomplete:\n{exc}", file=sys.stderr)
            raise SystemExit(2) from exc

    def validate(self) -> None:
        """Check cross-field rules; called by ``from_env`` and by tests that build Settings.

        :raises SettingsError: listing every rule that fails.
        """
        problems = []
        if len(self.secret_key) < 16:
            problems.append("DASAN_SECRET_KEY must be at least 16 characters")
        if not self.database_url.startswith("postgresql"):
            problems.append("DASAN_DATABASE_URL must be a postgresql:// URL")
        if self.default_language not in LANGUAGES:
            problems.append(
                f"DASAN_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}"
            )
        if self.routing_tolerance_m < 0:
            problems.append("DASAN_ROUTING_TOLERANCE_M must not be negative")
        problems.extend(_process_problems(self))
        problems.extend(_traffic_problems(self))
        for name in ("photo_max_bytes", "photo_max_pixels", "photo_max_lossless_pixels",
                     "photo_max_decodes", "photo_max_side",
                     "photo_thumb_side", "photo_max_per_complaint", "photo_url_ttl_seconds"):
            if getattr(self, name) < 1:
                problems.append(f"DASAN_{name.upper()} must be at least 1")
        if not self.photo_dir.strip():
            problems.append("DASAN_PHOTO_DIR must name a folder")
        if self.photo_thumb_side > self.photo_max_side:
            problems.append("DASAN_PHOTO_THUMB_SIDE must not exceed DASAN_PHOTO_MAX_SIDE")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.timezone)
        except Exception:  # noqa: BLE001 - any failure means an unknown zone
            problems.append(f"DASAN_TIMEZONE {self.timezone!r} is not a known time zone")
        if self.sms_backend not in ("log", "kannel"):
            problems.append("DASAN_SMS_BACKEND must be log or kannel")
        if self.quiet_hours:
            from dispatch.quiet_hours import parse_quiet_hours

            try:
                parse_quiet_hours(self.quiet_hours)
            except ValueError as exc:
                problems.append(f"DASAN_QUIET_HOURS: {exc}")
        if min(self.sms_max_parts, self.notify_max_attempts, self.notify_settle_seconds) < 1:
            problems.append("DASAN_SMS_MAX_PARTS, DASAN_NOTIFY_MAX_ATTEMPTS and "
                            "DASAN_NOTIFY_SETTLE_SECONDS must be >= 1")
        if self.personal_data_days < 0 or 0 < self.personal_data_days <= self.reopen_days:
            problems.append("DASAN_PERSONAL_DATA_DAYS must be 0 (keep) or more than "
                            "DASAN_REOPEN_DAYS (a reopened complaint texts its reporter)")
        if self.notify_gateway_give_up_hours <= 0:
            problems.append("DASAN_NOTIFY_GATEWAY_GIVE_UP_HOURS must be positive")
        if problems:
            raise SettingsError("\n".join(problems))

    def derived_secret(self, purpose: str) -> str:
        """Return a stable secret for ``purpose`` made from the secret key."""
        import hashlib
        import hmac

        return hmac.new(self.secret_key.encode(), purpose.encode(),
                        hashlib.sha256).hexdigest()[:32]

    @property
    def kannel_password_value(self) -> str:
        """The sendsms password: the setting, else one derived from the secret key."""
        return self.kannel_password or self.derived_secret("kannel-sendsms")

    @property
    def sms_mo_secret_value(self) -> str:
        """The incoming-SMS secret: the setting, else one derived from the secret key."""
        return self.sms_mo_secret or self.derived_secret("kannel-mo")

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied (tests use it)."""
        return dataclasses.replace(self, **changes)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _process_problems(settings: Settings) -> list[str]:
    """Rules of the settings the web server, worker and scheduler run with."""
    problems = []
    if not settings.web_bind.strip():
        problems.append("DASAN_WEB_BIND must name an address (host:port or unix:path)")
    if settings.web_workers < 1 or settings.web_threads < 1:
        problems.append("DASAN_WEB_WORKERS and DASAN_WEB_THREADS must be at least 1")
    if settings.db_statement_timeout_ms < 0:
        problems.append("DASAN_DB_STATEMENT_TIMEOUT_MS must not be negative (0 disables it)")
    if settings.duty_fresh_minutes < 1:
        problems.append("DASAN_DUTY_FRESH_MINUTES must be at least 1")
    if settings.sla_warning_minutes < 1:
        problems.append("DASAN_SLA_WARNING_MINUTES must be at least 1")
    if settings.log_level.strip().upper() not in LOG_LEVELS:
        problems.append(f"DASAN_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                        f"not {settings.log_level!r}")
    return problems


def _traffic_problems(settings: Settings) -> list[str]:
    problems = []
    unknown = set(settings.traffic_feeds) - {"topis", "citydata"}
    if unknown:
        problems.append(f"DASAN_TRAFFIC_FEEDS: unknown feeds {', '.join(sorted(unknown))}")
    for rule in settings.traffic_thresholds:
        road_class, _, numbers = rule.partition(":")
        free, _, jammed = numbers.partition("/")
        try:
            ok = bool(road_class) and float(free) >= float(jammed) >= 0
        except ValueError:
            ok = False
        if not ok:
            problems.append(f"DASAN_TRAFFIC_THRESHOLDS: {rule!r} is not class:free/jammed "
                            "with free >= jammed >= 0")
    if settings.traffic_fetch_concurrency < 1 or settings.traffic_fetch_timeout_s <= 0:
        problems.append("DASAN_TRAFFIC_FETCH_CONCURRENCY and _TIMEOUT_S must be positive")
    if settings.traffic_fetch_rate <= 0:
        # 0 or less would silently lift the cap that keeps TOPIS from refusing the key.
        problems.append("DASAN_TRAFFIC_FETCH_RATE must be more than 0 (requests per second)")
    if not 0 <= settings.traffic_min_coverage <= 1:
        problems.append("DASAN_TRAFFIC_MIN_COVERAGE must be between 0 and 1")
    if settings.traffic_stale_minutes < 1 or settings.traffic_history_days <= 0:
        problems.append("DASAN_TRAFFIC_STALE_MINUTES and _HISTORY_DAYS must be positive")
    return problems


def _field_type(spec: dataclasses.Field) -> type:
    name = spec.type if isinstance(spec.type, str) else spec.type.__name__
    return {"int": int, "float": float, "bool": bool, "str": str}.get(
        name, tuple if name.startswith("tuple") else str
    )


def documented_settings() -> list[tuple[str, str, str]]:
    """List (env key, default, doc) for every setting, for the README and ``dasan settings``."""
    rows = []
    for spec in dataclasses.fields(Settings):
        default = "" if spec.default is dataclasses.MISSING else str(spec.default)
        if spec.default is dataclasses.MISSING:
            default = "(required)"
        rows.append((PREFIX + spec.name.upper(), default, spec.metadata["doc"]))
    return rows


# The six service languages, in the order the PWA offers them.
LANGUAGES = ("ko", "en", "zh", "ja", "mn", "vi")
