""""The clock runs against the unit" is one rule (``Case.on_clock``): the same answer in Python and in SQL for every
state, and every page that shows a countdown asks it — so a postponed (缓办) case shows none."""
import itertools
from datetime import timedelta

import pytest

from complaints import handling
from complaints.models import Case, CaseState
from portal.auth.models import Role
from portal.clock import utcnow
from portal.extensions import db
from tests.factories import make_case, make_category, make_unit, make_user

# Worked out by hand from DOMAIN.md: only a case with a unit (派遣 or 处置中), not postponed, with a due time.
CLOCK_STATES = {"dispatched", "in_progress"}
WITH_UNIT = {"dispatched", "in_progress"}


def test_the_clock_rule_agrees_in_python_and_in_sql_over_every_state(app):
    category = make_category(limit_hours=8)
    due = utcnow() + timedelta(hours=3)
    expected_on_clock, expected_with_unit, cases = set(), set(), []
    for state, postponed, due_at in itertools.product(list(CaseState), (False, True), (None, due)):
        case = make_case(category=category)
        case.state, case.postponed, case.due_at = state, postponed, due_at
        cases.append(case)
        if state.value in CLOCK_STATES and not postponed and due_at is not None:
            expected_on_clock.add(case.id)
        if state.value in WITH_UNIT:
            expected_with_unit.add(case.id)
    db.session.flush()
    ids = [case.id for case in cases]

    in_python = {case.id for case in cases if case.on_clock}
    in_sql = set(db.session.scalars(db.select(Case.id).where(Case.id.in_(ids), Case.on_clock)))
    assert in_python == in_sql == expected_on_clock
    assert len(expected_on_clock) == 2  # dispatched and in progress, each not postponed and with a due time

    assert {case.id for case in cases if case.with_unit} == expected_with_unit
    assert set(db.session.scalars(db.select(Case.id).where(Case.id.in_(ids), Case.with_unit))) == expected_with_unit


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处")
    return {"unit": unit, "dispatcher": make_user(Role.DISPATCHER), "handler": make_user(Role.HANDLER, unit=unit)}


def dispatched_case(staff):
    case = make_case(category=make_category(limit_hours=8))
    handling.file_case(case, staff["dispatcher"])
    handling.dispatch_case(case, staff["unit"], staff["dispatcher"])
    db.session.commit()
    return case


def test_the_tracking_page_shows_no_countdown_while_the_case_is_postponed(english_client, staff):
    case = dispatched_case(staff)
    page = english_client.get(f"/track/{case.number}?code={case.query_code}",  # the link on the receipt
                              follow_redirects=True).get_data(as_text=True)
    assert 'id="due-at"' in page  # the clock runs: the reporter sees by when

    request = handling.request_extension(case, staff["handler"], "postpone", "等待雨停")
    handling.decide_extension(request, staff["dispatcher"], approve=True)
    db.session.commit()

    page = english_client.get(f"/track/{case.number}").get_data(as_text=True)
    assert 'id="due-at"' not in page and "To be handled by" not in page
    assert 'id="unit"' in page and "市环卫处" in page  # still with the unit, just off the clock


def test_a_postponed_case_has_no_light_and_is_never_overdue(staff):
    case = dispatched_case(staff)
    later = case.due_at + timedelta(hours=1)
    assert handling.light(case, later) == "red" and case.is_overdue(later)

    request = handling.request_extension(case, staff["handler"], "postpone", "等待雨停")
    handling.decide_extension(request, staff["dispatcher"], approve=True)
    db.session.commit()

    assert handling.light(case, later) is None and not case.is_overdue(later)
