"""Each figure and rate against a hand-computed month of cases, with 缓办, 返工 and 重办 among them."""
from datetime import date, timedelta

import pytest

from complaints.models import CaseState
from complaints.services import is_dissatisfied
from complaints.supervision.models import NoticeKind, SupervisionNotice
from oversight.scorecards.figures import compute, compute_many
from oversight.scorecards.periods import Period
from oversight.scorecards.rollups import refresh_rollups
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_category, make_unit
from tests.oversight.scorecards.helpers import local, put_case

C = CaseState
NOVEMBER = Period.containing("month", date(2026, 11, 1))
NOW = local(2026, 12, 5, 9)


@pytest.fixture
def city(app):
    """Unit 环卫处 with nine cases around November 2026 in 东城区/北街道; 市政 with two in 东城区/南街道."""
    district = make_area("东城区")
    north = make_area("北街道", level=AreaLevel.STREET, parent=district)
    south = make_area("南街道", level=AreaLevel.STREET, parent=district)
    other = make_area("西城区")
    sanitation, works = make_unit("市环卫处"), make_unit("市政处")
    garbage = make_category("暴露垃圾")
    lamps = make_category("路灯不亮")
    common = {"category": garbage, "area": north, "unit": sanitation}
    # 1: closed on time, 满意 (1 of 3)
    put_case(**common, received=local(2026, 11, 2, 9), state=C.CLOSED, due=local(2026, 11, 3, 10),
             handled=local(2026, 11, 3, 9), closed=local(2026, 11, 3, 11), rating=1, channel="qr")
    # 2: handled late after one 返工, 不满意 (3 of 3)
    put_case(**common, received=local(2026, 11, 4, 9), state=C.CLOSED, due=local(2026, 11, 5, 10),
             handled=local(2026, 11, 6, 10), closed=local(2026, 11, 6, 12), rework=1, rating=3, channel="hotline")
    # 3: 缓办 approved, still being handled
    put_case(**common, received=local(2026, 11, 8, 9), state=C.IN_PROGRESS, due=local(2026, 11, 9, 10),
             postponed=True)
    # 4: closed on time, had been 重办 once, not rated
    put_case(**common, received=local(2026, 11, 10, 9), state=C.CLOSED, due=local(2026, 11, 12, 10),
             handled=local(2026, 11, 11, 22), closed=local(2026, 11, 12, 9), reopen=1)
    # 5: overdue, not closed
    put_case(**common, received=local(2026, 11, 12, 9), state=C.IN_PROGRESS, due=local(2026, 11, 14, 10))
    # 6: received in October, due and closed on time in November, 满意 on the 5-level scale (2 of 5)
    put_case(**common, received=local(2026, 10, 30, 9), state=C.CLOSED, due=local(2026, 11, 2, 10),
             handled=local(2026, 11, 1, 16), closed=local(2026, 11, 2, 9), rating=2, scale=5)
    # 7: received in November, due in December
    put_case(**common, received=local(2026, 11, 28, 9), state=C.DISPATCHED, due=local(2026, 12, 2, 10))
    # 8: 不予立案; 9: merged as a duplicate
    put_case(category=garbage, area=north, unit=None, received=local(2026, 11, 15, 9), state=C.REJECTED)
    put_case(category=garbage, area=north, unit=None, received=local(2026, 11, 16, 9), state=C.MERGED)
    # 市政处 in 南街道: one closed on time with 基本满意 (4 of 5 is 不满意), one closed late
    put_case(category=lamps, area=south, unit=works, received=local(2026, 11, 20, 9), state=C.CLOSED,
             due=local(2026, 11, 21, 10), handled=local(2026, 11, 21, 8), closed=local(2026, 11, 21, 9),
             rating=4, scale=5)
    put_case(category=lamps, area=south, unit=works, received=local(2026, 11, 20, 10), state=C.CLOSED,
             due=local(2026, 11, 21, 10), handled=local(2026, 11, 22, 10), closed=local(2026, 11, 22, 11))
    return {"district": district, "north": north, "south": south, "other": other, "sanitation": sanitation,
            "works": works, "garbage": garbage, "lamps": lamps}


def by_key(figures):
    return {f.key: f for f in figures}


def test_unit_counts_and_rates_match_the_hand_computed_month(city):
    f = by_key(compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW))[city["sanitation"].id]
    # received in November: 1 2 3 4 5 7 (8 and 9 have no unit)
    assert (f.received, f.filed) == (6, 6)
    # 应结案 = due in November: 1 2 3 4 5 6; 缓办 3; closed 1 2 4 6; on time 1 4 6
    assert (f.due, f.postponed, f.closed, f.closed_on_time) == (6, 1, 4, 3)
    assert f.closure_rate == pytest.approx(4 / 6)
    assert f.on_time_rate == pytest.approx(3 / 5)  # 按期结案 / (应结案 − 缓办)
    assert (f.reworked, f.reopened, f.followed_up, f.satisfied) == (1, 1, 3, 2)
    assert f.rework_rate == pytest.approx(1 / 4)
    assert f.reopen_rate == pytest.approx(1 / 4)
    assert f.followup_rate == pytest.approx(3 / 4)
    assert f.followup_satisfaction_rate == pytest.approx(2 / 3)
    assert f.channels == {"qr": 1, "hotline": 1, "web": 4}


def test_handling_time_is_the_mean_and_the_nearest_rank_90th_percentile(city):
    f = by_key(compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW))[city["sanitation"].id]
    # dispatched 24 h before each due time; handling time is 派遣 → 处置 of the closed cases 1, 2, 4, 6
    hours = [(local(2026, 11, 3, 9) - local(2026, 11, 2, 10)).total_seconds() / 3600,
             (local(2026, 11, 6, 10) - local(2026, 11, 4, 10)).total_seconds() / 3600,
             (local(2026, 11, 11, 22) - local(2026, 11, 11, 10)).total_seconds() / 3600,
             (local(2026, 11, 1, 16) - local(2026, 11, 1, 10)).total_seconds() / 3600]
    assert hours == [23.0, 48.0, 12.0, 6.0]
    assert f.avg_hours == pytest.approx(sum(hours) / 4)
    # nearest rank ⌈0.9 × 4⌉ = 4: the longest, 48 h (never more than any case took)
    assert f.p90_hours == pytest.approx(48.0)


def test_rates_without_a_denominator_are_none_not_zero(city):
    f = by_key(compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW))[city["other"].id]
    assert (f.received, f.due) == (0, 0)
    assert f.closure_rate is None and f.on_time_rate is None and f.followup_satisfaction_rate is None
    assert f.avg_hours is None and f.p90_hours is None


def test_an_area_includes_its_sub_areas(city):
    figures = by_key(compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW))
    north, south, district = (figures[city[k].id] for k in ("north", "south", "district"))
    assert (north.received, south.received) == (8, 2)
    assert district.received == 10
    assert (district.due, district.closed, district.closed_on_time) == (north.due + 2, north.closed + 2,
                                                                          north.closed_on_time + 1)
    # 4 of 5 on the 5-level scale is 不满意
    assert is_dissatisfied(4, 5)
    assert (south.followed_up, south.satisfied) == (1, 0)


def test_the_city_counts_every_case(city):
    (f,) = compute(NOVEMBER, "city", tz="Asia/Shanghai", now=NOW)
    assert f.level == "city" and f.key is None
    assert (f.received, f.filed, f.due, f.closed) == (10, 8, 8, 6)
    assert f.on_time_rate == pytest.approx(4 / 7)


def test_a_category_group_rolls_up_its_categories(city):
    figures = by_key(compute(NOVEMBER, "category", tz="Asia/Shanghai", now=NOW))
    garbage = figures[city["garbage"].id]
    assert garbage.received == 8
    group = figures[city["garbage"].parent_id]
    assert group.received == 8
    assert figures[city["lamps"].id].received == 2


def test_supervision_notices_issued_in_the_period_are_counted_per_unit(city):
    from complaints.models import Case

    case = db.session.execute(db.select(Case).where(Case.unit_id == city["sanitation"].id,
                                                    Case.state == C.IN_PROGRESS.value,
                                                    Case.postponed.is_(False))).scalar()
    for hours, issued in ((0, local(2026, 11, 14, 11)), (4, local(2026, 12, 1, 9))):
        db.session.add(SupervisionNotice(number=f"督〔2026〕{hours:04d}号", kind=NoticeKind.SUPERVISE, case_id=case.id,
                                         unit_id=city["sanitation"].id, due_at=case.due_at + timedelta(hours=hours),
                                         issued_at=issued))
    db.session.add(SupervisionNotice(kind=NoticeKind.URGE, case_id=case.id, unit_id=city["sanitation"].id,
                                     due_at=case.due_at, issued_at=local(2026, 11, 14, 8)))
    db.session.commit()
    units = by_key(compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW))
    assert units[city["sanitation"].id].supervised == 1  # the December one and the 催办 do not count
    assert units[city["works"].id].supervised == 0
    assert by_key(compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW))[city["district"].id].supervised == 1


def test_rollups_and_live_counting_agree(city):
    live = [f.to_dict() for f in compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW)]
    assert refresh_rollups(NOW) > 0
    db.session.commit()
    rolled = [f.to_dict() for f in compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW)]
    assert rolled == live


def test_a_case_changed_after_the_refresh_is_counted_from_the_cases(city):
    from complaints.models import Case

    refresh_rollups(NOW)
    db.session.commit()
    case = db.session.execute(db.select(Case).where(Case.postponed.is_(True))).scalar()
    # after the refresh, the 缓办 case is closed and its due time moved into December
    case.state = C.CLOSED
    case.postponed = False
    case.due_at = local(2026, 12, 1, 10)
    case.handled_at = local(2026, 11, 30, 10)
    case.closed_at = local(2026, 11, 30, 12)
    case.updated_at = NOW
    db.session.commit()
    f = by_key(compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW + timedelta(minutes=1)))[city["sanitation"].id]
    assert (f.due, f.postponed, f.closed) == (5, 0, 4)
    december = Period.containing("month", date(2026, 12, 1))
    f = by_key(compute(december, "unit", tz="Asia/Shanghai", now=NOW + timedelta(minutes=1)))[city["sanitation"].id]
    assert (f.due, f.closed, f.closed_on_time) == (2, 1, 1)
    # and the next refresh folds the change in
    refresh_rollups(NOW + timedelta(minutes=5))
    db.session.commit()
    f = by_key(compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW + timedelta(minutes=6)))[city["sanitation"].id]
    assert (f.due, f.postponed, f.closed) == (5, 0, 4)


def test_the_running_period_counts_only_due_times_already_past(city):
    december = Period.containing("month", date(2026, 12, 1))
    early = by_key(compute(december, "unit", tz="Asia/Shanghai", now=local(2026, 12, 2, 9)))
    late = by_key(compute(december, "unit", tz="Asia/Shanghai", now=local(2026, 12, 2, 11)))
    assert early[city["sanitation"].id].due == 0
    assert late[city["sanitation"].id].due == 1


def test_several_periods_come_from_one_set_of_queries(city):
    months = [Period.containing("month", date(2026, 10, 1)), NOVEMBER]
    october, november = compute_many(months, "city", tz="Asia/Shanghai", now=NOW)
    assert october[0].received == 1
    assert november[0].received == 10


def test_overlapping_periods_are_refused(city):
    with pytest.raises(ValueError):
        compute_many([NOVEMBER, Period.containing("day", date(2026, 11, 3))], "city", tz="Asia/Shanghai", now=NOW)


def test_a_case_moved_to_another_unit_after_the_refresh_counts_for_the_new_unit_only(city):
    from complaints.models import Case

    refresh_rollups(NOW)
    db.session.commit()
    case = db.session.execute(db.select(Case).where(Case.unit_id == city["sanitation"].id,
                                                    Case.rework_count == 1)).scalar()
    case.unit_id = city["works"].id
    case.updated_at = NOW
    db.session.commit()
    # and a report typed in late, received on 3 November
    put_case(category=city["lamps"], area=city["south"], unit=city["works"], received=local(2026, 11, 3, 9),
             changed=NOW)
    units = by_key(compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW + timedelta(minutes=1)))
    sanitation, works = units[city["sanitation"].id], units[city["works"].id]
    assert (sanitation.received, sanitation.due, sanitation.closed, sanitation.reworked) == (5, 5, 3, 0)
    assert (works.received, works.due, works.closed, works.reworked) == (4, 3, 3, 1)
    assert works.channels == {"hotline": 1, "web": 3}
