"""The figures leaders are judged by, per unit, area (rolled up the hierarchy), category or the whole city, for any
period: counts from SQL aggregation (daily rollups for settled days, a live query for today, and an exact
correction for each case changed since the rollups counted it), never by loading cases. The counting queries are
in ``oversight.scorecards.case_counts``, the handling-time percentiles in ``oversight.scorecards.percentiles``.

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

from oversight.scorecards.case_counts import check_periods, count_cases, count_supervised
from oversight.scorecards.percentiles import exact_p90s
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
    check_periods(periods)
    tz = tz or get_city_settings().timezone
    now = now or utcnow()
    ids = None if ids is None else {int(i) for i in ids}
    entities, towards = _entities(by, ids)
    storage = "city" if by == "city" else by
    counts = count_cases(periods, storage, tz, now)
    supervised = count_supervised(periods, storage, tz, now)
    exact = exact_p90s(periods, storage, towards, counts, tz, now, percentiles)
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


def compute(period, by, ids=None, tz=None, now=None):
    """Figures of every unit / area / category (active ones, or those in ``ids``) or of the city for ``period``."""
    return compute_many([period], by, ids=ids, tz=tz, now=now)[0]


def city_figures(period, tz=None, now=None):
    return compute(period, "city", tz=tz, now=now)[0]
