"""The registry: names in three languages, 简/繁-blind search, the area tree, and routing."""
import re

import pytest

from portal.auth.models import AuditEntry, Role
from portal.extensions import db
from portal.i18n import localized
from portal.registry import services
from portal.registry.models import Area, AreaLevel, CategoryKind, Point, UnitKind
from tests.factories import make_area, make_category, make_point, make_rule, make_unit, make_user
from tests.sqlcount import statements_for_two_and_eight_rows


def test_names_fall_back_from_hant_to_converted_hans_and_from_en_to_hans():
    assert localized("垃圾未清运", None, None, locale="zh_Hant") == "垃圾未清運"
    assert localized("垃圾未清运", "垃圾未清運(自訂)", None, locale="zh_Hant") == "垃圾未清運(自訂)"
    assert localized("垃圾未清运", None, None, locale="en") == "垃圾未清运"
    assert localized("垃圾未清运", None, "Uncollected refuse", locale="en") == "Uncollected refuse"


def test_search_finds_simplified_names_from_traditional_queries_and_back(app):
    make_unit(name="市环卫处", name_en="Sanitation Office")
    make_unit(name="市园林局")
    for query in ("环卫", "環衛", "sanitation", "SANITATION"):
        found = db.session.execute(services.search(services.Unit, query)).scalars().all()
        assert [u.name for u in found] == ["市环卫处"], query


def test_search_treats_like_wildcards_as_text(app):
    make_unit(name="市环卫处")
    assert db.session.execute(services.search(services.Unit, "%")).scalars().all() == []


def test_area_tree_keeps_paths_when_a_branch_moves(app):
    city = make_area("示范市", AreaLevel.CITY)
    east = make_area("东城区", AreaLevel.DISTRICT, parent=city)
    west = make_area("西城区", AreaLevel.DISTRICT, parent=city)
    street = make_area("东华街道", AreaLevel.STREET, parent=east)
    grid = make_area("第1网格", AreaLevel.GRID, parent=street)
    assert grid.path == f"/{city.id}/{east.id}/{street.id}/{grid.id}/" and grid.depth == 3

    services.save(street, {"parent_id": west.id}, actor=None)
    db.session.commit()
    db.session.refresh(grid)
    assert grid.path == f"/{city.id}/{west.id}/{street.id}/{grid.id}/"
    assert grid.full_name == "示范市 / 西城区 / 东华街道 / 第1网格"
    subtree = set(db.session.execute(services.subtree_ids(west)).scalars())
    assert subtree == {west.id, street.id, grid.id}


def test_an_area_cannot_move_under_its_own_descendant(app):
    district = make_area("东城区")
    street = make_area("东华街道", AreaLevel.STREET, parent=district)
    with pytest.raises(services.RegistryError) as error:
        services.save(district, {"parent_id": street.id}, actor=None)
    assert error.value.message == "cycle"


def test_codes_are_unique_per_kind(app):
    make_unit(name="甲", code="U-1")
    with pytest.raises(services.RegistryError) as error:
        services.save(services.Unit(), {"code": "U-1", "name": "乙", "kind": UnitKind.DEPARTMENT}, actor=None)
    assert error.value.field == "code"


def test_changes_are_audited_with_the_fields_that_changed(app):
    admin = make_user(Role.ADMIN)
    unit = make_unit(name="市环卫处")
    services.save(unit, {"contact_phone": "0571-1234567"}, actor=admin)
    db.session.commit()
    entry = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
    assert entry.actor_id == admin.id and entry.action == "update" and entry.object_type == "units"
    assert entry.changes == {"contact_phone": [None, "0571-1234567"]}


class TestRouting:
    """部件先属主后属地, 事件先属地后属主, and a rule naming the point beats everything."""

    @pytest.fixture
    def city(self, app):
        district = make_area("东城区")
        office = make_unit("东华街道办", kind=UnitKind.TERRITORIAL)
        street = make_area("东华街道", AreaLevel.STREET, parent=district, office_unit_id=office.id)
        grid = make_area("第1网格", AreaLevel.GRID, parent=street)
        sanitation = make_unit("市环卫处")
        urban = make_unit("市城管局")
        toilet = make_point(grid, "人民公园公厕", owner=sanitation)
        return {"district": district, "street": street, "grid": grid, "office": office,
                "sanitation": sanitation, "urban": urban, "toilet": toilet}

    def test_component_goes_to_the_point_owner_first(self, city):
        broken = make_category("公厕问题", kind=CategoryKind.COMPONENT)
        make_rule(broken, city["urban"])  # a citywide sector rule does not beat the owner
        suggestion = services.suggest_unit(broken, point=city["toilet"])
        assert (suggestion.unit, suggestion.reason) == (city["sanitation"], "owner")

    def test_event_goes_to_the_territory_before_the_sector_and_the_owner(self, city):
        stalls = make_category("占道经营", kind=CategoryKind.EVENT)
        make_rule(stalls.parent, city["urban"])  # the sector's rule for the whole group
        suggestion = services.suggest_unit(stalls, point=city["toilet"])
        assert (suggestion.unit, suggestion.reason) == (city["office"], "territory")

    def test_an_explicit_citywide_rule_for_the_category_beats_the_implicit_office(self, city):
        jaywalking = make_category("乱穿马路", kind=CategoryKind.EVENT)
        police = make_unit("交警支队")
        make_rule(jaywalking, police)
        suggestion = services.suggest_unit(jaywalking, point=city["toilet"])
        assert (suggestion.unit, suggestion.reason) == (police, "sector_rule")

    def test_deepest_area_rule_wins_and_exact_category_beats_group(self, city):
        stalls = make_category("占道经营", kind=CategoryKind.EVENT)
        other = make_unit("东城区城管执法中队")
        precise = make_unit("东华街道城管中队")
        make_rule(stalls.parent, other, area=city["district"])
        make_rule(stalls.parent, make_unit("别的单位"), area=city["street"])
        make_rule(stalls, precise, area=city["street"])
        suggestion = services.suggest_unit(stalls, area=city["grid"])
        assert (suggestion.unit, suggestion.reason) == (precise, "area_rule")

    def test_a_rule_for_the_point_beats_owner_and_territory(self, city):
        broken = make_category("公厕问题", kind=CategoryKind.COMPONENT)
        contractor = make_unit("洁美保洁公司", kind=UnitKind.CONTRACTOR)
        make_rule(broken, contractor, point=city["toilet"])
        assert services.suggest_unit(broken, point=city["toilet"]).unit == contractor

    def test_inactive_units_and_rules_are_skipped(self, city):
        stalls = make_category("占道经营", kind=CategoryKind.EVENT)
        make_rule(stalls.parent, city["urban"])
        services.set_active(city["office"], False, actor=None)
        db.session.commit()
        assert services.suggest_unit(stalls, area=city["grid"]).unit == city["urban"]

    def test_no_rule_and_no_owner_means_no_suggestion(self, app):
        assert services.suggest_unit(make_category("其他"), area=make_area("孤岛区")) is None


def test_points_in_an_area_include_the_whole_subtree(app):
    district = make_area("东城区")
    street = make_area("东华街道", AreaLevel.STREET, parent=district)
    inside = make_point(street, "东华菜市场")
    make_point(make_area("西城区"), "西城公厕")
    found = db.session.execute(services.active_points_query(area=district)).scalars().all()
    assert found == [inside]
    assert db.session.get(Point, inside.id).area == db.session.get(Area, street.id)


def _add_rows(count, start):
    """``count`` points and routing rules, each in an area of its own under a street, with its own unit and category
    group: every relation a row shows is a different record."""
    for n in range(start, start + count):
        district = make_area(f"区{n}")
        street = make_area(f"街道{n}", level=AreaLevel.STREET, parent=district)
        unit = make_unit(f"单位{n}")
        make_point(area=street, name=f"点位{n}", owner=unit)
        group = make_category(f"大类{n}", as_group=True)
        make_rule(make_category(f"小类{n}", parent=group), unit, area=street)


@pytest.mark.parametrize("url, row_name", [("/console/points/", "点位"), ("/console/rules/", "小类"),
                                           ("/console/cases/", "大类")])
def test_a_list_sends_as_many_statements_for_eight_rows_as_for_two(client, login, url, row_name):
    """The points, routing rules and the case list's category filter (its groups) load what their rows show with the
    page, not one query per row (without that, 2 → 8 rows took the points list from 11 to 29 statements, the rules
    from 14 to 38, the case list from 13 to 19)."""
    login(make_user(Role.ADMIN))
    few, many = statements_for_two_and_eight_rows(client, url, _add_rows,
                                                  lambda page: len(set(re.findall(row_name + r"\d+", page))))
    assert many == few, (few, many)
