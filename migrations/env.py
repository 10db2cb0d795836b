"""Alembic environment: URL from settings, metadata from dispatch.models, GeoAlchemy2 hooks."""

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

from dispatch.db import sqlalchemy_url
from dispatch.models import Base

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    # Tests hand over a connection or URL through the config attributes; the CLI uses settings.
    url = config.attributes.get("database_url")
    if url:
        return sqlalchemy_url(url)
    from dispatch.settings import Settings

    return sqlalchemy_url(Settings.from_env().database_url)


def _include_object(obj, name, type_, reflected, compare_to):
    # PostGIS owns spatial_ref_sys and its TIGER/topology tables; never touch them.
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


COMMON = dict(
    target_metadata=target_metadata,
    include_object=_include_object,
    process_revision_directives=alembic_helpers.writer,
    render_item=alembic_helpers.render_item,
    compare_type=True,
    # One transaction per migration: a lock one takes (an ALTER's ACCESS EXCLUSIVE) ends with
    # it, not with the last of a batch of migrations.
    transaction_per_migration=True,
)

# A migration that cannot get its lock within this time fails (run it again later) instead of
# queueing behind a long query while every other query on the table queues behind it.
LOCK_TIMEOUT = "10s"



def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(url=_database_url(), literal_binds=True, **COMMON)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **COMMON)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_database_url(), poolclass=pool.NullPool,
                           connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT}"})
    with engine.connect() as connection:
        context.configure(connection=connection, **COMMON)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
