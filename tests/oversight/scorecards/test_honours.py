"""The 红黑榜: the versioned rule (hand-computed lists), strike-3 units, the stored lists and their public pages."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from oversight.scorecards import honours
from oversight.scorecards.jobs import publish_honours
from oversight.scorecards.snapshot_models import LIST_RULE_DEFAULTS, ListRule, Snapshot, SnapshotKind
from oversight.scorecards.snapshots import publish_snapshot
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_unit, make_user
from tests.oversight.scorecards.snapshot_factories import figures, make_strike, stand_in_engine, utc

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEC_1 = datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI)  # the job's run for November
NOV_END = utc(2026, 11, 30, 16)  # 2026-12-01 00:00 in Shanghai


def row(id, received, score, vetoes=()):
    return {"id": id, "received": received, "score": score, "vetoes": list(vetoes)}


def ids(entries):
    return [entry["id"] for entry in entries]


def test_the_best_go_red_and_the_worst_go_black_under_the_default_rule():
    # Eligible (>= 20 cases): A 95, B 90, C 84, D 70, E 65, F 55. G has 5 cases: not ranked either way.
    rows = [row("A", 50, 95), row("B", 40, 90), row("C", 30, 84), row("D", 25, 70), row("E", 21, 65),
            row("F", 20, 55), row("G", 5, 10)]
    lists = honours.select_lists(rows, LIST_RULE_DEFAULTS)
    assert ids(lists["red"]) == ["A", "B"]  # C is third but below 85
    # bottom places: min(3, ⌊6 × 20%⌋ = 1) = 1, so only F by rank (and F is under 60 too)
    assert ids(lists["black"]) == ["F"]
    wider = honours.select_lists(rows, dict(LIST_RULE_DEFAULTS, black_max_percent=50))  # ⌊6 × 50%⌋ = 3
    assert ids(wider["black"]) == ["F", "E", "D"]  # worst first
    assert lists["red"][0]["reasons"] == [{"code": "top", "rank": 1, "of": 6}]
    f_reasons = {r["code"] for r in lists["black"][0]["reasons"]}
    assert f_reasons == {"bottom", "below"}  # F is both among the bottom three and under 60


def test_everyone_below_the_black_line_is_listed_beyond_the_bottom_count():
    params = dict(LIST_RULE_DEFAULTS, black_count=1)
    rows = [row("A", 30, 90), row("B", 30, 59), row("C", 30, 58.5), row("D", 30, 40)]
    lists = honours.select_lists(rows, params)
    assert ids(lists["black"]) == ["D", "C", "B"]
    assert [r["code"] for r in lists["black"][2]["reasons"]] == ["below"]


def test_ties_at_the_edge_of_a_list_are_all_included_and_nobody_is_on_both():
    params = dict(LIST_RULE_DEFAULTS, red_count=1, black_count=1, black_below_score=0, black_max_percent=50)
    rows = [row("A", 30, 92), row("B", 30, 92), row("C", 30, 88)]
    lists = honours.select_lists(rows, params)
    assert ids(lists["red"]) == ["A", "B"]
    assert ids(lists["black"]) == ["C"]
    two = honours.select_lists([row("A", 30, 92), row("B", 30, 88)], dict(params, red_count=3, black_count=3))
    assert ids(two["red"]) == ["A", "B"] and two["black"] == []


def test_a_unit_at_the_third_strike_is_always_black_and_never_red():
    strikes = {"H": NOV_END, "S": NOV_END}
    rows = [row("H", 25, 99), row("A", 50, 95), row("B", 40, 90), row("C", 30, 88), row("S", 2, None)]
    lists = honours.select_lists(rows, dict(LIST_RULE_DEFAULTS, black_count=0), strikes)
    assert ids(lists["red"]) == ["A", "B", "C"]  # H's score would top the list: the red places go to others
    assert ids(lists["black"]) == ["H", "S"]  # S has 2 cases and no index: listed all the same
    assert lists["black"][1]["reasons"] == [{"code": "strike3", "since": NOV_END.isoformat()}]


def test_a_vetoed_unit_takes_no_red_place():
    rows = [row("A", 50, 95, vetoes=["满意率低于90%"]), row("B", 40, 90)]
    assert ids(honours.select_lists(rows, LIST_RULE_DEFAULTS)["red"]) == ["B"]


def test_strike3_units_are_those_at_the_third_strike_when_the_month_ends(app):
    at_end = make_unit("在榜单位")
    cleared = make_unit("已销号单位")
    later = make_unit("下月才到第三次")
    second = make_unit("第二次单位")
    cleared_after = make_unit("月后销号单位")
    make_strike(at_end, issued_at=utc(2026, 11, 5))
    make_strike(cleared, issued_at=utc(2026, 11, 5), cleared_at=utc(2026, 11, 20))
    make_strike(later, issued_at=utc(2026, 11, 30, 17))  # 12-01 01:00 in Shanghai
    make_strike(second, level=2, issued_at=utc(2026, 11, 5))
    make_strike(cleared_after, issued_at=utc(2026, 11, 5), cleared_at=utc(2026, 12, 2))
    assert set(honours.strike3_units(NOV_END)) == {at_end.id, cleared_after.id}


@pytest.fixture
def november(app, monkeypatch):
    """Units and districts with hand-chosen November figures and indexes, a strike-3 unit, and the engine
    standing in for them."""
    units = {name: make_unit(name) for name in ("环卫处", "园林局", "市政处", "物业公司", "交警大队", "小单位")}
    district = make_area("东城区", level=AreaLevel.DISTRICT)
    west = make_area("西城区", level=AreaLevel.DISTRICT)
    street = make_area("东华街道", level=AreaLevel.STREET, parent=district)
    make_strike(units["交警大队"], issued_at=utc(2026, 11, 12))
    u = {name: unit.id for name, unit in units.items()}
    unit_rows = [figures(u["环卫处"], received=60, due=50, closed=49),
                 figures(u["园林局"], received=40, due=40, closed=36),
                 figures(u["市政处"], received=30, due=30, closed=20),
                 figures(u["物业公司"], received=22, due=20, closed=9),
                 figures(u["交警大队"], received=25, due=25, closed=24),
                 figures(u["小单位"], received=3, due=3, closed=0)]
    area_rows = [figures(district.id, level="area", received=100, due=90, closed=88),
                 figures(west.id, level="area", received=80, due=80, closed=40),
                 figures(street.id, level="area", received=60, due=60, closed=60)]
    scores = {u["环卫处"]: (96.0, []), u["园林局"]: (88.5, []), u["市政处"]: (72.0, []), u["物业公司"]: (51.0, []),
              u["交警大队"]: (93.0, []), u["小单位"]: (20.0, []),
              ("area", district.id): (91.0, []), ("area", west.id): (55.0, []), ("area", street.id): (99.0, [])}
    stand_in_engine(monkeypatch, {("month:2026-11", "unit"): unit_rows, ("month:2026-11", "area"): area_rows},
                    scores)
    return {"units": u, "district": district.id, "west": west.id, "street": street.id}


def test_the_monthly_lists_are_stored_with_figures_reasons_and_the_rule_text(november):
    snapshot = publish_honours(DEC_1)
    assert snapshot.kind == SnapshotKind.HONOURS and snapshot.period_key == "month:2026-11"
    u = november["units"]
    lists = snapshot.data["lists"]
    # 5 eligible units: 环卫处 96, 交警大队 93 (strike 3), 园林局 88.5, 市政处 72, 物业公司 51.
    assert ids(lists["units"]["red"]) == [u["环卫处"], u["园林局"]]
    # one bottom place (⌊5 × 20%⌋ = 1): 物业公司, also under 60; 市政处 (72) is not listed
    assert ids(lists["units"]["black"]) == [u["物业公司"], u["交警大队"]]
    assert lists["units"]["black"][0]["reasons"][0] == {"code": "bottom", "rank": 5, "of": 5, "from_bottom": 1,
                                                        "places": 1}
    traffic = lists["units"]["black"][1]
    # 93 is fourth from the bottom: listed for its strike only.
    assert [r["code"] for r in traffic["reasons"]] == ["strike3"]
    best = lists["units"]["red"][0]
    assert best["received"] == 60 and best["score"] == 96.0
    assert best["figures"]["closure_rate"] == pytest.approx(49 / 50)
    assert best["name"]["zh_Hans"] == "环卫处"
    # Areas are ranked at the rule's level (districts): the street does not compete. Two districts leave no
    # bottom place (⌊2 × 20%⌋ = 0): 西城区 is listed for its index under 60 only.
    assert ids(lists["areas"]["red"]) == [november["district"]]
    assert ids(lists["areas"]["black"]) == [november["west"]]
    assert [r["code"] for r in lists["areas"]["black"][0]["reasons"]] == ["below"]
    assert snapshot.data["list_rule"]["version"] == 1
    assert "20" in snapshot.data["list_rule"]["text"]["zh_Hans"][0]
    assert snapshot.data["list_rule"]["text"]["en"][0].startswith("Red list")
    assert snapshot.data["score_rule_version"] == 7


def test_the_public_page_shows_the_latest_published_lists_with_the_rule(november, client):
    snapshot = publish_honours(DEC_1)
    page = client.get("/board/honours/")
    assert page.status_code == 200
    assert "环卫处" not in page.get_data(as_text=True)  # generated, not yet published
    publish_snapshot(snapshot, actor=None)
    db.session.commit()
    for lang in ("zh_Hans", "zh_Hant", "en"):
        page = client.get(f"/board/honours/?lang={lang}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert 'id="red-units"' in html and 'id="rule-text"' in html
        assert "环卫处" in html or "環衛處" in html
        assert "物业公司" in html or "物業公司" in html
    english = client.get("/board/honours/?lang=en").get_data(as_text=True)
    assert "Red list: the top 3 units" in english and "third strike" in english
    assert client.get("/board/honours/2026-11").status_code == 200
    assert client.get("/board/honours/2026-10").status_code == 404
    assert client.get("/board/honours/2026-13").status_code == 404


def test_an_unpublished_month_is_not_public(november, client):
    publish_honours(DEC_1)
    assert client.get("/board/honours/2026-11").status_code == 404


def test_saving_the_rule_makes_a_new_version_and_stored_lists_keep_theirs(november):
    first = publish_honours(DEC_1)
    admin = make_user(Role.ADMIN)
    params = dict(LIST_RULE_DEFAULTS, red_count=1, min_cases=10)
    rule = honours.save_list_rule(dict(params, note="只表扬第一名"), admin)
    db.session.commit()
    assert rule.version == 2 and honours.current_list_rule().red_count == 1
    assert first.data["list_rule"]["version"] == 1
    assert len(first.data["lists"]["units"]["red"]) == 2
    rule3 = honours.save_list_rule(dict(params, red_count=2), admin)
    db.session.commit()
    assert [r.version for r in honours.list_rule_versions()] == [3, 2]
    assert rule3.version == 3


def test_an_impossible_rule_is_refused_with_every_problem_at_once(app):
    with pytest.raises(honours.ListRuleError) as caught:
        honours.save_list_rule(dict(LIST_RULE_DEFAULTS, red_count=-1, red_min_score=150, area_level="galaxy"), None)
    assert set(caught.value.errors) == {"red_count", "red_min_score", "area_level"}
    with pytest.raises(honours.ListRuleError) as caught:
        honours.save_list_rule(dict(LIST_RULE_DEFAULTS, red_min_score=50, black_below_score=70), None)
    assert set(caught.value.errors) == {"black_below_score"}
    assert db.session.execute(db.select(ListRule)).first() is None


def test_the_rule_page_saves_a_version_and_explains_bad_input(app, english_client):
    admin = make_user(Role.ADMIN)
    english_client.post("/login", data={"username": admin.username, "password": "password123"})
    page = english_client.get("/console/bulletins/rule")
    assert page.status_code == 200 and "version 1" in page.get_data(as_text=True)
    bad = dict(LIST_RULE_DEFAULTS, red_min_score="abc", black_count=-2)
    page = english_client.post("/console/bulletins/rule", data=bad)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Please correct the following" in html
    assert "Not a valid float value" in html and "Number must be" in html
    assert db.session.execute(db.select(ListRule)).first() is None
    good = dict(LIST_RULE_DEFAULTS, red_count=5, note="more praise")
    page = english_client.post("/console/bulletins/rule", data=good)
    assert page.status_code == 302
    assert honours.current_list_rule().red_count == 5 and honours.current_list_rule().version == 2


def test_the_stored_lists_never_change_even_after_the_rule_changes(november):
    snapshot = publish_honours(DEC_1)
    before = dict(snapshot.data)
    honours.save_list_rule(dict(LIST_RULE_DEFAULTS, red_count=0), None)
    db.session.commit()
    again = publish_honours(DEC_1)
    assert again.id == snapshot.id and again.data == before
    assert db.session.scalar(db.select(db.func.count()).select_from(Snapshot)) == 1


def test_a_vetoed_unit_counts_among_the_worst():
    rows = [row("A", 50, 95, vetoes=["否决"]), row("B", 40, 90), row("C", 40, 80)]
    lists = honours.select_lists(rows, dict(LIST_RULE_DEFAULTS, black_count=1, black_max_percent=50))
    assert ids(lists["black"]) == ["A"] and ids(lists["red"]) == ["B"]


# -- the black list by rank never takes the best, never the whole field, and says the true rank (issue 11, item 9)

NO_RED = dict(LIST_RULE_DEFAULTS, red_count=0, black_below_score=0)  # only the bottom places put anyone on the list


def field_of(size, ties=False):
    """Eligible rows scored 90, 85, 80, … (or all 70 when ``ties``)."""
    return [row(f"U{n}", 30, 70 if ties else 90 - 5 * n) for n in range(size)]


def black_by_rank(rows, **params):
    return ids(honours.select_lists(rows, dict(NO_RED, **params))["black"])


@pytest.mark.parametrize("size, listed", [(1, []), (2, []), (3, []), (4, []), (5, ["U4"]), (15, ["U14", "U13", "U12"])])
def test_the_default_bottom_places_are_at_most_a_fifth_of_the_field(size, listed):
    # N = 3, at most ⌊size × 20%⌋: 1–4 → 0, 5 → 1, 15 → 3
    assert black_by_rank(field_of(size)) == listed


@pytest.mark.parametrize("size, listed", [(1, []), (2, ["U1"]), (3, ["U2", "U1"]), (4, ["U3", "U2", "U1"]),
                                          (5, ["U4", "U3", "U2"])])
def test_bottom_n_never_covers_the_whole_field_nor_the_first(size, listed):
    # with no share limit, N = 3 applies in full only to a field larger than 3 (fields of N and N + 1 = 3, 4);
    # below that every place but the first: a field of 1 lists nobody, of 2 only the second
    assert black_by_rank(field_of(size), black_max_percent=100) == listed


def test_a_field_where_everyone_ties_for_first_puts_nobody_on_the_black_list_by_rank():
    assert black_by_rank(field_of(3, ties=True), black_max_percent=100) == []
    assert black_by_rank(field_of(10, ties=True)) == []


def test_ties_at_the_bottom_are_all_listed_but_never_reach_the_first():
    # 90, 80, 70, 50, 50: one place (⌊5 × 20%⌋), the two 50s share the last place
    rows = [row("A", 30, 90), row("B", 30, 80), row("C", 30, 70), row("D", 30, 50), row("E", 30, 50)]
    assert black_by_rank(rows) == ["D", "E"]
    # 80, 80, 60 with two places allowed: the two 80s share first place and are never listed; C alone
    assert black_by_rank([row("A", 30, 80), row("B", 30, 80), row("C", 30, 60)], black_max_percent=100) == ["C"]


def test_the_reason_states_the_true_rank(app):
    from flask_babel import force_locale

    from oversight.scorecards.snapshot_display import reason_text

    lists = honours.select_lists(field_of(15), NO_RED)
    reasons = {entry["id"]: entry["reasons"][0] for entry in lists["black"]}
    assert reasons["U12"] == {"code": "bottom", "rank": 13, "of": 15, "from_bottom": 3, "places": 3}
    with force_locale("en"):
        assert reason_text(reasons["U12"]) == ("ranked 13 of 15 by the composite index: 3 from the bottom (the black "
                                               "list takes the bottom 3)")
        assert reason_text(reasons["U14"]) == ("ranked 15 of 15 by the composite index: the last (the black list "
                                               "takes the bottom 3)")
    # three districts: the first is never on the black list, whatever the rule says
    three = honours.select_lists(field_of(3), dict(NO_RED, black_max_percent=100))
    assert "U0" not in ids(three["black"])
    assert {e["id"]: e["reasons"][0]["rank"] for e in three["black"]} == {"U1": 2, "U2": 3}
