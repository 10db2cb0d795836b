"""The benchmark's generator: the million complaints must look like a real city's table."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from dispatch.db import sqlalchemy_url
from tests.conftest import create_empty_database, drop_database
from tests.services import ROOT, checkout_database_name

COUNT = 4000


@pytest.fixture(scope="module")
def generated():
    """A database of its own with Seoul loaded and COUNT generated complaints; yields sql()."""
    from alembic import command

    from bench.generate import generate
    from dispatch.migrate import alembic_config

    name = checkout_database_name() + "_generate"
    url = create_empty_database(name)
    command.upgrade(alembic_config(url), "head")
    # In a process of its own: the CLI configures its process's database for good, and this
    # one's is the suite's.
    env = {**os.environ, "DASAN_DATABASE_URL": url, "DASAN_SECRET_KEY": "x" * 24}
    done = subprocess.run([sys.executable, "-m", "dispatch.cli", "load-seoul"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    generate(url, COUNT, start_id=1)
    engine = create_engine(sqlalchemy_url(url))

    def sql(statement: str):
        with engine.connect() as conn:
            return conn.execute(text(statement)).all()

    try:
        yield sql
    finally:
        engine.dispose()
        drop_database(name)


def test_the_mix_of_categories_and_districts_follows_the_city(generated):
    [(total, parking, gangnam, jongno)] = generated(
        "SELECT count(*), count(*) FILTER (WHERE category_code = 'illegal_parking'),"
        " count(*) FILTER (WHERE district_code = '11680'),"
        " count(*) FILTER (WHERE district_code = '11110') FROM complaints")
    assert total == COUNT
    assert 0.39 < parking / total < 0.47
    # Gangnam has almost four times Jongno's residents, and so about four times the reports.
    assert 2.5 < gangnam / jongno < 6


def test_the_table_grows_in_time_order_over_one_year(generated):
    [(order, oldest_days, newest_days)] = generated(
        "SELECT corr(id, extract(epoch FROM created_at)),"
        " extract(epoch FROM now() - min(created_at)) / 86400,"
        " extract(epoch FROM now() - max(created_at)) / 86400 FROM complaints")
    assert order > 0.99  # ids (and so the heap) follow the clock, as in a real table
    assert 360 < oldest_days <= 366 and newest_days < 1


def test_only_recent_complaints_are_open_and_closed_ones_have_their_closing_event(generated):
    [(old_open, closed, with_event, closed_before_filed)] = generated(
        "SELECT count(*) FILTER (WHERE closed_at IS NULL AND created_at < now() - interval"
        " '3 days 1 hour'), count(*) FILTER (WHERE closed_at IS NOT NULL),"
        " count(*) FILTER (WHERE closed_at IS NOT NULL AND EXISTS (SELECT 1 FROM"
        " complaint_events e WHERE e.complaint_id = c.id AND e.to_status = c.status)),"
        " count(*) FILTER (WHERE closed_at < created_at) FROM complaints c")
    assert old_open == 0
    assert closed > COUNT * 0.9 and with_event == closed and closed_before_filed == 0


def test_each_report_lies_in_the_dong_and_district_it_is_routed_to(generated):
    [(outside,)] = generated(
        "SELECT count(*) FROM complaints c JOIN dongs d ON d.code = c.dong_code"
        " WHERE c.parent_id IS NULL AND (d.district_code <> c.district_code"
        " OR NOT ST_Intersects(d.boundary, c.location))")
    assert outside == 0


def test_duplicates_point_to_an_earlier_report_of_the_same_thing_nearby(generated):
    [(duplicates, linked, far, later_parent, other_kind)] = generated(
        "SELECT count(*) FILTER (WHERE c.status = 'duplicate'),"
        " count(*) FILTER (WHERE c.parent_id IS NOT NULL),"
        " count(*) FILTER (WHERE ST_DistanceSphere(c.location, p.location) > 30),"
        " count(*) FILTER (WHERE p.created_at > c.created_at),"
        " count(*) FILTER (WHERE p.district_code <> c.district_code"
        " OR p.category_code <> c.category_code)"
        " FROM complaints c LEFT JOIN complaints p ON p.id = c.parent_id")
    assert COUNT * 0.02 < duplicates < COUNT * 0.08
    assert linked == duplicates
    assert far == later_parent == other_kind == 0
