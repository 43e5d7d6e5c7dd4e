"""Candidates for the moderator's queue: units at their 2nd strike and clusters of reports; idempotent."""
from datetime import timedelta

import pytest

from complaints.services import add_me_too
from complaints.supervision.models import UnitStrike
from oversight.board import items
from oversight.board.candidates import propose_candidates
from oversight.board.models import Candidate, EditorialState, ItemKind
from oversight.board.rules import BoardError
from portal.auth.models import Role
from portal.clock import to_local, utcnow
from portal.extensions import db
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user


def keys():
    return sorted(db.session.execute(db.select(Candidate.key)).scalars())


def strike(unit, level, cleared=False):
    record = UnitStrike(unit_id=unit.id, level=level, reason="本月督办单 3 件", cycle=1,
                        cleared_at=utcnow() if cleared else None)
    db.session.add(record)
    db.session.commit()
    return record


def test_units_at_their_second_strike_become_candidates_once(app):
    unit = make_unit("市环卫处")
    second = strike(unit, 2)
    strike(unit, 1)
    strike(make_unit("市园林局"), 2, cleared=True)
    assert [c.key for c in propose_candidates()] == [f"strike:{second.id}"]
    db.session.commit()
    assert propose_candidates() == []
    assert keys() == [f"strike:{second.id}"]


def test_a_cluster_at_the_threshold_counting_me_too_becomes_a_candidate(app):
    point = make_point(make_area())
    category = make_category("暴露垃圾")
    cases = [make_case(category=category, point=point) for _ in range(3)]
    add_me_too(cases[0])
    db.session.commit()
    assert propose_candidates() == []  # 3 reports + 1 me too = 4 < 5
    add_me_too(cases[1])
    db.session.commit()
    now = utcnow()
    added = propose_candidates(now)
    assert len(added) == 1
    candidate = added[0]
    month = to_local(now, "Asia/Shanghai").strftime("%Y-%m")
    assert candidate.key == f"cluster:{category.id}:point:{point.id}:{month}"
    assert sorted(candidate.case_ids) == sorted(c.id for c in cases)
    db.session.commit()
    assert propose_candidates(now) == []


def test_clusters_without_a_point_count_by_area_and_old_or_closed_cases_do_not_count(app):
    area = make_area("西城区")
    category = make_category("噪声扰民")
    for _ in range(4):
        make_case(category=category, area=area)
    old = make_case(category=category, area=area)
    old.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert propose_candidates() == []
    make_case(category=category, area=area)
    added = propose_candidates()
    assert [c.key.split(":")[:4] for c in added] == [["cluster", str(category.id), "area", str(area.id)]]
    assert old.id not in added[0].case_ids


def test_the_threshold_and_window_are_configurable(app):
    app.config["BOARD_CLUSTER_THRESHOLD"] = 2
    point = make_point(make_area())
    category = make_category("井盖缺失")
    make_case(category=category, point=point)
    make_case(category=category, point=point)
    assert len(propose_candidates()) == 1


def test_a_candidate_becomes_a_draft_with_its_cases_in_one_step(app):
    app.config["BOARD_CLUSTER_THRESHOLD"] = 2
    point = make_point(make_area())
    category = make_category("井盖缺失")
    cases = [make_case(category=category, point=point) for _ in range(2)]
    candidate = propose_candidates()[0]
    db.session.commit()
    moderator = make_user(Role.MODERATOR)
    item = items.create_item_from_candidate(candidate, moderator)
    db.session.commit()
    assert item.state == EditorialState.DRAFT and {link.case for link in item.case_links} == set(cases)
    assert (candidate.state, candidate.item_id, candidate.decided_by_id) == ("used", item.id, moderator.id)
    with pytest.raises(BoardError) as refused:
        items.create_item_from_candidate(candidate, moderator)
    assert refused.value.code == "candidate_decided"


def test_a_strike_without_cases_becomes_a_unit_item(app):
    unit = make_unit("市环卫处")
    strike(unit, 2)
    candidate = propose_candidates()[0]
    item = items.create_item_from_candidate(candidate, make_user(Role.MODERATOR))
    assert item.kind == ItemKind.UNIT and item.unit == unit


def test_dismissing_needs_a_reason_and_is_kept(app):
    strike(make_unit(), 2)
    candidate = propose_candidates()[0]
    moderator = make_user(Role.MODERATOR)
    with pytest.raises(BoardError):
        items.dismiss_candidate(candidate, moderator, " ")
    items.dismiss_candidate(candidate, moderator, "已在上月曝光")
    db.session.commit()
    assert (candidate.state, candidate.decision_note) == ("dismissed", "已在上月曝光")
    assert propose_candidates() == []  # a dismissed candidate is not proposed again
