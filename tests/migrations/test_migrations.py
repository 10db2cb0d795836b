"""upgrade -> downgrade -> upgrade on an empty database, and no drift from the models."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from dispatch.db import sqlalchemy_url
from dispatch.migrate import alembic_config
from dispatch.models import Base
from tests.conftest import create_empty_database, drop_database
from tests.services import checkout_database_name


def test_upgrade_downgrade_upgrade_and_no_autogenerate_drift():
    name = checkout_database_name() + "_migrations"
    url = create_empty_database(name)
    config = alembic_config(url)
    engine = create_engine(sqlalchemy_url(url))
    try:
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        with engine.connect() as conn:
            leftover = set(inspect(conn).get_table_names()) - {"spatial_ref_sys",
                                                               "alembic_version"}
        assert leftover == set()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_object": _include_object, "compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
        drop_database(name)


def _include_object(obj, name, type_, reflected, compare_to):
    from geoalchemy2 import alembic_helpers

    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def test_a_database_loaded_before_the_flag_gets_its_vehicle_plate_marked_private():
    from sqlalchemy import text

    name = checkout_database_name() + "_migrations_plate"
    url = create_empty_database(name)
    config = alembic_config(url)
    engine = create_engine(sqlalchemy_url(url))
    specs = ('[{"code": "lamp_post_number", "order": 1}, '
             '{"code": "vehicle_plate", "order": 2, "required": false}]')
    plates = text("SELECT attributes FROM categories WHERE code = 'illegal_parking'")
    try:
        command.upgrade(config, "a3c6e8f0b2d5")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO categories (code, names, descriptions, keywords, \"group\", icon, "
                "priority, sla_minutes, duplicate_radius_m, duplicate_window_hours, "
                "attributes, sort_order, active) VALUES ('illegal_parking', '{}', '{}', '{}', "
                "'traffic', 'car', 3, 120, 30, 2, CAST(:specs AS jsonb), 1, true)"),
                {"specs": specs})
        command.upgrade(config, "b4d7f9a1c3e6")
        with engine.connect() as conn:
            marked = conn.execute(plates).scalar()
        assert marked == [{"code": "lamp_post_number", "order": 1},
                          {"code": "vehicle_plate", "order": 2, "required": False,
                           "private": True}]
        command.downgrade(config, "a3c6e8f0b2d5")
        with engine.connect() as conn:
            assert "private" not in str(conn.execute(plates).scalar())
    finally:
        engine.dispose()
        drop_database(name)


def test_far_times_psycopg2_cannot_read_are_cleaned_and_then_refused():
    import pytest
    from sqlalchemy import exc, text

    name = checkout_database_name() + "_migrations_far_times"
    url = create_empty_database(name)
    config = alembic_config(url)
    engine = create_engine(sqlalchemy_url(url))
    box = {"box": "MULTIPOLYGON(((126 37,127 37,127 38,126 38,126 37)))"}
    try:
        command.upgrade(config, "b7d9f1a3c5e8")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO categories (code, names, descriptions, keywords, \"group\", icon, "
                "priority, sla_minutes, duplicate_radius_m, duplicate_window_hours, "
                "attributes, sort_order, active) VALUES ('garbage', '{}', '{}', '{}', "
                "'clean', 'bin', 3, 120, 30, 2, '[]', 1, true)"))
            conn.execute(text("INSERT INTO districts (code, name, names, boundary) VALUES "
                              "('11140', 'Jung', '{}', ST_GeomFromText(:box, 4326))"), box)
            conn.execute(text("INSERT INTO dongs (code, district_code, name, names, boundary) "
                              "VALUES ('1114055000', '11140', 'Myeong', '{}', "
                              "ST_GeomFromText(:box, 4326))"), box)
            complaint = conn.execute(text(
                "INSERT INTO complaints (public_id, category_code, description, location, "
                "district_code, dong_code, routing_distance_m, status, priority, due_at, "
                "reporter_language, channel, attributes, version, created_at, updated_at) "
                "VALUES ('261129-0000001', 'garbage', '', "
                "ST_GeomFromText('POINT(126.97 37.56)', 4326), '11140', '1114055000', 0, "
                "'received', 3, '2026-11-29T12:00:00Z', 'ko', 'pwa', '{}', 1, "
                "'2026-11-29T10:00:00Z', '2026-11-29T10:00:00Z') RETURNING id")).scalar()
            taken = ["0001-01-01 00:00:00+08:27:52", "9999-12-31 23:59:59-14:00",
                     "1970-01-01 00:00:00+00", "2026-12-05 00:00:00+00",
                     "2026-11-29 09:00:00+09"]
            for number, moment in enumerate(taken):
                conn.execute(text(
                    "INSERT INTO complaint_photos (complaint_id, kind, sha256, thumb_sha256, "
                    "content_type, width, height, size_bytes, original_format, "
                    "original_bytes, taken_at, flags, uploaded_by, created_at) VALUES (:c, "
                    "'report', :sha, :sha, 'image/jpeg', 1, 1, 1, 'JPEG', 1, "
                    "CAST(:taken AS timestamptz), '[]', 'citizen', '2026-11-29T10:00:00Z')"),
                    {"c": complaint, "sha": f"{number:064d}", "taken": moment})
            windows = [("2026-11-29 00:00+09", "9999-12-31 23:59:59-14:00"),
                       ("0001-01-01 00:00+09", "2026-12-01 00:00+09"),
                       ("1995-01-01 00:00+00", "1999-01-01 00:00+00"),
                       ("1995-01-01 00:00+00", "2000-01-01 00:00+00"),
                       ("2026-11-29 00:00+09", None)]
            for starts, ends in windows:
                conn.execute(text(
                    "INSERT INTO incidents (kind, area, descriptions, starts_at, ends_at) "
                    "VALUES ('works', ST_GeomFromText('POINT(126.97 37.56)', 4326), '{}', "
                    "CAST(:s AS timestamptz), CAST(:e AS timestamptz))"),
                    {"s": starts, "e": ends})
        command.upgrade(config, "head")
        with engine.connect() as conn:  # read by psycopg2: before, this raised ValueError
            kept = conn.execute(text("SELECT taken_at FROM complaint_photos ORDER BY id")).all()
            incidents = conn.execute(text(
                "SELECT starts_at, ends_at FROM incidents ORDER BY id")).all()
        assert [row[0] for row in kept][:4] == [None] * 4 and kept[4][0] is not None
        assert incidents[0][1] is None
        assert incidents[1][0].year == 2000 and incidents[1][1].year == 2026
        assert all(row[0].year >= 2000 and (row[1] is None or row[1] > row[0])
                   for row in incidents)
        assert incidents[4][1] is None and incidents[4][0].year == 2026
        with pytest.raises(exc.IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE incidents SET ends_at = '9999-12-31T00:00:00Z'"))
        command.downgrade(config, "b7d9f1a3c5e8")
    finally:
        engine.dispose()
        drop_database(name)


def test_usernames_differing_only_in_case_are_kept_but_no_new_one_is_allowed():
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    name = checkout_database_name() + "_migrations_usernames"
    url = create_empty_database(name)
    config = alembic_config(url)
    engine = create_engine(sqlalchemy_url(url))
    add = text("INSERT INTO staff (username, display_name, role, password_hash, language, "
               "active, on_duty) VALUES (:name, :name, 'dispatcher', 'x', 'ko', true, false)")
    try:
        command.upgrade(config, "b7d9f1a3c5e8")
        with engine.begin() as conn:
            for username in ("rvin_admin", "RVIN_ADMIN", "Rvin_Admin", "solo"):
                conn.execute(add, {"name": username})
        command.upgrade(config, "head")  # an old database with such accounts still upgrades
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT username FROM staff ORDER BY id")).scalars().all()
        assert kept == ["rvin_admin", "RVIN_ADMIN", "Rvin_Admin", "solo"]
        for taken in ("rvin_ADMIN", "SOLO"):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(add, {"name": taken})
        with engine.begin() as conn:
            conn.execute(add, {"name": "fresh"})
        command.downgrade(config, "b7d9f1a3c5e8")
        with engine.begin() as conn:
            conn.execute(add, {"name": "FRESH"})
    finally:
        engine.dispose()
        drop_database(name)


def test_a_database_loaded_before_the_fix_gets_vietnamese_dong_names_without_dong():
    from sqlalchemy import text

    name = checkout_database_name() + "_migrations_vi"
    url = create_empty_database(name)
    config = alembic_config(url)
    engine = create_engine(sqlalchemy_url(url))
    square = "ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)))', 4326)"
    names = text("SELECT code, names->>'vi' FROM dongs ORDER BY code")
    try:
        command.upgrade(config, "c8e0a2b4d6f7")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO districts (code, name, names, boundary) VALUES"
                              " ('11680', '강남구', '{}', " + square + ")"))
            for code, vi, en in (("1", "Phường Samseong 1-dong", "Samseong 1-dong"),
                                 ("2", "Own name-dong", "Own name-dong"),
                                 ("3", "Phường Bến Nghé", "Ben Nghe Ward")):
                conn.execute(text(
                    "INSERT INTO dongs (code, district_code, name, names, boundary) VALUES"
                    " (:code, '11680', :code, jsonb_build_object('vi', :vi, 'en', :en), "
                    + square + ")"), {"code": code, "vi": vi, "en": en})
        command.upgrade(config, "d9f1b3c5e7a2")
        with engine.connect() as conn:
            assert conn.execute(names).all() == [("1", "Phường Samseong 1"),
                                                 ("2", "Own name-dong"),
                                                 ("3", "Phường Bến Nghé")]
        command.downgrade(config, "c8e0a2b4d6f7")
        with engine.connect() as conn:  # only the names the upgrade made go back
            assert conn.execute(names).all() == [("1", "Phường Samseong 1-dong"),
                                                 ("2", "Own name-dong"),
                                                 ("3", "Phường Bến Nghé")]
    finally:
        engine.dispose()
        drop_database(name)
