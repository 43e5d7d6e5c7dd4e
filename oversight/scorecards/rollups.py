"""Daily rollups of the figures, kept up to date incrementally, and the plan that says which days a figure may read
from them and which it must count live.

``refresh_rollups(now)`` is the scheduler's entry point (every few minutes; idempotent). It recounts every day
that became complete since the last run and every day touched by a case changed since then (its received day, its
due day and the due day it had before), from the cases, with the same SQL the live figures use
(``complaints.measures``). A change of the city's timezone rebuilds everything.

Reading never writes: ``plan`` says which days the rollups hold and which cases changed since they were counted.
The figures take the rolled-up days, count the rest live, and correct for each changed case exactly (its copy as
counted, kept in ``CaseMark``, is taken off and its current state added), so figures are exact whether or not the
scheduler has run.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from complaints.measures import case_key, due_columns, received_columns
from complaints.models import Case
from oversight.scorecards.models import MARK_COLUMNS, CaseMark, DueRollup, ReceivedRollup, RollupState
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.sqlite import lock_for_write

# Cases changed this long before a refresh began are looked at again by the next one, so a transaction that
# committed after the refresh read the cases (but stamped ``updated_at`` before) is not missed.
LAG = timedelta(minutes=10)
# Past this many changed cases a reader stops correcting case by case and counts the whole period live.
MAX_CHANGED = 5000
ROLLED_LEVELS = ("city", "unit", "area", "category")


def local_day(value, zone):
    return value.astimezone(zone).date()


def day_bounds(first, last, zone):
    """[first 00:00 local, last + 1 00:00 local) in UTC."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(timezone.utc)
    return start, end


def get_state():
    return db.session.get(RollupState, 1)


def _changed_rows(since, limit=None):
    query = (db.select(Case.id, Case.created_at, Case.due_at, CaseMark.created_at, CaseMark.due_at)
             .select_from(Case).outerjoin(CaseMark, CaseMark.case_id == Case.id)
             .where(Case.updated_at >= since))
    if limit is not None:
        query = query.limit(limit + 1)
    return db.session.execute(query).all()


def _days_of(rows, zone):
    days = set()
    for _id, *values in rows:
        for value in values:
            if value is not None:
                days.add(local_day(value, zone))
    return days


@dataclass
class Plan:
    """Which local days a reader takes from the rollups, and the cases to correct for."""

    rolled_through: date | None  # the rollups hold days up to here (None: count everything live)
    changed: tuple = ()  # ids of cases changed since the rollups counted them

    def split(self, first, last, today):
        """((first, last) of the rolled days or None, (first, last) of the live days or None) for first..last,
        leaving out days after ``today`` (nothing is received or due in the future)."""
        last = min(last, today)
        if first > last:
            return None, None
        if self.rolled_through is None or first > self.rolled_through:
            return None, (first, last)
        rolled_last = min(last, self.rolled_through)
        live = (rolled_last + timedelta(days=1), last) if rolled_last < last else None
        return (first, rolled_last), live


def plan(tz):
    """The reading plan: what the rollups hold and which cases changed since. One or two small queries."""
    state = get_state()
    if state is None or state.timezone != tz or state.rolled_through is None:
        return Plan(None)
    ids = db.session.execute(db.select(Case.id).where(Case.updated_at >= state.watermark)
                             .limit(MAX_CHANGED + 1)).scalars().all()
    if len(ids) > MAX_CHANGED:
        return Plan(None)
    return Plan(state.rolled_through, tuple(sorted(ids)))


def _copy_marks(where=None):
    columns = [Case.id] + [getattr(Case, name) for name in MARK_COLUMNS]
    query = db.select(*columns)
    if where is not None:
        query = query.where(where)
    db.session.execute(db.insert(CaseMark).from_select(["case_id", *MARK_COLUMNS], query))


# ---------------------------------------------------------------- refresh (the scheduler's job)

def _recount_statements():
    """The statements that replace the rollup rows of one local day with fresh counts from the cases, for any day
    (its date and UTC bounds are parameters): built once per refresh, so that SQLAlchemy works out each one's cache
    key once (the due columns are large expressions) and not once per day. Core tables: the parameters are the
    statements' own, not rows to insert."""
    day = db.bindparam("rollup_day", type_=db.Date)
    start = db.bindparam("day_start", type_=Case.created_at.type)
    end = db.bindparam("day_end", type_=Case.created_at.type)
    received_table, due_table = ReceivedRollup.__table__, DueRollup.__table__
    statements = [db.delete(received_table).where(received_table.c.day == day),
                  db.delete(due_table).where(due_table.c.day == day)]
    received_names = ["level", "day", "key", "channel", "received", "filed"]
    due_names = ["level", "day", "key"] + [column.name for column in due_columns()]
    for level in ROLLED_LEVELS:
        key = case_key(level)
        grouping = [] if level == "city" else [key]
        received = (db.select(db.literal(level), day, key, Case.channel, *received_columns())
                    .where(Case.created_at >= start, Case.created_at < end)
                    .group_by(*grouping, Case.channel))
        statements.append(db.insert(received_table).from_select(received_names, received))
        due = (db.select(db.literal(level), day, key, *due_columns())
               .where(Case.due_at >= start, Case.due_at < end)
               .group_by(*grouping).having(db.func.count() > 0))
        statements.append(db.insert(due_table).from_select(due_names, due))
    return statements


def _recount_days(days, zone):
    statements = _recount_statements()
    for day in days:
        start, end = day_bounds(day, day, zone)
        for statement in statements:
            db.session.execute(statement, {"rollup_day": day, "day_start": start, "day_end": end})


def _first_day(zone):
    earliest = db.session.execute(db.select(db.func.min(Case.created_at), db.func.min(Case.due_at))).one()
    values = [value for value in earliest if value is not None]
    return min(local_day(value, zone) for value in values) if values else None


def refresh_rollups(now=None):
    """Bring the daily rollups up to date (complete days only) and return how many days were recounted.

    Idempotent; run it from the scheduler every few minutes (and after importing cases in bulk). The caller
    commits (the scheduler job does).
    """
    now = now or utcnow()
    tz = get_city_settings().timezone
    zone = ZoneInfo(tz)
    yesterday = local_day(now, zone) - timedelta(days=1)
    lock_for_write()
    state = db.session.get(RollupState, 1, with_for_update=True)
    if state is None or state.timezone != tz or state.rolled_through is None:
        db.session.execute(db.delete(ReceivedRollup))
        db.session.execute(db.delete(DueRollup))
        db.session.execute(db.delete(CaseMark))
        _copy_marks()
        first = _first_day(zone)
        days = set()
        if first is not None:
            days = {first + timedelta(days=n) for n in range((yesterday - first).days + 1)}
        if state is None:
            state = RollupState(id=1, timezone=tz, watermark=now, refreshed_at=now)
            db.session.add(state)
    else:
        rows = _changed_rows(state.watermark)
        days = _days_of(rows, zone)
        days.update(state.rolled_through + timedelta(days=n)
                    for n in range(1, (yesterday - state.rolled_through).days + 1))
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 500):
            batch = ids[start:start + 500]
            db.session.execute(db.delete(CaseMark).where(CaseMark.case_id.in_(batch)))
            _copy_marks(Case.id.in_(batch))
    days = sorted(day for day in days if day <= yesterday)
    _recount_days(days, zone)
    state.timezone = tz
    state.rolled_through = yesterday
    state.watermark = now - LAG
    state.refreshed_at = now
    db.session.flush()
    return len(days)
