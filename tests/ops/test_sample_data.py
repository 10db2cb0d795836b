"""setup.sh loads the Seoul sample on every start: it must never replace the city's own data."""

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from dispatch.db import sqlalchemy_url
from tests.conftest import create_empty_database, drop_database
from tests.services import ROOT, checkout_database_name

SAMPLE_SOURCE = "fixtures/seoul_links_synthetic.geojson"
SHARED_LINK_ID = "1220003800"  # an id the synthetic layer also uses


@pytest.fixture
def fresh_database():
    """An empty, migrated database of this test's own; yields (url, cli runner, sql runner)."""
    from alembic import command

    from dispatch.migrate import alembic_config

    name = checkout_database_name() + "_samples"
    url = create_empty_database(name)
    command.upgrade(alembic_config(url), "head")
    env = {**os.environ, "DASAN_DATABASE_URL": url, "DASAN_SECRET_KEY": "x" * 24}
    engine = create_engine(sqlalchemy_url(url))

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "dispatch.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def sql(statement: str, **params):
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else []

    try:
        yield cli, sql
    finally:
        engine.dispose()
        drop_database(name)


def _write(path, features) -> str:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return str(path)


def _city_dong_layer(tmp_path) -> str:
    square = [[126.96, 37.57], [126.98, 37.57], [126.98, 37.59], [126.96, 37.59], [126.96, 37.57]]
    return _write(tmp_path / "dongs.geojson", [{
        "type": "Feature", "properties": {"code": "9999999999", "name": "시청동", "gu": "11110"},
        "geometry": {"type": "Polygon", "coordinates": [square]}}])


def _city_link_layer(tmp_path) -> str:
    return _write(tmp_path / "links.geojson", [{
        "type": "Feature", "properties": {"id": SHARED_LINK_ID, "name": "실제도로"},
        "geometry": {"type": "LineString", "coordinates": [[126.97, 37.56], [126.971, 37.561]]}}])


def test_a_second_start_keeps_the_citys_areas_sla_and_links(fresh_database, tmp_path):
    cli, sql = fresh_database
    cli("load-seoul")
    cli("load-traffic-fixtures")
    assert sql("SELECT count(*) FROM dongs")[0][0] == 425
    assert sql("SELECT count(*) FROM road_links WHERE source = :s", s=SAMPLE_SOURCE)[0][0] == 24

    # The city makes the data its own: an SLA, a dong layer, a real road link layer.
    category = sql("SELECT code FROM categories ORDER BY code LIMIT 1")[0][0]
    sql("UPDATE categories SET sla_minutes = 45 WHERE code = :c", c=category)
    cli("import-areas", "dong", _city_dong_layer(tmp_path), "--code-prop", "code",
        "--name-prop", "name", "--parent-prop", "gu")
    out = cli("import-links", _city_link_layer(tmp_path), "--id-prop", "id",
              "--name-prop", "name", "--source", "city-links")
    assert "removed the 23 synthetic sample links" in out

    # The next start of up.sh runs setup.sh again.
    seoul = cli("load-seoul")
    traffic = cli("load-traffic-fixtures")

    assert "not loaded over them" in seoul and "never loaded beside them" in traffic
    assert sql("SELECT sla_minutes FROM categories WHERE code = :c", c=category)[0][0] == 45
    assert sql("SELECT code, name FROM dongs") == [("9999999999", "시청동")]
    assert sql("SELECT name, source FROM road_links") == [("실제도로", "city-links")]


def test_forcing_the_traffic_sample_never_adds_synthetic_links_beside_real_ones(
        fresh_database, tmp_path):
    cli, sql = fresh_database
    cli("load-seoul")
    cli("import-links", _city_link_layer(tmp_path), "--id-prop", "id", "--name-prop", "name",
        "--source", "city-links")
    cli("load-traffic-fixtures", "--force")
    assert sql("SELECT link_id, source FROM road_links") == [(SHARED_LINK_ID, "city-links")]
