"""Importing area layers and routing against the real database."""

import json
import random

import pytest
from sqlalchemy import func, select

from dispatch import areas
from dispatch.areas import LayerSpec, import_layer, route_point, route_point_in_database
from dispatch.errors import ImportFailed, OutsideServiceArea
from dispatch.models import AreaImport, District, Dong


def test_seoul_is_loaded_with_25_districts_and_425_dongs(session):
    assert session.scalar(select(func.count()).select_from(District)) == 25
    assert session.scalar(select(func.count()).select_from(Dong)) == 425


def test_every_stored_boundary_is_valid_including_repaired_gangseo(session):
    invalid = session.scalars(select(District.code).where(
        ~func.ST_IsValid(District.boundary))).all()
    assert invalid == []
    assert session.scalar(select(func.ST_IsValid(District.boundary)).where(
        District.code == "11500"))


def test_districts_have_names_in_six_languages(session):
    gangnam = session.get(District, "11680")
    assert gangnam.names == {"ko": "강남구", "en": "Gangnam-gu", "zh": "江南区",
                             "ja": "江南区", "mn": "Ганнам дүүрэг", "vi": "Quận Gangnam"}


def test_vietnamese_dong_names_say_ward_once(session):
    # "Phường" is the ward: "Phường Samseong 1", never "Phường Samseong 1-dong".
    assert session.get(Dong, "1168058000").names["vi"] == "Phường Samseong 1"
    doubled = session.scalars(select(Dong.code).where(Dong.names["vi"].astext.like("%-dong"))).all()
    assert doubled == []


def test_import_is_idempotent(session, fixtures_dir):
    before = session.scalar(select(func.count()).select_from(AreaImport))
    spec = LayerSpec("district", fixtures_dir / "seoul_gu.geojson", "SIG_CD", "SIG_KOR_NM",
                     names_path=fixtures_dir / "area_names.json")
    report = import_layer(session, spec)
    assert report.skipped and report.features == 25
    assert session.scalar(select(func.count()).select_from(AreaImport)) == before


def test_forced_reimport_updates_in_place(session, fixtures_dir):
    spec = LayerSpec("district", fixtures_dir / "seoul_gu.geojson", "SIG_CD", "SIG_KOR_NM",
                     names_path=fixtures_dir / "area_names.json")
    report = import_layer(session, spec, force=True)
    assert (report.added, report.updated, report.repaired, report.removed) == (0, 25, 1, 0)


def _square(lon, lat, size=0.01):
    return {"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]}


def test_another_city_loads_with_its_own_property_names(session, tmp_path):
    districts = tmp_path / "d.geojson"
    districts.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"GU": "99001", "NAME": "Testgu"},
         "geometry": _square(10.0, 10.0, 0.02)}]}))
    dongs = tmp_path / "n.geojson"
    dongs.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ID": "9900100001", "LABEL": "North", "PARENT": "99001"},
         "geometry": _square(10.0, 10.01)},
        {"type": "Feature", "properties": {"ID": "9900100002", "LABEL": "South", "PARENT": "99001"},
         "geometry": _square(10.0, 10.0)}]}))
    import_layer(session, LayerSpec("district", districts, "GU", "NAME"))
    report = import_layer(session, LayerSpec("dong", dongs, "ID", "LABEL", parent_prop="PARENT"))
    assert report.added == 2
    areas.reset_router()
    routed = route_point(session, 10.005, 10.005, tolerance_m=10, refresh_seconds=0)
    # (10.005, 10.01) lies on the shared edge; the lower code wins there.
    on_edge = route_point(session, 10.005, 10.01, tolerance_m=10, refresh_seconds=0)
    assert (routed.district_code, routed.dong_code) == ("99001", "9900100002")
    assert on_edge.dong_code == "9900100001"
    areas.reset_router()


@pytest.mark.parametrize("features,fragment", [
    ([{"type": "Feature", "properties": {"NAME": "x"}, "geometry": _square(0, 0)}], "required"),
    ([{"type": "Feature", "properties": {"ID": "1", "NAME": "x"}, "geometry": _square(0, 0)},
      {"type": "Feature", "properties": {"ID": "1", "NAME": "y"}, "geometry": _square(1, 1)}],
     "twice"),
    ([{"type": "Feature", "properties": {"ID": "1", "NAME": "x"},
       "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}}],
     "no area"),
])
def test_import_refuses_bad_layers_and_writes_nothing(session, tmp_path, features, fragment):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    before = session.scalar(select(func.count()).select_from(District))
    with pytest.raises(ImportFailed, match=fragment):
        with session.begin_nested():
            import_layer(session, LayerSpec("district", path, "ID", "NAME"))
    assert session.scalar(select(func.count()).select_from(District)) == before


def test_dong_import_refuses_unknown_district(session, tmp_path):
    path = tmp_path / "dong.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ID": "1", "NAME": "x", "P": "00000"},
         "geometry": _square(0, 0)}]}))
    with pytest.raises(ImportFailed, match="import the district layer first"):
        with session.begin_nested():
            import_layer(session, LayerSpec("dong", path, "ID", "NAME", parent_prop="P"))


def test_in_process_routing_agrees_with_postgis(session):
    rng = random.Random(11)
    router = areas.get_router(session, refresh_seconds=0)
    for _ in range(300):
        lon, lat = rng.uniform(126.76, 127.19), rng.uniform(37.42, 37.71)
        assert router.route(lon, lat, 200) == route_point_in_database(session, lon, lat, 200) or (
            # Near-identical distances may rank differently (sphere vs spheroid) only
            # for points outside every area; inside, the answers must be identical.
            router.route(lon, lat, 0) is None)


def test_route_point_outside_names_nearest_district_and_distance(session):
    with pytest.raises(OutsideServiceArea) as caught:
        route_point(session, 126.5, 37.5, tolerance_m=200, refresh_seconds=30)
    assert caught.value.details["nearest_district"]["code"] == "11500"
    assert 20_000 < caught.value.details["distance_m"] < 30_000


def test_route_point_far_away_still_names_nearest_district(session):
    with pytest.raises(OutsideServiceArea) as caught:
        route_point(session, 37.5663, 37.5663, tolerance_m=200, refresh_seconds=30)
    assert caught.value.details["distance_m"] > 5_000_000


def test_router_rebuilds_itself_after_a_reimport(session, fixtures_dir):
    before = areas.get_router(session, refresh_seconds=0)
    import_layer(session, LayerSpec("district", fixtures_dir / "seoul_gu.geojson", "SIG_CD",
                                    "SIG_KOR_NM", names_path=fixtures_dir / "area_names.json"),
                 force=True)
    cached = areas.get_router(session, refresh_seconds=3600)
    assert cached is before  # within the refresh interval nothing is re-read
    after = areas.get_router(session, refresh_seconds=0)
    assert after is not before and after.revision > before.revision
    areas.reset_router()


def _phone_layer(tmp_path, phone):
    path = tmp_path / "gu.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"GU": "99001", "NAME": "Testgu", "TEL": phone},
         "geometry": _square(10.0, 10.0, 0.02)}]}))
    return path


def test_import_takes_office_phones_from_a_property(session, tmp_path):
    import_layer(session, LayerSpec("district", _phone_layer(tmp_path, " 051-888 1234 "),
                                    "GU", "NAME", phone_prop="TEL"))
    assert session.get(District, "99001").office_phone == "051-888 1234"
    # Without the option a re-import keeps the number (set by district-phone, say).
    import_layer(session, LayerSpec("district", _phone_layer(tmp_path, "x"), "GU", "NAME"),
                 force=True)
    assert session.get(District, "99001").office_phone == "051-888 1234"


@pytest.mark.parametrize("phone", ["call us", "12", "+82 2 1234 5678 9999 0000", "02--"])
def test_import_refuses_a_phone_that_is_not_a_number(session, tmp_path, phone):
    with pytest.raises(ImportFailed, match="not a phone number"):
        with session.begin_nested():
            import_layer(session, LayerSpec("district", _phone_layer(tmp_path, phone),
                                            "GU", "NAME", phone_prop="TEL"))


def test_phone_prop_is_refused_for_dongs(session, tmp_path):
    with pytest.raises(ImportFailed, match="district layer"):
        import_layer(session, LayerSpec("dong", _phone_layer(tmp_path, "120"), "GU", "NAME",
                                        parent_prop="P", phone_prop="TEL"))


def test_district_phone_command(session, settings, monkeypatch, capsys):
    from dispatch.cli import main as cli_main

    monkeypatch.setenv("DASAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DASAN_SECRET_KEY", settings.secret_key)
    # Keep SessionLocal on the test's connection (the command would bind a new engine).
    monkeypatch.setattr("dispatch.db.configure_database", lambda *_a, **_k: None)
    before = areas.get_router(session, refresh_seconds=0)
    assert cli_main(["district-phone", "11680", "02-3423-5114"]) == 0
    session.expire_all()
    assert session.get(District, "11680").office_phone == "02-3423-5114"
    # Running processes take it up at their next check, without an area import.
    after = areas.get_router(session, refresh_seconds=0)
    assert after is before
    assert areas.describe_area(session, "district", "11680", 0).office_phone == "02-3423-5114"
    for bad in (["11680", "tel. 3423"], ["99999", "120"], ["11680"], ["11680", "120", "--clear"]):
        assert cli_main(["district-phone", *bad]) == 2
    assert "not a phone number" in capsys.readouterr().err
    assert cli_main(["district-phone", "11680", "--clear"]) == 0
    session.expire_all()
    assert session.get(District, "11680").office_phone is None
    assert areas.office_phone_or_fallback(
        areas.describe_area(session, "district", "11680", 0)) == "120"
    areas.reset_router()


def test_import_areas_command_takes_phone_prop(session, settings, monkeypatch, tmp_path):
    from dispatch.cli import main as cli_main

    monkeypatch.setenv("DASAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DASAN_SECRET_KEY", settings.secret_key)
    monkeypatch.setattr("dispatch.db.configure_database", lambda *_a, **_k: None)
    layer = str(_phone_layer(tmp_path, "051-888-1234"))
    assert cli_main(["import-areas", "dong", layer, "--code-prop", "GU", "--name-prop", "NAME",
                     "--parent-prop", "P", "--phone-prop", "TEL"]) == 2
    assert cli_main(["import-areas", "district", layer, "--code-prop", "GU",
                     "--name-prop", "NAME", "--phone-prop", "TEL"]) == 0
    session.expire_all()
    assert session.get(District, "99001").office_phone == "051-888-1234"
    areas.reset_router()
