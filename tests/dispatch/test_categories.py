"""The categories file: a hand-edited file whose mistakes are named before anything is stored."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from dispatch.categories import load_categories
from dispatch.errors import ImportFailed
from dispatch.models import Category
from tests.services import ROOT

SAMPLE = json.loads((ROOT / "fixtures" / "categories.json").read_text(encoding="utf-8"))


def _lamp(**changes) -> dict:
    entry = copy.deepcopy(next(c for c in SAMPLE["categories"] if c["code"] == "street_lamp"))
    entry.update(changes)
    return entry


def _with_attribute(**changes) -> dict:
    spec = {"code": "pole_colour", "datatype": "singlevaluelist",
            "names": {"ko": "기둥 색", "en": "Pole colour"},
            "values": [{"key": "grey", "names": {"en": "Grey"}},
                       {"key": "green", "names": {"en": "Green"}}]}
    spec.update(changes)
    return _lamp(attributes=[spec])


def _write(tmp_path, *entries) -> str:
    path = tmp_path / "categories.json"
    path.write_text(json.dumps({"categories": list(entries)}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("entry", "named"), [
    (_lamp(sla_minutes="2h"), "sla_minutes must be a whole number"),
    (_lamp(sla_minutes=0), "sla_minutes must be a whole number from 1"),
    (_lamp(duplicate_radius_m=-5), "duplicate_radius_m must be a whole number"),
    (_lamp(priority=True), "priority must be a whole number from 1 to 5"),
    (_lamp(code="Street Lamp"), "code must be 1-64 of a-z"),
    (_lamp(active="yes"), "active must be true or false"),
    (_lamp(keywords={"ko": "가로등"}), "keywords must map languages to lists of words"),
    (_lamp(attributes={"code": "x"}), "attributes must be a list"),
    (_with_attribute(code=None), "attribute 1: code must be"),
    (_with_attribute(datatype="colour"), "datatype must be one of"),
    (_with_attribute(values=[]), "a singlevaluelist needs values to choose from"),
    (_with_attribute(values=[{"key": "grey,green"}]), "without ','"),
    (_with_attribute(values=[{"key": "grey"}, {"key": "grey"}]), "'grey' is listed twice"),
    (_with_attribute(required="no"), "required must be true or false"),
    (_with_attribute(names={}), "needs names"),
    ("street_lamp", "is not an object"),
])
def test_a_wrong_category_is_named_and_nothing_is_stored(session, tmp_path, entry, named):
    before = session.get(Category, "street_lamp").sla_minutes
    good = copy.deepcopy(next(c for c in SAMPLE["categories"] if c["code"] == "garbage"))
    good["sla_minutes"] = 1234  # a change the wrong file must not get in either
    with pytest.raises(ImportFailed, match=named):
        with session.begin_nested():
            load_categories(session, _write(tmp_path, good, entry))
    assert session.get(Category, "garbage").sla_minutes != 1234
    assert session.get(Category, "street_lamp").sla_minutes == before


def test_every_problem_of_the_file_is_named_at_once(session, tmp_path):
    path = _write(tmp_path, _lamp(sla_minutes="2h", icon=""), _lamp())
    with pytest.raises(ImportFailed) as refused:
        with session.begin_nested():
            load_categories(session, path)
    message = str(refused.value)
    assert "sla_minutes" in message and "icon" in message
    assert "'street_lamp' is listed twice" in message


def test_the_sample_file_and_a_list_of_choices_load(session, tmp_path):
    assert load_categories(session, ROOT / "fixtures" / "categories.json")[0] == 0
    with session.begin_nested():
        load_categories(session, _write(tmp_path, _with_attribute(values=[
            {"key": "grey", "names": {"en": "Grey"}}, {"key": 7, "names": {"en": "Seven"}}])))
        [spec] = session.scalar(select(Category.attributes).where(
            Category.code == "street_lamp"))
        assert [value["key"] for value in spec["values"]] == ["grey", 7]
        session.rollback()


def test_the_command_says_what_is_wrong_without_a_traceback(tmp_path, database_url):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DASAN_DATABASE_URL": database_url, "DASAN_SECRET_KEY": "x" * 24}
    done = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "load-categories",
         _write(tmp_path, _lamp(sla_minutes="2h"))],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "sla_minutes must be a whole number" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
