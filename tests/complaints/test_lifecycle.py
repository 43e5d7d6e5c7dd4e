"""A case's life (DOMAIN.md §4): every transition, every refusal, and the append-only history."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import handling, reopening, services, steps
from complaints.models import TRANSITIONS, CaseEvent, CaseState, EventKind, IllegalTransition
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.extensions import db
from tests.factories import make_case, make_category, make_unit, make_user

SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处")
    return {
        "dispatcher": make_user(Role.DISPATCHER),
        "handler": make_user(Role.HANDLER, unit=unit),
        "other_handler": make_user(Role.HANDLER, unit=make_unit("市园林局")),
        "unit": unit,
    }


def walk_to(case, state, staff):
    """Drive ``case`` along the main line from where it stands up to ``state``, committing each step like a request
    would."""
    d, h, unit = staff["dispatcher"], staff["handler"], staff["unit"]
    steps = [
        (CaseState.FILED, lambda: handling.file_case(case, d)),
        (CaseState.DISPATCHED, lambda: handling.dispatch_case(case, unit, d, now=MONDAY_9)),
        (CaseState.IN_PROGRESS, lambda: handling.accept_case(case, h)),
        (CaseState.HANDLED, lambda: handling.handle_case(case, h, "已清运")),
        (CaseState.CLOSED, lambda: handling.verify_case(case, d, True, "现场核查已清理干净")),
    ]
    order = [CaseState.RECEIVED] + [target for target, _step in steps]
    for target, step in steps[order.index(case.state):]:
        if case.state == state:
            break
        step()
        assert case.state == target
        db.session.commit()
    return case


def test_main_line_from_report_to_closure_records_every_step(staff):
    case = walk_to(make_case(), CaseState.CLOSED, staff)
    kinds = [e.kind for e in case.events]
    assert kinds == [EventKind.RECEIVE, EventKind.FILE, EventKind.DISPATCH, EventKind.ACCEPT, EventKind.HANDLE,
                     EventKind.CLOSE]
    assert [(e.from_state, e.to_state) for e in case.events][1:] == [
        (CaseState.RECEIVED, CaseState.FILED), (CaseState.FILED, CaseState.DISPATCHED),
        (CaseState.DISPATCHED, CaseState.IN_PROGRESS), (CaseState.IN_PROGRESS, CaseState.HANDLED),
        (CaseState.HANDLED, CaseState.CLOSED)]
    assert case.outcome == "现场核查已清理干净" and case.closed_at is not None
    assert case.first_owner_id == staff["dispatcher"].id  # 首问负责: the first staff member who acted


def test_case_numbers_are_readable_per_local_day_and_unique(app):
    # 00:30 in the city is still the previous day in UTC: the number takes the city's day, whenever the test runs
    reported = datetime(2026, 11, 20, 0, 30, tzinfo=SH)
    first, second = make_case(now=reported), make_case(now=reported)
    assert first.number == "20261120-0001" and second.number == "20261120-0002"
    assert len(first.query_code) == 8 and first.query_code.isdigit()


def test_the_same_idempotency_key_returns_the_same_case(app):
    category = make_category()
    first = make_case(category=category, idempotency_key="k-1")
    again, created = services.submit_report(category=category, description="x", channel=first.channel,
                                            point=first.point, idempotency_key="k-1")
    assert again.id == first.id and created is False


def test_dispatch_sets_a_due_time_in_working_hours(staff):
    case = make_case(limit_hours=8)
    handling.file_case(case, staff["dispatcher"])
    handling.dispatch_case(case, staff["unit"], staff["dispatcher"], now=datetime(2026, 11, 20, 16, 0, tzinfo=SH))
    # Friday 16:00 + 8 working hours: 1.5 h Friday, then Monday 08:30-12:00 (3.5) and 13:30-16:30 (3)
    assert case.due_at == datetime(2026, 11, 23, 16, 30, tzinfo=SH)


def test_urgent_cases_use_the_urgent_limit(staff):
    case = make_case(urgent=True)
    handling.file_case(case, staff["dispatcher"])
    handling.dispatch_case(case, staff["unit"], staff["dispatcher"], now=MONDAY_9)
    assert case.due_at == datetime(2026, 11, 23, 11, 0, tzinfo=SH)  # urgent limit 2 h


def test_urgent_is_ignored_where_the_category_has_no_urgent_track(app):
    category = make_category(limit_hours=120)
    assert make_case(category=category, urgent=True).urgent is False


# DOMAIN.md's lifecycle written out by hand (not read from TRANSITIONS): the states each step may start from, and
# where it leads (None: the case stays where it is).
# r 受理, f 立案, x 不予立案, d 派遣, p 处置中, h 处置完成, c 结案, m 合并.
LIFECYCLE = {
    "file": ("r", "f"), "reject": ("rf", "x"), "dispatch": ("f", "d"), "accept": ("d", "p"), "return": ("dp", "f"),
    "note": ("rfdphc", None), "handle": ("p", "h"), "verify_fail": ("h", "p"), "close": ("h", "c"),
    "ext_request": ("dp", None), "ext_decision": ("dp", None), "merge": ("rf", "m"),
    "me_too": ("rfdph", None), "rate": ("c", None), "reopen_request": ("c", None), "reopen": ("c", "f"),
    "rebound": ("c", "f"), "due_recalculated": ("rfdph", None),
}
LETTERS = {"r": "received", "f": "filed", "x": "rejected", "d": "dispatched", "p": "in_progress", "h": "handled",
           "c": "closed", "m": "merged"}


def test_the_hand_written_lifecycle_names_every_step():
    assert set(LIFECYCLE) == {kind.value for kind in TRANSITIONS}


@pytest.mark.parametrize("kind", sorted(LIFECYCLE))
def test_each_step_is_taken_only_from_the_states_the_lifecycle_allows(app, kind):
    starts, lands = LIFECYCLE[kind]
    case = make_case()
    for letter, state in LETTERS.items():
        case.state = CaseState(state)
        if letter in starts:
            case.transition(EventKind(kind))
            assert case.state == CaseState(LETTERS[lands] if lands else state), (kind, state)
        else:
            with pytest.raises(IllegalTransition):
                case.transition(EventKind(kind))
            assert case.state == CaseState(state)
    db.session.rollback()


def test_illegal_steps_through_services_raise_and_change_nothing(staff):
    case = make_case()
    with pytest.raises(IllegalTransition):
        handling.dispatch_case(case, staff["unit"], staff["dispatcher"])  # not filed yet
    with pytest.raises(IllegalTransition):
        handling.verify_case(case, staff["dispatcher"], True, "ok")
    db.session.rollback()
    assert db.session.get(type(case), case.id).state == CaseState.RECEIVED


def test_reject_needs_a_reason_the_reporter_sees(staff):
    case = make_case()
    with pytest.raises(steps.CaseError):
        handling.reject_case(case, staff["dispatcher"], "  ")
    handling.reject_case(case, staff["dispatcher"], "不属于本平台受理范围，请拨打110")
    assert case.state == CaseState.REJECTED and case.events[-1].public


def test_a_unit_returns_a_misrouted_case_and_it_is_dispatched_again(staff):
    case = walk_to(make_case(), CaseState.DISPATCHED, staff)
    handling.return_case(case, staff["handler"], "非我单位职责")
    assert (case.state, case.unit, case.due_at) == (CaseState.FILED, None, None)
    other = make_unit("市园林局二")
    handling.dispatch_case(case, other, staff["dispatcher"], now=MONDAY_9)
    assert case.unit == other


def test_a_handler_cannot_act_on_another_units_case(staff):
    case = walk_to(make_case(), CaseState.DISPATCHED, staff)
    with pytest.raises(steps.CaseError) as error:
        handling.accept_case(case, staff["other_handler"])
    assert error.value.code == "not_your_unit"


def test_failed_check_sends_it_back_for_rework_and_counts(staff):
    case = walk_to(make_case(), CaseState.HANDLED, staff)
    handling.verify_case(case, staff["dispatcher"], False, "现场仍有垃圾")
    assert case.state == CaseState.IN_PROGRESS and case.rework_count == 1
    handling.handle_case(case, staff["handler"], "已再次清运")
    handling.verify_case(case, staff["dispatcher"], True, "已清理")
    assert case.state == CaseState.CLOSED and case.rework_count == 1


def test_extension_moves_the_due_time_and_postponement_takes_the_case_off_the_clock(staff):
    case = walk_to(make_case(limit_hours=8), CaseState.IN_PROGRESS, staff)
    due = case.due_at
    request = handling.request_extension(case, staff["handler"], "extend", "需采购配件", hours=4)
    with pytest.raises(steps.CaseError):  # one pending request at a time
        handling.request_extension(case, staff["handler"], "extend", "again", hours=4)
    handling.decide_extension(request, staff["dispatcher"], True)
    assert case.due_at > due
    postpone = handling.request_extension(case, staff["handler"], "postpone", "涉及产权纠纷，需协调")
    handling.decide_extension(postpone, staff["dispatcher"], True)
    assert case.postponed and not case.is_overdue(now=datetime(2030, 1, 1, tzinfo=SH))
    with pytest.raises(steps.CaseError):
        handling.decide_extension(postpone, staff["dispatcher"], False)  # decided already


def test_denied_extension_keeps_the_due_time(staff):
    case = walk_to(make_case(), CaseState.IN_PROGRESS, staff)
    due = case.due_at
    handling.decide_extension(handling.request_extension(case, staff["handler"], "extend", "r", hours=8),
                              staff["dispatcher"], False, "时限内可完成")
    assert case.due_at == due and not case.postponed


def test_merge_links_the_duplicate_to_the_open_case(staff):
    target, duplicate = make_case(), make_case()
    handling.merge_cases(duplicate, target, staff["dispatcher"])
    assert duplicate.state == CaseState.MERGED and duplicate.duplicate_of == target
    assert target.me_too_count == 1
    with pytest.raises(steps.CaseError):
        handling.merge_cases(target, target, staff["dispatcher"])


def test_me_too_counts_once_per_key_and_only_on_open_cases(staff):
    case = make_case()
    services.add_me_too(case, "13800000000", idempotency_key="m-1")
    services.add_me_too(case, "13800000000", idempotency_key="m-1")
    assert case.me_too_count == 1
    walk_to(case, CaseState.CLOSED, staff)
    with pytest.raises(steps.CaseError):
        services.add_me_too(case)


def test_rating_dissatisfied_can_ask_for_reopening_and_the_dispatcher_reopens(staff):
    case = walk_to(make_case(), CaseState.CLOSED, staff)
    with pytest.raises(steps.CaseError):
        services.rate_case(case, 1, ask_reopen=True)  # satisfied people do not ask for 重办
    db.session.rollback()
    case = db.session.get(type(case), case.id)
    services.rate_case(case, 3, "还是很脏", ask_reopen=True)
    assert case.reopen_requested and case.rating == 3 and case.rating_scale == 3
    with pytest.raises(steps.CaseError):
        services.rate_case(case, 2)  # once
    reopening.reopen_case(case, staff["dispatcher"], "重新派遣处理")
    assert case.state == CaseState.FILED and case.reopen_count == 1 and case.rating is None


def test_rating_scale_follows_the_city_settings(staff):
    get_city_settings().satisfaction_scale = 5
    case = walk_to(make_case(), CaseState.CLOSED, staff)
    with pytest.raises(steps.CaseError):
        services.rate_case(case, 6)
    services.rate_case(case, 4, ask_reopen=True)  # 不满意 on five levels
    assert case.reopen_requested


def test_rebound_after_closure_is_counted_and_refiled(staff):
    case = walk_to(make_case(), CaseState.CLOSED, staff)
    reopening.mark_rebound(case, staff["dispatcher"], "三天后垃圾又堆积")
    assert case.state == CaseState.FILED and case.rebound_count == 1


def test_history_is_append_only(staff):
    case = walk_to(make_case(), CaseState.HANDLED, staff)
    before = [(e.id, e.kind, e.note) for e in case.events]
    handling.add_note(case, staff["dispatcher"], "内部备注", public=False)
    db.session.commit()
    after = [(e.id, e.kind, e.note) for e in db.session.execute(
        db.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).scalars()]
    assert after[:len(before)] == before and after[-1][1] == EventKind.NOTE


def test_traffic_lights(staff):
    case = walk_to(make_case(limit_hours=8), CaseState.DISPATCHED, staff)  # due Monday 17:30... see due_time
    assert handling.light(case, now=MONDAY_9) == "green"
    assert handling.light(case, now=case.dispatched_at + (case.due_at - case.dispatched_at) * 0.9) == "amber"
    assert handling.light(case, now=case.due_at.replace(year=2027)) == "red"
    assert case.is_overdue(now=case.due_at.replace(year=2027))
