"""What the complaints side does: take a report, move a case through its lifecycle, and keep its history.

Every function takes domain objects and an explicit ``actor`` (None for the reporter or the system), changes
the case only through ``Case.transition`` and ends with a flush; the caller commits once. Views, the JSON/Open311
API and scheduled jobs all call these, so each rule exists once.
"""
import secrets
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from complaints.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseNumberCounter,
    CasePhoto,
    CaseRound,
    CaseState,
    Channel,
    EventKind,
    ExtensionRequest,
    MeToo,
)
from complaints.supervision.services import amber_at
from portal.auth.models import Role
from portal.city import city_setting, get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.textclean import clean_text
from portal.workdays import (
    add_working_hours,
    add_working_time,
    parse_periods,
    working_hours_between,
    working_time_between,
)

MAX_DESCRIPTION = 2000
MAX_NOTE = 2000


class CaseError(Exception):
    """A request the complaints side refuses. ``code`` picks the message; ``field`` the form field, if any."""

    def __init__(self, code, field=None):
        super().__init__(code)
        self.code, self.field = code, field


# ---------------------------------------------------------------- numbers and codes

# Start the day's counter at 1 or add 1 to it, and return the new value: one atomic statement, the same SQL on
# SQLite (≥ 3.35) and PostgreSQL. Written as text because SQLAlchemy 2.0 compiles its dialect-specific upserts
# afresh on every execution (they have no cache key), which costs more than the rest of the report.
_BUMP_COUNTER = db.text(
    f"INSERT INTO {CaseNumberCounter.__tablename__} (day, last) VALUES (:day, 1) "
    f"ON CONFLICT (day) DO UPDATE SET last = {CaseNumberCounter.__tablename__}.last + 1 RETURNING last")


def next_case_number(now=None):
    """The next readable case number for the city's local day, e.g. ``20261122-0042``; safe under concurrency."""
    day = to_local(now or utcnow(), city_setting("timezone")).strftime("%Y%m%d")
    return f"{day}-{db.session.execute(_BUMP_COUNTER, {'day': day}).scalar_one():04d}"


def new_query_code():
    """An 8-digit 查询码: easy to read out on the phone, and with the case number hard to guess."""
    return f"{secrets.randbelow(10**8):08d}"


def find_by_number(number, query_code):
    """The case for a number and its query code, or None (the same answer for a wrong code as for no case).

    Fullwidth digits (typed with a Chinese input method) count as the digits they show; anything else that is not
    plain ASCII is simply a wrong code (``compare_digest`` refuses non-ASCII text with a TypeError)."""
    code = unicodedata.normalize("NFKC", query_code or "").strip()
    number = unicodedata.normalize("NFKC", number or "").strip()
    if not code.isascii() or not number.isascii():
        return None
    case = db.session.execute(db.select(Case).where(Case.number == number)).scalar_one_or_none()
    if case is None or not secrets.compare_digest(case.query_code, code):
        return None
    return case


# ---------------------------------------------------------------- intake

def submit_report(*, category, description, channel, point=None, area=None, latitude=None, longitude=None,
                  location_source=None, location_text=None, urgent=False, anonymous=False, reporter_name=None,
                  reporter_phone=None, answers=None, photos=(), actor=None, idempotency_key=None, now=None,
                  key_checked=False):
    """Create a case (受理) from a report, or return the case already made for ``idempotency_key``.

    Returns ``(case, created)``. Staff channels record the staff member; a grid inspector's patrol report is
    filed at once (they are the city's own eyes), others wait in 受理 for the dispatcher to file or reject.

    ``key_checked=True`` says the caller has just looked the key up itself and will roll back on an
    IntegrityError and ask again (the resident's report page does): the key is not looked up a second time and
    no savepoint is taken, so a report costs a few plain statements.
    """
    if idempotency_key and not key_checked:
        existing = find_by_idempotency_key(idempotency_key)
        if existing is not None:
            return existing, False
    if category is None or not category.active or category.is_group:
        raise CaseError("category", field="category")
    if point is not None and not point.active:
        raise CaseError("point", field="point")
    if point is None and area is None:
        raise CaseError("place", field="area")
    area_id = point.area_id if point is not None else area.id
    if anonymous:
        reporter_name = reporter_phone = None
    description, location_text, reporter_name = (clean_text(t) for t in (description, location_text, reporter_name))
    now = now or utcnow()
    actor_id = getattr(actor, "id", None)
    values = {
        "query_code": new_query_code(), "idempotency_key": idempotency_key, "channel": channel,
        "state": CaseState.RECEIVED, "category_id": category.id, "point_id": getattr(point, "id", None),
        "area_id": area_id, "latitude": latitude, "longitude": longitude, "location_source": location_source,
        "location_text": location_text,
        "description": description.strip(), "answers": answers or None,
        "urgent": bool(urgent and category.allows_urgent), "anonymous": bool(anonymous),
        "reporter_name": reporter_name, "reporter_phone": reporter_phone, "created_by_id": actor_id,
        "first_owner_id": actor_id,  # 首问负责: the staff member who typed it in owns it first
        "unit_id": None, "dispatched_at": None, "due_at": None, "handled_at": None, "closed_at": None,
        "postponed": False, "hours": None, "work_hours": None, "outcome": None, "reject_reason": None,
        "duplicate_of_id": None,
        "rework_count": 0, "round_rework_count": 0, "reopen_count": 0, "rebound_count": 0, "me_too_count": 0,
        "rating": None, "rating_scale": None,
        "rating_comment": None, "rated_at": None, "reopen_requested": False, "created_at": now, "updated_at": now,
    }
    if key_checked:
        case = _insert_case(values, actor_id, photos, now)
    else:
        try:
            with db.session.begin_nested():  # a raced key rolls back to here, and the case is not in the session
                case = _insert_case(values, actor_id, photos, now)
        except IntegrityError:
            existing = find_by_idempotency_key(idempotency_key)
            if existing is None:
                raise
            return existing, False  # the same key won a race in another request: hand back that case
    if channel == Channel.PATROL and actor is not None and actor.role == Role.INSPECTOR:
        file_case(case, actor, note=None)
    return case, True


# Only the id, with plain table columns, built once: the common answer (no such case) stays cheap.
_CASE_ID_BY_KEY = db.select(Case.__table__.c.id).where(Case.__table__.c.idempotency_key == db.bindparam("key"))


def find_by_idempotency_key(idempotency_key):
    """The case already made from the form that carried this key (a repeated submission), or None."""
    if not idempotency_key:
        return None
    case_id = db.session.execute(_CASE_ID_BY_KEY, {"key": idempotency_key}).scalar()
    return db.session.get(Case, case_id) if case_id is not None else None


_INSERT_CASE = Case.__table__.insert().returning(Case.__table__.c.id)
_INSERT_EVENT = CaseEvent.__table__.insert().returning(CaseEvent.__table__.c.id)
_INSERT_PHOTO = CasePhoto.__table__.insert()


def _insert_case(values, actor_id, photos, now):
    """Insert the case, its first event (受理; there is no state before it, so it bypasses the transition table)
    and its photos with plain INSERTs, and hand back the case as a persistent ORM object without reading it.

    Everything else is prepared first: on SQLite the first write takes the database's write lock, held until the
    commit, so the writes come back to back.
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.flush()  # what the case refers to must be in the database first
    event = {"kind": EventKind.RECEIVE, "actor_id": actor_id, "from_state": CaseState.RECEIVED,
             "to_state": CaseState.RECEIVED, "at": now, "public": True, "note": None,
             "data": {"channel": values["channel"].value}}
    values["number"] = next_case_number(now)
    case_id = db.session.execute(_INSERT_CASE, values).scalar_one()
    event_id = db.session.execute(_INSERT_EVENT, dict(event, case_id=case_id)).scalar_one()
    if photos:
        db.session.execute(_INSERT_PHOTO, [
            {"case_id": case_id, "event_id": event_id, "stage": "before", "key": photo.key,
             "thumb_key": photo.thumb_key, "width": photo.width, "height": photo.height, "created_at": now}
            for photo in photos])
    # As if just loaded, with only what the receipt needs set: the other columns load from the row on first use
    # (one SELECT), which the resident's report never makes; setting all forty costs more than the INSERT.
    case = Case(id=case_id, number=values["number"], query_code=values["query_code"])
    make_transient_to_detached(case)
    db.session.add(case)
    return case


def _attach_photo(case, event, photo, stage):
    record = CasePhoto(stage=stage, key=photo.key, thumb_key=photo.thumb_key, width=photo.width, height=photo.height)
    case.photos.append(record)
    if event is not None:
        event.photos.append(record)
    return record


def add_me_too(case, phone=None, idempotency_key=None):
    """"Me too" on an open case instead of a new report: counted, and the resident is told of progress too."""
    if idempotency_key:
        existing = db.session.execute(db.select(MeToo).where(MeToo.idempotency_key == idempotency_key)).scalar()
        if existing is not None:
            return existing
    if not case.is_open:
        raise CaseError("closed")
    me_too = MeToo(case_id=case.id, phone=phone or None, idempotency_key=idempotency_key)
    db.session.add(me_too)
    _add_to_me_too_count(case, 1)
    case.transition(EventKind.ME_TOO, None, public=True)
    db.session.flush()
    return me_too


def _add_to_me_too_count(case, amount):
    """Add to the count in one UPDATE (read-then-write in Python lost updates under concurrent "me too"s); the
    attribute is reloaded from the row when next read."""
    db.session.execute(db.update(Case).where(Case.id == case.id)
                       .values(me_too_count=Case.me_too_count + amount)
                       .execution_options(synchronize_session=False))
    db.session.expire(case, ["me_too_count"])


# ---------------------------------------------------------------- dispatcher steps

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
        _attach_photo(case, event, photo, "after")
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
    _add_to_me_too_count(target, 1 + duplicate.me_too_count)
    target.transition(EventKind.ME_TOO, actor, public=True, data={"merged": duplicate.number})
    db.session.flush()
    return duplicate


# ---------------------------------------------------------------- 回访 and afterwards

def rate_case(case, rating, comment=None, ask_reopen=False, actor=None, now=None):
    """回访: the reporter (or an operator on the phone, ``actor``) rates a closed case once.

    ``rating`` is 1 (best) .. scale, on the city's scale at the time; the worst level may ask for 重办.
    """
    scale = get_city_settings().satisfaction_scale
    now = now or utcnow()
    if case.rating is not None:
        raise CaseError("already_rated")
    if not isinstance(rating, int) or not 1 <= rating <= scale:
        raise CaseError("rating", field="rating")
    case.transition(EventKind.RATE, actor, note=(comment or "").strip()[:500] or None, public=False,
                    data={"rating": rating, "scale": scale, "by_phone": actor is not None}, at=now)
    case.rating, case.rating_scale = rating, scale
    case.rating_comment = clean_text((comment or "").strip()[:500]) or None
    case.rated_at = now
    if ask_reopen:
        if not is_dissatisfied(rating, scale):
            raise CaseError("reopen_needs_dissatisfied", field="ask_reopen")
        case.transition(EventKind.REOPEN_REQUEST, actor, public=True)
        case.reopen_requested = True
    db.session.flush()
    return case


def is_dissatisfied(rating, scale):
    """不满意 on a 3-level scale is 3; on a 5-level scale 4 and 5."""
    return rating >= (3 if scale == 3 else 4)


def reopen_case(case, actor, note, now=None):
    """重办: the dispatcher reopens a closed case (usually after 不满意); it is filed again for dispatch.

    The round that ends is kept (``CaseRound``) with its due time, closing and rating, so the figures of its period
    do not change; the 重办 counts in the period of the reopening, and the next dispatch gives a new due time.
    """
    if not (note or "").strip():
        raise CaseError("note_required", field="note")
    now = now or utcnow()
    case.transition(EventKind.REOPEN, actor, note=note.strip(), at=now)
    case.reopen_count += 1
    _end_round(case, "reopen", now)
    _reset_for_redispatch(case)
    return case


def decline_reopen(case, actor, note):
    if not case.reopen_requested:
        raise CaseError("no_reopen_request")
    case.reopen_requested = False
    add_note(case, actor, note, public=True)
    return case


def mark_rebound(case, actor, note, now=None):
    """反弹: the problem came back after closure; the case is filed again and counted. The round that ends is kept
    as for 重办."""
    if not (note or "").strip():
        raise CaseError("note_required", field="note")
    now = now or utcnow()
    case.transition(EventKind.REBOUND, actor, note=note.strip(), at=now)
    case.rebound_count += 1
    _end_round(case, "rebound", now)
    _reset_for_redispatch(case)
    return case


def _end_round(case, kind, now):
    """Keep the round in progress as history before the case is filed again."""
    seq = len(case.rounds) + 1
    values = {column: getattr(case, source) for column, source in CaseRound.COPIED.items()}
    case.rounds.append(CaseRound(seq=seq, ended_kind=kind, ended_at=now, **values))


def _reset_for_redispatch(case):
    case.unit = None
    case.due_at = case.dispatched_at = case.handled_at = case.closed_at = None
    case.hours = case.work_hours = None
    case.round_rework_count = 0
    case.rating = case.rating_scale = case.rated_at = None
    case.rating_comment = None
    case.reopen_requested = False
    case.postponed = False
    db.session.flush()


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
