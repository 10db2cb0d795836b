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
