"""The demo city and the starting taxonomy: sizes, names, idempotency, demo sign-ins, routing, CLI."""

import pytest

from composition.demo import DEMO_PASSWORD, seed_demo_city
from composition.demo_lists import USERS
from portal.auth.models import AuditEntry, Role, User
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import to_simplified
from portal.registry.models import (
    Area,
    AreaLevel,
    Category,
    CategoryKind,
    Point,
    PointKind,
    RoutingRule,
    Unit,
    UnitKind,
)
from portal.registry.services import find_by_code, suggest_unit
from portal.taxonomy import GROUPS, install_taxonomy
from tests.factories import make_area

# DOMAIN.md §3, group by group: a word from each category that the seeded name must contain.
DOMAIN_TAXONOMY = {
    "市容环境": ["暴露垃圾", "卫生死角", "陈年垃圾", "乱堆乱放", "乱扔乱倒", "河道漂浮物"],
    "宣传广告": ["牛皮癣", "乱贴乱画", "违规户外广告", "门头牌匾破损"],
    "街面秩序": ["占道经营", "店外经营", "流动摊贩", "马路市场", "乱停乱放", "占道洗车修车", "露天烧烤"],
    "施工管理": ["违章建筑", "工地围挡", "带泥上路", "渣土撒漏"],
    "市政设施": ["道路破损", "井盖缺失", "路灯不亮", "积水", "空中线缆", "公厕问题", "垃圾桶"],
    "园林绿化": ["绿地损毁", "树木死株缺株", "绿化带垃圾"],
    "环境与健康": ["噪声扰民", "污水外溢", "焚烧秸秆", "病媒生物", "控烟"],
    "市场与行业": ["农贸市场脏乱差", "九小", "无证经营"],
    "物业与小区": ["物业不作为", "楼道杂物", "消防通道堵塞"],
    "不文明行为": ["随地吐痰", "乱穿马路", "不文明养犬", "其他"],
    "其他": [],
}
COMPONENTS = ["井盖缺失", "路灯不亮", "道路破损", "垃圾桶", "公厕问题", "门头牌匾破损", "绿地损毁", "树木死株缺株"]


@pytest.fixture
def city(demo_city, app):
    """The demo city's seeding summary; the test's app runs on a fresh copy of it (tests/conftest.py)."""
    return demo_city


def count(model, *where):
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def category_named(fragment):
    return db.session.execute(
        db.select(Category).where(Category.parent_id.is_not(None), Category.name.contains(fragment))
    ).scalar_one()


def test_seeding_builds_a_city_of_the_promised_size(city):
    assert count(Area, Area.level == AreaLevel.CITY) == 1
    assert count(Area, Area.level == AreaLevel.DISTRICT) == 3
    assert count(Area, Area.level == AreaLevel.STREET) == 8
    assert 18 <= count(Area, Area.level == AreaLevel.COMMUNITY) <= 22
    assert 55 <= count(Area, Area.level == AreaLevel.GRID) <= 65
    assert 22 <= count(Unit) <= 28
    assert 180 <= count(Point) <= 220
    for kind in PointKind:
        assert count(Point, Point.kind == kind) > 0, kind
    assert count(Point, Point.latitude.is_(None)) == 0
    assert count(Point, Point.area.has(Area.level != AreaLevel.GRID)) == 0
    assert count(Unit, Unit.name_en.is_(None)) == 0
    assert count(Area, Area.level.in_([AreaLevel.DISTRICT, AreaLevel.STREET]), Area.name_en.is_(None)) == 0
    assert city.created["areas"] == count(Area) and city.created["users"] == len(USERS)


def test_every_street_has_its_office_as_territorial_unit(city):
    streets = db.session.execute(db.select(Area).where(Area.level == AreaLevel.STREET)).scalars().all()
    for street in streets:
        assert street.office_unit.kind == UnitKind.TERRITORIAL
        assert street.office_unit.area_id == street.id


def test_seeding_installs_every_group_and_category_of_the_domain(city):
    groups = db.session.execute(db.select(Category).where(Category.parent_id.is_(None))).scalars().all()
    assert sorted(g.name for g in groups) == sorted(DOMAIN_TAXONOMY)
    for group in groups:
        names = [c.name for c in group.children]
        for fragment in DOMAIN_TAXONOMY[group.name]:
            assert any(fragment in name for name in names), (group.name, fragment)
    for fragment in COMPONENTS:
        assert category_named(fragment).kind == CategoryKind.COMPONENT, fragment
    assert category_named("占道经营").kind == CategoryKind.EVENT


def test_every_category_has_english_and_traditional_names_and_a_limit(city):
    for category in db.session.execute(db.select(Category)).scalars():
        assert category.name_en and category.name_en != category.name
        assert category.name_zh_hant and to_simplified(category.name_zh_hant) == category.name
        assert category.limit_hours > 0
        assert category.urgent_limit_hours is None or 0 < category.urgent_limit_hours <= category.limit_hours
    assert category_named("井盖缺失").name_zh_hant == "井蓋缺失/破損"
    assert category_named("违章建筑").urgent_limit_hours is None


def test_small_things_are_fixed_within_a_day_big_ones_within_a_week(city):
    assert category_named("暴露垃圾").limit_hours <= 8
    assert category_named("道路破损").limit_hours <= 40
    assert category_named("违章建筑").limit_hours > 40


def test_seeding_twice_creates_nothing_new(city):
    models = (Area, Unit, Point, Category, RoutingRule, User, AuditEntry)
    before = {model: count(model) for model in models}
    again = seed_demo_city()
    db.session.commit()
    assert not again.created_anything
    assert {model: count(model) for model in models} == before


def test_install_taxonomy_restores_a_changed_limit_without_duplicating(app):
    first = install_taxonomy()
    first["SR01"].limit_hours = 99
    db.session.commit()
    second = install_taxonomy()
    db.session.commit()
    assert second["SR01"].id == first["SR01"].id and second["SR01"].limit_hours == 4
    assert count(Category) == len(first) == sum(1 + len(g.categories) for g in GROUPS)


def test_each_demo_user_signs_in_with_the_demo_password_and_reaches_the_console(city, client):
    for username, _role, _name in USERS:
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/console/").status_code == 200, username
        client.post("/logout")


def test_demo_users_cover_every_role_with_their_bindings(city):
    users = {u.username: u for u in db.session.execute(db.select(User)).scalars()}
    assert {u.role for u in users.values()} == set(Role)
    assert users["handler"].unit.code == "U-HWC"
    assert [a.level for a in users["inspector"].areas] == [AreaLevel.GRID, AreaLevel.GRID]


def test_a_broken_toilet_goes_to_its_owner_and_a_dark_lamp_to_municipal_engineering(city):
    toilet = find_by_code(Point, "P-TOILET-002")
    suggestion = suggest_unit(category_named("公厕问题"), point=toilet)
    assert (suggestion.unit.code, suggestion.reason) == ("U-HWC", "owner")
    lamp = db.session.execute(db.select(Point).where(Point.kind == PointKind.STREET_LAMP).limit(1)).scalar_one()
    assert suggest_unit(category_named("路灯不亮"), point=lamp).unit.code == "U-SZC"


def test_a_point_rule_sends_a_contracted_toilet_to_the_cleaning_company(city):
    suggestion = suggest_unit(category_named("公厕问题"), point=find_by_code(Point, "P-TOILET-001"))
    assert (suggestion.unit.code, suggestion.reason) == ("U-BJ-JM", "point_rule")


def test_street_order_events_go_to_the_street_office_even_where_a_community_has_a_committee(city):
    for grid_code, office in (("DC-WC-SY-G1", "U-DC-WC"), ("DC-DH-LY-G2", "U-DC-DH"), ("BS-QS-SQ-G1", "U-BS-QS")):
        suggestion = suggest_unit(category_named("占道经营"), area=find_by_code(Area, grid_code))
        assert (suggestion.unit.code, suggestion.reason) == (office, "area_rule"), grid_code


def test_other_events_go_to_the_nearest_territorial_office(city):
    dogs = category_named("不文明养犬")
    assert suggest_unit(dogs, area=find_by_code(Area, "DC-DH-LY-G1")).unit.code == "U-DC-DH-LY"
    assert suggest_unit(dogs, area=find_by_code(Area, "DC-DH-HS-G1")).unit.code == "U-DC-DH"


def test_traffic_offences_go_to_the_traffic_police_everywhere(city):
    suggestion = suggest_unit(category_named("乱穿马路"), area=find_by_code(Area, "NH-XQ-BJ-G3"))
    assert suggestion.unit.code == "U-JJZD"


def test_without_a_place_a_category_goes_to_its_sector_department(city):
    assert suggest_unit(category_named("噪声扰民")).unit.code == "U-STHJ"
    assert suggest_unit(category_named("病媒生物")).unit.code == "U-WJW"
    assert suggest_unit(category_named("道路破损")).unit.code == "U-SZC"


def test_seed_demo_if_empty_leaves_a_non_empty_database_alone(app):
    make_area()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not seeded" in result.output
    assert count(Unit) == 0 and count(User) == 0


def test_seed_demo_command_seeds_and_demo_logins_prints_the_table(app):
    runner = app.test_cli_runner()
    assert "No demo accounts" in runner.invoke(args=["demo-logins"]).output
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert count(Area, Area.level == AreaLevel.DISTRICT) == 3
    logins = runner.invoke(args=["demo-logins"]).output
    for username, _role, _name in USERS:
        assert username in logins
    assert DEMO_PASSWORD in logins
    assert ("Open311 API key of the example integration 12345热线对接示例 (demo only): ms311_demo-12345-hotline"
            in logins)


def test_demo_logins_leaves_out_an_account_whose_password_was_changed(city, app):
    admin = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one()
    admin.set_password("a-real-password")
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["demo-logins"]).output
    listed = [line.split()[0] for line in output.split("\n\n")[0].splitlines()[2:]]
    assert listed == [u[0] for u in USERS if u[0] != "admin"]


def test_demo_city_has_a_month_of_cases_in_every_stage(city):
    from complaints.models import Case, CaseState

    cases = db.session.execute(db.select(Case)).scalars().all()
    assert len(cases) == 100
    states = {c.state for c in cases}
    assert {CaseState.FILED, CaseState.DISPATCHED, CaseState.IN_PROGRESS, CaseState.CLOSED} <= states
    closed = [c for c in cases if c.state == CaseState.CLOSED]
    assert all(c.outcome and c.closed_at and c.unit_id for c in closed)
    assert any(c.rating for c in closed)
    for case in cases:  # every history is in time order and starts at the report
        times = [e.at for e in case.events]
        assert times == sorted(times) and case.events[0].kind.value == "receive"


def test_demo_handling_times_match_their_rounds_times(city):
    """Each handled round's handling time is its 派遣 → 处置 in hours, in the past; reopened cases keep theirs."""
    from complaints.case_records import CaseRound
    from complaints.models import Case

    rounds = db.session.execute(db.select(CaseRound)).scalars().all()
    handled = db.session.execute(db.select(Case).where(Case.hours.is_not(None))).scalars().all() + rounds
    assert handled
    for held in handled:
        if held.handled_at is None:
            continue
        assert held.hours == pytest.approx((held.handled_at - held.dispatched_at).total_seconds() / 3600)
        assert 0 <= held.work_hours <= held.hours
    for kept in rounds:
        assert kept.dispatched_at <= kept.closed_at <= kept.ended_at


def test_demo_city_has_a_satisfaction_survey_answered_by_two_methods_side_by_side(city):
    from surveys.models import Survey, SurveyKind
    from surveys.response_models import Source
    from surveys.results.aggregates import survey_results

    survey = db.session.execute(db.select(Survey).where(Survey.kind == SurveyKind.QUESTIONNAIRE)).scalar_one()
    results = survey_results(survey)
    assert results.sources == [Source.SAMPLED, Source.SELF_SELECTED]  # both figures show, sampled first
    sampled, self_selected = results.headline[Source.SAMPLED], results.headline[Source.SELF_SELECTED]
    # 24 of the 30 token cards came back, round(24 × 0.92) = 22 satisfied.
    assert (sampled.x, sampled.n) == (22, 24)
    # QR posters: 48 + 40 + 44 = 132 people, round(38.4) + round(28.8) + round(37.84) = 38 + 29 + 38 = 105 satisfied;
    # then one phone six times with a new cookie: the first counts (不满意), the five after it are held back.
    assert (self_selected.x, self_selected.n) == (105, 133)
    assert results.counts[Source.SELF_SELECTED]["held_back"] == 5
    assert results.weighted[Source.SELF_SELECTED] is not None and results.weighted[Source.SAMPLED] is not None


def test_demo_city_has_a_quiz_with_answers_and_a_second_seeding_adds_none(city):
    from surveys.demo import seed_demo_surveys
    from surveys.models import Survey, SurveyKind
    from surveys.response_models import SurveyResponse

    quiz = db.session.execute(db.select(Survey).where(Survey.kind == SurveyKind.QUIZ)).scalar_one()
    assert count(SurveyResponse, SurveyResponse.survey_id == quiz.id) == 60
    assert 0 < count(SurveyResponse, SurveyResponse.survey_id == quiz.id, SurveyResponse.passed.is_(True)) < 60
    before = count(SurveyResponse)
    assert seed_demo_surveys(utcnow()) is False
    assert count(Survey) == 2 and count(SurveyResponse) == before


def test_every_demo_survey_page_shows_data_on_first_run(city, client, login):
    from surveys.models import Survey

    login(db.session.execute(db.select(User).where(User.username == "leader")).scalar_one(), DEMO_PASSWORD)
    for survey in db.session.execute(db.select(Survey)).scalars():
        for page in ("results", "responses"):
            response = client.get(f"/console/surveys/{survey.id}/{page}")
            assert response.status_code == 200 and "No responses yet" not in response.get_data(as_text=True)
        assert client.get(f"/surveys/{survey.slug}").status_code == 200


def test_every_demo_area_has_a_valid_boundary_nested_in_its_parent_without_overlapping_its_siblings(city):
    from shapely.geometry import shape

    areas = db.session.scalars(db.select(Area)).all()
    assert all(a.boundary is not None for a in areas)
    shapes = {a.id: shape(a.boundary) for a in areas}
    for area in areas:
        assert shapes[area.id].is_valid, area.code
        assert (area.bbox_west, area.bbox_south, area.bbox_east, area.bbox_north) == shapes[area.id].bounds
        if area.parent_id is not None:
            assert shapes[area.parent_id].buffer(1e-6).covers(shapes[area.id]), area.code
            for sibling in area.parent.children:
                if sibling.id != area.id:
                    assert shapes[area.id].intersection(shapes[sibling.id]).area < 1e-10, (area.code, sibling.code)
    assert all(a.population for a in areas if a.level == AreaLevel.COMMUNITY)


def test_a_demo_report_by_position_lands_in_the_grid_cell_around_it(city):
    from portal.registry.cells import cell_at

    cell = find_by_code(Area, "DC-DH-LY-G1")
    centre = shape_centre(cell)
    assert cell_at(*centre) == cell


def shape_centre(area):
    from shapely.geometry import shape

    point = shape(area.boundary).representative_point()
    return point.y, point.x


def test_every_demo_point_lies_in_its_own_grid_cell(city):
    from shapely.geometry import Point as Position
    from shapely.geometry import shape

    points = db.session.scalars(db.select(Point)).all()
    assert points and all(shape(p.area.boundary).covers(Position(p.longitude, p.latitude)) for p in points)
