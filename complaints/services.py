"""The resident's side of a case: the readable number and 查询码, a report taken (受理, at most once per
idempotency key), "me too" on an open case, the lookup by number and code, and the 回访 rating.

Every function takes domain objects and an explicit ``actor`` (None for the reporter or the system), changes
the case only through ``Case.transition`` and ends with a flush; the caller commits once. Views, the JSON/Open311
API and scheduled jobs all call these, so each rule exists once. The dispatcher's and the unit's steps are in
``handling``, 重办/反弹 in ``reopening``; refusals raise ``steps.CaseError``.
"""
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from complaints.case_records import MeToo
from complaints.handling import file_case
from complaints.models import Case, CaseEvent, CaseNumberCounter, CasePhoto, CaseState, Channel, EventKind
from complaints.steps import CaseError, add_to_me_too_count
from portal.auth.models import Role
from portal.city import city_setting, get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.prepared import Prepared
from portal.textclean import clean_text

MAX_DESCRIPTION = 2000


# ---------------------------------------------------------------- numbers and codes

# Start the day's counter at 1 or add 1 to it, and return the new value: one atomic statement, the same SQL on
# SQLite (≥ 3.35) and PostgreSQL. Written as text because SQLAlchemy 2.0 compiles its dialect-specific upserts
# afresh on every execution (they have no cache key), which costs more than the rest of the report.
_BUMP_COUNTER = Prepared(db.text(
    f"INSERT INTO {CaseNumberCounter.__tablename__} (day, last) VALUES (:day, 1) "
    f"ON CONFLICT (day) DO UPDATE SET last = {CaseNumberCounter.__tablename__}.last + 1 RETURNING last"))


def next_case_number(now=None, connection=None):
    """The next readable case number for the city's local day, e.g. ``20261122-0042``; safe under concurrency.
    ``connection``: the session's connection, when the caller already holds it."""
    day = to_local(now or utcnow(), city_setting("timezone")).strftime("%Y%m%d")
    return f"{day}-{_BUMP_COUNTER.execute({'day': day}, connection).scalar_one():04d}"


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
                  key_checked=False, as_row=False):
    """Create a case (受理) from a report, or return the case already made for ``idempotency_key``.

    Returns ``(case, created)``. Staff channels record the staff member; a grid inspector's patrol report is
    filed at once (they are the city's own eyes), others wait in 受理 for the dispatcher to file or reject.

    ``key_checked=True`` says the caller has just looked the key up itself and will roll back on an
    IntegrityError and ask again (the resident's report page does): the key is not looked up a second time and
    no savepoint is taken, so a report costs a few plain statements. ``as_row=True`` (the caller reads only the
    new case's ``id``, ``number`` and ``query_code``) hands back a ``NewCase`` instead of a Case in the session.
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
        new = _insert_case(values, actor_id, photos, now)
    else:
        try:
            with db.session.begin_nested():  # a raced key rolls back to here, and the case is not in the session
                new = _insert_case(values, actor_id, photos, now)
        except IntegrityError:
            existing = find_by_idempotency_key(idempotency_key)
            if existing is None:
                raise
            return existing, False  # the same key won a race in another request: hand back that case
    patrol = channel == Channel.PATROL and actor is not None and actor.role == Role.INSPECTOR
    if as_row and not patrol:
        return new, True
    case = _in_session(new)
    if patrol:
        file_case(case, actor, note=None)
    return case, True


# Only the id, with plain table columns, built once: the common answer (no such case) stays cheap.
_CASE_ID_BY_KEY = Prepared(db.select(Case.__table__.c.id)
                           .where(Case.__table__.c.idempotency_key == db.bindparam("key")))


def find_by_idempotency_key(idempotency_key):
    """The case already made from the form that carried this key (a repeated submission), or None."""
    if not idempotency_key:
        return None
    case_id = _CASE_ID_BY_KEY.execute({"key": idempotency_key}).scalar()
    return db.session.get(Case, case_id) if case_id is not None else None


_INSERT_CASE = Prepared(Case.__table__.insert().returning(Case.__table__.c.id))
_INSERT_EVENT = Prepared(CaseEvent.__table__.insert().returning(CaseEvent.__table__.c.id))
_INSERT_PHOTO = CasePhoto.__table__.insert()


@dataclass(frozen=True)
class NewCase:
    """A case just inserted, as far as its receipt needs it."""

    id: int
    number: str
    query_code: str


def _insert_case(values, actor_id, photos, now):
    """Insert the case, its first event (受理; there is no state before it, so it bypasses the transition table)
    and its photos with plain INSERTs; returns a NewCase.

    Everything else is prepared first: on SQLite the first write takes the database's write lock, held until the
    commit, so the writes come back to back.
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        db.session.flush()  # what the case refers to must be in the database first
    event = {"kind": EventKind.RECEIVE, "actor_id": actor_id, "from_state": CaseState.RECEIVED,
             "to_state": CaseState.RECEIVED, "at": now, "public": True, "note": None,
             "data": {"channel": values["channel"].value}}
    # Statements compiled once and run on the session connection's cursor (in its transaction, portal/prepared.py):
    # SQLAlchemy's execution around each cost more than the database's work, and nothing here needs it.
    connection = db.session.connection()
    values["number"] = next_case_number(now, connection)
    case_id = _INSERT_CASE.execute(values, connection).scalar_one()
    event_id = _INSERT_EVENT.execute(dict(event, case_id=case_id), connection).scalar_one()
    if photos:
        connection.execute(_INSERT_PHOTO, [
            {"case_id": case_id, "event_id": event_id, "stage": "before", "key": photo.key,
             "thumb_key": photo.thumb_key, "width": photo.width, "height": photo.height, "created_at": now}
            for photo in photos])
    return NewCase(case_id, values["number"], values["query_code"])


def _in_session(new):
    """The case just inserted as a persistent ORM object, without reading it."""
    # As if just loaded, with only what the receipt needs set: the other columns load from the row on first use
    # (one SELECT); setting all forty costs more than the INSERT.
    case = Case(id=new.id, number=new.number, query_code=new.query_code)
    make_transient_to_detached(case)
    db.session.add(case)
    return case


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
    add_to_me_too_count(case, 1)
    case.transition(EventKind.ME_TOO, None, public=True)
    db.session.flush()
    return me_too


# ---------------------------------------------------------------- 回访

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
