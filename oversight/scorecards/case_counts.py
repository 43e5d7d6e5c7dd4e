"""The case counts behind the scorecard figures, per period and storage key (unit, area, category or the city),
by SQL aggregation: the daily rollups for settled days, a live query for today, an exact correction for each case
changed since the rollups counted it, the finished rounds always live; and the 督办单 issued.

Statements are built once per shape and reused; the rollup plan and today's live counts are shared by every figure
of one request.
"""
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from sqlalchemy import Date, and_, bindparam, case, literal_column, or_

from complaints.case_records import CaseRound
from complaints.measures import (
    DUE_MEASURES,
    REOPENED_MEASURES,
    case_key,
    due_columns,
    received_columns,
    reopened_columns,
)
from complaints.models import Case
from complaints.supervision.models import NoticeKind, SupervisionNotice
from oversight.scorecards import rollups
from oversight.scorecards.models import CaseMark, DueRollup, ReceivedRollup
from portal.extensions import db


def check_periods(periods):
    ordered = sorted(periods, key=lambda p: p.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start <= before.end:
            raise ValueError("periods must not overlap")


IDX = literal_column("idx")  # GROUP BY the output name: the CASE holds parameters PostgreSQL would not match


def _index_case(conditions):
    return case(*[(condition, literal_column(str(index))) for condition, index in conditions],
                else_=literal_column("-1")).label("idx")


# Statements are built once per shape and reused with new parameters: building and keying these wide selects
# costs more than running them.
_STATEMENTS = {}


def _statement(key, build):
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


def _rolled_query(table, level, specs, channel=False):
    """(statement, parameters): sums from a rollup table over the rolled days of each period, grouped by period
    index and key (and channel)."""
    indexes = tuple(index for index, _days in specs)

    def build():
        conditions = [(table.day.between(bindparam(f"f{n}", type_=Date), bindparam(f"l{n}", type_=Date)), index)
                      for n, index in enumerate(indexes)]
        extra = [table.channel] if channel else []
        measures = [db.func.sum(getattr(table, name)).label(name) for name in _measure_names(table)]
        return (db.select(_index_case(conditions), table.key, *extra, *measures)
                .where(table.level == bindparam("level"), or_(*[c for c, _i in conditions]))
                .group_by(IDX, table.key, *extra))

    params = {"level": level}
    for n, (_index, (first, last)) in enumerate(specs):
        params[f"f{n}"], params[f"l{n}"] = first, last
    return _statement(("rolled", table.__tablename__, indexes, channel), build), params


def _measure_names(table):
    return ("received", "filed") if table is ReceivedRollup else DUE_MEASURES


def _live_query(t, column, level, ranges, channel=False, ids=None):
    """(statement, parameters): sums over ``t`` (the cases, or the marks) for the UTC ranges of ``column`` (the
    received or the due time), grouped by period index and key (and channel); only cases ``ids`` if given."""
    indexes = tuple(index for index, _start, _end in ranges)

    def build():
        time = t.c[column]
        columns = {"created_at": received_columns, "due_at": due_columns, "ended_at": reopened_columns}[column](t)
        conditions = [(and_(time >= bindparam(f"s{n}", type_=time.type), time < bindparam(f"e{n}", type_=time.type)),
                       index) for n, index in enumerate(indexes)]
        key = case_key(level, t)
        extra = [t.c.channel.label("channel")] if channel else []
        grouping = [IDX] + ([] if level == "city" else [key]) + extra
        query = (db.select(_index_case(conditions), key.label("key"), *extra, *columns)
                 .where(or_(*[c for c, _i in conditions]))
                 .group_by(*grouping))
        if ids is not None:
            id_column = t.c.case_id if "case_id" in t.c else t.c.id
            query = query.where(id_column.in_(bindparam("ids", expanding=True)))
        return query

    params = {}
    for n, (_index, start, end) in enumerate(ranges):
        params[f"s{n}"], params[f"e{n}"] = start, end
    if ids is not None:
        params["ids"] = list(ids)
    return _statement(("live", t.name, column, level, indexes, channel, ids is not None), build), params


def _plan(tz, now):
    """The rollup reading plan, shared by every figure of one request computed for the same moment."""
    if not has_request_context():
        return rollups.plan(tz)
    cache = g.setdefault("scorecard_plans", {})
    if (tz, now) not in cache:
        cache[(tz, now)] = rollups.plan(tz)
    return cache[(tz, now)]


def _split(periods, reading, tz, now):
    """Per period: the rolled days (index, (first, last)), their UTC ranges, and the UTC ranges to count live."""
    zone = ZoneInfo(tz)
    today = rollups.local_day(now, zone)
    rolled, rolled_ranges, live = [], [], []
    for index, period in enumerate(periods):
        part, live_days = reading.split(period.start, period.end, today)
        if part is not None:
            rolled.append((index, part))
            start, end = rollups.day_bounds(part[0], part[1], zone)
            rolled_ranges.append((index, start, end))
        if live_days is not None:
            start, end = rollups.day_bounds(live_days[0], live_days[1], zone)
            live.append((index, start, min(end, now)))
    return rolled, rolled_ranges, live


def _rows(query, cache_key=None):
    """All rows of ``query`` (a statement and its parameters); live counts over the same ranges are run once per
    request (the trends share today)."""
    statement, params = query
    if cache_key is None or not has_request_context():
        return db.session.execute(statement, params).all()
    cache = g.setdefault("scorecard_live", {})
    if cache_key not in cache:
        cache[cache_key] = db.session.execute(statement, params).all()
    return cache[cache_key]


def count_cases(periods, storage_level, tz, now):
    """{(period index, storage key): Counter of measures, with 'ch:<channel>' for received per channel}.

    Rolled-up days come from the rollups, the rest live from the cases; cases changed since the rollups counted
    them are corrected for on the rolled days: their copy as counted is taken off, their present state added.
    """
    reading = _plan(tz, now)
    rolled, rolled_ranges, live = _split(periods, reading, tz, now)
    totals = defaultdict(Counter)

    def add(rows, names, channel=False, sign=1):
        offset = 3 if channel else 2
        for row in rows:
            target = totals[(row[0], row[1])]
            for name, value in zip(names, row[offset:], strict=True):
                if value:
                    target[name] += sign * value
            if channel:
                target["ch:" + str(getattr(row[2], "value", row[2]))] += sign * row[3]

    received, due = ("received", "filed"), DUE_MEASURES
    cases, marks = Case.__table__, CaseMark.__table__
    if rolled:
        add(_rows(_rolled_query(ReceivedRollup, storage_level, rolled, channel=True)), received, True)
        add(_rows(_rolled_query(DueRollup, storage_level, rolled)), due)
        if reading.changed:
            for table, sign in ((cases, 1), (marks, -1)):
                add(_rows(_live_query(table, "created_at", storage_level, rolled_ranges, channel=True,
                                      ids=reading.changed)), received, True, sign)
                add(_rows(_live_query(table, "due_at", storage_level, rolled_ranges, ids=reading.changed)), due,
                    sign=sign)
    if live:
        ranges = tuple(live)
        add(_rows(_live_query(cases, "created_at", storage_level, live, channel=True),
                  ("received", storage_level, now, ranges)), received, True)
        add(_rows(_live_query(cases, "due_at", storage_level, live), ("due", storage_level, now, ranges)), due)
    # Finished rounds are written once and never change: always counted live, over the whole period.
    whole = tuple(_whole_ranges(periods, tz, now))
    if whole:
        rounds = CaseRound.__table__
        add(_rows(_live_query(rounds, "due_at", storage_level, whole), ("rounds_due", storage_level, now, whole)),
            due)
        add(_rows(_live_query(rounds, "ended_at", storage_level, whole),
                  ("rounds_ended", storage_level, now, whole)), REOPENED_MEASURES)
    return totals


def _whole_ranges(periods, tz, now):
    """(index, start, end) in UTC of each period, cut at ``now`` (nothing is due or reopened in the future)."""
    zone = ZoneInfo(tz)
    for index, period in enumerate(periods):
        start, end = period.bounds_utc(zone)
        if start < now:
            yield index, start, min(end, now)


def count_supervised(periods, storage_level, tz, now):
    """{(period index, storage key): 督办单 issued}."""
    zone = ZoneInfo(tz)
    conditions = []
    for index, period in enumerate(periods):
        start, end = period.bounds_utc(zone)
        conditions.append((and_(SupervisionNotice.issued_at >= start, SupervisionNotice.issued_at < min(end, now)),
                           index))
    if storage_level == "unit":
        key = SupervisionNotice.unit_id
    else:
        key = case_key(storage_level)
    grouping = [IDX] + ([] if storage_level == "city" else [key])
    query = (db.select(_index_case(conditions), key, db.func.count())
             .where(SupervisionNotice.kind == NoticeKind.SUPERVISE.value, or_(*[c for c, _i in conditions]))
             .group_by(*grouping))
    if storage_level in ("area", "category"):
        query = query.join(Case, Case.id == SupervisionNotice.case_id)
    return {(index, key_value): count for index, key_value, count in db.session.execute(query)}
