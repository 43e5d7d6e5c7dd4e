"""The 90th percentile of handling time (calendar and working hours) by nearest rank: the ⌈0.9·n⌉-th smallest
handling time of an entity's closed rounds, always an observed value. The histograms among the case counts say
which bucket holds that rank; one query per table and kind reads the values inside the wanted buckets only.
"""
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import literal_column

from complaints.case_records import CaseRound
from complaints.measures import (
    BUCKETS,
    WORK_BUCKETS,
    bucket_of_rank,
    case_key,
    hours_expression,
    p90_rank,
    timed_clause,
    work_timed_clause,
)
from complaints.models import Case
from portal.extensions import db

# the partial (due_at, handling time) indexes on the cases that the percentiles read
PERCENTILE_INDEXES = {"calendar": "ix_cases_due_at_hours", "work": "ix_cases_due_at_work_hours"}
# (kind, count measure, histogram measures)
HOUR_KINDS = (("calendar", "hours_n", BUCKETS), ("work", "work_n", WORK_BUCKETS))


def _hours_value(t, kind):
    """The handling time of ``kind`` over ``t`` and the rounds it is counted for."""
    return (hours_expression(t), timed_clause(t)) if kind == "calendar" else (t.c.work_hours, work_timed_clause(t))


def exact_p90s(periods, storage, towards, counts, tz, now, percentiles=None):
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
                if t is Case.__table__:
                    # SQLite would rather walk (state, due_at) and look every case up (portal.sqlite renders the hint)
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
