"""The same request mistake gets the same status and stable code on every route.

/api answers with our JSON error document, /open311 with the spec's error document.
"""

import gzip
import io
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from dispatch import open311
from tests.api.answers import error_of, open311_error
from tests.factories import CITY_HALL, complaint_json
from tests.photo_factory import make_image

BODY = json.dumps(complaint_json())




# --- wrong Content-Type -------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/xml", None])
def test_a_json_route_refuses_a_body_that_is_not_json_with_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/v1/complaints", data=BODY, headers=headers)
    body = error_of(response, 415, "unsupported_media_type")
    assert "application/json" in body["message"]


def test_every_json_route_refuses_a_text_body(client, create_staff, login):
    headers = login(create_staff("admin"))
    for path, method in (("/api/v1/auth/login", "post"), ("/api/v1/incidents", "post"),
                         ("/api/v1/staff/accounts", "post"), ("/api/v1/incidents/1", "patch"),
                         ("/api/v1/push-subscriptions", "delete")):
        response = getattr(client, method)(path, data="{}", content_type="text/plain",
                                           headers=headers)
        error_of(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/api/v1/complaints"])
def test_routes_without_a_body_or_with_json_still_work(client, path):
    # No body: nothing to refuse for its media type (logout has no body at all).
    response = client.post(path)
    assert response.status_code != 415
    assert client.post("/api/v1/complaints", json=complaint_json()).status_code == 201
    # A JSON type with a suffix or a charset is still JSON.
    response = client.post("/api/v1/complaints", data=BODY,
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_photos_refuse_a_json_body_with_the_same_code(client, complaint, reporter):
    response = client.post(f"/api/v1/complaints/{complaint.public_id}/photos",
                           data=b"\xff\xd8\xff", content_type="image/jpeg", headers=reporter)
    error_of(response, 415, "unsupported_media_type")
    response = client.post("/api/v1/complaints/with-photos", data=BODY,
                           content_type="application/json")
    error_of(response, 415, "unsupported_media_type")
    # Broken JSON to a form-only route is the same mistake: 415, not invalid_json.
    for broken in ("{", "[" * 100 + "]" * 100):
        response = client.post("/api/v1/complaints/with-photos", data=broken,
                               content_type="application/json")
        error_of(response, 415, "unsupported_media_type")


def test_open311_post_with_json_is_the_specs_415_not_a_missing_key(client, session):
    key = open311.create_key(session, "json-poster")
    response = client.post("/open311/v2/requests.json", data=json.dumps({
        "api_key": key, "service_code": "street_lamp", "lat": CITY_HALL[1],
        "long": CITY_HALL[0]}), content_type="application/json")
    assert "form" in open311_error(response, 415, "unsupported_media_type")
    response = client.post("/open311/v2/requests.json", data="{",
                           content_type="application/json")
    open311_error(response, 415, "unsupported_media_type")
    response = client.post("/open311/v2/requests.xml", data="<x/>",
                           content_type="application/xml")
    assert response.status_code == 415 and b"<errors>" in response.data


def test_a_compressed_body_is_415_on_json_form_and_open311_routes(client, complaint, reporter):
    packed = gzip.compress(BODY.encode())
    response = client.post("/api/v1/complaints", data=packed, content_type="application/json",
                           headers={"Content-Encoding": "gzip"})
    body = error_of(response, 415, "unsupported_media_type")
    assert "Content-Encoding" in body["message"]
    assert response.headers["Accept-Encoding"] == "identity"
    response = client.post(f"/api/v1/complaints/{complaint.public_id}/photos", data=packed,
                           content_type="multipart/form-data; boundary=x",
                           headers={**reporter, "Content-Encoding": "gzip"})
    error_of(response, 415, "unsupported_media_type")
    response = client.post("/open311/v2/requests.json", data=packed,
                           content_type="application/x-www-form-urlencoded",
                           headers={"Content-Encoding": "gzip"})
    open311_error(response, 415, "unsupported_media_type")
    # identity is no encoding at all
    response = client.post("/api/v1/complaints", data=BODY, content_type="application/json",
                           headers={"Content-Encoding": "identity"})
    assert response.status_code == 201


# --- long URLs, big headers ----------------------------------------------------------------

def test_a_long_url_is_json_414(client):
    response = client.get("/api/v1/categories?x=" + "a" * 5000)
    body = error_of(response, 414, "uri_too_long")
    assert "4096" in body["message"]


def test_a_long_open311_url_is_the_specs_414(client):
    ids = ",".join(["D" * 30] * 200)
    response = client.get(f"/open311/v2/requests.json?service_request_id={ids}")
    open311_error(response, 414, "uri_too_long")


def test_a_big_header_or_too_many_headers_is_json_431(client):
    response = client.get("/api/v1/categories", headers={"X-Big": "b" * 9000})
    error_of(response, 431, "request_header_fields_too_large")
    many = {f"X-H{number}": "1" for number in range(120)}
    error_of(client.get("/api/v1/categories", headers=many), 431,
             "request_header_fields_too_large")
    assert client.get("/api/v1/categories", headers={"X-Big": "b" * 4000}).status_code == 200


def test_gunicorn_limits_sit_above_the_apps_own():
    from api import input_guard

    conf = {}
    source = (Path(__file__).parents[2] / "api/gunicorn_conf.py").read_text(encoding="utf-8")
    for name in ("limit_request_line", "limit_request_fields", "limit_request_field_size"):
        line = next(text for text in source.splitlines() if text.startswith(name + " ="))
        conf[name] = eval(line.split("=", 1)[1].split("#")[0])  # noqa: S307 - our own file
    assert conf["limit_request_line"] > input_guard.MAX_URI_CHARS + 100
    assert conf["limit_request_fields"] > input_guard.MAX_HEADER_FIELDS
    assert conf["limit_request_field_size"] > input_guard.MAX_HEADER_FIELD_BYTES


# --- JSON nesting and BOM -----------------------------------------------------------------

@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_too_deep_json_is_one_code_at_every_depth(client, depth):
    nested = '{"a":' * depth + "1" + "}" * depth
    response = client.post("/api/v1/complaints", data=nested, content_type="application/json")
    body = error_of(response, 400, "invalid_json")
    assert "nested too deeply" in body["message"]


def test_a_bom_is_refused_as_invalid_json_in_our_shape(client):
    response = client.post("/api/v1/complaints", data=b"\xef\xbb\xbf" + BODY.encode(),
                           content_type="application/json")
    body = error_of(response, 400, "invalid_json")
    assert "byte order mark" in body["message"] and "errors" not in body


@pytest.mark.parametrize("raw", [BODY.encode("utf-16"), b'{"category": "\xff"}'])
def test_json_that_is_not_utf8_is_invalid_json_in_our_shape(client, raw):
    response = client.post("/api/v1/complaints", data=raw, content_type="application/json")
    body = error_of(response, 400, "invalid_json")
    assert "UTF-8" in body["message"]


# --- a photo part without a filename ----------------------------------------------------------

def multipart_without_filename(fields: dict, photo: bytes, name: str = "photos"):
    boundary = "dasanBoundary42"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
             .encode() for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                 "Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def test_a_photo_part_without_a_filename_is_taken_as_a_file(client, complaint, reporter):
    body, boundary = multipart_without_filename({}, make_image((300, 200)))
    response = client.post(f"/api/v1/complaints/{complaint.public_id}/photos", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}",
                           headers=reporter)
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["photos"]) == 1


def test_with_photos_takes_a_photo_part_without_a_filename(client):
    body, boundary = multipart_without_filename(
        {"category": "street_lamp", "lon": CITY_HALL[0], "lat": CITY_HALL[1]},
        make_image((300, 200)))
    response = client.post("/api/v1/complaints/with-photos", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["photos"]) == 1


def test_open311_media_without_a_filename_is_a_file(client, session):
    key = open311.create_key(session, "okhttp-app")
    body, boundary = multipart_without_filename(
        {"api_key": key, "service_code": "street_lamp", "lat": CITY_HALL[1],
         "long": CITY_HALL[0]}, make_image((300, 200)), name="media")
    response = client.post("/open311/v2/requests.json", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_text_field_with_a_nul_is_still_invalid_text(client):
    body, boundary = multipart_without_filename({"category": "a\x00b"}, make_image((30, 20)))
    response = client.post("/api/v1/complaints/with-photos", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    error_of(response, 422, "invalid_text")


# --- SMS MO id, 204 without a content type ----------------------------------------------------

def incoming(client, settings, **params):
    query = {"secret": settings.sms_mo_secret_value, "from": "+821012345678", "to": "120",
             "text": "hello", "id": "gw-1", **params}
    return client.get("/api/v1/sms/incoming", query_string=query,
                      environ_base={"REMOTE_ADDR": "127.0.0.1"})


@pytest.mark.parametrize("length", [65, 129, 500])
def test_an_sms_id_too_long_is_one_code(client, use_settings, length):
    settings = use_settings()
    error_of(incoming(client, settings, id="y" * length), 422, "invalid_inbound_sms")


@pytest.mark.parametrize("length", [33, 65, 100])
def test_an_sms_sender_too_long_is_one_code(client, use_settings, length):
    settings = use_settings()
    error_of(incoming(client, settings, **{"from": "1" * length}), 422, "invalid_inbound_sms")


def test_a_204_carries_no_content_type(client, use_settings):
    settings = use_settings()
    response = incoming(client, settings, id="gw-204")
    assert response.status_code == 204 and response.data == b""
    assert "Content-Type" not in response.headers


# --- doubled slashes --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api//v1/categories", "//api/v1/categories",
                                  "/api/v1//complaints"])
def test_doubled_slashes_under_api_are_json_not_an_html_redirect(client, path):
    error_of(client.get(path), 404, "not_found")


def test_doubled_slashes_under_open311_answer_in_its_format(client):
    response = client.get("/open311/v2//services.json")
    assert response.status_code == 404 and isinstance(response.get_json(), list)


# --- with-photos: error locations, empty fields -----------------------------------------------

def post_form(client, fields: dict, photo: bytes | None = None):
    data = MultiDict(fields)
    if photo is not None:
        data.add("photos", FileStorage(io.BytesIO(photo), filename="p.jpg",
                                       content_type="image/jpeg"))
    boundary, body = encode_multipart(data)
    return client.post("/api/v1/complaints/with-photos", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_with_photos_domain_errors_name_the_form_location(client):
    response = post_form(client, {"category": "street_lamp", "lon": CITY_HALL[0],
                                  "lat": CITY_HALL[1],
                                  "attributes": json.dumps({"no_such": "x"})},
                         make_image((300, 200)))
    body = error_of(response, 422, "invalid_complaint")
    assert set(body["errors"]) == {"form"} and "attributes" in body["errors"]["form"]


def test_json_domain_errors_keep_the_json_location(client):
    response = client.post("/api/v1/complaints",
                           json=complaint_json(attributes={"no_such": "x"}))
    body = error_of(response, 422, "invalid_complaint")
    assert set(body["errors"]) == {"json"}


def test_empty_lon_and_lat_form_fields_count_as_absent(client):
    photo = make_image((300, 200))
    blank = post_form(client, {"category": "street_lamp", "lon": "", "lat": ""}, photo)
    absent = post_form(client, {"category": "street_lamp"}, photo)
    assert blank.status_code == absent.status_code == 422
    assert json.loads(blank.data)["error"] == json.loads(absent.data)["error"] \
        == "invalid_location"
    blank_language = post_form(client, {"category": "street_lamp", "lon": CITY_HALL[0],
                                        "lat": CITY_HALL[1], "language": ""}, photo)
    assert blank_language.status_code == 201, blank_language.get_json()
