"""WGS-84 ↔ GCJ-02 at the edges, against published pairs, and the tile source as configuration."""
import pytest

from portal import coords
from portal.config import config_from_env

# Published pairs (WGS-84 lat, lng → GCJ-02 lat, lng) from the test suite of googollee/eviltransform
# (test.py, "shanghai", "shenzhen", "beijing"), an independent implementation of the same algorithm.
PUBLISHED = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), PUBLISHED)
def test_wgs84_to_gcj02_gives_the_published_pair(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    assert coords.from_wgs84(wgs_lat, wgs_lng, coords.GCJ02) == pytest.approx((gcj_lat, gcj_lng), abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), PUBLISHED)
def test_gcj02_to_wgs84_comes_back_to_within_a_centimetre(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    # 1e-7 degrees is about 1 cm; the rough one-step inverse would be a metre or more off.
    assert coords.to_wgs84(gcj_lat, gcj_lng, coords.GCJ02) == pytest.approx((wgs_lat, wgs_lng), abs=1e-7)


def test_the_shift_in_a_chinese_city_is_hundreds_of_metres():
    lat, lng = coords.from_wgs84(30.27, 120.15, coords.GCJ02)
    # Hangzhou: about 0.0025° north-south and 0.0045° east-west (≈ 270 m and 430 m).
    assert 0.001 < abs(lat - 30.27) < 0.005 and 0.002 < abs(lng - 120.15) < 0.007


@pytest.mark.parametrize(("lat", "lng"), [(48.8584, 2.2945), (40.7484, -73.9857), (-33.8568, 151.2153)])
def test_positions_outside_china_are_not_shifted(lat, lng):
    assert coords.from_wgs84(lat, lng, coords.GCJ02) == (lat, lng)
    assert coords.to_wgs84(lat, lng, coords.GCJ02) == (lat, lng)


def test_wgs84_tiles_leave_positions_and_geometries_alone():
    geometry = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.0]]]}
    assert coords.from_wgs84(30.0, 120.0, coords.WGS84) == (30.0, 120.0)
    assert coords.geometry_from_wgs84(geometry, coords.WGS84) is geometry


def test_a_geometry_for_gcj02_tiles_has_each_position_shifted_longitude_first():
    geometry = {"type": "MultiPolygon", "coordinates": [[[[121.5272106, 31.1774276], [121.6, 31.2],
                                                          [121.5, 31.2], [121.5272106, 31.1774276]]]]}
    shifted = coords.geometry_from_wgs84(geometry, coords.GCJ02)
    assert shifted["type"] == "MultiPolygon"
    assert shifted["coordinates"][0][0][0] == pytest.approx([121.531541859215, 31.17530398364597], abs=1e-7)


def test_an_unknown_tile_system_stops_the_app_at_start(make_app):
    with pytest.raises(ValueError, match="MAP_TILE_CRS"):
        make_app(MAP_TILE_CRS="bd09")


def test_a_tile_host_is_allowed_for_images_only(make_app):
    app = make_app(MAP_TILE_URL="https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}",
                   MAP_TILE_ATTRIBUTION="天地图")
    policy = dict(part.split(" ", 1) for part in app.config["CONTENT_SECURITY_POLICY"].split("; "))
    assert policy["img-src"] == "'self' data: blob: https://*.tianditu.gov.cn"
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"


def test_no_tiles_is_the_default_and_the_policy_names_no_other_host(app):
    assert coords.tile_origin("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}") == "https://*.is.autonavi.com"
    assert app.config["MAP_TILE_URL"] == "" and "http" not in app.config["CONTENT_SECURITY_POLICY"]


def test_tile_settings_come_from_the_environment(tmp_path):
    config = config_from_env(tmp_path, {"MAP_TILE_URL": "https://tiles.example.cn/{z}/{x}/{y}.png",
                                        "MAP_TILE_CRS": " GCJ02 ", "MAP_TILE_ATTRIBUTION": "© 示例", "SECRET_KEY": "x"})
    assert (config["MAP_TILE_URL"], config["MAP_TILE_CRS"], config["MAP_TILE_ATTRIBUTION"]) == (
        "https://tiles.example.cn/{z}/{x}/{y}.png", "gcj02", "© 示例")
