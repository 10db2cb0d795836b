"""Attribute values are checked against their datatype and list on every channel."""

import json
import uuid

import pytest
from sqlalchemy import select

from dispatch.categories import forget_cached_categories
from dispatch.models import Category, Complaint
from tests.api.test_photos import INTAKE, intake_form, post_multipart
from tests.factories import CITY_HALL, complaint_json

CODE = "test_typed"


@pytest.fixture
def typed_category(session):
    """A category with a number, a datetime and both kinds of list."""
    names = {lang: "Typed" for lang in ("ko", "en", "zh", "ja", "mn", "vi")}
    attributes = [
        {"code": "count", "datatype": "number", "order": 1, "names": {"en": "Count"}},
        {"code": "seen_at", "datatype": "datetime", "order": 2},
        {"code": "size", "datatype": "singlevaluelist", "order": 3,
         "names": {"en": "Size", "ko": "크기"},
         "values": [{"key": "small", "names": {"en": "Small", "ko": "작음"}},
                    {"key": "large", "names": {"en": "Large", "ko": "큼"}}]},
        {"code": "kinds", "datatype": "multivaluelist", "order": 4,
         "values": [{"key": "glass"}, {"key": "paper"}, {"key": "metal"}]},
        {"code": "note", "order": 5},  # no datatype: a string
    ]
    session.add(Category(code=CODE, names=names, descriptions={}, keywords={},
                         group="other", icon="other", priority=3, sla_minutes=60,
                         duplicate_radius_m=0, duplicate_window_hours=0,
                         attributes=attributes, sort_order=99, active=True))
    session.flush()
    forget_cached_categories()
    yield CODE
    forget_cached_categories()


def post(client, attributes, path="/api/v1/complaints", headers=None):
    return client.post(path, json=complaint_json(category=CODE, attributes=attributes),
                       headers={"Idempotency-Key": str(uuid.uuid4()), **(headers or {})})


def stored(session, response) -> dict:
    assert response.status_code == 201, response.get_json()
    public_id = response.get_json()["public_id"]
    return session.scalar(select(Complaint.attributes).where(Complaint.public_id == public_id))


BAD = [
    ({"count": "abc"}, "count", "not_a_number"),
    ({"count": "1e3"}, "count", "not_a_number"),
    ({"count": "３"}, "count", "not_a_number"),  # full-width digit
    ({"seen_at": "noon"}, "seen_at", "not_a_datetime"),
    ({"seen_at": "1850-01-01T00:00:00+09:00"}, "seen_at", "not_a_datetime"),
    ({"seen_at": "2026-11-28T08:00:00+20:00"}, "seen_at", "not_a_datetime"),
    ({"size": "huge"}, "size", "unknown_value"),
    ({"size": "Small"}, "size", "unknown_value"),  # a name is not a key
    ({"size": "small,large"}, "size", "one_value"),
    ({"kinds": "glass,wood"}, "kinds", "unknown_value"),
]


@pytest.mark.parametrize(("attributes", "code", "problem"), BAD)
def test_a_value_that_does_not_fit_its_datatype_is_refused_naming_it(
        client, typed_category, attributes, code, problem):
    response = post(client, attributes)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid_complaint"
    assert body["details"]["attribute"] == code
    assert body["details"]["problem"] == problem
    assert code in body["errors"]["json"]["attributes"][0]


def test_values_that_fit_are_stored_with_lists_as_keys(client, session, typed_category):
    values = stored(session, post(client, {
        "count": " 3.5 ", "seen_at": "2026-11-28T08:00", "size": "large",
        "kinds": "metal, glass,metal", "note": "by the gate"}))
    assert values == {"count": "3.5", "seen_at": "2026-11-28T08:00", "size": "large",
                      "kinds": "metal,glass", "note": "by the gate"}
    assert stored(session, post(client, {"seen_at": "2026-11-28T08:00:00Z"})) == {
        "seen_at": "2026-11-28T08:00:00Z"}


def test_the_agent_desk_is_held_to_the_same_rule(client, session, typed_category,
                                                 create_staff, login):
    headers = login(create_staff("dispatcher"))
    response = post(client, {"size": "huge"}, "/api/v1/staff/complaints", headers)
    assert response.status_code == 422
    assert response.get_json()["details"] == {
        "attribute": "size", "problem": "unknown_value", "allowed": ["small", "large"]}
    response = post(client, {"count": "many"}, "/api/v1/staff/complaints", headers)
    assert response.get_json()["details"]["problem"] == "not_a_number"
    assert stored(session, post(client, {"size": "small"}, "/api/v1/staff/complaints",
                                headers)) == {"size": "small"}


def test_the_report_with_photos_is_held_to_the_same_rule(client, typed_category):
    from tests.photo_factory import make_image

    lon, lat = CITY_HALL
    form = intake_form(make_image(), category=CODE, lon=str(lon), lat=str(lat),
                       attributes=json.dumps({"count": "three"}))
    response = post_multipart(client, INTAKE, form, {})
    assert response.status_code == 422
    assert response.get_json()["details"]["problem"] == "not_a_number"
    assert "attributes" in response.get_json()["errors"]["form"]


def test_the_category_list_gives_datatypes_and_named_choices(client, typed_category):
    for lang, small in (("en", "Small"), ("ko", "작음"), ("vi", "Small")):
        categories = client.get(f"/api/v1/categories?lang={lang}").get_json()
        specs = {spec["code"]: spec for spec in
                 next(c for c in categories if c["code"] == CODE)["attributes"]}
        assert specs["size"]["datatype"] == "singlevaluelist"
        assert specs["size"]["values"] == [{"key": "small", "name": small},
                                           {"key": "large", "name": "Large" if lang != "ko"
                                            else "큼"}]
        assert specs["kinds"]["values"][0] == {"key": "glass", "name": "glass"}
        assert specs["note"]["datatype"] == "string" and specs["note"]["values"] == []
        assert specs["count"]["datatype"] == "number"
