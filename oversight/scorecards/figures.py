"""The figures leaders are judged by, per unit, area (rolled up the hierarchy), category or the whole city, for any
period: counts from SQL aggregation (daily rollups for settled days, a live query for today, and an exact
correction for each case changed since the rollups counted it), never by loading cases.

Definitions (cohorts in ``complaints.measures``; shown to staff on the definitions page):

* 受理 received, 立案 filed: cases received in the period (by the local day of receipt).
* 应结案 due: handling rounds whose due time fell in the period (and has passed); a reopened case has one round
  per handling, each counted where its due time fell. 结案率 = 结案 / 应结案.
* 按期结案率 = 按期结案 / (应结案 − 缓办); 按期 means handled by the unit at or before the due time.
* 返工率 = 返工 / 结案, 回访率 = 回访 / 结案, 回访满意率 = 满意 / 回访 (over the closed rounds of the 应结案 cohort);
  重办率 = 重办 / 结案, 重办 being the reopenings made in the period.
* 督办: 督办单 (supervision notices of kind SUPERVISE) issued in the period, to the unit / about cases of the area
  or category.
* Handling time: from 派遣 to 处置 of the closed rounds of the cohort, in calendar hours and in working hours (what
  the limit counts); the mean is exact, the 90th percentile is the nearest-rank value (the ⌈0.9·n⌉-th smallest,
  always an observed handling time): a histogram finds its bucket, the values in that bucket are read.
* Channels: cases received per channel.
* Survey 满意率 and quiz 知晓率 of an area (its sub-areas included) or of the city: responses submitted in the
  period, excluded responses and rehearsals left out, each method (sampled, self-selected) side by side with its
  n and 95% interval, never pooled; the 知晓率 both as the share who passed and the share of correct answers
  (``oversight.scorecards.survey_figures``). The composite-index rule names the method it judges by.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from sqlalchemy import Date, and_, bindparam, case, literal_column, or_

from complaints.measures import (
    BUCKETS,
    DUE_MEASURES,
    REOPENED_MEASURES,
    WORK_BUCKETS,
    bucket_of_rank,
    case_key,
    due_columns,
    hours_expression,
    p90_rank,
    received_columns,
    reopened_columns,
    timed_clause,
    work_timed_clause,
)
from complaints.models import Case, CaseRound
from complaints.supervision.models import NoticeKind, SupervisionNotice
from oversight.scorecards import rollups
from oversight.scorecards.models import CaseMark, DueRollup, ReceivedRollup
from oversight.scorecards.survey_figures import survey_figures
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import Area, Category, Unit

BY = ("unit", "area", "category", "city")

RATE_NAMES = ("closure_rate", "on_time_rate", "rework_rate", "reopen_rate", "followup_rate",
              "followup_satisfaction_rate")


def _ratio(x, n):
    return x / n if n else None


@dataclass
class Figures:
    """The figures of one unit / area / category / the city for one period. Rates are None when their
    denominator is 0 (a rate of nothing is not 0%)."""

    key: int | None
    name: str
    level: str
    received: int = 0
    filed: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    postponed: int = 0
    reworked: int = 0
    reopened: int = 0
    followed_up: int = 0
    satisfied: int = 0
    supervised: int = 0
    avg_hours: float | None = None  # calendar hours
    p90_hours: float | None = None
    avg_work_hours: float | None = None  # working hours (what the limit counts)
    p90_work_hours: float | None = None
    channels: dict = field(default_factory=dict)
    survey: dict | None = None  # {"sampled"|"self": figure}: each method's 满意率 with n and interval
    awareness: dict | None = None  # the same for the quiz 知晓率, each with both "passed" and "correct"

    @property
    def closure_rate(self):
        """结案率 = 结案 / 应结案."""
        return _ratio(self.closed, self.due)

    @property
    def on_time_rate(self):
        """按期结案率 = 按期结案 / (应结案 − 缓办)."""
        return _ratio(self.closed_on_time, self.due - self.postponed)

    @property
    def rework_rate(self):
        """返工率 = 返工 / 结案."""
        return _ratio(self.reworked, self.closed)

    @property
    def reopen_rate(self):
        """重办率 = 重办 / 结案."""
        return _ratio(self.reopened, self.closed)

    @property
    def followup_rate(self):
        """回访率 = 回访 / 结案."""
        return _ratio(self.followed_up, self.closed)

    @property
    def followup_satisfaction_rate(self):
        """回访满意率 = 满意 / 回访."""
        return _ratio(self.satisfied, self.followed_up)

    @property
    def channel_shares(self):
        total = sum(self.channels.values())
        return {channel: count / total for channel, count in self.channels.items()} if total else {}

    def value(self, name):
        """A figure or rate by name (for the composite index and the tables)."""
        return getattr(self, name)

    def to_dict(self):
        data = {name: getattr(self, name) for name in (
            "key", "name", "level", "received", "filed", "due", "closed", "closed_on_time", "postponed",
            "reworked", "reopened", "followed_up", "satisfied", "supervised", "avg_hours", "p90_hours",
            "avg_work_hours", "p90_work_hours")}
        data["channels"] = dict(self.channels)
        data["survey"] = {source: dict(figure) for source, figure in self.survey.items()} if self.survey else None
        data["awareness"] = ({source: dict(figure) for source, figure in self.awareness.items()}
                             if self.awareness else None)
        data.update({name: getattr(self, name) for name in RATE_NAMES})
        return data


# ---------------------------------------------------------------- the queries

def _check_periods(periods):
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


def _counts(periods, storage_level, tz, now):
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


def _supervised(periods, storage_level, tz, now):
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


# ---------------------------------------------------------------- entities and roll-up

def _entities(by, ids):
    """(ordered [(key, name)], {storage key: [keys it counts towards]}) for the level."""
    if by == "city":
        return [(None, get_city_settings().display_city_name)], {0: [None]}
    if by == "unit":
        units = db.session.execute(db.select(Unit).order_by(Unit.code)).scalars().all()
        chosen = [u for u in units if (ids is None and u.active) or (ids is not None and u.id in ids)]
        return [(u.id, u.display_name) for u in chosen], {u.id: [u.id] for u in chosen}
    if by == "area":
        areas = db.session.execute(db.select(Area).order_by(Area.path)).scalars().all()
        chosen = {a.id for a in areas if (ids is None and a.active) or (ids is not None and a.id in ids)}
        towards = {a.id: [i for i in a.ancestor_ids() if i in chosen] for a in areas}
        return [(a.id, a.display_name) for a in areas if a.id in chosen], towards
    categories = db.session.execute(db.select(Category)).scalars().all()
    by_id = {c.id: c for c in categories}

    def order(c):
        group = by_id.get(c.parent_id) if c.parent_id else c
        return (group.sort_order, group.code, c.parent_id is not None, c.sort_order, c.code)

    chosen = [c for c in sorted(categories, key=order)
              if (ids is None and c.active) or (ids is not None and c.id in ids)]
    chosen_ids = {c.id for c in chosen}
    towards = {c.id: [i for i in (c.id, c.parent_id) if i in chosen_ids] for c in categories}
    return [(c.id, c.display_name) for c in chosen], towards


def compute_many(periods, by, ids=None, tz=None, now=None, percentiles=None):
    """Figures for each of ``periods`` (which must not overlap): a list (one per period) of lists (one per
    entity, in the registry's order). A fixed number of queries, whatever the number of periods or entities.

    ``percentiles``: the indexes of the periods whose 90th percentiles are read (default all; a trend, whose
    charts and tables show no percentile, asks for its last period only); the others' are None."""
    if by not in BY:
        raise ValueError(f"unknown level {by!r}")
    periods = list(periods)
    _check_periods(periods)
    tz = tz or get_city_settings().timezone
    now = now or utcnow()
    ids = None if ids is None else {int(i) for i in ids}
    entities, towards = _entities(by, ids)
    storage = "city" if by == "city" else by
    counts = _counts(periods, storage, tz, now)
    supervised = _supervised(periods, storage, tz, now)
    exact = _exact_p90s(periods, storage, towards, counts, tz, now, percentiles)
    surveys = survey_figures(periods, by, tz) if by in ("area", "city") else {}

    merged = defaultdict(Counter)
    for (index, key), counter in counts.items():
        for target in towards.get(key, ()):
            merged[(index, target)].update(counter)
    for (index, key), count in supervised.items():
        for target in towards.get(key, ()):
            merged[(index, target)]["supervised"] += count

    results = []
    for index, _period in enumerate(periods):
        row = []
        for key, name in entities:
            counter = merged.get((index, key), Counter())
            figures = _figures(key, name, by, counter)
            figures.p90_hours = exact.get((index, key, "calendar"))
            figures.p90_work_hours = exact.get((index, key, "work"))
            found = surveys.get((index, key if by != "city" else 0), {})
            figures.survey = found.get("survey")
            figures.awareness = found.get("awareness")
            row.append(figures)
        results.append(row)
    return results


def _figures(key, name, level, counter):
    figures = Figures(key=key, name=name, level=level,
                      **{field_name: int(counter.get(field_name, 0)) for field_name in (
                          "received", "filed", "due", "closed", "closed_on_time", "postponed", "reworked",
                          "reopened", "followed_up", "satisfied", "supervised")})
    hours_n = counter.get("hours_n", 0)
    figures.avg_hours = counter.get("hours_sum", 0.0) / hours_n if hours_n else None
    work_n = counter.get("work_n", 0)
    figures.avg_work_hours = counter.get("work_sum", 0.0) / work_n if work_n else None
    figures.channels = {name[3:]: int(count) for name, count in sorted(counter.items())
                        if name.startswith("ch:") and count}
    return figures


# the partial (due_at, handling time) indexes on the cases that the percentiles read
PERCENTILE_INDEXES = {"calendar": "ix_cases_due_at_hours", "work": "ix_cases_due_at_work_hours"}
# (kind, count measure, histogram measures)
HOUR_KINDS = (("calendar", "hours_n", BUCKETS), ("work", "work_n", WORK_BUCKETS))


def _hours_value(t, kind):
    """The handling time of ``kind`` over ``t`` and the rounds it is counted for."""
    return (hours_expression(t), timed_clause(t)) if kind == "calendar" else (t.c.work_hours, work_timed_clause(t))


def _exact_p90s(periods, storage, towards, counts, tz, now, percentiles=None):
    """{(period index, entity key, kind): the 90th percentile of handling time}, by nearest rank: the
    ⌈0.9·n⌉-th smallest handling time of the entity's closed rounds, an observed value.

    The histograms (summed like every other measure) say which bucket holds that rank and how many values lie
    below it; one query per table and kind reads the values inside the wanted buckets only.
    """
    merged = defaultdict(Counter)
    feeds = defaultdict(set)
    for storage_key, targets in towards.items():
        for target in targets:
            feeds[target].add(storage_key)
    for (index, storage_key), counter in counts.items():
        if percentiles is not None and index not in percentiles:
            continue
        for target in towards.get(storage_key, ()):
            merged[(index, target)].update(counter)
    wants = {}
    groups = defaultdict(set)  # (index, kind, lower, upper) -> storage keys whose values are needed
    for (index, target), counter in merged.items():
        for kind, n_name, names in HOUR_KINDS:
            n = int(counter.get(n_name, 0))
            found = bucket_of_rank([counter.get(name, 0) for name in names], p90_rank(n)) if n > 0 else None
            if found is not None:
                lower, upper, rank = found
                wants[(index, target, kind)] = (lower, upper, rank)
                groups[(index, kind, lower, upper)].update(feeds[target])
    if not wants:
        return {}
    zone = ZoneInfo(tz)
    ordered = list(groups)
    position = {group: number for number, group in enumerate(ordered)}
    values = defaultdict(list)  # (group number, storage key) -> values
    for t in (Case.__table__, CaseRound.__table__):
        for kind, _n, _names in HOUR_KINDS:
            value, timed = _hours_value(t, kind)
            key = case_key(storage, t)
            parts = []
            for number, (index, group_kind, lower, upper) in enumerate(ordered):
                if group_kind != kind:
                    continue
                start, end = periods[index].bounds_utc(zone)
                # one SELECT per period and bucket, so each reads the (due time, hours) index of its own range
                bounds = [t.c.due_at >= start, t.c.due_at < min(end, now), value.is_not(None), timed]
                if lower is not None:
                    bounds.append(value >= lower)
                if upper is not None:
                    bounds.append(value < upper)
                if storage != "city":
                    bounds.append(key.in_(sorted(groups[ordered[number]])))
                part = db.select(literal_column(str(number)).label("idx"), key.label("key"), value.label("value"))
                if t is Case.__table__:  # SQLite would rather walk (state, due_at) and look every case up
                    part = part.with_hint(t, f"INDEXED BY {PERCENTILE_INDEXES[kind]}", "sqlite")
                parts.append(part.where(*bounds))
            if not parts:
                continue
            query = parts[0] if len(parts) == 1 else db.union_all(*parts)
            for number, storage_key, found in db.session.execute(query):
                values[(int(number), storage_key)].append(found)
    result = {}
    for (index, target, kind), (lower, upper, rank) in wants.items():
        number = position[(index, kind, lower, upper)]
        inside = sorted(v for storage_key in feeds[target] for v in values.get((number, storage_key), ()))
        if inside:  # the histogram and the values agree unless a case changed in between: stay observed
            result[(index, target, kind)] = float(inside[min(rank, len(inside)) - 1])
    return result


def compute(period, by, ids=None, tz=None, now=None):
    """Figures of every unit / area / category (active ones, or those in ``ids``) or of the city for ``period``."""
    return compute_many([period], by, ids=ids, tz=tz, now=now)[0]


def city_figures(period, tz=None, now=None):
    return compute(period, "city", tz=tz, now=now)[0]
