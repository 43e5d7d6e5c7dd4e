"""The SQL behind every figure: which cases count, and how, written once and used both by the live queries and
by the daily rollups (so the two can never disagree).

Cohorts (DOMAIN.md §4–5; the "How the figures are computed" page says the same in words):

* received side, by the local day a case was received (``created_at``): 受理 ``received`` (every report,
  whatever became of it), 立案 ``filed`` (those now past 立案: not waiting, not 不予立案, not merged), and the
  channel.
* due side, per handling round (the round in progress on the case row, and every finished round kept in
  ``CaseRound`` when the case was reopened), by the local day the round's due time fell (``due_at``, set at 派遣
  from the category's working-time limit, moved by an approved 延期, cleared by 退回 until the case is dispatched
  again); only due times already past count. These rounds are the period's 应结案 ``due``. Among them: 缓办
  ``postponed`` (approved), 结案 ``closed``, 按期结案 ``closed_on_time`` (closed, not postponed, handled by the
  unit at or before the due time), and among the closed ones: 返工 ``reworked`` (sent back at 核查 at least once
  in the round), 回访 ``followed_up`` (rated by the reporter) and ``satisfied`` (rated, not 不满意 on the scale
  it was rated on: on a 3-level scale 1–2, on a 5-level scale 1–3), and the handling time from the round's (last)
  派遣 to the unit's (last) 处置, in calendar hours and in the city's working hours.
* reopened side, by the local day of the reopening: 重办 ``reopened``, the finished rounds that ended in a 重办
  (a 反弹 is not a 重办), counted for the unit, area and category of the round.
"""
from functools import lru_cache

from sqlalchemy import and_, case, func, literal_column

from complaints.case_records import CaseRound
from complaints.models import Case, CaseState

# Handling-time histograms: upper edges in hours of the buckets h00 … h19 (calendar hours) and w00 … w19 (working
# hours); h20 / w20 hold everything longer. They find the bucket the 90th percentile lies in; the figure itself is
# the observed value read from the cases (oversight.scorecards.figures).
BUCKET_EDGES = (0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 480, 720)
BUCKETS = tuple(f"h{index:02d}" for index in range(len(BUCKET_EDGES) + 1))
WORK_BUCKETS = tuple(f"w{index:02d}" for index in range(len(BUCKET_EDGES) + 1))

FILED_STATES = tuple(s.value for s in CaseState
                     if s not in (CaseState.RECEIVED, CaseState.REJECTED, CaseState.MERGED))
DUE_MEASURES = ("due", "postponed", "closed", "closed_on_time", "reworked", "followed_up", "satisfied",
                "hours_n", "hours_sum") + BUCKETS + ("work_n", "work_sum") + WORK_BUCKETS
REOPENED_MEASURES = ("reopened",)


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def cases_table():
    return Case.__table__


def rounds_table():
    return CaseRound.__table__


def is_rounds(t):
    """True for the finished rounds (``CaseRound``), False for the cases (or their marks): the round in progress."""
    return "ended_at" in t.c


def closed_clause(t):
    """The round is closed (结案): the case row in state closed, or a finished round that had been closed."""
    return t.c.closed_at.is_not(None) if is_rounds(t) else t.c.state == CaseState.CLOSED.value


def closed_on_time_clause(t):
    """按期结案: closed, not postponed (缓办), handled by the unit at or before the due time."""
    c = t.c
    return and_(closed_clause(t), c.postponed.is_(False), c.handled_at.is_not(None), c.handled_at <= c.due_at)


def reworks_column(t):
    """返工 within the round."""
    return t.c.rework_count if is_rounds(t) else t.c.round_rework_count


def hours_expression(t):
    """Calendar hours from the round's 派遣 to its 处置 (kept on the round when the unit handles it)."""
    return t.c.hours


def timed_clause(t):
    return and_(closed_clause(t), t.c.hours.is_not(None))


def work_timed_clause(t):
    return and_(closed_clause(t), t.c.work_hours.is_not(None))


def satisfied_clause(t=None):
    """SQL twin of complaints.services.is_dissatisfied, negated: rated and not 不满意."""
    c = (t if t is not None else cases_table()).c
    return and_(c.rating.is_not(None), c.rating < case((c.rating_scale == 3, 3), else_=4))


@lru_cache(maxsize=4)
def received_columns(t=None):
    """The received-side sums over ``t``: the cases, or the marks (their copy as last counted)."""
    c = (t if t is not None else cases_table()).c
    return (func.count().label("received"), _count_if(c.state.in_(FILED_STATES)).label("filed"))


@lru_cache(maxsize=4)
def due_columns(t=None):
    """The due-side sums over ``t`` (built once per table: the same column objects serve every query and the
    compiled-SQL cache)."""
    return tuple(_due_columns(t if t is not None else cases_table()))


@lru_cache(maxsize=4)
def reopened_columns(t=None):
    """The reopened-side sums over ``t`` (the finished rounds)."""
    c = (t if t is not None else rounds_table()).c
    return (_count_if(c.ended_kind == "reopen").label("reopened"),)


def _histogram(names, value, timed):
    columns = []
    lower = None
    for name, upper in zip(names, BUCKET_EDGES + (None,), strict=True):
        bounds = [timed]
        if lower is not None:
            bounds.append(value >= lower)
        if upper is not None:
            bounds.append(value < upper)
        columns.append(_count_if(and_(*bounds)).label(name))
        lower = upper
    return columns


def _due_columns(t):
    c = t.c
    closed = closed_clause(t)
    timed = timed_clause(t)
    hours = hours_expression(t)
    work_timed = work_timed_clause(t)
    columns = [
        func.count().label("due"),
        _count_if(c.postponed.is_(True)).label("postponed"),
        _count_if(closed).label("closed"),
        _count_if(closed_on_time_clause(t)).label("closed_on_time"),
        _count_if(and_(closed, reworks_column(t) > 0)).label("reworked"),
        _count_if(and_(closed, c.rating.is_not(None))).label("followed_up"),
        _count_if(and_(closed, satisfied_clause(t))).label("satisfied"),
        _count_if(timed).label("hours_n"),
        func.coalesce(func.sum(case((timed, hours), else_=0.0)), 0.0).label("hours_sum"),
        *_histogram(BUCKETS, hours, timed),
        _count_if(work_timed).label("work_n"),
        func.coalesce(func.sum(case((work_timed, c.work_hours), else_=0.0)), 0.0).label("work_sum"),
        *_histogram(WORK_BUCKETS, c.work_hours, work_timed),
    ]
    return columns


def case_key(level, t=None):
    """The rollup key of a case at ``level``: its unit, (leaf) area, (leaf) category, or 0 for the city."""
    c = (t if t is not None else cases_table()).c
    zero = literal_column("0")  # inline, not a parameter: PostgreSQL must see GROUP BY and SELECT alike
    if level == "unit":
        return func.coalesce(c.unit_id, zero)
    if level == "area":
        return func.coalesce(c.area_id, zero)
    if level == "category":
        return c.category_id
    return zero


def p90_rank(n):
    """The nearest rank of the 90th percentile among ``n`` values: ⌈0.9·n⌉, in integers (no rounding error)."""
    return (9 * n + 9) // 10


def bucket_of_rank(counts, rank):
    """(lower edge, upper edge or None, rank within the bucket) of the bucket holding the ``rank``-th smallest
    value, from the histogram ``counts``; None if there are fewer values."""
    seen = 0
    lower = None
    for count, upper in zip(counts, BUCKET_EDGES + (None,), strict=True):
        if count and seen + count >= rank:
            return lower, upper, rank - seen
        seen += count
        lower = upper
    return None
