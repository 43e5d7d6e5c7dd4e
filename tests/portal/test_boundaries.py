"""GeoJSON boundaries: every bad feature reported at once, nothing stored on any error, and a round trip."""
import io
import json

from flask_babel import force_locale

from portal.auth.models import Role
from portal.extensions import db
from portal.registry.boundaries import import_boundaries
from portal.registry.models import Area, AreaLevel
from tests.factories import make_area, make_user
from tests.sqlcount import recorded_statements


def english(message):
    """A problem's message as an English-speaking admin reads it (the city's default language is 简体中文)."""
    with force_locale("en"):
        return str(message)


def square(west, south, size):
    return [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def feature(code, geometry, **properties):
    return {"type": "Feature", "properties": {"code": code, **properties}, "geometry": geometry}


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def city(app):
    """A district (120.0–120.1 E, 30.0–30.1 N) with two streets side by side, none with a boundary yet."""
    district = make_area("示范区", code="D1")
    west = make_area("西街道", level=AreaLevel.STREET, parent=district, code="S-W")
    east = make_area("东街道", level=AreaLevel.STREET, parent=district, code="S-E")
    return district, west, east


GOOD = (feature("D1", polygon(square(120.0, 30.0, 0.1)), population=250000),
        feature("S-W", polygon(square(120.0, 30.0, 0.05))),
        feature("S-E", polygon(square(120.05, 30.0, 0.05))))


def test_a_good_file_stores_each_boundary_with_its_bounding_box_and_population(app):
    district, west, east = city(app)
    result = import_boundaries(collection(*GOOD), actor=None)
    db.session.commit()
    assert result.ok and result.updated == 3
    db.session.expire_all()
    assert district.boundary["type"] == "Polygon"
    assert (east.bbox_west, east.bbox_south, east.bbox_east, east.bbox_north) == (120.05, 30.0, 120.1, 30.05)
    assert district.population == 250000 and west.population is None


def test_importing_the_same_file_again_changes_nothing(app):
    city(app)
    import_boundaries(collection(*GOOD), actor=None)
    db.session.commit()
    again = import_boundaries(collection(*GOOD), actor=None)
    assert again.ok and (again.updated, again.unchanged) == (0, 3)


def test_every_kind_of_bad_feature_is_reported_at_once_and_nothing_is_stored(app):
    district, west, east = make_area("示范区", code="D1"), None, None
    west = make_area("西街道", level=AreaLevel.STREET, parent=district, code="S-W")
    east = make_area("东街道", level=AreaLevel.STREET, parent=district, code="S-E")
    north = make_area("北街道", level=AreaLevel.STREET, parent=district, code="S-N")
    far = make_area("远街道", level=AreaLevel.STREET, parent=district, code="S-F")
    bow = make_area("蝴蝶社区", level=AreaLevel.COMMUNITY, parent=west, code="C-BOW")
    swap = make_area("倒置社区", level=AreaLevel.COMMUNITY, parent=west, code="C-SWAP")
    abroad = make_area("海外社区", level=AreaLevel.COMMUNITY, parent=west, code="C-ABROAD")
    line = make_area("线社区", level=AreaLevel.COMMUNITY, parent=east, code="C-LINE")
    features = (
        feature("D1", polygon(square(120.0, 30.0, 0.1))),                        # 1 fine
        feature("S-W", polygon(square(120.0, 30.0, 0.06))),                      # 2 overlaps S-E by 0.01°
        feature("S-E", polygon(square(120.05, 30.0, 0.05))),                     # 3 (the other side of it)
        feature("S-N", polygon(square(120.0, 30.08, 0.05))),                     # 4 sticks out of D1
        feature("NOPE", polygon(square(120.0, 30.0, 0.01))),                     # 5 unknown code
        feature("C-BOW", polygon([[120.0, 30.0], [120.01, 30.01], [120.01, 30.0], [120.0, 30.01],
                                  [120.0, 30.0]])),                              # 6 self-intersecting ring
        feature("C-SWAP", polygon([[lat, lng] for lng, lat in square(120.0, 30.0, 0.01)])),  # 7 swapped
        feature("C-ABROAD", polygon(square(2.35, 48.85, 0.01))),                 # 8 Paris
        feature("C-LINE", {"type": "LineString", "coordinates": [[120.06, 30.01], [120.07, 30.02]]}),  # 9
        feature("S-F", polygon([[120.0, 30.0], [120.01, 30.0], [120.0, 30.0]])),  # 10 ring of three positions
    )
    result = import_boundaries(collection(*features), actor=None)
    found = {(p.feature, p.code): english(p.message) for p in result.problems}
    assert set(found) == {(2, "S-W"), (4, "S-N"), (5, "NOPE"), (6, "C-BOW"), (7, "C-SWAP"), (8, "C-ABROAD"),
                          (9, "C-LINE"), (10, "S-F")}
    assert "overlaps" in found[(2, "S-W")] and "S-E" in found[(2, "S-W")]
    assert "not inside its parent" in found[(4, "S-N")]
    assert "No area has the code NOPE" in found[(5, "NOPE")]
    assert "Self-intersection" in found[(6, "C-BOW")]
    assert "swapped" in found[(7, "C-SWAP")]
    assert "outside China" in found[(8, "C-ABROAD")]
    assert "LineString" in found[(9, "C-LINE")]
    assert "at least four positions" in found[(10, "S-F")]
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).where(Area.boundary.isnot(None))) == 0
    del bow, swap, abroad, line, far, north


def test_a_new_child_is_checked_against_its_parents_stored_boundary(app):
    district, west, east = city(app)
    import_boundaries(collection(GOOD[0]), actor=None)
    db.session.commit()
    result = import_boundaries(collection(feature("S-W", polygon(square(119.99, 30.0, 0.05)))), actor=None)
    assert [(p.feature, p.code) for p in result.problems] == [(1, "S-W")]


def test_a_parent_shrunk_away_from_its_stored_children_is_refused(app):
    city(app)
    import_boundaries(collection(*GOOD), actor=None)
    db.session.commit()
    result = import_boundaries(collection(feature("D1", polygon(square(120.0, 30.0, 0.05)))), actor=None)
    assert [(p.feature, p.code) for p in result.problems] == [(1, "D1")]


def test_siblings_sharing_an_edge_and_a_polygon_with_a_hole_are_fine(app):
    district, west, east = city(app)
    holed = feature("S-W", polygon(square(120.0, 30.0, 0.05), square(120.01, 30.01, 0.01)))
    result = import_boundaries(collection(GOOD[0], holed, GOOD[2]), actor=None)
    assert result.ok, [english(p.message) for p in result.problems]


def test_a_file_that_is_not_a_feature_collection_is_one_problem(app):
    for data in (b"\xff\xfe not utf-8", b'{"type": "Feature"}', b"[1, 2]", b'{"type": "FeatureCollection"}',
                 b'{"type": "FeatureCollection", "features": [NaN]}', b"[" * 100000):
        result = import_boundaries(data, actor=None)
        assert len(result.problems) == 1 and result.problems[0].feature is None, data[:40]


def test_non_numeric_coordinates_and_duplicate_codes_are_reported(app):
    city(app)
    bad_numbers = feature("S-W", polygon([[120.0, 30.0], [120.01, "30.0"], [120.01, 30.01], [120.0, 30.0]]))
    result = import_boundaries(collection(GOOD[0], bad_numbers, GOOD[0]), actor=None)
    found = {(p.feature, p.code): english(p.message) for p in result.problems}
    assert set(found) == {(2, "S-W"), (3, "D1")}
    assert "numbers" in found[(2, "S-W")] and "twice" in found[(3, "D1")]


def test_the_console_imports_and_exports_boundaries_for_registry_editors(app, client, login):
    city(app)
    login(make_user(Role.ADMIN))
    dry = client.post("/console/boundaries", data={"file": (io.BytesIO(collection(*GOOD)), "city.geojson"),
                                                   "dry_run": "1"}, content_type="multipart/form-data")
    assert dry.status_code == 200 and 'id="boundaries-done"' in dry.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).where(Area.boundary.isnot(None))) == 0
    done = client.post("/console/boundaries", data={"file": (io.BytesIO(collection(*GOOD)), "city.geojson")},
                       content_type="multipart/form-data")
    assert 'id="boundaries-done"' in done.get_data(as_text=True)
    exported = client.get("/console/boundaries.geojson")
    assert exported.status_code == 200 and exported.mimetype == "application/geo+json"
    features = {f["properties"]["code"]: f for f in exported.get_json()["features"]}
    assert set(features) == {"D1", "S-W", "S-E"}
    assert features["S-W"]["properties"]["parent_code"] == "D1"
    assert features["D1"]["properties"]["population"] == 250000
    assert features["S-E"]["geometry"]["coordinates"][0][0] == [120.05, 30.0]


def test_the_console_lists_every_problem_and_a_dispatcher_may_not_import(app, client, login):
    city(app)
    bad = collection(feature("NOPE", polygon(square(120.0, 30.0, 0.01))),
                     feature("S-W", polygon(square(2.35, 48.85, 0.01))))
    login(make_user(Role.ADMIN))
    page = client.post("/console/boundaries", data={"file": (io.BytesIO(bad), "bad.geojson")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert page.count('class="ms-problem"') == 2
    client.post("/logout")
    login(make_user(Role.DISPATCHER))
    assert client.get("/console/boundaries").status_code == 403


def test_the_public_area_map_serves_one_level_converted_for_the_tiles(app, client):
    city(app)
    import_boundaries(collection(*GOOD), actor=None)
    db.session.commit()
    streets = client.get("/map/areas.json?level=street").get_json()
    assert [f["properties"]["code"] for f in streets["features"]] == ["S-E", "S-W"]
    assert streets["features"][1]["geometry"]["coordinates"][0][0] == [120.0, 30.0]
    assert client.get("/map/areas.json?level=nonsense").status_code == 404


def boundary_reads(statements):
    """The statements that fetch a boundary (it is named between SELECT and FROM)."""
    return [s for s in statements if s.startswith("SELECT") and "areas.boundary" in s.split(" FROM ")[0]]


def test_pages_that_list_areas_read_no_boundary_and_the_map_reads_them_in_one_statement(app, client, login):
    """A city's boundaries are large (a precise street outline is tens of kilobytes): the case list, the area list
    and the scorecards list every area on each page and must not fetch and decode them. The map and an import
    that need them fetch them with the areas, not one query per area."""
    district, west, east = city(app)
    more = [make_area(f"街道{n}", level=AreaLevel.STREET, parent=district, code=f"S-{n}") for n in range(3)]
    assert import_boundaries(collection(*GOOD), actor=None).updated == 3
    db.session.commit()
    login(make_user(Role.ADMIN))
    for page in ("/console/cases/", "/console/areas/", "/console/scorecards/"):
        with recorded_statements() as statements:
            assert client.get(page).status_code == 200, page
        assert boundary_reads(statements) == [], page
    with recorded_statements() as statements:
        streets = client.get("/map/areas.json?level=street").get_json()
    assert [f["properties"]["code"] for f in streets["features"]] == ["S-E", "S-W"]
    assert len(boundary_reads(statements)) == 1
    db.session.expire_all()
    with recorded_statements() as statements:
        again = import_boundaries(collection(*GOOD), actor=None)
    assert (again.updated, again.unchanged) == (0, 3)
    assert len(boundary_reads(statements)) == 2  # the features' areas, and their parents and siblings
    assert len(more) == 3 and all(area.boundary is None for area in more)


def test_the_area_map_for_gcj02_tiles_shifts_every_position(make_app):
    app = make_app(MAP_TILE_CRS="gcj02")
    with app.app_context():
        city(app)
        import_boundaries(collection(*GOOD), actor=None)
        db.session.commit()
        district = app.test_client().get("/map/areas.json?level=district").get_json()["features"][0]
        lng, lat = district["geometry"]["coordinates"][0][0]
        # Around 30° N 120° E GCJ-02 moves a position a few hundred metres south-east (like the published Shanghai
        # pair: 31.1774276, 121.5272106 → 31.1753040, 121.5315419).
        assert -0.005 < lat - 30.0 < -0.001 and 0.002 < lng - 120.0 < 0.007


def test_an_unclosed_ring_and_a_z_coordinate(app):
    city(app)
    unclosed = feature("S-W", polygon([[120.0, 30.0], [120.05, 30.0], [120.05, 30.05], [120.0, 30.05]]))
    with_height = feature("S-E", polygon([[120.05, 30.0, 12.5], [120.1, 30.0, 12.5], [120.1, 30.05, 12.5],
                                          [120.05, 30.0, 12.5]]))
    result = import_boundaries(collection(GOOD[0], unclosed, with_height), actor=None)
    assert [(p.feature, p.code) for p in result.problems] == [(2, "S-W")]
    assert "the last one the same as the first" in english(result.problems[0].message)
    fixed = import_boundaries(collection(GOOD[0], GOOD[1], with_height), actor=None)
    db.session.commit()
    assert fixed.ok
    stored = db.session.scalars(db.select(Area).where(Area.code == "S-E")).one().boundary
    assert stored["coordinates"][0][0] == [120.05, 30.0]  # heights dropped: boundaries are flat
