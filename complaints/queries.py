"""Case lists for the console: which cases a staff member may see, the list filters, the order and the counts.

Scoping: a unit handler sees their unit's cases, a grid inspector the cases in their areas' subtrees (and their
own reports), everyone else every case. A case outside one's scope is a 404, never a 403 (no probing numbers).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from complaints import measures
from complaints.case_records import CaseRound
from complaints.models import Case, CaseState, Channel, SavedFilter
from complaints.supervision.models import NoticeKind, SupervisionNotice
from complaints.supervision.services import amber_at
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import to_simplified, to_traditional
from portal.registry.models import Area, Category

FILTER_KEYS = ("q", "state", "overdue", "amber", "followup_due",
               "unit", "area", "category", "channel", "created_from", "created_to",
               "due_from", "due_to", "outcome", "supervised_from", "supervised_to")
OPEN = "open"  # the state filter's value for "any open state"

# The scorecards' cohorts a number on a scorecard links to (``?outcome=``), in the words of the definitions page.
OUTCOMES = {
    "filed": _l("Filed (立案): not waiting, not rejected, not merged"),
    "postponed": _l("Postponed (缓办) approved"),
    "closed": _l("Closed (结案)"),
    "closed_on_time": _l("Closed on time (按期结案): closed, not postponed, handled by the due time"),
    "reworked": _l("Reworked (返工): closed, sent back at verification at least once"),
    "reopened": _l("Reopened (重办): reopened in the period"),
    "followed_up": _l("Followed up (回访): closed and rated by the reporter"),
    "satisfied": _l("Satisfied (满意): closed, rated and not dissatisfied"),
}
# Outcomes of a handling round: the unit, area, category, due days and outcome are those of one round (the one in
# progress on the case, or a finished one kept when the case was reopened), as the scorecards count them.
ROUND_OUTCOMES = frozenset(OUTCOMES) - {"filed"}


def _values(states):
    return [s.value for s in states]


# ---------------------------------------------------------------- scope

def visible_cases(user):
    """A select of the cases ``user`` may see."""
    query = db.select(Case)
    if user.role == Role.HANDLER:
        return query.where(Case.unit_id == user.unit_id) if user.unit_id else query.where(db.false())
    if user.role == Role.INSPECTOR:
        mine = [Case.created_by_id == user.id]
        if user.areas:
            in_areas = db.select(Area.id).where(
                db.or_(*[Area.path.startswith(area.path, autoescape=True) for area in user.areas]))
            mine.append(Case.area_id.in_(in_areas))
        return query.where(db.or_(*mine))
    return query


def find_visible(user, number):
    """The case numbered ``number`` if ``user`` may see it, else None."""
    return db.session.execute(visible_cases(user).where(Case.number == (number or "").strip())).scalar()


# ---------------------------------------------------------------- filters

@dataclass
class CaseFilter:
    """What the case list is narrowed to; every field is optional."""

    text: str = ""
    state: str = ""  # a CaseState value, or OPEN
    states: tuple = ()  # several CaseState values (the ledger's multiple choice)
    overdue: bool = False
    amber: bool = False  # 黄灯: on the clock, not yet overdue, past the city's warning share of its limit
    followup_due: bool = False  # closed, not yet rated, with a phone to call for the 回访
    unit_id: int | None = None
    area_id: int | None = None
    category_id: int | None = None  # a category, or a group meaning all its categories
    channel: str = ""
    created_from: date | None = None  # local days in the city's timezone, both inclusive
    created_to: date | None = None
    due_from: date | None = None  # local days bounding the due time; only due times already past
    due_to: date | None = None
    outcome: str = ""  # one of OUTCOMES
    supervised_from: date | None = None  # local days a 督办单 about the case was issued in
    supervised_to: date | None = None


def overdue_clause(now=None):
    """SQL for Case.is_overdue: with a unit, not postponed, past the due time."""
    return db.and_(Case.on_clock, Case.due_at < (now or utcnow()))


def amber_clause(now=None):
    """SQL for the 黄灯 cases. The warning time is counted in working hours (``supervision.amber_at``, the watch's
    own rule), so it is worked out for each case on the clock that is not overdue yet."""
    now = now or utcnow()
    settings = get_city_settings()
    on_clock = db.session.execute(db.select(Case).where(
        Case.on_clock, Case.dispatched_at.is_not(None), Case.due_at > now)).scalars()
    ids = [case.id for case in on_clock if amber_at(case, settings) <= now]
    return Case.id.in_(ids) if ids else db.false()


def followup_due_clause():
    """SQL for the closed cases waiting for a 回访: not rated yet, and a reporter who left a phone."""
    return db.and_(Case.state == CaseState.CLOSED, Case.rating.is_(None), Case.anonymous.is_(False),
                   Case.reporter_phone.is_not(None), Case.reporter_phone != "")


def local_day_start(day, tz_name):
    """The UTC instant a local day begins in the city."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name))


def outcome_clause(outcome, t=None):
    """SQL for one of OUTCOMES, the same cohort as the scorecard figure of that name (complaints.measures),
    over ``t``: the cases (the round in progress) or the finished rounds (``CaseRound``)."""
    t = t if t is not None else Case.__table__
    c = t.c
    closed = measures.closed_clause(t)
    if outcome == "filed":
        return c.state.in_(measures.FILED_STATES)
    if outcome == "postponed":
        return c.postponed.is_(True)
    if outcome == "closed":
        return closed
    if outcome == "closed_on_time":
        return measures.closed_on_time_clause(t)
    if outcome == "reworked":
        return db.and_(closed, measures.reworks_column(t) > 0)
    if outcome == "reopened":
        return c.ended_kind == "reopen" if measures.is_rounds(t) else db.false()
    if outcome == "followed_up":
        return db.and_(closed, c.rating.is_not(None))
    if outcome == "satisfied":
        return db.and_(closed, measures.satisfied_clause(t))
    raise ValueError(f"unknown outcome {outcome!r}")


def _place_clauses(c, spec):
    """The unit, area (with its subtree) and category (or group) filters over columns ``c``."""
    clauses = []
    if spec.unit_id:
        clauses.append(c.unit_id == spec.unit_id)
    if spec.area_id:
        area = db.session.get(Area, spec.area_id)
        if area is not None:
            clauses.append(c.area_id.in_(
                db.select(Area.id).where(Area.path.startswith(area.path, autoescape=True))))
    if spec.category_id:
        category = db.session.get(Category, spec.category_id)
        if category is not None and category.is_group:
            clauses.append(c.category_id.in_(db.select(Category.id).where(Category.parent_id == category.id)))
        elif category is not None:
            clauses.append(c.category_id == category.id)
    return clauses


def _round_clause(t, spec, tz, now):
    """A handling round over ``t`` in the filter's place, due days (for 重办: days of the reopening) and outcome."""
    clauses = _place_clauses(t.c, spec)
    if spec.outcome == "reopened":
        clauses.append(outcome_clause("reopened", t))
        if measures.is_rounds(t):
            clauses.append(_local_days(t.c.ended_at, spec.due_from, spec.due_to, tz, now))
        return db.and_(*clauses)
    if spec.due_from or spec.due_to:
        clauses.append(_local_days(t.c.due_at, spec.due_from, spec.due_to, tz, now))
    if spec.outcome in ROUND_OUTCOMES:
        clauses.append(outcome_clause(spec.outcome, t))
    return db.and_(*clauses)


def _local_days(column, first, last, tz, now):
    """``column`` within the local days ``first``..``last`` (either may be None) and before ``now``."""
    bounds = [column < now]
    if first:
        bounds.append(column >= local_day_start(first, tz))
    if last:
        bounds.append(column < local_day_start(last + timedelta(days=1), tz))
    return db.and_(*bounds)


def apply_filter(query, spec, now=None):
    if spec.text:
        text = spec.text.strip()
        variants = {text, to_simplified(text), to_traditional(text)}  # 简/繁 alike
        query = query.where(db.or_(*[column.icontains(v, autoescape=True)
                                     for v in variants for column in (Case.number, Case.description)]))
    if spec.state == OPEN:
        query = query.where(Case.is_open)
    elif spec.state in _values(CaseState):
        query = query.where(Case.state == spec.state)
    chosen = [state for state in spec.states if state in _values(CaseState)]
    if chosen:
        query = query.where(Case.state.in_(chosen))
    if spec.overdue:
        query = query.where(overdue_clause(now))
    if spec.amber:
        query = query.where(amber_clause(now))
    if spec.followup_due:
        query = query.where(followup_due_clause())
    tz = get_city_settings().timezone
    now = now or utcnow()
    by_round = spec.outcome in ROUND_OUTCOMES or spec.due_from or spec.due_to
    if by_round:  # the scorecards count rounds: a case is listed for any of its rounds that matches
        rounds = CaseRound.__table__
        query = query.where(db.or_(
            _round_clause(Case.__table__, spec, tz, now),
            db.select(rounds.c.id).where(rounds.c.case_id == Case.id, _round_clause(rounds, spec, tz, now)).exists()))
    else:
        query = query.where(*_place_clauses(Case.__table__.c, spec))
    if spec.channel in _values(Channel):
        query = query.where(Case.channel == spec.channel)
    if spec.created_from:
        query = query.where(Case.created_at >= local_day_start(spec.created_from, tz))
    if spec.created_to:
        query = query.where(Case.created_at < local_day_start(spec.created_to + timedelta(days=1), tz))
    if spec.outcome == "filed":
        query = query.where(outcome_clause(spec.outcome))
    if spec.supervised_from or spec.supervised_to:
        query = query.where(db.select(SupervisionNotice.id).where(
            SupervisionNotice.case_id == Case.id, SupervisionNotice.kind == NoticeKind.SUPERVISE.value,
            _local_days(SupervisionNotice.issued_at, spec.supervised_from, spec.supervised_to, tz, now)).exists())
    return query


def list_order(query):
    """Cases on the clock first, overdue and due soonest on top; then the rest of the open cases, oldest
    first (they wait for the command centre); then finished cases, newest first."""
    on_clock = Case.on_clock
    rank = db.case((on_clock, 0), (Case.is_open, 1), else_=2)
    return query.order_by(
        rank,
        db.case((on_clock, Case.due_at), else_=None),
        db.case((db.and_(db.not_(on_clock), Case.is_open), Case.id), else_=None),
        Case.id.desc(),
    )


def with_list_relations(query):
    """Load what a list row shows in a few queries instead of several per row."""
    return query.options(selectinload(Case.category), selectinload(Case.point), selectinload(Case.area),
                         selectinload(Case.unit))


def unit_queue(user):
    """A handler's work: their unit's dispatched and accepted cases, due soonest first, postponed ones last."""
    if not user.unit_id:
        return db.select(Case).where(db.false())
    return (db.select(Case)
            .where(Case.unit_id == user.unit_id, Case.with_unit)
            .order_by(Case.postponed, Case.due_at, Case.id))


# ---------------------------------------------------------------- counts

def counts(query, now=None):
    """How many of the cases in ``query`` are open and how many overdue (for the list's quick links)."""
    def count(clause):
        narrowed = query.where(clause).order_by(None).with_only_columns(Case.id).subquery()
        return db.session.scalar(db.select(db.func.count()).select_from(narrowed))

    return {"open": count(Case.is_open), "overdue": count(overdue_clause(now))}


def today_work(user, now=None):
    """A dispatcher's day at a glance: [(key, label, count, list query args)] over the cases ``user`` may see,
    each count the case list's own filter, so a number and the list it links to always agree."""
    now = now or utcnow()
    today = datetime.fromtimestamp(now.timestamp(), ZoneInfo(get_city_settings().timezone)).date()
    items = (
        ("new_today", _l("New today"), {"created_from": today, "created_to": today},
         {"created_from": today.isoformat(), "created_to": today.isoformat()}),
        ("overdue", _l("Overdue (红灯)"), {"overdue": True}, {"overdue": "y"}),
        ("amber", _l("Nearly due (黄灯)"), {"amber": True}, {"amber": "y"}),
        ("to_verify", _l("Waiting for verification (核查)"), {"state": CaseState.HANDLED.value},
         {"state": CaseState.HANDLED.value}),
        ("followup_due", _l("Follow-up due (回访)"), {"followup_due": True}, {"followup_due": "y"}),
    )
    work = []
    for key, label, spec, args in items:
        query = apply_filter(visible_cases(user), CaseFilter(**spec), now).order_by(None)
        count = db.session.scalar(db.select(db.func.count()).select_from(query.with_only_columns(Case.id).subquery()))
        work.append((key, label, count, args))
    return work


# ---------------------------------------------------------------- saved filters

def filter_query_string(pairs):
    """The case list's query string kept to the filter keys (no page, no language), in a stable order."""
    pairs = [(k, v) for k, v in pairs if k in FILTER_KEYS and v]
    return urlencode(sorted(pairs, key=lambda kv: FILTER_KEYS.index(kv[0])))


def saved_filters(user):
    return db.session.execute(
        db.select(SavedFilter).where(SavedFilter.user_id == user.id).order_by(SavedFilter.name)
    ).scalars().all()


def save_filter(user, name, query_string):
    """Keep the list's current filter under ``name``; saving under an existing name replaces it."""
    name = (name or "").strip()[:60]
    query = filter_query_string(parse_qsl(query_string or ""))[:1000]
    saved = db.session.execute(
        db.select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name)
    ).scalar()
    if saved is None:
        saved = SavedFilter(user_id=user.id, name=name, query=query)
        db.session.add(saved)
    else:
        saved.query = query
    db.session.flush()
    return saved


def delete_filter(user, filter_id):
    """Delete one of ``user``'s own saved filters; False if there is no such filter of theirs."""
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != user.id:
        return False
    db.session.delete(saved)
    db.session.flush()
    return True

