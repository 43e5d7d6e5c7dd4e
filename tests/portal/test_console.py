"""The staff console: listing, searching, creating, editing and deactivating registry records; city settings."""
from portal.auth.models import Role
from portal.city import CitySettings
from portal.extensions import db
from portal.registry.models import Area, Category, Point, RoutingRule, Unit
from tests.factories import make_area, make_category, make_point, make_unit, make_user


def test_admin_creates_an_area_under_a_parent(app, client, login):
    login(make_user(Role.ADMIN))
    district = make_area("东城区")
    response = client.post("/console/areas/new", data={
        "code": "DC-DH", "name": "东华街道", "name_en": "Donghua Street", "level": "street",
        "parent_id": str(district.id), "active": "y"})
    assert response.status_code == 302
    street = db.session.execute(db.select(Area).filter_by(code="DC-DH")).scalar_one()
    assert street.parent_id == district.id and street.depth == district.depth + 1


def test_a_bad_form_lists_every_problem_and_keeps_what_was_typed(app, client, login):
    login(make_user(Role.ADMIN))
    make_unit("市环卫处", code="HW")
    response = client.post("/console/points/new?lang=en", data={
        "code": "bad code!", "name": "", "kind": "toilet", "latitude": "200", "address": "人民路1号"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please correct the following" in page
    for field in ("Code", "Name (简体)", "Area", "Latitude"):
        assert f"<li>{field}:" in page, field
    assert "人民路1号" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Point)) == 0


def test_duplicate_code_is_refused_on_the_code_field(app, client, login):
    login(make_user(Role.ADMIN))
    make_unit("市环卫处", code="HW")
    response = client.post("/console/units/new?lang=en", data={"code": "HW", "name": "另一个", "kind": "department"})
    assert "This code is already in use." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Unit)) == 1


def test_deactivated_records_leave_the_default_list_but_stay_findable(app, client, login):
    login(make_user(Role.ADMIN))
    unit = make_unit("市园林局")
    client.post(f"/console/units/{unit.id}/active?lang=en", data={"active": "0"})
    assert db.session.get(Unit, unit.id).active is False
    assert "Deactivated: 市园林局" in client.get("/console/units/?lang=en").get_data(as_text=True)  # the flash
    assert "市园林局" not in client.get("/console/units/").get_data(as_text=True)
    assert "市园林局" in client.get("/console/units/?active=0").get_data(as_text=True)


def test_list_search_matches_traditional_spelling(app, client, login):
    login(make_user(Role.DISPATCHER))
    make_unit("市环卫处")
    make_unit("市园林局")
    page = client.get("/console/units/?q=環衛").get_data(as_text=True)
    assert "市环卫处" in page and "市园林局" not in page


def test_point_list_filters_by_area_subtree_and_kind(app, client, login):
    login(make_user(Role.ADMIN))
    east, west = make_area("东城区"), make_area("西城区")
    make_point(east, "东城公厕")
    make_point(west, "西城公厕")
    make_point(east, "东城路灯", kind="lamp")
    page = client.get(f"/console/points/?area={east.id}&kind=toilet").get_data(as_text=True)
    assert "东城公厕" in page and "西城公厕" not in page and "东城路灯" not in page


def test_category_limits_are_checked(app, client, login):
    login(make_user(Role.ADMIN))
    group = make_category("市容环境", as_group=True)
    response = client.post("/console/categories/new?lang=en", data={
        "code": "X1", "name": "暴露垃圾", "parent_id": str(group.id), "kind": "event",
        "limit_hours": "4", "urgent_limit_hours": "8"})
    assert "The urgent limit must not be longer" in response.get_data(as_text=True)
    assert db.session.execute(db.select(Category).filter_by(code="X1")).first() is None


def test_routing_rule_by_point_code_and_the_route_tester(app, client, login):
    login(make_user(Role.ADMIN))
    category = make_category("公厕问题", kind="component")
    owner = make_unit("市环卫处")
    contractor = make_unit("洁美保洁公司", kind="contractor")
    point = make_point(owner=owner)
    response = client.post("/console/rules/new?lang=en", data={
        "category_id": str(category.id), "point_code": "NOPE", "unit_id": str(contractor.id)})
    assert "No active point has this code." in response.get_data(as_text=True)
    response = client.post("/console/rules/new", data={
        "category_id": str(category.id), "point_code": point.code, "unit_id": str(contractor.id), "active": "y"})
    assert response.status_code == 302
    rule = db.session.execute(db.select(RoutingRule)).scalar_one()
    assert rule.point_id == point.id and rule.area_id is None
    url = f"/console/rules/?category_id={category.id}&point_code={point.code}&lang=en"
    page = client.get(url).get_data(as_text=True)
    assert "洁美保洁公司" in page.split('id="route-result"', 1)[1]


def test_admin_edits_city_settings_and_public_pages_show_the_hotline(app, client, login):
    login(make_user(Role.ADMIN))
    response = client.post("/console/settings?lang=en", data={
        "city_name": "临江市", "hotline": "0571-12345", "timezone": "Asia/Shanghai", "default_locale": "zh_Hant",
        "satisfaction_scale": "5", "working_periods": "09:00-12:00,13:00-17:00", "warning_percent": "75"})
    assert response.status_code == 302
    assert "City settings saved." in client.get(response.headers["Location"]).get_data(as_text=True)  # flashed
    settings = db.session.get(CitySettings, 1)
    assert (settings.city_name, settings.hotline, settings.satisfaction_scale) == ("临江市", "0571-12345", 5)
    assert (settings.working_periods, settings.warning_percent) == ("09:00-12:00,13:00-17:00", 75)
    anonymous = app.test_client()
    page = anonymous.get("/").get_data(as_text=True)
    assert "0571-12345" in page and "臨江市" in page  # default language is now zh_Hant


def test_settings_refuse_an_unknown_timezone(app, client, login):
    login(make_user(Role.ADMIN))
    response = client.post("/console/settings?lang=en", data={
        "city_name": "临江市", "hotline": "12345", "timezone": "Mars/Olympus", "default_locale": "zh_Hans",
        "satisfaction_scale": "3", "working_periods": "08:30-12:00", "warning_percent": "80"})
    assert "Unknown timezone" in response.get_data(as_text=True)
    assert db.session.get(CitySettings, 1).timezone == "Asia/Shanghai"


def test_settings_refuse_overlapping_working_hours(app, client, login):
    login(make_user(Role.ADMIN))
    response = client.post("/console/settings?lang=en", data={
        "city_name": "临江市", "hotline": "12345", "timezone": "Asia/Shanghai", "default_locale": "zh_Hans",
        "satisfaction_scale": "3", "working_periods": "08:30-12:00,11:00-17:00", "warning_percent": "80"})
    assert "Write periods like" in response.get_data(as_text=True)
    assert db.session.get(CitySettings, 1).working_periods == "08:30-12:00,13:30-17:30"


def test_audit_log_shows_local_time(app, client, login):
    from datetime import datetime, timezone

    from portal.auth.models import AuditEntry

    admin = login(make_user(Role.ADMIN))
    db.session.add(AuditEntry(actor_id=admin.id, action="update", object_type="units", summary="X",
                              at=datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc)))
    db.session.commit()
    assert "2026-11-23 00:30" in client.get("/console/audit").get_data(as_text=True)  # UTC+8


def test_category_extra_questions_are_edited_as_json_and_checked(app, client, login):
    login(make_user(Role.ADMIN))
    group = make_category("市政设施", as_group=True)
    base = {"code": "SZ9", "name": "路灯不亮", "parent_id": str(group.id), "kind": "component", "limit_hours": "24"}
    response = client.post("/console/categories/new?lang=en", data=dict(base, questions="[{not json"))
    assert "Extra questions must be a JSON list" in response.get_data(as_text=True)
    response = client.post("/console/categories/new?lang=en", data=dict(base, questions='[{"key": "x"}]'))
    assert "Extra questions must be a JSON list" in response.get_data(as_text=True)
    questions = ('[{"key": "lamps", "label": "几盏灯不亮？", "type": "choice", '
                 '"choices": [{"value": "1", "label": "1盏"}]}]')
    assert client.post("/console/categories/new", data=dict(base, questions=questions)).status_code == 302
    category = db.session.execute(db.select(Category).filter_by(code="SZ9")).scalar_one()
    assert category.questions[0]["key"] == "lamps"
    page = client.get(f"/console/categories/{category.id}/edit").get_data(as_text=True)
    assert "几盏灯不亮？" in page and "&#34;key&#34;: &#34;lamps&#34;" in page
