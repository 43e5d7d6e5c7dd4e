"""CSV import and export of areas, units and points: all problems at once, all rows or none, round trips."""
import csv
import io
import re

import pytest

from portal.auth.models import AuditEntry, Role
from portal.extensions import db
from portal.registry import transfer
from portal.registry.models import Area, AreaLevel, Point, PointKind, Unit, UnitKind
from portal.registry.services import RegistryError
from tests.factories import make_area, make_point, make_unit, make_user

AREA_HEADER = ["code", "name", "name_zh_hant", "name_en", "level", "parent_code", "office_unit_code", "active"]
UNIT_HEADER = ["code", "name", "name_zh_hant", "name_en", "kind", "area_code", "contact_name", "contact_phone",
               "active"]
POINT_HEADER = ["code", "name", "name_zh_hant", "name_en", "kind", "area_code", "owner_unit_code", "address",
                "latitude", "longitude", "active"]

# A small city in one upload. The district comes before its parent city; the street's office is a unit that the
# units file creates, and that unit's area is the street: references go both ways between the files.
AREAS = [AREA_HEADER,
         ["D01", "示范区", "示範區", "Demo District", "区", "C01", "", "1"],
         ["S01", "人民街道", "", "", "street", "D01", "U-JD", ""],
         ["C01", "示范市", "", "", "city", "", "", "是"]]
UNITS = [UNIT_HEADER,
         ["U-JD", "人民街道办", "", "", "territorial", "S01", "张三", "0571-1234"],
         ["U-CG", "市城管局", "", "City Management", "department", "C01", "", "", "yes"]]
POINTS = [POINT_HEADER,
          ["P01", "人民公园公厕", "", "", "toilet", "S01", "U-CG", "人民路1号", "30.25", "120.16", ""]]

PROBLEM_ROW = re.compile(r'<tr class="ms-problem" data-file="([^"]*)" data-line="(\d*)" data-column="([^"]*)">')
COUNT_ROW = re.compile(r'<tr data-kind="(\w+)"><th>[^<]*</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>')


def csv_bytes(rows, encoding="utf-8-sig"):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def upload(client, dry_run=False, **files):
    data = {kind: (io.BytesIO(content), f"{kind}.csv") for kind, content in files.items()}
    if dry_run:
        data["dry_run"] = "1"
    return client.post("/console/import", data=data, content_type="multipart/form-data")


def problems_on_page(response):
    return [(file, int(line) if line else None, column)
            for file, line, column in PROBLEM_ROW.findall(response.get_data(as_text=True))]


def counts_on_page(response):
    return {kind: tuple(map(int, numbers)) for kind, *numbers in COUNT_ROW.findall(response.get_data(as_text=True))}


def where(result):
    return [(p.file, p.line, p.column) for p in result.problems]


def count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def by_code(model, code):
    return db.session.execute(db.select(model).where(model.code == code)).scalar_one()


def audit_actions(object_type):
    entries = db.session.execute(db.select(AuditEntry).where(AuditEntry.object_type == object_type)).scalars()
    return sorted(entry.action for entry in entries)


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def admin(login):
    return login(make_user(Role.ADMIN))


def point_rows(area, how_many):
    return [POINT_HEADER] + [[f"P{i:03d}", f"公厕{i}", "", "", "toilet", area.code, "", "", "30.5", "120.1", ""]
                             for i in range(how_many)]


# --- what the user sees --------------------------------------------------------------------------------------


def test_two_hundred_points_with_three_bad_rows_reports_exactly_those_rows_and_imports_nothing(client, admin):
    area = make_area()
    make_point(area, code="P005", name="旧名")
    rows = point_rows(area, 200)
    rows[10][5] = "NO-SUCH-AREA"  # spreadsheet line 11
    rows[100][8] = "北纬30度"  # line 101
    rows[150][4] = "spaceship"  # line 151

    response = upload(client, points=csv_bytes(rows))

    assert response.status_code == 200
    assert problems_on_page(response) == [("points.csv", 11, "area_code"), ("points.csv", 101, "latitude"),
                                          ("points.csv", 151, "kind")]
    page = response.get_data(as_text=True)
    assert "3 problems found. Nothing was imported" in page
    assert "NO-SUCH-AREA" in page and "北纬30度" in page and "spaceship" in page
    db.session.rollback()
    assert count(Point) == 1 and by_code(Point, "P005").name == "旧名"
    assert audit_actions("points") == ["create"] and audit_actions("import") == []


def test_clean_upload_of_areas_units_and_points_creates_the_tree_with_paths_and_audit(client, admin):
    response = upload(client, areas=csv_bytes(AREAS), units=csv_bytes(UNITS), points=csv_bytes(POINTS))

    assert problems_on_page(response) == []
    assert "Import complete." in response.get_data(as_text=True)
    assert counts_on_page(response) == {"areas": (3, 0, 0), "units": (2, 0, 0), "points": (1, 0, 0)}
    db.session.rollback()  # the client shares this session: only what the view committed is left
    city, district, street = by_code(Area, "C01"), by_code(Area, "D01"), by_code(Area, "S01")
    assert (city.parent, city.path, city.depth, city.level) == (None, f"/{city.id}/", 0, AreaLevel.CITY)
    assert (district.parent, district.depth, district.name_en) == (city, 1, "Demo District")
    assert street.path == f"/{city.id}/{district.id}/{street.id}/" and street.depth == 2
    office, bureau = by_code(Unit, "U-JD"), by_code(Unit, "U-CG")
    assert street.office_unit == office and office.area == street and office.contact_phone == "0571-1234"
    assert (bureau.kind, bureau.area, bureau.active) == (UnitKind.DEPARTMENT, city, True)
    point = by_code(Point, "P01")
    assert (point.area, point.owner_unit, point.latitude, point.longitude) == (street, bureau, 30.25, 120.16)
    # One entry per record (the street gets its office once the unit exists), and one for the import.
    assert audit_actions("areas") == ["create", "create", "create", "update"]
    assert audit_actions("units") == ["create", "create"] and audit_actions("points") == ["create"]
    [entry] = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "import")).scalars()
    assert entry.actor == admin and "areas.csv: 3 created" in entry.summary
    assert entry.changes["points"] == {"created": 1, "updated": 0, "unchanged": 0}


def test_importing_again_updates_by_code_instead_of_duplicating(client, admin):
    upload(client, areas=csv_bytes(AREAS), units=csv_bytes(UNITS), points=csv_bytes(POINTS))
    changed = [POINT_HEADER, POINTS[1][:1] + ["人民公园东门公厕"] + POINTS[1][2:]]

    response = upload(client, areas=csv_bytes(AREAS), points=csv_bytes(changed))

    assert counts_on_page(response) == {"areas": (0, 0, 3), "points": (0, 1, 0)}
    assert count(Area) == 3 and count(Point) == 1
    assert by_code(Point, "P01").name == "人民公园东门公厕"
    assert audit_actions("points") == ["create", "update"]


def _registry_state():
    """Everything the CSV files carry, plus the tree paths, for comparing before and after."""
    fields = {Area: ("parent_id", "level", "office_unit_id", "path", "depth"),
              Unit: ("kind", "area_id", "contact_name", "contact_phone"),
              Point: ("kind", "area_id", "owner_unit_id", "address", "latitude", "longitude")}
    return {model.__name__: [tuple(getattr(obj, f) for f in ("id", "code", "name", "name_zh_hant", "name_en",
                                                              "active") + extra)
                             for obj in db.session.execute(db.select(model).order_by(model.code)).scalars()]
            for model, extra in fields.items()}


def test_export_then_import_leaves_the_registry_unchanged(client, admin):
    city = make_area("示范市", AreaLevel.CITY, name_zh_hant="示範市", name_en="Demo City")
    office = make_unit("东华街道办", UnitKind.TERRITORIAL, contact_phone="+86 571 8888", contact_name="李四")
    street = make_area("东华街道", AreaLevel.STREET, parent=city, office_unit_id=office.id)
    make_area("旧网格", AreaLevel.GRID, parent=street, active=False)
    make_point(street, name='公厕, "东门"', owner=office, address="东华路\n88号", latitude=30.123456789,
               longitude=-120.5, kind=PointKind.STREET_LAMP)
    make_point(street, name="=HYPERLINK(1)", active=False)
    before = _registry_state()

    exports = {kind: client.get(f"/console/export/{kind}.csv") for kind in transfer.KINDS}

    for kind, response in exports.items():
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert re.fullmatch(rf"attachment; filename={kind}-\d{{4}}-\d{{2}}-\d{{2}}\.csv",
                            response.headers["Content-Disposition"])
        assert response.data.startswith("\ufeff".encode())
        header = response.data.decode("utf-8-sig").splitlines()[0].split(",")
        assert header == {"areas": AREA_HEADER, "units": UNIT_HEADER, "points": POINT_HEADER}[kind]
    assert "'+86 571 8888" in exports["units"].data.decode("utf-8-sig")  # kept from running as a formula

    response = upload(client, **{kind: r.data for kind, r in exports.items()})

    assert counts_on_page(response) == {"areas": (0, 0, 3), "units": (0, 0, 1), "points": (0, 0, 2)}
    assert _registry_state() == before
    assert "update" not in audit_actions("areas") + audit_actions("units") + audit_actions("points")


def test_dry_run_reports_what_would_happen_and_writes_nothing(client, admin):
    response = upload(client, dry_run=True, areas=csv_bytes(AREAS), units=csv_bytes(UNITS),
                      points=csv_bytes(POINTS))

    assert "Check passed. Nothing was written" in response.get_data(as_text=True)
    assert counts_on_page(response) == {"areas": (3, 0, 0), "units": (2, 0, 0), "points": (1, 0, 0)}
    assert count(Area) == count(Unit) == count(Point) == 0
    assert audit_actions("areas") == audit_actions("import") == []


def test_the_page_lists_every_problem_of_every_file_at_once(client, admin):
    areas = [AREA_HEADER + ["population"], ["C01", "示范市", "", "", "city", "", "", "", "100"]]
    units = [UNIT_HEADER, ["U1", "环卫处", "", "", "cleaning", "", "", "1" * 41, ""],
             ["U2", "", "", "", "department", "", "", "", "maybe"]]
    points = [POINT_HEADER, ["P1", "公厕", "", "", "toilet", "NOWHERE", "U9", "", "91", "181", ""]]

    response = upload(client, areas=csv_bytes(areas), units=csv_bytes(units), points=csv_bytes(points))

    assert problems_on_page(response) == [
        ("areas.csv", 1, "population"),
        ("units.csv", 2, "kind"), ("units.csv", 2, "contact_phone"),
        ("units.csv", 3, "name"), ("units.csv", 3, "active"),
        ("points.csv", 2, "area_code"), ("points.csv", 2, "owner_unit_code"),
        ("points.csv", 2, "latitude"), ("points.csv", 2, "longitude"),
    ]
    page = response.get_data(as_text=True)
    for message in ("Unknown column “population”", "Unknown value “cleaning”", "at most 40 allowed",
                    "A value is required.", "Not a yes/no value: “maybe”", "No area has the code “NOWHERE”",
                    "No unit has the code “U9”", "Latitude must be between -90 and 90.",
                    "Longitude must be between -180 and 180."):
        assert message in page
    assert count(Unit) == 0


def test_a_file_that_is_not_text_is_reported_clearly(client, admin):
    response = upload(client, areas="code,name,level\r\n".encode("utf-16"))

    assert problems_on_page(response) == [("areas.csv", None, "")]
    assert "cannot be read as text" in response.get_data(as_text=True)


@pytest.mark.parametrize("method, url", [("get", "/console/import"), ("post", "/console/import"),
                                         ("get", "/console/export/areas.csv"), ("get", "/console/export/points.csv")])
def test_a_dispatcher_may_neither_import_nor_export(client, login, method, url):
    login(make_user(Role.DISPATCHER))
    assert getattr(client, method)(url).status_code == 403


def test_the_import_page_offers_the_three_files_and_the_exports(client, admin):
    page = client.get("/console/import").get_data(as_text=True)

    for kind in transfer.KINDS:
        assert f'name="{kind}"' in page and f"/console/export/{kind}.csv" in page
    assert 'name="dry_run"' in page


# --- the service, for the edge cases ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_files_saved_by_excel_in_utf8_or_gb18030_are_read(app, encoding):
    rows = [["code", "name", "level"], ["J01", "东华街道", "街道"], ["G01", "第一网格", "网格"]]

    result = transfer.import_registry({"areas": csv_bytes(rows, encoding)}, actor=None)

    assert result.ok and result.counts["areas"].created == 2
    assert (by_code(Area, "J01").name, by_code(Area, "J01").level) == ("东华街道", AreaLevel.STREET)
    assert by_code(Area, "G01").level == AreaLevel.GRID


def test_a_code_twice_in_one_file_is_reported_on_its_second_line(app):
    rows = [["code", "name", "level"], ["A1", "一", "city"], ["A2", "二", "district"], ["A1", "三", "district"]]

    result = transfer.import_registry({"areas": csv_bytes(rows)}, actor=None)

    assert where(result) == [("areas.csv", 4, "code")]
    assert count(Area) == 0


def test_parent_cycles_are_reported_within_the_file_and_against_the_registry(app):
    city = make_area("示范市", AreaLevel.CITY)
    district = make_area("东城区", AreaLevel.DISTRICT, parent=city)
    rows = [["code", "name", "level", "parent_code"],
            ["X", "甲", "street", "Y"], ["Y", "乙", "street", "X"],
            ["Z", "丙", "grid", "X"],  # hangs under the loop but is not part of it
            ["SELF", "丁", "grid", "SELF"],
            [city.code, "示范市", "city", district.code]]  # the city under its own district

    result = transfer.import_registry({"areas": csv_bytes(rows)}, actor=None)

    assert where(result) == [("areas.csv", line, "parent_code") for line in (2, 3, 5, 6)]
    assert count(Area) == 2 and by_code(Area, city.code).parent_id is None


def test_moving_an_area_by_import_re_paths_its_whole_subtree(app):
    city = make_area("示范市", AreaLevel.CITY)
    east = make_area("东城区", AreaLevel.DISTRICT, parent=city)
    street = make_area("东华街道", AreaLevel.STREET, parent=east)
    grid = make_area("第1网格", AreaLevel.GRID, parent=street)
    rows = [["code", "name", "level", "parent_code"],
            [street.code, "东华街道", "street", "W"],  # under a district defined further down
            ["W", "西城区", "district", city.code]]

    result = transfer.import_registry({"areas": csv_bytes(rows)}, actor=None)

    assert result.ok and (result.counts["areas"].created, result.counts["areas"].updated) == (1, 1)
    west = by_code(Area, "W")
    assert grid.path == f"/{city.id}/{west.id}/{street.id}/{grid.id}/" and grid.depth == 3


def test_columns_left_out_are_kept_and_empty_cells_clear_optional_values(app):
    office = make_unit("街道办", UnitKind.TERRITORIAL)
    area = make_area("东华街道", AreaLevel.STREET, office_unit_id=office.id, name_en="Donghua")
    rows = [["code", "name", "level", "name_en", "active"], [area.code, "东华街道", "street", "", "否"]]

    result = transfer.import_registry({"areas": csv_bytes(rows)}, actor=None)

    assert result.ok
    assert (area.office_unit, area.name_en, area.active) == (office, None, False)


@pytest.mark.parametrize("value, active", [("1", True), ("TRUE", True), ("Yes", True), ("是", True), ("", True),
                                           ("0", False), ("false", False), ("no", False), ("否", False)])
def test_active_accepts_the_usual_yes_and_no_words(app, value, active):
    rows = [["code", "name", "kind", "active"], ["U1", "环卫处", "department", value]]

    transfer.import_registry({"units": csv_bytes(rows)}, actor=None)

    assert by_code(Unit, "U1").active is active


def test_header_must_name_known_columns_once_and_the_required_ones(app):
    rows = [["code", "Name", "name", "colour"], ["U1", "a", "b", "red"]]

    result = transfer.import_registry({"units": csv_bytes(rows)}, actor=None)

    assert where(result) == [("units.csv", 1, "colour"), ("units.csv", 1, "name"), ("units.csv", 1, "kind")]


def test_line_numbers_count_rows_as_a_spreadsheet_shows_them(app):
    text = 'code,name,level\r\nA1,"两行\r\n名字",city\r\n\r\nA2,,city\r\n'  # a two-line cell, then a blank row

    result = transfer.import_registry({"areas": text.encode()}, actor=None)

    assert where(result) == [("areas.csv", 4, "name")]


def test_a_value_in_a_column_without_a_name_is_reported(app):
    rows = [["code", "name", "level"], ["A1", "一", "city", "stray"]]

    result = transfer.import_registry({"areas": csv_bytes(rows)}, actor=None)

    assert where(result) == [("areas.csv", 2, None)]


def test_codes_must_be_letters_digits_dot_dash_or_underscore(app):
    rows = [["code", "name", "level"], ["A 1", "一", "city"], ["A" * 41, "二", "city"]]

    result = transfer.import_registry({"areas": csv_bytes(rows)}, actor=None)

    assert where(result) == [("areas.csv", 2, "code"), ("areas.csv", 3, "code")]


def test_a_reference_to_a_row_with_a_bad_code_is_not_reported_twice(app):
    areas = [["code", "name", "level"], ["A 1", "一", "city"]]
    points = [["code", "name", "kind", "area_code"], ["P1", "公厕", "toilet", "A 1"]]

    result = transfer.import_registry({"areas": csv_bytes(areas), "points": csv_bytes(points)}, actor=None)

    assert where(result) == [("areas.csv", 2, "code")]


def test_files_and_rows_over_the_limits_are_refused_whole(app, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_ROWS", 3)
    area = make_area()

    too_many = transfer.import_registry({"points": csv_bytes(point_rows(area, 4))}, actor=None)
    just_enough = transfer.import_registry({"points": csv_bytes(point_rows(area, 3))}, actor=None, dry_run=True)
    monkeypatch.setattr(transfer, "MAX_BYTES", 100)
    too_big = transfer.import_registry({"points": csv_bytes(point_rows(area, 3))}, actor=None)

    assert where(too_many) == [("points.csv", None, None)] and just_enough.ok
    assert where(too_big) == [("points.csv", None, None)]
    with app.test_request_context("/?lang=en"):
        assert "more than 3 rows" in str(too_many.problems[0].message)


def test_a_refusal_by_the_registry_while_writing_is_reported_and_nothing_is_kept(app, monkeypatch):
    real_save = transfer.save

    def refusing_save(obj, data, actor):
        if isinstance(obj, Unit):
            raise RegistryError("code_taken", field="code")  # as if someone took the code meanwhile
        return real_save(obj, data, actor)

    monkeypatch.setattr(transfer, "save", refusing_save)

    result = transfer.import_registry({"areas": csv_bytes(AREAS), "units": csv_bytes(UNITS)}, actor=None)

    assert where(result) == [("units.csv", 2, "code")] and not result.written
    assert count(Area) == count(Unit) == 0


def test_an_empty_upload_or_an_empty_file_is_reported(app):
    assert not transfer.import_registry({}, actor=None).ok
    assert where(transfer.import_registry({"units": b""}, actor=None)) == [("units.csv", 1, None)]


def test_an_error_while_writing_rolls_everything_back(app, monkeypatch):
    calls = []
    real_save = transfer.save

    def failing_save(obj, data, actor):
        calls.append(obj)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real_save(obj, data, actor)

    monkeypatch.setattr(transfer, "save", failing_save)

    with pytest.raises(RuntimeError):
        transfer.import_registry({"areas": csv_bytes(AREAS), "units": csv_bytes(UNITS)}, actor=None)

    assert count(Area) == count(Unit) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == 0
