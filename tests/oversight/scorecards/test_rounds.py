"""A reopened case (重办) never improves a unit's figures: every handling round is kept and counted where it
happened (issue #11 item 1), and the handling time in working hours beside calendar hours (item 6).

The five-case month, by hand. Category limit 8 working hours; working day 08:30–12:00 and 13:30–17:30.
All five are dispatched on Monday 2026-11-09 at 09:00 and due 8 working hours later: Monday 09:00–12:00 (3 h)
+ 13:30–17:30 (4 h) = 7 h, then Tuesday 08:30 + 1 h = Tuesday 2026-11-10 09:30.

  case  handled         calendar h  working h                      on time  rating (3-level)
  1     Mon 16:00       7           3 + 2.5 = 5.5                  yes      1 满意
  2     Tue 09:00       24          7 + 0.5 = 7.5                  yes      2 基本满意
  3     Tue 11:00       26          7 + 2.5 = 9.5                  no       1 满意
  4     Mon 10:00       1           1                              yes      3 不满意
  5     Tue 17:00       32          7 + 3.5 + 3.5 = 14             no       3 不满意

Each is closed an hour after handling and rated on 2026-11-12. November: 应结案 5, 结案 5, 按期 3, 回访 5, 满意 3.
"""
from datetime import date, timedelta

import pytest

from complaints import handling, reopening, services
from complaints.case_records import CaseRound
from complaints.models import Case
from oversight.scorecards.figures import compute
from oversight.scorecards.models import RollupState, ScoreRule
from oversight.scorecards.periods import Period
from oversight.scorecards.rollups import refresh_rollups
from oversight.scorecards.rules import score
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_area, make_case, make_category, make_unit, make_user
from tests.oversight.scorecards.helpers import local

NOVEMBER = Period.containing("month", date(2026, 11, 1))
DECEMBER = Period.containing("month", date(2026, 12, 1))
AFTER = local(2026, 12, 20, 9)  # a moment after both months' due times and reopenings
HANDLED = [local(2026, 11, 9, 16), local(2026, 11, 10, 9), local(2026, 11, 10, 11), local(2026, 11, 9, 10),
           local(2026, 11, 10, 17)]
RATINGS = [1, 2, 1, 3, 3]
# 按期结案率, 结案率, 回访满意率 and 重办率 (less is better) weighed 30/30/30/10
RULE = ScoreRule(version=99, parts=[{"name": "on_time_rate", "weight": 30}, {"name": "closure_rate", "weight": 30},
                                    {"name": "followup_satisfaction_rate", "weight": 30},
                                    {"name": "reopen_rate", "weight": 10}], vetoes=[])


@pytest.fixture
def month(app):
    unit = make_unit("市环卫处")
    dispatcher, handler = make_user(Role.DISPATCHER), make_user(Role.HANDLER, unit=unit)
    category = make_category("暴露垃圾", limit_hours=8)
    area = make_area("东城区")
    cases = []
    for handled, rating in zip(HANDLED, RATINGS, strict=True):
        case = make_case(category=category, area=area)
        handling.file_case(case, dispatcher)
        handling.dispatch_case(case, unit, dispatcher, now=local(2026, 11, 9, 9))
        handling.accept_case(case, handler)
        handling.handle_case(case, handler, "已清运", now=handled)
        handling.verify_case(case, dispatcher, True, "核查通过", now=handled + timedelta(hours=1))
        services.rate_case(case, rating, now=local(2026, 11, 12, 10))
        cases.append(case)
    db.session.commit()
    return {"unit": unit, "dispatcher": dispatcher, "handler": handler, "cases": cases}


def unit_figures(month, period=NOVEMBER, now=AFTER):
    (figures,) = compute(period, "unit", ids=[month["unit"].id], tz="Asia/Shanghai", now=now)
    return figures


def test_the_due_time_and_the_working_hours_of_a_round(month):
    first = month["cases"][0]
    assert first.due_at == local(2026, 11, 10, 9, 30)
    assert [case.work_hours for case in month["cases"]] == [5.5, 7.5, 9.5, 1.0, 14.0]


def test_the_month_before_any_reopening(month):
    f = unit_figures(month)
    assert (f.due, f.closed, f.closed_on_time, f.followed_up, f.satisfied, f.reopened) == (5, 5, 3, 5, 3, 0)
    assert f.followup_satisfaction_rate == pytest.approx(0.6)  # 3 / 5
    assert f.closure_rate == pytest.approx(1.0) and f.on_time_rate == pytest.approx(0.6)
    assert f.reopen_rate == 0
    assert score(f, RULE).total == pytest.approx(76.0)  # 30 × 0.6 + 30 × 1 + 30 × 0.6 + 10 × (1 − 0) = 76


def test_reopening_the_dissatisfied_case_keeps_the_month_at_60_percent_and_counts_the_reopening(month):
    case = month["cases"][4]
    reopening.reopen_case(case, month["dispatcher"], "回访不满意，重办", now=local(2026, 11, 13, 10))
    db.session.commit()
    f = unit_figures(month)
    # the first round stays: 5 due, 5 closed, 5 rated, 3 satisfied; 60%, not 3 / 4 = 75%
    assert (f.due, f.closed, f.closed_on_time, f.followed_up, f.satisfied) == (5, 5, 3, 5, 3)
    assert f.followup_satisfaction_rate == pytest.approx(0.6)
    assert f.closure_rate == pytest.approx(1.0) and f.on_time_rate == pytest.approx(0.6)  # not 3 / 4
    assert f.reopened == 1 and f.reopen_rate == pytest.approx(0.2)  # 1 / 5
    assert score(f, RULE).total == pytest.approx(74.0)  # 18 + 30 + 18 + 10 × (1 − 0.2) = 74 < 76
    (kept,) = case.rounds
    assert (kept.seq, kept.ended_kind, kept.unit_id, kept.rating, kept.due_at, kept.work_hours) == (
        1, "reopen", month["unit"].id, 3, local(2026, 11, 10, 9, 30), 14.0)


def test_the_new_round_has_its_own_due_time_and_is_counted_in_its_own_month(month):
    case = month["cases"][4]
    reopening.reopen_case(case, month["dispatcher"], "回访不满意，重办", now=local(2026, 11, 30, 16))
    assert case.due_at is None and case.rating is None
    # dispatched again Tuesday 2026-12-01 09:00: due 7 h later that day + 1 h on Wednesday = 12-02 09:30
    handling.dispatch_case(case, month["unit"], month["dispatcher"], now=local(2026, 12, 1, 9))
    assert case.due_at == local(2026, 12, 2, 9, 30)
    handling.accept_case(case, month["handler"])
    handling.handle_case(case, month["handler"], "已重新清运", now=local(2026, 12, 1, 11))
    handling.verify_case(case, month["dispatcher"], True, "核查通过", now=local(2026, 12, 1, 12))
    services.rate_case(case, 1, now=local(2026, 12, 3, 10))
    db.session.commit()
    november, december = unit_figures(month), unit_figures(month, DECEMBER)
    # November keeps its first round and the 重办 made on 11-30
    assert (november.due, november.closed, november.satisfied, november.followed_up) == (5, 5, 3, 5)
    assert november.reopened == 1 and november.followup_satisfaction_rate == pytest.approx(0.6)
    # December: the second round only, due 12-02, handled 2 calendar and 2 working hours after dispatch, 满意
    assert (december.due, december.closed, december.closed_on_time, december.followed_up, december.satisfied,
            december.reopened) == (1, 1, 1, 1, 1, 0)
    assert (december.avg_hours, december.avg_work_hours) == (pytest.approx(2.0), pytest.approx(2.0))


def test_a_reopening_in_the_next_month_counts_there(month):
    case = month["cases"][3]
    reopening.reopen_case(case, month["dispatcher"], "回访不满意，重办", now=local(2026, 12, 2, 10))
    db.session.commit()
    assert unit_figures(month).reopened == 0
    december = unit_figures(month, DECEMBER)
    assert (december.reopened, december.due, december.closed) == (1, 0, 0)
    assert december.reopen_rate is None  # nothing closed in December: no rate, not 100%


def test_handling_time_in_working_and_calendar_hours_with_exact_90th_percentiles(month):
    f = unit_figures(month)
    assert f.avg_hours == pytest.approx((7 + 24 + 26 + 1 + 32) / 5)  # 18
    assert f.avg_work_hours == pytest.approx((5.5 + 7.5 + 9.5 + 1 + 14) / 5)  # 7.5
    # nearest rank ⌈0.9 × 5⌉ = 5: the longest of each
    assert (f.p90_hours, f.p90_work_hours) == (pytest.approx(32.0), pytest.approx(14.0))


@pytest.mark.parametrize("when", ["live", "rolled", "rebuilt"])
def test_rollups_give_the_same_numbers_as_the_live_count_after_a_reopening(month, when):
    def numbers():
        figures = compute(NOVEMBER, "unit", ids=[month["unit"].id], tz="Asia/Shanghai")[0]
        return figures.to_dict()

    live = numbers()
    refresh_rollups()
    db.session.commit()
    assert numbers() == live
    reopening.reopen_case(month["cases"][4], month["dispatcher"], "重办", now=local(2026, 11, 13, 10))
    db.session.commit()
    expected = dict(live, reopened=1, reopen_rate=0.2)
    if when != "live":
        if when == "rebuilt":
            db.session.delete(db.session.get(RollupState, 1))
            db.session.commit()
        refresh_rollups()
        db.session.commit()
    assert numbers() == expected


def test_a_rebound_keeps_the_round_but_is_not_a_reopening(month):
    case = month["cases"][0]
    reopening.mark_rebound(case, month["dispatcher"], "又有垃圾", now=local(2026, 11, 20, 10))
    db.session.commit()
    f = unit_figures(month)
    assert (f.due, f.closed, f.satisfied, f.reopened) == (5, 5, 3, 0)
    assert db.session.execute(db.select(CaseRound.ended_kind).where(CaseRound.case_id == case.id)).scalar() == \
        "rebound"


def test_the_case_list_behind_the_numbers_lists_the_reopened_round(app, month):
    from complaints.queries import CaseFilter, apply_filter

    case = month["cases"][4]
    reopening.reopen_case(case, month["dispatcher"], "重办", now=local(2026, 11, 13, 10))
    db.session.commit()

    def listed(outcome):
        spec = CaseFilter(unit_id=month["unit"].id, due_from=NOVEMBER.start, due_to=NOVEMBER.end, outcome=outcome)
        return {c.id for c in db.session.execute(apply_filter(db.select(Case), spec, now=AFTER)).scalars()}

    ids = [c.id for c in month["cases"]]
    assert listed("") == set(ids)  # 应结案 5: the reopened case by its first round
    assert listed("satisfied") == {ids[0], ids[1], ids[2]}
    assert listed("followed_up") == set(ids)
    assert listed("reopened") == {ids[4]}


def test_a_postponed_round_stays_due_and_in_the_closure_rate_but_not_in_the_on_time_rate(month):
    """缓办 as the docstrings and the definitions page say: the clock stops, 应结案 keeps it, 按期结案率 leaves
    it out."""
    case = make_case(category=month["cases"][0].category, area=month["cases"][0].area)
    handling.file_case(case, month["dispatcher"])
    handling.dispatch_case(case, month["unit"], month["dispatcher"], now=local(2026, 11, 16, 9))  # due 11-17 09:30
    handling.accept_case(case, month["handler"])
    request = handling.request_extension(case, month["handler"], "postpone", "需协调产权单位")
    handling.decide_extension(request, month["dispatcher"], True)
    db.session.commit()
    assert handling.light(case, now=local(2026, 11, 20, 9)) is None and not case.is_overdue(local(2026, 11, 20, 9))
    f = unit_figures(month)
    # 6 due (the five closed and this one), 1 postponed; 结案率 5 / 6; 按期结案率 3 / (6 − 1) as before
    assert (f.due, f.postponed, f.closed, f.closed_on_time) == (6, 1, 5, 3)
    assert f.closure_rate == pytest.approx(5 / 6) and f.on_time_rate == pytest.approx(3 / 5)


def test_the_case_page_shows_the_earlier_round_and_both_handling_times(month, client, login):
    case = month["cases"][4]
    reopening.reopen_case(case, month["dispatcher"], "回访不满意，重办", now=local(2026, 11, 13, 10))
    handling.dispatch_case(case, month["unit"], month["dispatcher"], now=local(2026, 11, 16, 9))
    handling.accept_case(case, month["handler"])
    handling.handle_case(case, month["handler"], "已重新清运", now=local(2026, 11, 16, 15))
    db.session.commit()
    client.set_cookie("lang", "en")
    login(month["dispatcher"])
    page = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
    rounds = page.split('id="rounds"')[1].split("</table>")[0]
    # round 1: due 2026-11-10 09:30, rated 3 of 3, reopened 11-13 10:00
    assert "市环卫处" in rounds and "2026-11-10 09:30" in rounds and "3 / 3" in rounds and "Reopened" in rounds
    # round 2: Monday 09:00 → 15:00 is 6 calendar hours; working 09:00–12:00 and 13:30–15:00 = 4.5 hours
    assert "6.0 calendar hours, 4.5 working hours after dispatch" in page
