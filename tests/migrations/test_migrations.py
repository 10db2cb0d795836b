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
