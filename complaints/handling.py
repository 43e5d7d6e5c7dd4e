"""The dispatcher's and the unit's steps on a case: file or reject, dispatch (the handling clock and its due
time), accept, return, notes, handling, 核查, extensions (延期/缓办), merging duplicates, and the case's timing light.

Every function takes domain objects and an explicit ``actor`` (None for the system), changes the case only
through ``Case.transition`` and ends with a flush; the caller commits once. Refusals raise ``CaseError``.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from complaints.case_records import ExtensionRequest
from complaints.models import OPEN_STATES, Case, EventKind
from complaints.steps import CaseError, add_to_me_too_count, attach_photo
from complaints.supervision.services import amber_at
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.textclean import clean_text
from portal.workdays import (
    add_working_hours,
    add_working_time,
    parse_periods,
    working_hours_between,
    working_time_between,
)

MAX_NOTE = 2000


def file_case(case, actor, note=None):
    case.transition(EventKind.FILE, actor, note=note)
    db.session.flush()
    return case


def reject_case(case, actor, reason):
    """不予立案 / 作废: the reason is shown to the reporter."""
    if not (reason or "").strip():
        raise CaseError("reason_required", field="reason")
    case.transition(EventKind.REJECT, actor, note=reason.strip())
    case.reject_reason = clean_text(reason.strip()[:500])
    db.session.flush()
    return case


def due_time(case, start):
    """When the handling limit runs out, counted in the city's working hours from ``start``."""
    settings = get_city_settings()
    hours = case.category.urgent_limit_hours if case.urgent and case.category.urgent_limit_hours else \
        case.category.limit_hours
    return add_working_hours(start, hours, settings.timezone, parse_periods(settings.working_periods))


def recalculate_due_times(before, after, years, actor=None):
    """The working calendar changed from ``before`` to ``after`` for ``years``: every open case whose running limit
    reaches into one of them keeps its working-time budget (limit and approved extensions) counted from its
    dispatch, on the new calendar. Each case whose due time moves gets an event saying from when to when.
    Returns the cases that moved."""
    settings = get_city_settings()
    tz, periods = settings.timezone, parse_periods(settings.working_periods)
    first = datetime(min(years), 1, 1, tzinfo=ZoneInfo(tz))
    after_last = datetime(max(years) + 1, 1, 1, tzinfo=ZoneInfo(tz))
    query = db.select(Case).where(Case.state.in_(OPEN_STATES), Case.dispatched_at.is_not(None),
                                  Case.due_at >= first, Case.dispatched_at < after_last).order_by(Case.id)
    moved = []
    for case in db.session.execute(query).scalars():
        budget = working_time_between(case.dispatched_at, case.due_at, tz, periods, calendar=before)
        due_at = add_working_time(case.dispatched_at, budget, tz, periods, calendar=after)
        if due_at == case.due_at:
            continue
        case.transition(EventKind.DUE_RECALCULATED, actor, public=False,
                        data={"from": case.due_at.isoformat(), "to": due_at.isoformat(), "years": sorted(years)})
        case.due_at = due_at
        moved.append(case)
    db.session.flush()
    return moved


def dispatch_case(case, unit, actor, note=None, now=None):
    """派遣: give the case to ``unit``; the handling clock starts now (and restarts on re-dispatch)."""
    if unit is None or not unit.active:
        raise CaseError("unit", field="unit")
    now = now or utcnow()
    case.transition(EventKind.DISPATCH, actor, note=note, data={"unit_id": unit.id}, at=now)
    case.unit = unit
    case.dispatched_at = now
    case.due_at = due_time(case, now)
    case.postponed = False
    db.session.flush()
    return case


def _check_unit(case, actor):
    """A unit handler acts only on their own unit's cases; dispatchers and admins may act for any unit."""
    if actor is not None and actor.role == Role.HANDLER and actor.unit_id != case.unit_id:
        raise CaseError("not_your_unit")


def accept_case(case, actor):
    _check_unit(case, actor)
    case.transition(EventKind.ACCEPT, actor)
    db.session.flush()
    return case


def return_case(case, actor, reason):
    """退回: the unit says it is not theirs; back to the dispatcher to re-dispatch."""
    _check_unit(case, actor)
    if not (reason or "").strip():
        raise CaseError("reason_required", field="reason")
    case.transition(EventKind.RETURN, actor, note=reason.strip(), public=False, data={"unit_id": case.unit_id})
    case.unit = None
    case.due_at = None
    case.dispatched_at = None
    db.session.flush()
    return case


def add_note(case, actor, note, public=False):
    if not (note or "").strip():
        raise CaseError("note_required", field="note")
    _check_unit(case, actor)
    case.transition(EventKind.NOTE, actor, note=note.strip()[:MAX_NOTE], public=public)
    db.session.flush()
    return case


def handle_case(case, actor, note, photos=(), now=None):
    """The unit reports the problem fixed, with a note and after-photos; it now waits for 核查.

    The handling time is kept in the city's working hours too (what the limit counts)."""
    _check_unit(case, actor)
    if not (note or "").strip():
        raise CaseError("note_required", field="note")
    now = now or utcnow()
    event = case.transition(EventKind.HANDLE, actor, note=note.strip()[:MAX_NOTE], at=now)
    for photo in photos:
        attach_photo(case, event, photo, "after")
    case.handled_at = now
    case.hours = (now - case.dispatched_at).total_seconds() / 3600 if case.dispatched_at else None
    case.work_hours = handling_work_hours(case.dispatched_at, case.handled_at)
    db.session.flush()
    return case


def handling_work_hours(dispatched_at, handled_at):
    """Working hours from 派遣 to 处置 on the city's working calendar (None without both times)."""
    if dispatched_at is None or handled_at is None:
        return None
    settings = get_city_settings()
    return working_hours_between(dispatched_at, handled_at, settings.timezone,
                                 parse_periods(settings.working_periods))


def verify_case(case, actor, passed, note, now=None):
    """核查: pass closes the case with a public outcome (办结记录); fail sends it back for 返工 (counted)."""
    if not (note or "").strip():
        raise CaseError("note_required", field="note")
    now = now or utcnow()
    if passed:
        case.transition(EventKind.CLOSE, actor, note=note.strip(), at=now)
        case.outcome = clean_text(note.strip()[:MAX_NOTE])
        case.closed_at = now
        case.reopen_requested = False
    else:
        case.transition(EventKind.VERIFY_FAIL, actor, note=note.strip(), at=now)
        case.rework_count += 1
        case.round_rework_count += 1
        case.handled_at = None
        case.hours = case.work_hours = None
    db.session.flush()
    return case


def request_extension(case, actor, kind, reason, hours=None):
    """A unit asks for more time: ``extend`` by ``hours`` working hours, or ``postpone`` (缓办)."""
    _check_unit(case, actor)
    if kind not in ("extend", "postpone"):
        raise CaseError("extension_kind", field="kind")
    if kind == "extend" and (not hours or hours < 1 or hours > 2000):
        raise CaseError("extension_hours", field="hours")
    if not (reason or "").strip():
        raise CaseError("reason_required", field="reason")
    if pending_extension(case) is not None:
        raise CaseError("extension_pending")
    request = ExtensionRequest(case=case, kind=kind, hours=hours if kind == "extend" else None,
                               reason=reason.strip()[:500], requested_by_id=getattr(actor, "id", None))
    db.session.add(request)
    case.transition(EventKind.EXTENSION_REQUEST, actor, note=reason.strip(), public=False,
                    data={"kind": kind, "hours": request.hours})
    db.session.flush()
    return request


def pending_extension(case):
    return db.session.execute(
        db.select(ExtensionRequest).where(ExtensionRequest.case_id == case.id, ExtensionRequest.decision.is_(None))
    ).scalar()


def decide_extension(request, actor, approve, note=None):
    """The dispatcher approves or denies. 延期 moves the due time by the working hours asked for. 缓办 stops the
    clock (no lights, 催办 or 督办) until the case is dispatched again; the case stays in 应结案 and in 结案率 but is
    left out of 按期结案率, whose denominator is 应结案 − 缓办 (DOMAIN.md §4–5, the definitions page)."""
    case = request.case
    if request.decision is not None:
        raise CaseError("extension_decided")
    request.decision = "approved" if approve else "denied"
    request.decided_by_id = getattr(actor, "id", None)
    request.decided_at = utcnow()
    request.decision_note = (note or "").strip()[:500] or None
    data = {"kind": request.kind, "approved": bool(approve)}
    if approve and request.kind == "extend":
        settings = get_city_settings()
        case.due_at = add_working_hours(case.due_at or utcnow(), request.hours, settings.timezone,
                                        parse_periods(settings.working_periods))
        data["due_at"] = case.due_at.isoformat()
    elif approve:
        case.postponed = True
    case.transition(EventKind.EXTENSION_DECISION, actor, note=request.decision_note, public=bool(approve),
                    data=data)
    db.session.flush()
    return request


def merge_cases(duplicate, target, actor):
    """合并: ``duplicate`` reports the same problem as ``target``; its reporter follows ``target`` from now on."""
    if duplicate.id == target.id or target.duplicate_of_id == duplicate.id:
        raise CaseError("merge_self")
    if not target.is_open:
        raise CaseError("merge_target_closed")
    duplicate.transition(EventKind.MERGE, actor, data={"into": target.number})
    duplicate.duplicate_of = target
    add_to_me_too_count(target, 1 + duplicate.me_too_count)
    target.transition(EventKind.ME_TOO, actor, public=True, data={"merged": duplicate.number})
    db.session.flush()
    return duplicate


# ---------------------------------------------------------------- timing lights

def light(case, now=None):
    """'red' when overdue, 'amber' past the city's warning share of the limit, 'green' otherwise; None if no clock."""
    if not case.on_clock:
        return None
    now = now or utcnow()
    if now > case.due_at:
        return "red"
    if case.dispatched_at and now >= amber_at(case):  # the watch's own rule: the light and the 催办 agree
        return "amber"
    return "green"
