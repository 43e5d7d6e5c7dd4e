"""Results on a hand-computed table: raw and weighted 满意率 per source (never pooled), per area, per period,
per question; exclusions; tallies that match the answers; and a bounded number of queries."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.clock import utcnow
from portal.extensions import db
from surveys.answering import submit_response
from surveys.distribution import generate_tokens
from surveys.models import Source, Survey
from surveys.response_models import NO_AREA, SurveyExclusion, SurveyResponse, SurveyToken
from surveys.results.aggregates import survey_results
from surveys.results.quality import exclude_responses, include_responses
from surveys.tallies import rebuild_tallies, tally_rows
from tests.factories import make_area
from tests.surveys.factories import key, make_survey, matrix, multiple, satisfaction, single


def answer(survey, level, link=None, token=None, now=None, **extra):
    response, _ = submit_response(survey, {"overall": [str(level)], **extra}, idempotency_key=key(),
                                  survey_area=link, token_code=token, now=now)
    return response


@pytest.fixture
def table(app):
    """East (30,000 people): 25 满意, 15 基本满意, 10 不满意 → 40/50. West (10,000): 30 / 15 / 5 → 45/50.
    Ten token cards (sampled): 5 / 3 / 2 → 8/10."""
    east, west = make_area("东城区"), make_area("西城区")
    survey = make_survey(areas=[(east, None, 30000), (west, None, 10000)])
    link_east, link_west = survey.areas
    for link, counts in ((link_east, (25, 15, 10)), (link_west, (30, 15, 5))):
        for level, count in zip((1, 2, 3), counts, strict=True):
            for _ in range(count):
                answer(survey, level, link)
    generate_tokens(survey, 10, None)
    codes = db.session.execute(db.select(SurveyToken.code)).scalars().all()
    for code, level in zip(codes, [1] * 5 + [2] * 3 + [3] * 2, strict=True):
        answer(survey, level, token=code)
    db.session.commit()
    return survey


def test_raw_rates_per_source_are_never_pooled(table):
    results = survey_results(table)
    own, sampled = results.headline[Source.SELF_SELECTED], results.headline[Source.SAMPLED]
    assert (own.x, own.n) == (85, 100) and (sampled.x, sampled.n) == (8, 10)
    assert results.sources == [Source.SAMPLED, Source.SELF_SELECTED]
    assert not hasattr(results, "pooled")


def test_weighted_rate_is_post_stratified_by_population(table):
    weighted = survey_results(table).weighted[Source.SELF_SELECTED]
    assert weighted.p == pytest.approx(0.825)  # 0.75 · 40/50 + 0.25 · 45/50
    assert weighted.covered_share == 1.0


def test_rates_per_area(table):
    rows = {row.label: row.by_source for row in survey_results(table).areas}
    assert (rows["东城区"][Source.SELF_SELECTED].x, rows["东城区"][Source.SELF_SELECTED].n) == (40, 50)
    assert rows["西城区"][Source.SELF_SELECTED].p == 0.9
    assert rows[""][Source.SAMPLED].n == 10  # token cards without an area


def test_questions_of_one_area(table):
    east = table.areas[0]
    results = survey_results(table, stratum=east.id)
    assert results.questions[0].by_source[Source.SELF_SELECTED].counts == {1: 25, 2: 15, 3: 10}
    assert Source.SAMPLED not in results.questions[0].by_source  # the cards had no area
    assert results.headline[Source.SELF_SELECTED].n == 100  # the headline stays survey-wide


def test_distribution_per_question_and_the_target_verdict(table):
    results = survey_results(table)
    overall = results.questions[0].by_source[Source.SELF_SELECTED]
    assert overall.counts == {1: 55, 2: 30, 3: 15} and overall.n == 100
    # 85%, but the interval [0.767, 0.907] reaches the 90% target: more answers are needed to tell
    assert results.verdicts[Source.SELF_SELECTED] == "unclear"
    assert round(results.headline[Source.SELF_SELECTED].high, 3) == 0.907


def test_excluded_responses_leave_every_figure_and_are_counted(table):
    dissatisfied = db.session.execute(db.select(SurveyResponse.id).where(
        SurveyResponse.headline_level == 3, SurveyResponse.source == Source.SELF_SELECTED).limit(5)).scalars().all()
    assert exclude_responses(table, dissatisfied, "同一设备连续提交", actor=None) == 5
    db.session.commit()
    results = survey_results(table)
    assert (results.headline[Source.SELF_SELECTED].x, results.headline[Source.SELF_SELECTED].n) == (85, 95)
    assert results.counts[Source.SELF_SELECTED] == {"received": 100, "excluded": 5, "valid": 95, "held_back": 0}
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyExclusion)) == 5
    assert include_responses(table, dissatisfied[:2], "复核后恢复", actor=None) == 2
    assert survey_results(table).headline[Source.SELF_SELECTED].n == 97


def test_an_exclusion_needs_a_reason(table):
    from surveys.definition import SurveyError

    with pytest.raises(SurveyError):
        exclude_responses(table, [1], "  ", actor=None)


def test_tallies_match_a_recount_from_the_answers(table):
    exclude_responses(table, [1, 2, 3], "测试", actor=None)  # three of East's 满意 answers
    question = table.questions[0].id
    east, west = (link.area_id for link in table.areas)
    counted = {(value, source, stratum): count for q, item, value, source, stratum, count in tally_rows(table)
               if q == question and item == ""}
    # the fixture's answers by hand: East 25 - 3 / 15 / 10, West 30 / 15 / 5, the ten cards 5 / 3 / 2 (no area)
    assert counted == {
        (1, Source.SELF_SELECTED, east): 22, (2, Source.SELF_SELECTED, east): 15, (3, Source.SELF_SELECTED, east): 10,
        (1, Source.SELF_SELECTED, west): 30, (2, Source.SELF_SELECTED, west): 15, (3, Source.SELF_SELECTED, west): 5,
        (1, Source.SAMPLED, NO_AREA): 5, (2, Source.SAMPLED, NO_AREA): 3, (3, Source.SAMPLED, NO_AREA): 2}
    before = sorted(tally_rows(table))
    rebuild_tallies(table)
    assert sorted(tally_rows(table)) == before  # and a rebuild from the answers agrees


def test_rates_per_period(app):
    survey = make_survey()
    now = utcnow()
    for days_ago, level in ((3, 1), (3, 3), (2, 1), (0, 2)):
        answer(survey, level, now=now - timedelta(days=days_ago))
    db.session.commit()
    periods = survey_results(survey).periods
    assert [(row.by_source[Source.SELF_SELECTED].x, row.by_source[Source.SELF_SELECTED].n) for row in periods] == [
        (1, 2), (1, 1), (1, 1)]
    assert sum(r.by_source[Source.SELF_SELECTED].n for r in survey_results(survey, "month").periods) == 4


def test_matrix_items_multiple_choice_and_the_lowest_items(app):
    survey = make_survey([satisfaction(), matrix(items=("道路", "公厕")), multiple()])
    answer(survey, 1, aspects={"i1": ["1"], "i2": ["3"]}, problems=["a", "b"])
    answer(survey, 1, aspects={"i1": ["2"], "i2": ["3"]}, problems=["a"])
    answer(survey, 2, aspects={"i1": ["1"], "i2": ["1"]})
    db.session.commit()
    results = survey_results(survey)
    items = dict(results.questions[1].items)
    assert items["i2"][Source.SELF_SELECTED].rate.x == 1 and items["i2"][Source.SELF_SELECTED].rate.n == 3
    problems = results.questions[2].by_source[Source.SELF_SELECTED]
    assert problems.n == 2 and problems.counts == {0: 2, 1: 1}  # shares of those who answered
    lowest = results.lowest[Source.SELF_SELECTED]
    assert lowest[0][0].endswith("公厕") and lowest[0][1].p == pytest.approx(1 / 3)


def test_quiz_awareness_rate_is_the_share_passing(app):
    survey = make_survey([single("q1", options=("是", "否"), correct="a")], kind="quiz", pass_percent=100)
    for choice in ("a", "a", "a", "b"):
        submit_response(survey, {"q1": [choice]}, idempotency_key=key())
    db.session.commit()
    results = survey_results(survey)
    assert (results.headline[Source.SELF_SELECTED].x, results.headline[Source.SELF_SELECTED].n) == (3, 4)
    assert results.questions[0].correct[Source.SELF_SELECTED].p == 0.75


def bulk_responses(survey, count):
    """``count`` responses written straight into the tables, then tallied by a rebuild (fast set-up)."""
    questions = {q.key: q for q in survey.questions}
    link = survey.areas[0] if survey.areas else None
    now = utcnow()
    responses = [{"survey_id": survey.id, "source": "self", "idempotency_key": f"bulk-{survey.id}-{n}",
                  "locale": "zh_Hans", "submitted_at": now, "day": f"2026-11-{1 + n % 28:02d}",
                  "duration_seconds": 60 + n % 120, "headline_level": 1 + n % 3, "over_quota": False,
                  "is_speeder": False, "is_straightliner": False, "is_burst": False, "excluded": False,
                  "survey_area_id": link.id if link else None} for n in range(count)]
    db.session.execute(SurveyResponse.__table__.insert(), responses)
    ids = db.session.execute(db.select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id)
                             .order_by(SurveyResponse.id)).scalars().all()
    answers = []
    for n, response_id in enumerate(ids):
        answers.append({"response_id": response_id, "question_id": questions["overall"].id, "item": "",
                        "value": 1 + n % 3})
        for item in ("i1", "i2", "i3", "i4"):
            answers.append({"response_id": response_id, "question_id": questions["aspects"].id, "item": item,
                            "value": 1 + (n + len(item)) % 3})
    from surveys.response_models import SurveyAnswer

    db.session.execute(SurveyAnswer.__table__.insert(), answers)
    rebuild_tallies(survey)
    db.session.commit()


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.statements = []

    def __call__(self, _conn, _cursor, statement, *_args, **_kwargs):
        self.count += 1
        self.statements.append(statement)


def count_queries(action):
    counter = QueryCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return counter.count


def test_results_of_5000_responses_take_a_bounded_number_of_queries(app):
    small_survey = make_survey([satisfaction(), matrix()], areas=[(make_area("东城区"), None, 1000)])
    big_survey = make_survey([satisfaction(), matrix()], areas=[(make_area("西城区"), None, 1000)])
    bulk_responses(small_survey, 50)
    bulk_responses(big_survey, 5000)
    small_id, big_id = small_survey.id, big_survey.id
    survey_results(small_survey)  # warm up what is cached per app context (the locale)
    db.session.remove()  # each count starts from an empty session
    small = count_queries(lambda: survey_results(db.session.get(Survey, small_id)))
    db.session.remove()
    big = count_queries(lambda: survey_results(db.session.get(Survey, big_id)))
    assert survey_results(db.session.get(Survey, big_id)).headline[Source.SELF_SELECTED].n == 5000
    assert big == small and big <= 15


# ---------------------------------------------------------------- the rate over time of any question or item

def test_the_rate_over_time_of_one_matrix_item_on_a_hand_computed_table(app):
    """公厕 (item i2), satisfied = levels 1 and 2. Mon 2 March: 1 and 3 → 1/2 (east). Tue 3 March: 2 → 1/1, and a
    3 that is excluded. Mon 9 March: 3, 3, 1 → 1/3. Weeks: 2/3 then 1/3. Times are noon in Shanghai."""
    from datetime import datetime, timezone

    from surveys.results.aggregates import item_periods

    east = make_area("东城区")
    survey = make_survey([satisfaction(), matrix(items=("道路", "公厕"))], areas=[(east, None, 1000)])
    aspects = survey.questions[1]
    plan = (((2, 1), (2, 3)), ((3, 2), (3, 3)), ((9, 3), (9, 3), (9, 1)))
    excluded = None
    for day_answers in plan:
        for day, level in day_answers:
            response = answer(survey, 1, link=survey.areas[0] if day == 2 else None,
                              now=datetime(2026, 3, day, 4, 0, tzinfo=timezone.utc),
                              aspects={"i1": ["1"], "i2": [str(level)]})
            if (day, level) == (3, 3):
                excluded = response.id
    exclude_responses(survey, [excluded], "同一设备", actor=None)
    db.session.commit()

    def points(rows):
        return [(row.label, row.by_source[Source.SELF_SELECTED].x, row.by_source[Source.SELF_SELECTED].n)
                for row in rows]

    assert points(item_periods(survey, aspects, "i2")) == [
        ("2026-03-02", 1, 2), ("2026-03-03", 1, 1), ("2026-03-09", 1, 3)]
    assert points(item_periods(survey, aspects, "i2", "week")) == [("2026-03-02", 2, 3), ("2026-03-09", 1, 3)]
    assert points(item_periods(survey, aspects, "i1", "month")) == [("2026-03", 6, 6)]
    assert points(item_periods(survey, aspects, "i2", stratum=survey.areas[0].id)) == [("2026-03-02", 1, 2)]
    assert points(item_periods(survey, aspects, "i2", stratum=0)) == [("2026-03-03", 1, 1), ("2026-03-09", 1, 3)]
    rate = item_periods(survey, aspects, "i2")[2].by_source[Source.SELF_SELECTED]
    assert (round(rate.low, 4), round(rate.high, 4)) == (0.0615, 0.7923)  # Wilson for 1 of 3
    assert count_queries(lambda: item_periods(survey, aspects, "i2")) == 1
