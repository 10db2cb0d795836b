"""Command line: ``python -m dispatch.cli <command>`` (migrate, areas, categories, settings)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path

from dispatch.errors import DispatchError
from dispatch.settings import Settings, SettingsError, documented_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def _settings() -> Settings:
    return Settings.from_env_or_exit()


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database schema to the newest revision (or ``--to`` a given one)."""
    from alembic import command

    from dispatch.migrate import alembic_config

    settings = _settings()
    # Alembic's logger has only a NullHandler: without this its "Running upgrade" lines and a
    # migration's warnings (e.g. look-alike usernames kept) never reached the operator.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)
    config = alembic_config(settings.database_url)
    if args.to and args.to.startswith("-") or args.to == "base":
        command.downgrade(config, args.to)
    else:
        command.upgrade(config, args.to or "head")
    return 0


def _import(spec, force: bool) -> int:
    from dispatch.areas import import_layer
    from dispatch.db import configure_database, session_scope

    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        report = import_layer(session, spec, force=force, progress=print)
    if report.skipped:
        print(f"{spec.level}: {report.features} areas already imported from this file; "
              "nothing to do (use --force to reload)")
    else:
        print(f"{spec.level}: {report.features} features; {report.added} added, "
              f"{report.updated} updated, {report.repaired} invalid rings repaired, "
              f"{report.removed} removed")
        if report.kept_in_use:
            print(f"  kept (complaints refer to them): {', '.join(report.kept_in_use)}")
    return 0


def cmd_import_areas(args: argparse.Namespace) -> int:
    """Import a district or dong layer from any polygon GeoJSON."""
    from dispatch.areas import LayerSpec

    spec = LayerSpec(
        level=args.level, path=Path(args.file), code_prop=args.code_prop,
        name_prop=args.name_prop, parent_prop=args.parent_prop,
        name_last_word=args.name_last_word,
        names_path=Path(args.names) if args.names else None,
        phone_prop=args.phone_prop,
    )
    if spec.level == "dong" and not spec.parent_prop:
        print("--parent-prop (the property holding the district code) is required for dongs",
              file=sys.stderr)
        return 2
    if spec.level == "dong" and spec.phone_prop:
        print("--phone-prop is for district layers (an office phone belongs to a district)",
              file=sys.stderr)
        return 2
    return _import(spec, args.force)


def cmd_load_categories(args: argparse.Namespace) -> int:
    """Insert or update categories from a JSON fixture."""
    from dispatch.categories import load_categories
    from dispatch.db import configure_database, session_scope

    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        added, updated = load_categories(session, args.file)
    print(f"categories: {added} added, {updated} updated")
    return 0


def _sample_check(check, *args) -> bool:
    """Run one of dispatch.samples' emptiness checks in a session of its own."""
    from dispatch.db import configure_database, session_scope

    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        return check(session, *args)


def cmd_load_seoul(args: argparse.Namespace) -> int:
    """Load Seoul's 25 districts, 425 dongs and the categories into empty tables (first run).

    A table that already holds data (the sample, or the city's own) is left alone, so
    setup.sh can run this on every start; ``--force`` loads the sample over it.
    """
    from dispatch.areas import LayerSpec
    from dispatch.samples import has_areas, has_categories

    names = FIXTURES / "area_names.json"
    layers = (
        LayerSpec("district", FIXTURES / "seoul_gu.geojson", "SIG_CD", "SIG_KOR_NM",
                  names_path=names, source_label="fixtures/seoul_gu.geojson"),
        LayerSpec("dong", FIXTURES / "seoul_dong.geojson", "adm_cd2", "adm_nm",
                  parent_prop="sgg", name_last_word=True, names_path=names,
                  source_label="fixtures/seoul_dong.geojson"),
    )
    for spec in layers:
        if not args.force and _sample_check(has_areas, spec.level):
            print(f"{spec.level}: areas already loaded; the Seoul sample is not loaded "
                  "over them (use --force to do so)")
            continue
        _import(spec, args.force)
    if not args.force and _sample_check(has_categories):
        print("categories: already loaded; the sample categories are not loaded over them "
              "(use --force, or load-categories FILE to update from a file)")
        return 0
    args.file = str(FIXTURES / "categories.json")
    return cmd_load_categories(args)


def _name_props(values: list[str] | None) -> tuple[tuple[str, str], ...]:
    """``--name-prop ROAD_NAME --name-prop en=ROAD_NAME_EN``: a bare property is Korean."""
    pairs = []
    for value in values or []:
        language, sep, prop = value.partition("=")
        pairs.append((language, prop) if sep else ("ko", value))
    return tuple(pairs)


def _links(spec) -> int:
    from dispatch.db import configure_database, session_scope
    from dispatch.traffic import import_links

    configure_database(_settings(), for_worker=True)
    print(f"links: reading {spec.path}")
    with session_scope() as session:
        report = import_links(session, spec, progress=print)
    print(f"links: {report.features} features; {report.added} added, {report.updated} "
          f"updated, {len(report.skipped)} skipped")
    if report.removed_samples:
        print(f"  removed the {report.removed_samples} synthetic sample links")
    for line in report.skipped[:20]:
        print(f"  skipped {line}")
    return 0


def cmd_import_links(args: argparse.Namespace) -> int:
    """Import road links (LineStrings) from any GeoJSON; existing links are updated."""
    from dispatch.settings import LANGUAGES
    from dispatch.traffic import LinkSpec

    names = _name_props(args.name_prop)
    unknown = [language for language, _ in names if language not in LANGUAGES]
    if unknown:
        print(f"--name-prop languages must be among {', '.join(LANGUAGES)}", file=sys.stderr)
        return 2
    return _links(LinkSpec(path=Path(args.file), id_prop=args.id_prop, name_props=names,
                           class_prop=args.class_prop, direction_prop=args.direction_prop,
                           default_class=args.default_class,
                           source_label=args.source or Path(args.file).name))


def _facilities(spec) -> int:
    from dispatch.db import configure_database, session_scope
    from dispatch.facilities import import_facilities

    settings = _settings()
    configure_database(settings, for_worker=True)
    print(f"facilities: reading {spec.path}")
    with session_scope() as session:
        report = import_facilities(session, spec, tolerance_m=settings.routing_tolerance_m,
                                   progress=print)
    skipped = sum(report.skipped.values())
    reasons = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items()))
    print(f"facilities ({spec.source}): {report.rows} rows; {report.added} added, "
          f"{report.updated} updated, {report.derived_offices} public offices derived, "
          f"{skipped} skipped" + (f" ({reasons})" if skipped else ""))
    for line in report.examples:
        print(f"  skipped {line}")
    return 0


def cmd_import_facilities(args: argparse.Namespace) -> int:
    """Import facility points from GeoJSON or CSV; rows without a place in the city are skipped."""
    from dispatch.facilities import FacilitySpec

    if bool(args.kind) == bool(args.kind_prop):
        print("give exactly one of --kind and --kind-prop", file=sys.stderr)
        return 2
    return _facilities(FacilitySpec(
        path=Path(args.file), source=args.source or Path(args.file).stem,
        name_prop=args.name_prop, id_prop=args.id_prop, kind=args.kind,
        kind_prop=args.kind_prop, address_props=tuple(args.address_prop or ()),
        lon_prop=args.lon_prop, lat_prop=args.lat_prop, derive_offices=args.derive_offices))


def cmd_load_traffic_fixtures(args: argparse.Namespace) -> int:
    """Load the synthetic Seoul road links and the public toilets into empty tables (first run).

    ``--force`` loads them over existing data, but the synthetic links never go into a
    database that has real links (fixtures/SOURCES.md: tests and demos only).
    """
    from dispatch.facilities import FacilitySpec
    from dispatch.samples import SAMPLE_LINKS_SOURCE, has_facilities, has_links, has_real_links
    from dispatch.traffic import LinkSpec

    if _sample_check(has_real_links):
        print("links: the database has real road links; the synthetic ones are never "
              "loaded beside them")
    elif not args.force and _sample_check(has_links):
        print("links: already loaded (use --force to reload the synthetic sample)")
    else:
        _links(LinkSpec(FIXTURES / "seoul_links_synthetic.geojson", "LINK_ID",
                        (("ko", "ROAD_NAME"), ("en", "ROAD_NAME_EN")), "ROAD_CLASS",
                        "DIRECTION", source_label=SAMPLE_LINKS_SOURCE))
    if not args.force and _sample_check(has_facilities):
        print("facilities: already loaded; the sample toilets are not loaded over them "
              "(use --force to do so)")
        return 0
    _facilities(FacilitySpec(FIXTURES / "seoul_toilets_smg2011.geojson", "seoul-toilets-2011",
                             name_prop="대명칭", id_prop="POI ID", kind="toilet",
                             derive_offices=True))
    return _facilities(FacilitySpec(
        FIXTURES / "seoul_toilets_std.geojson", "seoul-toilets-std", name_prop="화장실명",
        id_prop="번호", kind="toilet", address_props=("소재지도로명주소", "소재지지번주소"),
        lon_prop="WGS84경도", lat_prop="WGS84위도", derive_offices=True))


def cmd_create_staff(args: argparse.Namespace) -> int:
    """Create a staff account; the password is read from standard input or a prompt."""
    import getpass

    from dispatch.db import configure_database, session_scope
    from dispatch.staff import create_staff

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.username}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        staff = create_staff(session, username=args.username, password=password,
                             role=args.role, display_name=args.name,
                             district_code=args.district, language=args.language)
        print(f"created {staff.role} {staff.username} (id {staff.id})"
              + (f" in district {staff.district_code}" if staff.district_code else ""))
    return 0


def cmd_disable_staff(args: argparse.Namespace) -> int:
    """Disable a staff account, revoke its tokens and put its open tickets back in the queue."""
    from dispatch.db import configure_database, session_scope
    from dispatch.staff_admin import disable_staff

    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        done = disable_staff(session, args.username)
        handed_back = [complaint.public_id for complaint in done.handed_back]
    print(f"disabled {args.username}; its tokens are revoked"
          + (f"; back in the queue: {', '.join(handed_back)}" if handed_back else ""))
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    """Set a staff member's password (read from standard input or a prompt); logs them out."""
    import getpass

    from dispatch.db import configure_database, session_scope
    from dispatch.errors import InvalidStaff
    from dispatch.staff import find_by_username, set_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"new password for {args.username}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        staff = find_by_username(session, args.username)
        if staff is None:
            raise InvalidStaff(f"no staff {args.username!r}", field="username")
        set_password(session, staff, password)
    print(f"new password set for {args.username}; its tokens are revoked")
    return 0


def cmd_sweep_photos(args: argparse.Namespace) -> int:
    """Delete photo files that no complaint refers to (older than --min-age seconds)."""
    from dispatch.db import configure_database
    from dispatch.jobs_photos import sweep_photo_store
    from dispatch.runtime import configure

    settings = _settings()
    configure(settings)
    configure_database(settings, for_worker=True)
    removed = sweep_photo_store(args.min_age)
    print(f"removed {removed} orphan photo files from {settings.photo_dir}")
    return 0


def cmd_district_sla(args: argparse.Namespace) -> int:
    """Set (or with --clear remove) a district's own SLA for a category."""
    from dispatch.db import configure_database, session_scope
    from dispatch.models import Category, District, DistrictSla

    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        if session.get(District, args.district) is None:
            print(f"unknown district {args.district!r}", file=sys.stderr)
            return 2
        if session.get(Category, args.category) is None:
            print(f"unknown category {args.category!r}", file=sys.stderr)
            return 2
        row = session.get(DistrictSla, (args.district, args.category))
        if args.clear:
            if row is not None:
                session.delete(row)
            print(f"{args.district}/{args.category}: back to the category's SLA")
            return 0
        if args.minutes is None or args.minutes <= 0:
            print("give --minutes (a positive number) or --clear", file=sys.stderr)
            return 2
        if row is None:
            row = DistrictSla(district_code=args.district, category_code=args.category)
            session.add(row)
        row.sla_minutes = args.minutes
        print(f"{args.district}/{args.category}: SLA {args.minutes} minutes "
              "(processes pick it up within DASAN_AREA_REFRESH_SECONDS)")
    return 0


def cmd_district_phone(args: argparse.Namespace) -> int:
    """Set (or with --clear remove) a district office's phone number, given in texts."""
    from dispatch.areas import FALLBACK_OFFICE_PHONE, set_office_phone
    from dispatch.db import configure_database, session_scope
    from dispatch.errors import InvalidPhone, NotFound

    if args.clear == bool(args.phone):
        print("give a PHONE or --clear", file=sys.stderr)
        return 2
    configure_database(_settings(), for_worker=True)
    try:
        with session_scope() as session:
            district = set_office_phone(session, args.district, None if args.clear else args.phone)
            phone = district.office_phone
    except (NotFound, InvalidPhone) as exc:
        print(exc.message, file=sys.stderr)
        return 2
    shown = phone or f"none (texts and the public view give {FALLBACK_OFFICE_PHONE})"
    print(f"{args.district}: office phone {shown} "
          "(processes pick it up within DASAN_AREA_REFRESH_SECONDS)")
    return 0


def _moment(value: str) -> datetime:
    """An ISO date or date-time; without a zone it is read in DASAN_TIMEZONE."""
    from zoneinfo import ZoneInfo

    from dispatch.moments import ERA_END, ERA_START, moment_problem

    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date or date-time (e.g. 2026-11-29T10:00)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(_settings().timezone))
    problem = moment_problem(moment, ERA_START, ERA_END)
    if problem:
        raise argparse.ArgumentTypeError(f"{value!r} {problem}")
    return moment


def cmd_resend_failed(args: argparse.Namespace) -> int:
    """Send again the failed notifications no gateway accepted (e.g. after an SMS outage)."""
    from dispatch.db import configure_database, session_scope
    from dispatch.notifications import resend_failed

    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        count = resend_failed(session, args.since, args.until)
    print(f"{count} failed notifications are pending again; the outbox sweeper sends them "
          "within 15 s")
    return 0


def cmd_settings(_args: argparse.Namespace) -> int:
    """Print every setting with its default and meaning, then check the environment."""
    for key, default, doc in documented_settings():
        print(f"{key:32} {default:28} {doc}")
    try:
        Settings.from_env()
        print("\nthe current environment is valid")
        return 0
    except SettingsError as exc:
        print(f"\nthe current environment is not valid:\n{exc}")
        return 1


def cmd_vapid_keys(_args: argparse.Namespace) -> int:
    """Print a new VAPID key pair as DASAN_VAPID_* lines (setup.sh adds them to var/dasan.env)."""
    from notify.push import generate_vapid_keys

    private, public = generate_vapid_keys()
    print(f"DASAN_VAPID_PRIVATE_KEY={private}")
    print(f"DASAN_VAPID_PUBLIC_KEY={public}")
    return 0


def cmd_kannel_config(args: argparse.Namespace) -> int:
    """Write a Kannel config (bearerbox, smsbox, fake SMSC port) for these settings."""
    from urllib.parse import urlsplit

    from notify.kannel import KannelConfig, KannelPorts, mo_url, write_config

    settings = _settings()
    sendsms_port = urlsplit(settings.kannel_sendsms_url).port or 13013
    incoming = mo_url(settings.sms_callback_url, settings.sms_mo_secret_value)
    config = KannelConfig(
        folder=Path(args.dir).resolve(),
        ports=KannelPorts(admin=args.admin_port, smsbox=args.smsbox_port,
                          sendsms=sendsms_port, fake_smsc=args.smsc_port),
        username=settings.kannel_username, password=settings.kannel_password_value,
        mo_url=incoming, admin_password=settings.derived_secret("kannel-admin"),
        max_parts=settings.sms_max_parts)
    print(write_config(config))
    return 0


def cmd_open311_key(args: argparse.Namespace) -> int:
    """Issue, revoke or list the API keys of Open311 client applications."""
    from dispatch import open311
    from dispatch.db import configure_database, session_scope

    configure_database(_settings(), for_worker=True)
    with session_scope() as session:
        if args.action == "create":
            key = open311.create_key(session, args.name)
            print(f"API key for {args.name} (shown once; only its hash is stored):\n{key}")
        elif args.action == "revoke":
            open311.revoke_key(session, args.name)
            print(f"revoked the key of {args.name}")
        else:
            for key in open311.list_keys(session):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
                print(f"{key.name}\t{state}\tissued {key.created_at:%Y-%m-%d}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="python -m dispatch.cli")
    sub = parser.add_subparsers(dest="command", required=True)

    migrate = sub.add_parser("migrate", help=cmd_migrate.__doc__)
    migrate.add_argument("--to", help="revision (default head; 'base' or -1 downgrades)")
    migrate.set_defaults(func=cmd_migrate)

    areas = sub.add_parser("import-areas", help=cmd_import_areas.__doc__)
    areas.add_argument("level", choices=["district", "dong"])
    areas.add_argument("file", help="GeoJSON FeatureCollection in WGS84")
    areas.add_argument("--code-prop", required=True, help="property holding the area code")
    areas.add_argument("--name-prop", required=True, help="property holding the local name")
    areas.add_argument("--parent-prop", help="for dongs: property holding the district code")
    areas.add_argument("--name-last-word", action="store_true",
                       help="keep only the last word of the name ('서울특별시 종로구 사직동')")
    areas.add_argument("--names", help="JSON of names in other languages by code")
    areas.add_argument("--phone-prop",
                       help="for districts: property holding the office phone number")
    areas.add_argument("--force", action="store_true", help="reload an unchanged file")
    areas.set_defaults(func=cmd_import_areas)

    categories = sub.add_parser("load-categories", help=cmd_load_categories.__doc__)
    categories.add_argument("file", nargs="?", default=str(FIXTURES / "categories.json"))
    categories.set_defaults(func=cmd_load_categories)

    seoul = sub.add_parser("load-seoul", help=cmd_load_seoul.__doc__)
    seoul.add_argument("--force", action="store_true",
                       help="load the sample over areas and categories already loaded")
    seoul.set_defaults(func=cmd_load_seoul)

    links = sub.add_parser("import-links", help=cmd_import_links.__doc__)
    links.add_argument("file", help="GeoJSON FeatureCollection of LineStrings in WGS84")
    links.add_argument("--id-prop", required=True, help="property holding the link id")
    links.add_argument("--name-prop", action="append",
                       help="road name property; repeat as LANG=PROP for other languages")
    links.add_argument("--class-prop", help="property holding the road class")
    links.add_argument("--direction-prop", help="property holding the direction")
    links.add_argument("--default-class", default="arterial",
                       help="road class when the feature has none (default arterial)")
    links.add_argument("--source", help="label stored with the links (default: file name)")
    links.set_defaults(func=cmd_import_links)

    facilities = sub.add_parser("import-facilities", help=cmd_import_facilities.__doc__)
    facilities.add_argument("file", help="GeoJSON of Points, or CSV with coordinate columns")
    facilities.add_argument("--source", help="dataset label; rows are updated by (source, id)")
    facilities.add_argument("--name-prop", required=True)
    facilities.add_argument("--id-prop", help="property holding a stable row id")
    facilities.add_argument("--kind", choices=["toilet", "district_office", "community_centre",
                                               "parking", "police", "hospital"])
    facilities.add_argument("--kind-prop", help="property holding the kind of each row")
    facilities.add_argument("--address-prop", action="append",
                            help="address property; repeat for fallbacks")
    facilities.add_argument("--lon-prop", help="longitude column (CSV)")
    facilities.add_argument("--lat-prop", help="latitude column (CSV)")
    facilities.add_argument("--derive-offices", action="store_true",
                            help="also add 구청/주민센터… named in facility names as offices")
    facilities.set_defaults(func=cmd_import_facilities)

    traffic = sub.add_parser("load-traffic-fixtures", help=cmd_load_traffic_fixtures.__doc__)
    traffic.add_argument("--force", action="store_true",
                         help="load the sample over links and facilities already loaded")
    traffic.set_defaults(func=cmd_load_traffic_fixtures)

    create = sub.add_parser("create-staff", help=cmd_create_staff.__doc__)
    create.add_argument("username")
    create.add_argument("--role", required=True,
                        choices=["inspector", "supervisor", "dispatcher", "admin"])
    create.add_argument("--district", help="district code (inspectors and supervisors)")
    create.add_argument("--name", help="display name")
    create.add_argument("--language", default="ko", choices=["ko", "en", "zh", "ja", "mn", "vi"])
    create.set_defaults(func=cmd_create_staff)

    disable = sub.add_parser("disable-staff", help=cmd_disable_staff.__doc__)
    disable.add_argument("username")
    disable.set_defaults(func=cmd_disable_staff)

    password = sub.add_parser("set-password", help=cmd_set_password.__doc__)
    password.add_argument("username")
    password.set_defaults(func=cmd_set_password)

    vapid = sub.add_parser("vapid-keys", help=cmd_vapid_keys.__doc__)
    vapid.set_defaults(func=cmd_vapid_keys)

    kannel = sub.add_parser("kannel-config", help=cmd_kannel_config.__doc__)
    kannel.add_argument("--dir", default=str(ROOT / "var" / "kannel"))
    kannel.add_argument("--admin-port", type=int, default=13000)
    kannel.add_argument("--smsbox-port", type=int, default=13001)
    kannel.add_argument("--smsc-port", type=int, default=13010)
    kannel.set_defaults(func=cmd_kannel_config)

    sweep = sub.add_parser("sweep-photos", help=cmd_sweep_photos.__doc__)
    sweep.add_argument("--min-age", type=float, default=3600.0,
                       help="spare files younger than this many seconds (default 3600)")
    sweep.set_defaults(func=cmd_sweep_photos)

    keys = sub.add_parser("open311-key", help=cmd_open311_key.__doc__)
    keys.add_argument("action", choices=["create", "revoke", "list"])
    keys.add_argument("name", nargs="?", default="", help="client application name")
    keys.set_defaults(func=cmd_open311_key)

    sla = sub.add_parser("district-sla", help=cmd_district_sla.__doc__)
    sla.add_argument("district")
    sla.add_argument("category")
    sla.add_argument("--minutes", type=int)
    sla.add_argument("--clear", action="store_true")
    sla.set_defaults(func=cmd_district_sla)

    phone = sub.add_parser("district-phone", help=cmd_district_phone.__doc__)
    phone.add_argument("district")
    phone.add_argument("phone", nargs="?", help="e.g. 02-3423-5114")
    phone.add_argument("--clear", action="store_true")
    phone.set_defaults(func=cmd_district_phone)

    resend = sub.add_parser("resend-failed", help=cmd_resend_failed.__doc__)
    resend.add_argument("--since", type=_moment, required=True,
                        help="failed at or after this time (ISO, local time unless a zone "
                        "is given)")
    resend.add_argument("--until", type=_moment, help="failed before this time")
    resend.set_defaults(func=cmd_resend_failed)

    settings = sub.add_parser("settings", help=cmd_settings.__doc__)
    settings.set_defaults(func=cmd_settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; domain errors print their message and exit 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DispatchError as exc:
        print(f"error ({exc.code}): {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
