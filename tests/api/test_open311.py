"""Open311 GeoReport v2 as a client sees it: both formats parsed (XML with ElementTree)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own test responses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from dispatch import open311
from dispatch.categories import forget_cached_categories
from dispatch.models import Category, Complaint, ComplaintPhoto, Notification
from dispatch.workflow import MoveRequest, apply_move
from tests.factories import CITY_HALL, PLACES
from tests.photo_factory import make_image, webp_of_one_colour

FORMATS = ("xml", "json")
BASE = "/open311/v2"
PHONE = "010-9876-5432"
PERSONAL = {"email": "jane@example.org", "first_name": "Jane", "last_name": "Roe",
            "device_id": "device-7731", "account_id": "account-4410", "phone": PHONE}


def _value(element: ET.Element):
    """An element as a client reads it: text, a dict of children, or a list of items."""
    children = list(element)
    if not children:
        return element.text
    names = [child.tag for child in children]
    if len(set(names)) == 1 and (len(names) > 1 or element.tag in (
            "service_requests", "services", "attributes", "values", "errors", "endpoints",
            "formats", "notes", "media_urls")):
        return [_value(child) for child in children]
    return {child.tag: _value(child) for child in children}


def parse(response, fmt: str, root: str | None = None):
    """The body as Python values, checking the content type and (XML) the root element."""
    if fmt == "json":
        assert response.mimetype == "application/json"
        return response.get_json()
    assert response.mimetype == "text/xml"
    element = ET.fromstring(response.data)  # noqa: S314 - our own response
    if root:
        assert element.tag == root
    value = _value(element)
    # One-item lists parse as a dict in XML; make them the lists JSON has.
    if root in ("service_requests", "services", "errors") and isinstance(value, dict):
        return [value]
    return [] if value is None and root in ("service_requests", "services") else value


def as_number(value) -> float:
    return float(value)


def is_typed(fmt: str, value, expected) -> bool:
    """``value`` is ``expected`` as the format carries it: typed in JSON, text in XML."""
    if fmt == "json":
        return type(value) is type(expected) and value == expected
    text = ("true" if expected else "false") if isinstance(expected, bool) else str(expected)
    return value == text


@pytest.fixture
def api_key(session):
    return open311.create_key(session, "test-civic-app")


@pytest.fixture
def post_request(client, api_key):
    def _post(fmt="json", **fields):
        data = {"api_key": api_key, "service_code": "street_lamp",
                "lat": str(CITY_HALL[1]), "long": str(CITY_HALL[0]),
                "description": "Lamp out by the gate", **fields}
        data = {key: value for key, value in data.items() if value is not None}
        return client.post(f"{BASE}/requests.{fmt}", data=data)

    return _post


def _filed(response, fmt):
    assert response.status_code == 201, response.data
    return parse(response, fmt, "service_requests")[0]["service_request_id"]


# --- discovery and services ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_the_v2_endpoint_in_both_formats(client, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt, "discovery")
    endpoint = body["endpoints"][0] if isinstance(body["endpoints"], list) \
        else body["endpoints"]["endpoint"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert body["changeset"] and body["contact"] and body["key_service"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_every_category_with_codes_as_strings(client, fmt):
    response = client.get(f"{BASE}/services.{fmt}?lang=en")
    services = parse(response, fmt, "services")
    by_code = {service["service_code"]: service for service in services}
    assert "street_lamp" in by_code and "garbage" in by_code
    lamp = by_code["street_lamp"]
    assert lamp["service_name"] == "Street lamp out"
    assert lamp["type"] == "realtime" and is_typed(fmt, lamp["metadata"], True)
    assert lamp["group"] == "lighting" and "streetlight" in lamp["keywords"]
    assert is_typed(fmt, by_code["garbage"]["metadata"], False)


@pytest.fixture
def rich_category(session):
    """A category whose attributes use every Open311 datatype."""
    names = {lang: "Test" for lang in ("ko", "en", "zh", "ja", "mn", "vi")}
    attributes = [
        {"code": "plate", "datatype": "string", "required": True, "order": 1,
         "names": {"en": "Plate"}},
        {"code": "count", "datatype": "number", "required": False, "order": 2},
        {"code": "seen_at", "datatype": "datetime", "required": False, "order": 3},
        {"code": "details", "datatype": "text", "required": False, "order": 4},
        {"code": "size", "datatype": "singlevaluelist", "required": False, "order": 5,
         "values": [{"key": "small", "names": {"en": "Small"}},
                    {"key": "large", "names": {"en": "Large"}}]},
        {"code": "kinds", "datatype": "multivaluelist", "required": False, "order": 6,
         "values": [{"key": "glass"}, {"key": "paper"}, {"key": "metal"}]},
    ]
    session.add(Category(code="test_rich", names=names, descriptions={}, keywords={},
                         group="other", icon="other", priority=3, sla_minutes=60,
                         duplicate_radius_m=0, duplicate_window_hours=0,
                         attributes=attributes, sort_order=99, active=True))
    session.flush()
    forget_cached_categories()
    yield "test_rich"
    forget_cached_categories()


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_gives_every_datatype_with_values(client, rich_category, fmt):
    response = client.get(f"{BASE}/services/{rich_category}.{fmt}?lang=en")
    assert response.status_code == 200
    body = parse(response, fmt, "service_definition")
    assert body["service_code"] == rich_category
    attributes = {item["code"]: item for item in body["attributes"]}
    assert [attributes[code]["datatype"] for code in
            ("plate", "count", "seen_at", "details", "size", "kinds")] == \
        ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    assert is_typed(fmt, attributes["plate"]["required"], True)
    assert is_typed(fmt, attributes["count"]["required"], False)
    assert is_typed(fmt, attributes["plate"]["variable"], True)
    assert is_typed(fmt, attributes["count"]["order"], 2)
    assert attributes["size"]["values"] == [{"key": "small", "name": "Small"},
                                            {"key": "large", "name": "Large"}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_of_the_fixture_lamp_post(client, fmt):
    body = parse(client.get(f"{BASE}/services/street_lamp.{fmt}?lang=en"), fmt,
                 "service_definition")
    attributes = body["attributes"]
    attribute = attributes[0] if isinstance(attributes, list) else attributes["attribute"]
    assert attribute["code"] == "lamp_post_number"
    assert attribute["description"] == "Lamp-post number"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_is_404_in_the_spec_shape(client, fmt):
    response = client.get(f"{BASE}/services/no_such.{fmt}")
    assert response.status_code == 404
    errors = parse(response, fmt, "errors")
    assert is_typed(fmt, errors[0]["code"], 404) and "no_such" in errors[0]["description"]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_jurisdiction_is_404_and_the_right_one_works(client, fmt):
    wrong = client.get(f"{BASE}/services.{fmt}?jurisdiction_id=city.example.org")
    assert wrong.status_code == 404
    assert "jurisdiction" in parse(wrong, fmt, "errors")[0]["description"]
    assert client.get(f"{BASE}/services.{fmt}?jurisdiction_id=seoul.go.kr").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_jurisdiction_id_is_as_if_not_sent_on_every_endpoint(client, post_request,
                                                                      fmt):
    created = post_request(fmt, jurisdiction_id="")
    public_id = _filed(created, fmt)
    for path in ("discovery", "services", "services/street_lamp", "requests",
                 f"requests/{public_id}", f"tokens/{public_id}"):
        response = client.get(f"{BASE}/{path}.{fmt}?jurisdiction_id=")
        assert response.status_code == 200, (path, response.data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_query_parameter_sent_empty_is_ignored(client, create_complaint, fmt):
    public_id = create_complaint().public_id
    names = ("service_request_id", "service_code", "start_date", "end_date", "status",
             "page", "page_size", "updated_after", "updated_before", "bbox", "lat", "long",
             "radius", "extensions", "jurisdiction_id", "lang")
    assert public_id in _ids(client, fmt, "&".join(f"{name}=" for name in names))


def test_unknown_format_is_404_in_xml(client):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 404
    assert parse(response, "xml", "errors")[0]["code"] == "404"


@pytest.mark.parametrize(("path", "fmt"), [
    ("requests", "xml"), ("requests.geojson", "xml"), ("nothing.json", "json"),
    ("nothing.xml", "xml"), ("services/street_lamp/extra.json", "json")])
def test_an_unknown_path_is_404_in_the_spec_shape(client, path, fmt):
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 404
    error = parse(response, fmt, "errors")[0]
    assert is_typed(fmt, error["code"], 404) and "not_found" in error["description"]


@pytest.mark.parametrize(("method", "path", "fmt"), [
    ("PUT", "requests.json", "json"), ("DELETE", "requests.xml", "xml"),
    ("POST", "services.json", "json"), ("PATCH", "requests/261128-0000001.xml", "xml")])
def test_an_unsupported_method_is_405_in_the_spec_shape(client, method, path, fmt):
    response = client.open(f"{BASE}/{path}", method=method)
    assert response.status_code == 405
    error = parse(response, fmt, "errors")[0]
    assert is_typed(fmt, error["code"], 405) and "method_not_allowed" in error["description"]
    assert "GET" in response.headers["Allow"]


def test_paths_outside_open311_keep_the_project_error_shape(client):
    response = client.put("/api/v1/no-such-thing")
    assert response.status_code in (404, 405)
    assert response.get_json()["error"] in ("not_found", "method_not_allowed")


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_or_with_a_bad_or_revoked_key_is_403(client, session, post_request,
                                                         api_key, fmt):
    before = session.query(Complaint).count()
    assert post_request(fmt, api_key=None).status_code == 403
    bad = post_request(fmt, api_key="o311_not-a-key")
    assert bad.status_code == 403
    assert "invalid_api_key" in parse(bad, fmt, "errors")[0]["description"]
    open311.revoke_key(session, "test-civic-app")
    assert post_request(fmt).status_code == 403
    assert session.query(Complaint).count() == before


@pytest.mark.parametrize(("fields", "status", "word"), [
    ({"service_code": "no_such"}, 404, "no_such"),
    ({"service_code": None}, 400, "service_code"),
    ({"lat": None, "long": None}, 400, "location"),
    ({"lat": None, "long": None, "address_id": "A-1207"}, 400, "address_id is not supported"),
    ({"lat": "north", "long": "east"}, 400, "lat"),
    ({"lat": "95", "long": "126.9"}, 400, "invalid_location"),
    ({"lat": "nan", "long": "inf"}, 400, "invalid_location"),
    ({"lat": "35.1", "long": "129.0"}, 400, "outside_service_area"),  # Busan
    ({"description": "x" * 4001}, 400, "4000"),
    ({"attribute[no_such]": "1"}, 400, "no_such"),
    ({"lat": None, "long": None, "address_string": "somewhere nice"}, 400, "address"),
])
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_posts_get_the_spec_error_document(post_request, fields, status, word, fmt):
    response = post_request(fmt, **fields)
    assert response.status_code == status, response.data
    error = parse(response, fmt, "errors")[0]
    assert is_typed(fmt, error["code"], status)
    assert word in error["description"]


@pytest.mark.parametrize(("query", "word"), [
    ("start_date=yesterday", "start_date"),
    ("end_date=2026-13-01T00:00:00Z", "end_date"),
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-05-01T00:00:00Z", "90 days"),
    ("start_date=2026-05-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "before"),
    ("status=pending", "status"),
    ("page=0", "page"),
    ("page_size=1001", "page_size"),
    ("bbox=1,2,3", "bbox"),
    ("lat=37.5&long=126.9&radius=-5", "radius"),
    ("lat=37.5", "long"),
    ("updated_after=soon", "updated_after"),
    ("start_date=9999-12-31T00:00:00Z", "start_date"),
    ("end_date=0001-01-01", "end_date"),
    ("lat=nan&long=126.9", "lat"),
    ("bbox=nan,1,2,3", "bbox"),
])
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_query_parameters_are_400(client, query, word, fmt):
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert response.status_code == 400, response.data
    assert word in parse(response, fmt, "errors")[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404(client, fmt):
    assert client.get(f"{BASE}/requests/000000-0000000.{fmt}").status_code == 404
    response = client.get(f"{BASE}/tokens/nothing.{fmt}")
    assert response.status_code == 404
    assert is_typed(fmt, parse(response, fmt, "errors")[0]["code"], 404)


# --- filing and reading --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_files_through_intake_with_channel_open311(client, session, post_request, fmt):
    response = post_request(fmt, **PERSONAL, **{"attribute[lamp_post_number]": "L-1207"})
    assert response.status_code == 201
    created = parse(response, fmt, "service_requests")[0]
    complaint = session.query(Complaint).filter_by(
        public_id=created["service_request_id"]).one()
    assert complaint.channel == "open311"
    assert complaint.district_code == PLACES["city_hall"][1]
    assert complaint.attributes == {"lamp_post_number": "L-1207"}
    assert complaint.reporter_phone == "+821098765432"  # kept for SMS updates only
    assert "token" not in created  # the spec: no token when the id is returned
    assert "expected by" in created["service_notice"]
    # The receipt SMS is planned like any intake with a phone.
    assert any(event.kind == "received" for event in complaint.events)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_phone_that_is_not_a_number_files_the_request_without_it(session, post_request,
                                                                  fmt):
    response = post_request(fmt, phone="call me maybe 12")
    created = parse(response, fmt, "service_requests")[0]
    complaint = session.query(Complaint).filter_by(
        public_id=_filed(response, fmt)).one()
    assert complaint.reporter_phone is None
    assert "no SMS updates" in created["service_notice"]
    assert "call me" not in response.get_data(as_text=True)
    assert session.query(Notification).filter_by(complaint_id=complaint.id).count() == 0
    good = parse(post_request(fmt, phone=PHONE, lat="37.57"), fmt, "service_requests")[0]
    assert "SMS" not in good["service_notice"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_personal_data_in_any_output(client, post_request, fmt):
    filed = post_request(fmt, **PERSONAL)
    service_request_id = _filed(filed, fmt)
    bodies = [filed.data]
    for path in (f"requests.{fmt}?extensions=true", f"requests/{service_request_id}.{fmt}"
                 "?extensions=true", f"tokens/{service_request_id}.{fmt}"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 200
        bodies.append(response.data)
    for body in bodies:
        text = body.decode()
        for value in (*PERSONAL.values(), "98765432", "9876-5432"):
            assert value not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_address_string_alone_is_placed_in_the_named_dong(client, session, post_request, fmt):
    response = post_request(fmt, lat=None, long=None, address_string="서울 종로구 사직동 123")
    public_id = _filed(response, fmt)
    complaint = session.query(Complaint).filter_by(public_id=public_id).one()
    assert complaint.district_code == "11110"
    assert complaint.address == "서울 종로구 사직동 123"


@pytest.mark.parametrize("fmt", FORMATS)
def test_attributes_of_every_datatype_are_checked(post_request, session, rich_category, fmt):
    base = {"service_code": rich_category, "attribute[plate]": "12가3456"}
    good = post_request(fmt, **base, **{"attribute[count]": "3", "attribute[size]": "large",
                                        "attribute[seen_at]": "2026-11-28T08:00:00+09:00",
                                        "attribute[kinds][]": ["glass", "metal"]})
    public_id = _filed(good, fmt)
    complaint = session.query(Complaint).filter_by(public_id=public_id).one()
    assert complaint.attributes["kinds"] == "glass,metal"
    assert complaint.attributes["size"] == "large"
    for bad in ({"attribute[count]": "many"}, {"attribute[size]": "huge"},
                {"attribute[kinds][]": ["glass", "wood"]}, {"attribute[seen_at]": "noon"},
                {"attribute[size]": ["small", "large"]}):
        assert post_request(fmt, **base, **bad).status_code == 400
    missing = post_request(fmt, service_code=rich_category)
    assert missing.status_code == 400
    assert "plate" in parse(missing, fmt, "errors")[0]["description"]
    # An attribute sent empty is not sent: required ones are still asked for, and an
    # empty unknown one is no error.
    empty = post_request(fmt, service_code=rich_category, **{"attribute[plate]": ""})
    assert empty.status_code == 400
    assert "plate is required" in parse(empty, fmt, "errors")[0]["description"]
    _filed(post_request(fmt, **base, **{"attribute[no_such]": "", "attribute[count]": ""}),
           fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_attribute_refusals_name_the_problem_and_a_lost_plus_is_repaired(
        post_request, session, rich_category, fmt):
    # The checks are intake's one rule (dispatch/attributes.py), with its stable problems.
    base = {"service_code": rich_category, "attribute[plate]": "12가3456"}
    for bad, problem in (({"attribute[count]": "1e3"}, "plain decimal"),
                         ({"attribute[size]": ["small", "large"]}, "takes one value"),
                         ({"attribute[seen_at]": "1850-01-01"}, "between")):
        response = post_request(fmt, **base, **bad)
        assert response.status_code == 400
        assert problem in parse(response, fmt, "errors")[0]["description"]
    # A '+' sent unencoded in the form body arrives as a space.
    public_id = _filed(post_request(fmt, **base, **{
        "attribute[seen_at]": "2026-11-28T08:00:00 09:00"}), fmt)
    complaint = session.query(Complaint).filter_by(public_id=public_id).one()
    assert complaint.attributes["seen_at"] == "2026-11-28T08:00:00+09:00"


@pytest.mark.parametrize("fmt", FORMATS)
def test_multipart_media_is_stored_as_a_report_photo(client, session, api_key, settings, fmt):
    data = {"api_key": api_key, "service_code": "street_lamp", "lat": str(CITY_HALL[1]),
            "long": str(CITY_HALL[0]), "media": (io.BytesIO(make_image()), "lamp.jpg")}
    response = client.post(f"{BASE}/requests.{fmt}", data=data,
                           content_type="multipart/form-data")
    public_id = _filed(response, fmt)
    complaint = session.query(Complaint).filter_by(public_id=public_id).one()
    photos = session.query(ComplaintPhoto).filter_by(complaint_id=complaint.id).all()
    assert [photo.kind for photo in photos] == ["report"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_non_image_media_files_nothing(client, session, api_key, fmt):
    before = session.query(Complaint).count()
    data = {"api_key": api_key, "service_code": "street_lamp", "lat": str(CITY_HALL[1]),
            "long": str(CITY_HALL[0]), "media": (io.BytesIO(b"%PDF-1.4 nope"), "x.pdf")}
    response = client.post(f"{BASE}/requests.{fmt}", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 415
    assert is_typed(fmt, parse(response, fmt, "errors")[0]["code"], 415)
    assert session.query(Complaint).count() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_tiny_webp_of_many_pixels_files_nothing(client, session, api_key, fmt):
    before = session.query(Complaint).count()
    data = {"api_key": api_key, "service_code": "street_lamp", "lat": str(CITY_HALL[1]),
            "long": str(CITY_HALL[0]),
            "media": (io.BytesIO(webp_of_one_colour(5000, 5000)), "flat.webp")}
    response = client.post(f"{BASE}/requests.{fmt}", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 400  # Open311 answers every refused field with 400
    assert "pixels" in parse(response, fmt, "errors")[0]["description"]
    assert session.query(Complaint).count() == before


def _request_fields(view):
    return {"service_request_id", "status", "service_name", "service_code",
            "agency_responsible", "requested_datetime", "updated_datetime",
            "expected_datetime", "address", "lat", "long"} <= set(view)


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_by_id_has_the_spec_fields_and_iso_times(client, post_request, fmt):
    public_id = _filed(post_request(fmt), fmt)
    views = parse(client.get(f"{BASE}/requests/{public_id}.{fmt}?lang=en"), fmt,
                  "service_requests")
    view = views[0]
    assert _request_fields(view)
    assert view["status"] == "open"
    assert view["service_name"] == "Street lamp out"
    assert view["agency_responsible"] == "Jung-gu"
    assert abs(as_number(view["lat"]) - CITY_HALL[1]) < 1e-6
    assert abs(as_number(view["long"]) - CITY_HALL[0]) < 1e-6
    requested = datetime.fromisoformat(view["requested_datetime"])
    expected = datetime.fromisoformat(view["expected_datetime"])
    assert requested.utcoffset() == timedelta(hours=9)  # Asia/Seoul, with its offset
    assert expected - requested == timedelta(minutes=1440)  # the street lamp SLA
    assert "extended_attributes" not in view


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_earlier_token_still_resolves_to_the_request(client, post_request, fmt):
    created = parse(post_request(fmt), fmt, "service_requests")[0]
    # Earlier answers gave the id itself as the token; clients may still hold those.
    token = created["service_request_id"]
    body = parse(client.get(f"{BASE}/tokens/{token}.{fmt}"), fmt, "service_requests")
    assert body[0] == {"service_request_id": token, "token": token}


@pytest.fixture
def three_requests(create_complaint, session):
    """Lamp at City Hall (now), garbage at COEX (10 days ago), lamp at Gimpo (100 days ago)."""
    now = datetime.now(UTC)
    made = [create_complaint(lonlat=PLACES["city_hall"][0]),
            create_complaint(category="garbage", lonlat=PLACES["coex"][0]),
            create_complaint(lonlat=PLACES["gimpo_airport"][0])]
    for complaint, age in zip(made, (0, 10, 100), strict=True):
        session.execute(update(Complaint).where(Complaint.id == complaint.id).values(
            created_at=now - timedelta(days=age), updated_at=now - timedelta(days=age)))
    session.expire_all()
    return [complaint.public_id for complaint in made]


def _ids(client, fmt, query):
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert response.status_code == 200, response.data
    return [view["service_request_id"] for view in parse(response, fmt, "service_requests")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_filters(client, three_requests, fmt):
    lamp, garbage, old = three_requests
    ids = _ids(client, fmt, "")
    assert lamp in ids and garbage in ids and old not in ids  # the default 90 days
    assert ids.index(lamp) < ids.index(garbage)  # newest first
    assert garbage not in _ids(client, fmt, "service_code=street_lamp")
    assert set(_ids(client, fmt, f"service_request_id={old},{garbage}&service_code=x")) \
        == {old, garbage}  # ids override every other filter
    old_day = (datetime.now(UTC) - timedelta(days=100)).date()
    assert _ids(client, fmt, f"start_date={old_day - timedelta(days=1)}T00:00:00Z"
                f"&end_date={old_day + timedelta(days=2)}T00:00:00%2B09:00") == [old]
    assert lamp in _ids(client, fmt, "status=open") and not _ids(client, fmt, "status=closed")
    coex = PLACES["coex"][0]
    assert _ids(client, fmt, f"lat={coex[1]}&long={coex[0]}&radius=100") == [garbage]
    bbox = f"{coex[0] - 0.01},{coex[1] - 0.01},{coex[0] + 0.01},{coex[1] + 0.01}"
    assert _ids(client, fmt, f"bbox={bbox}") == [garbage]
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+", "%2B")
    after = _ids(client, fmt, f"updated_after={since}")
    assert lamp in after and garbage not in after
    before = _ids(client, fmt, f"updated_before={since}")
    assert garbage in before and lamp not in before


@pytest.mark.parametrize("fmt", FORMATS)
def test_filters_declared_several_times_take_every_value(client, three_requests,
                                                        create_complaint, fmt):
    lamp, garbage, _ = three_requests
    ids = _ids(client, fmt, "service_code=garbage&service_code=street_lamp")
    assert lamp in ids and garbage in ids
    assert {lamp, garbage} <= set(_ids(client, fmt, "service_code=garbage,street_lamp"))
    duplicate = create_complaint(lonlat=PLACES["city_hall"][0])  # closed as a duplicate
    both = _ids(client, fmt, "status=open&status=closed")
    assert lamp in both and duplicate.public_id in both


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unencoded_plus_in_a_date_and_a_date_alone_as_end_date(client, three_requests,
                                                                   fmt):
    lamp, garbage, _ = three_requests
    # The '+' of +09:00 arrives as a space when a client does not encode it.
    since = (datetime.now(UTC) - timedelta(days=1)).astimezone(ZoneInfo("Asia/Seoul"))
    ids = _ids(client, fmt, f"start_date={since.replace(microsecond=0).isoformat()}")
    assert lamp in ids and garbage not in ids
    # A date alone as end_date means up to the end of that day in Seoul, not its midnight.
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    assert lamp in _ids(client, fmt, f"end_date={today}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_pagination_pages_do_not_overlap(client, create_complaint, fmt):
    for place in ("city_hall", "ddp", "coex"):
        create_complaint(category="garbage", lonlat=PLACES[place][0])
    first = _ids(client, fmt, "service_code=garbage&page_size=2")
    second = _ids(client, fmt, "service_code=garbage&page_size=2&page=2")
    assert len(first) == 2 and len(second) >= 1 and not set(first) & set(second)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_post_get_close_get(client, session, settings, post_request,
                                      create_staff, fmt):
    public_id = _filed(post_request(fmt), fmt)
    view = parse(client.get(f"{BASE}/requests/{public_id}.{fmt}"), fmt, "service_requests")[0]
    assert view["status"] == "open" and not view.get("status_notes")

    complaint = session.query(Complaint).filter_by(public_id=public_id).one()
    supervisor = create_staff("supervisor", complaint.district_code)
    apply_move(session, settings, complaint, MoveRequest(
        "unfounded", version=complaint.version, outcome="already_fixed",
        public_note="The lamp was repaired this morning", internal_note="crew 7 log"),
        supervisor)
    session.commit()

    response = client.get(f"{BASE}/requests/{public_id}.{fmt}?extensions=true")
    view = parse(response, fmt, "service_requests")[0]
    assert view["status"] == "closed"
    assert view["status_notes"] == "The lamp was repaired this morning"
    extended = view["extended_attributes"]
    assert extended["detailed_status"] == "unfounded"
    assert extended["outcome"] == "already_fixed"
    assert extended["district_code"] == complaint.district_code
    assert extended["dong_code"] == complaint.dong_code
    notes = view["notes"]
    assert [note["detailed_status"] for note in notes] == ["received", "dispatched",
                                                          "unfounded"]
    assert notes[-1]["status"] == "closed"
    assert notes[-1]["summary"] == "The lamp was repaired this morning"
    assert "crew 7" not in response.data.decode()  # internal notes never leave
    closed = _ids(client, fmt, "status=closed")
    assert public_id in closed


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_shows_its_parent_in_extensions(client, create_complaint, fmt):
    parent = create_complaint()
    child = create_complaint()
    assert child.parent_id == parent.id
    view = parse(client.get(f"{BASE}/requests/{child.public_id}.{fmt}?extensions=true"),
                 fmt, "service_requests")[0]
    assert view["status"] == "closed"
    assert view["extended_attributes"]["duplicate_of"] == parent.public_id


def test_post_is_rate_limited_per_key(client, low_limits, post_request, session):
    low_limits(rate_limit_open311_key="2/minute")
    answers = [post_request("json", lat=str(37.5663 + i * 0.01)) for i in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert 0 < int(answers[2].headers["Retry-After"]) <= 60
    other = open311.create_key(session, "another-app")
    assert post_request("json", api_key=other).status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_photo_urls_only_when_made_public(client, app, settings, api_key, fmt):
    data = {"api_key": api_key, "service_code": "garbage", "lat": str(CITY_HALL[1]),
            "long": str(CITY_HALL[0]), "media": (io.BytesIO(make_image()), "bag.jpg")}
    public_id = _filed(client.post(f"{BASE}/requests.{fmt}", data=data,
                                   content_type="multipart/form-data"), fmt)
    url = f"{BASE}/requests/{public_id}.{fmt}?extensions=true"
    hidden = parse(client.get(url), fmt, "service_requests")[0]
    assert not hidden.get("media_url") and not hidden["extended_attributes"].get("media_urls")

    app.extensions["dispatch.settings"] = settings.replace(open311_public_photos=True)
    try:
        shown = parse(client.get(url), fmt, "service_requests")[0]
    finally:
        app.extensions["dispatch.settings"] = settings
    media_url = shown["media_url"]
    assert media_url.startswith(settings.public_url)
    media_urls = shown["extended_attributes"]["media_urls"]
    assert (media_urls if isinstance(media_urls, list) else [media_urls]) == [media_url]
    photo = client.get(media_url.removeprefix(settings.public_url))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_retried_post_with_an_idempotency_key_files_once(client, session, api_key, fmt):
    data = {"api_key": api_key, "service_code": "street_lamp", "lat": str(CITY_HALL[1]),
            "long": str(CITY_HALL[0]), "description": "Lamp out, retried after a timeout",
            "phone": "010-5555-0101"}
    headers = {"Idempotency-Key": f"civic-app-{fmt}-request-17"}
    first = client.post(f"{BASE}/requests.{fmt}", data=data, headers=headers)
    again = client.post(f"{BASE}/requests.{fmt}", data=data, headers=headers)
    assert (first.headers["Idempotent-Replayed"], again.headers["Idempotent-Replayed"]) == (
        "false", "true")
    assert _filed(first, fmt) == _filed(again, fmt)
    filed = session.query(Complaint).filter_by(description=data["description"]).all()
    assert len(filed) == 1
    receipts = session.query(Notification).filter_by(complaint_id=filed[0].id,
                                                     template="received").count()
    assert receipts == 1
    # The same key with another body is refused, not silently answered with the first.
    other = client.post(f"{BASE}/requests.{fmt}", data={**data, "description": "Other"},
                        headers=headers)
    assert other.status_code == 400  # the spec's status for bad input
    assert "idempotency_key_reused" in other.get_data(as_text=True)
    # Another app's identical key is another request.
    other_app = open311.create_key(session, "another-civic-app")
    elsewhere = client.post(f"{BASE}/requests.{fmt}", data={**data, "api_key": other_app},
                            headers=headers)
    assert _filed(elsewhere, fmt) != _filed(first, fmt)


def test_a_retry_with_another_reader_language_files_once(client, api_key):
    data = {"api_key": api_key, "service_code": "street_lamp", "lat": str(CITY_HALL[1]),
            "long": str(CITY_HALL[0]), "description": "Lamp out, retried in English"}
    key = {"Idempotency-Key": "civic-app-language-switch-1"}
    first = client.post(f"{BASE}/requests.json", data=data,
                        headers={**key, "Accept-Language": "ko"})
    again = client.post(f"{BASE}/requests.json?lang=en", data=data, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _filed(first, "json") == _filed(again, "json")


@pytest.mark.parametrize("key", ["", "x" * 201, "키"])
def test_a_bad_idempotency_key_is_400(client, api_key, key):
    response = client.post(f"{BASE}/requests.json", headers={"Idempotency-Key": key}, data={
        "api_key": api_key, "service_code": "street_lamp", "lat": str(CITY_HALL[1]),
        "long": str(CITY_HALL[0]), "description": "Lamp out"})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()[0]["description"]
