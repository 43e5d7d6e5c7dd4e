"""Results of a survey, aggregated in SQL: a fixed handful of queries whatever the number of responses.

Self-selected and sampled responses are computed side by side and never pooled. Excluded responses are left
out of every figure and counted; flagged responses (speeders, straight-liners, bursts, repeats) are held back from
every figure unless a recorded decision counts them in, and the headline with them is shown beside it.
``survey_results`` is what the results page, the exports and the benchmark use.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import case, func
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.hooks import verdict_min_n
from portal.registry.models import Area
from surveys import rates
from surveys.models import Source, SurveyArea
from surveys.response_models import CORRECT_ITEM, NO_AREA, SurveyAnswer, SurveyResponse
from surveys.tallies import ANSWERED_ITEM, tally_rows

PERIODS = ("day", "week", "month")
LOWEST = 10


@dataclass
class Distribution:
    """Counts of one question (or matrix item) for one source."""

    counts: dict = field(default_factory=dict)  # value -> count
    n: int = 0  # respondents who answered
    rate: object = None  # 满意率 (scale questions)
    mean: float | None = None  # ratings

    def share(self, value):
        return self.counts.get(value, 0) / self.n if self.n else 0.0


@dataclass
class QuestionResult:
    question: object
    by_source: dict = field(default_factory=dict)  # Source -> Distribution
    items: list = field(default_factory=list)  # matrix: [(item, {Source: Distribution})]
    correct: dict = field(default_factory=dict)  # Source -> Rate of right answers (quizzes)
    numbers: dict = field(default_factory=dict)  # Source -> (n, mean, min, max)
    labels: dict = field(default_factory=dict)  # value -> label


@dataclass
class Row:
    """A line of a per-area or per-period table: a rate per source."""

    label: str
    by_source: dict = field(default_factory=dict)  # Source -> Rate
    link: object = None


class LowItem(NamedTuple):
    """An entry of the lowest-items list: what it is called, its 满意率, and the question and item it is."""

    label: str
    rate: object
    question: object
    item: str = ""  # the matrix item's code; "" for a satisfaction question


@dataclass
class Results:
    survey: object
    sources: list  # the sources with any responses, sampled first
    counts: dict  # Source -> {"received", "excluded", "valid", "held_back"} (valid includes the held back)
    flags: dict  # flag -> count among valid responses
    headline: dict  # Source -> Rate (满意率 or 知晓率) of the counted responses
    with_flagged: dict  # Source -> Rate with the held-back responses too (shown beside the headline)
    weighted: dict  # Source -> WeightedRate or None
    verdicts: dict  # Source -> MEETS/BELOW/UNCLEAR/TOO_FEW (rates.verdict) or None
    questions: list
    areas: list
    periods: list
    lowest: dict  # Source -> [LowItem]
    period: str = "day"
    stratum: int | None = None
    unplaced: dict = field(default_factory=dict)  # Source -> valid responses outside every weighted area
    min_n: int = 1  # fewer answers give no verdict (the composite-index rule in force says how many)
    correct: dict = field(default_factory=dict)  # quizzes: Source -> share of correct answers (PointsShare) or None


def _sum_if(condition):
    return func.sum(case((condition, 1), else_=0))


def _rate_columns(survey):
    """count and satisfied/passed sums for the headline (questionnaires) or the pass mark (quizzes)."""
    if survey.is_quiz:
        return func.count(SurveyResponse.passed), _sum_if(SurveyResponse.passed.is_(True))
    return (func.count(SurveyResponse.headline_level),
            _sum_if(SurveyResponse.headline_level.in_(survey.satisfied_levels or [0])))


def _valid(survey):
    """The responses every figure counts: the survey's, neither excluded nor held back for their flags."""
    return (SurveyResponse.survey_id == survey.id, SurveyResponse.is_counted)


FLAG_COLUMNS = (SurveyResponse.is_speeder, SurveyResponse.is_straightliner, SurveyResponse.is_burst,
                SurveyResponse.is_repeat, SurveyResponse.over_quota)


def _by_stratum(survey):
    """Counts, flags and the headline (or pass) rate per stratum and source, in one query on a covering index:
    (received/excluded/valid/held back per source, flag counts among valid responses, {stratum: {source: (x, n)}}
    of the counted responses, and the same with the held-back ones)."""
    received = {s: {"received": 0, "excluded": 0, "valid": 0, "held_back": 0} for s in Source}
    flags = {"speeder": 0, "straightliner": 0, "burst": 0, "repeat": 0, "over_quota": 0}
    grouped, with_flagged = defaultdict(dict), defaultdict(dict)
    n_col, x_col = _rate_columns(survey)
    held = case((SurveyResponse.is_held_back, 1), else_=0)
    query = (db.select(SurveyResponse.survey_area_id, SurveyResponse.source, SurveyResponse.excluded, held,
                       func.count(), n_col, x_col, *(_sum_if(column.is_(True)) for column in FLAG_COLUMNS))
             .where(SurveyResponse.survey_id == survey.id)
             .group_by(SurveyResponse.excluded, held, SurveyResponse.survey_area_id, SurveyResponse.source))
    for stratum, source, excluded, held_back, count, n, x, *flagged in db.session.execute(query):
        received[source]["received"] += count
        received[source]["excluded" if excluded else "valid"] += count
        if excluded:
            continue
        x, n = int(x or 0), int(n or 0)
        before = with_flagged[stratum].get(source, (0, 0))
        with_flagged[stratum][source] = (before[0] + x, before[1] + n)
        if held_back:
            received[source]["held_back"] += count
        else:
            grouped[stratum][source] = (x, n)
        for name, value in zip(flags, flagged, strict=True):
            flags[name] += value or 0
    return received, flags, grouped, with_flagged


def _grouped_rates(survey, column):
    """{group value: {Source: (x, n)}} for the headline or pass rate grouped by ``column``."""
    n_col, x_col = _rate_columns(survey)
    query = (db.select(column, SurveyResponse.source, n_col, x_col).where(*_valid(survey))
             .group_by(column, SurveyResponse.source))
    grouped = defaultdict(dict)
    for key, source, n, x in db.session.execute(query):
        grouped[key][source] = (int(x or 0), int(n or 0))
    return grouped


def _period_key(day, period):
    if period == "day":
        return day
    parsed = date.fromisoformat(day)
    if period == "week":
        return (parsed - timedelta(days=parsed.weekday())).isoformat()
    return day[:7]


def _periods(survey, period):
    return _period_rows(_grouped_rates(survey, SurveyResponse.day), period)


def _period_rows(by_day, period):
    """Rows per period from {local day: {Source: (x, n)}}: days added up into weeks or months."""
    merged = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for day, by_source in by_day.items():
        for source, (x, n) in by_source.items():
            cell = merged[_period_key(day, period)][source]
            cell[0] += x
            cell[1] += n
    return [Row(label, {s: rates.rate(x, n) for s, (x, n) in cells.items()})
            for label, cells in sorted(merged.items())]


def _areas(survey, grouped):
    rows, strata = [], defaultdict(list)
    links = db.session.execute(db.select(SurveyArea).options(joinedload(SurveyArea.area))
                               .where(SurveyArea.survey_id == survey.id).order_by(SurveyArea.id)).scalars()
    for link in links:
        cells = grouped.get(link.id, {})
        rows.append(Row(link.area.display_name, {s: rates.rate(x, n) for s, (x, n) in cells.items()}, link))
        for source in Source:
            x, n = cells.get(source, (0, 0))
            strata[source].append(rates.Stratum(link.area.display_name, link.population or 0, x, n))
    outside = grouped.get(None, {})
    if outside:
        rows.append(Row("", {s: rates.rate(x, n) for s, (x, n) in outside.items()}))
    return rows, strata


def _distributions(survey, stratum=None):
    """QuestionResults from the tallies (one query), plus number statistics (one query if needed)."""
    by_question = {q.id: QuestionResult(q) for q in survey.questions}
    correct = defaultdict(lambda: [0, 0])
    for question_id, item, value, source, _stratum, count in tally_rows(survey, stratum):
        result = by_question.get(question_id)
        if result is None:
            continue
        if item == CORRECT_ITEM:
            correct[(question_id, source)][0] += count if value == 1 else 0
            correct[(question_id, source)][1] += count
            continue
        target = _target(result, item, source)
        if item == ANSWERED_ITEM:
            target.n += count
        else:
            target.counts[value] = target.counts.get(value, 0) + count
    for (question_id, source), (x, n) in correct.items():
        by_question[question_id].correct[source] = rates.rate(x, n)
    for result in by_question.values():
        _finish(survey, result)
    _numbers(survey, by_question)
    return [by_question[q.id] for q in sorted(survey.questions, key=lambda q: (q.section_position, q.position))]


def _target(result, item, source):
    if result.question.type.per_item:
        items = dict(result.items)
        if item not in items:
            result.items.append((item, {}))
            items = dict(result.items)
        return items[item].setdefault(source, Distribution())
    return result.by_source.setdefault(source, Distribution())


def _finish(survey, result):
    question = result.question
    kind_type = question.type
    for dist in list(result.by_source.values()) + [d for _item, by in result.items for d in by.values()]:
        kind_type.summarise(survey, dist)
    order = {code: index for index, code in enumerate(question.item_codes())}
    result.items.sort(key=lambda pair: order.get(pair[0], len(order)))
    result.labels = kind_type.value_labels(survey, question)


def _numbers(survey, by_question):
    ids = [q.id for q in survey.questions if q.type.summed]
    area_ids = set()
    for result in by_question.values():
        if result.question.type.picks_area:
            for dist in result.by_source.values():
                area_ids.update(dist.counts)
    if area_ids:
        areas = {a.id: a.display_name for a in db.session.execute(
            db.select(Area).where(Area.id.in_(area_ids))).scalars()}
        for result in by_question.values():
            if result.question.type.picks_area:
                result.labels = areas
    if not ids:
        return
    query = (db.select(SurveyAnswer.question_id, SurveyResponse.source, func.count(), func.avg(SurveyAnswer.number),
                       func.min(SurveyAnswer.number), func.max(SurveyAnswer.number))
             .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
             .where(*_valid(survey), SurveyAnswer.question_id.in_(ids))
             .group_by(SurveyAnswer.question_id, SurveyResponse.source))
    for question_id, source, n, mean, low, high in db.session.execute(query):
        by_question[question_id].numbers[source] = (n, mean, low, high)


def _lowest(survey, questions):
    """Scale questions and matrix items with the lowest 满意率 per source: the start of a rectification list."""
    lowest = {}
    for source in Source:
        entries = []
        for result in questions:
            question = result.question
            if question.type.rated_whole and source in result.by_source:
                entries.append(LowItem(question.display_text, result.by_source[source].rate, question))
            for item, by in result.items:
                if source in by:
                    label = next((question.label_of(i) for i in question.items or () if i["value"] == item), item)
                    entries.append(LowItem(f"{question.display_text} · {label}", by[source].rate, question, item))
        entries = [e for e in entries if e[1] is not None]
        lowest[source] = sorted(entries, key=lambda e: (e[1].p, -e[1].n))[:LOWEST]
    return lowest


def item_periods(survey, question, item="", period="day", stratum=None):
    """The 满意率 per period and source of one satisfaction question or matrix item (``item``), from its answers
    in one grouped query; ``stratum`` narrows it to one of the survey's areas as on the results page."""
    period = period if period in PERIODS else "day"
    query = (db.select(SurveyResponse.day, SurveyResponse.source, func.count(SurveyAnswer.id),
                       _sum_if(SurveyAnswer.value.in_(survey.satisfied_levels or [0])))
             .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
             .where(*_valid(survey), SurveyAnswer.question_id == question.id, SurveyAnswer.item == item,
                    SurveyAnswer.value.is_not(None))
             .group_by(SurveyResponse.day, SurveyResponse.source))
    if stratum == NO_AREA:
        query = query.where(SurveyResponse.survey_area_id.is_(None))
    elif stratum is not None:
        query = query.where(SurveyResponse.survey_area_id == stratum)
    by_day = defaultdict(dict)
    for day, source, n, x in db.session.execute(query):
        by_day[day][source] = (int(x or 0), int(n or 0))
    return _period_rows(by_day, period)


def _correct_shares(survey):
    """{Source: PointsShare}: a quiz's share of correct answers (points scored ÷ points possible) per source."""
    score, top = SurveyResponse.score, SurveyResponse.max_score
    query = (db.select(SurveyResponse.source, func.count(), func.sum(score), func.sum(top), func.sum(score * score),
                       func.sum(top * top), func.sum(score * top))
             .where(*_valid(survey), top > 0).group_by(SurveyResponse.source))
    return {source: rates.points_share(n, *(float(v or 0) for v in sums))
            for source, n, *sums in db.session.execute(query)}


def survey_results(survey, period="day", stratum=None):
    """Everything the results page shows, in a bounded number of queries. ``stratum`` (a SurveyArea id, or
    NO_AREA) narrows the per-question figures and the lowest items to one of the survey's areas."""
    period = period if period in PERIODS else "day"
    counts, flags, by_stratum, all_strata = _by_stratum(survey)
    areas, strata = _areas(survey, by_stratum)
    headline, with_flagged, weighted, verdicts, unplaced = {}, {}, {}, {}, {}
    min_n = verdict_min_n()
    line = survey.target_percent / 100 if survey.target_percent else None
    correct = _correct_shares(survey) if survey.is_quiz else {}
    by_correct = survey.is_quiz and survey.awareness_headline == "correct"
    for source in Source:
        x = sum(cells.get(source, (0, 0))[0] for cells in by_stratum.values())
        n = sum(cells.get(source, (0, 0))[1] for cells in by_stratum.values())
        headline[source] = rates.rate(x, n)
        with_flagged[source] = rates.rate(sum(cells.get(source, (0, 0))[0] for cells in all_strata.values()),
                                          sum(cells.get(source, (0, 0))[1] for cells in all_strata.values()))
        weighted[source] = rates.weighted_rate(strata[source])
        judged = correct.get(source) if by_correct else headline[source]
        verdicts[source] = rates.verdict(judged, line, min_n=min_n)
        placed = sum(s.n for s in strata[source] if s.population)
        unplaced[source] = n - placed if weighted[source] else 0
    questions = _distributions(survey, stratum)
    sources = [s for s in (Source.SAMPLED, Source.SELF_SELECTED) if counts[s]["received"]]
    return Results(survey=survey, sources=sources, counts=counts, flags=flags, headline=headline,
                   with_flagged=with_flagged, weighted=weighted, verdicts=verdicts, questions=questions, areas=areas,
                   periods=_periods(survey, period), lowest=_lowest(survey, questions), period=period,
                   unplaced=unplaced, stratum=stratum, min_n=min_n, correct=correct)
