"""What the benchmark (``make bench``) calls for surveys: a realistic open survey, the form fields of one
submission, a fast seed of stored answers, and the time the results take. Not used by the app itself."""
import random
import time
from collections import Counter

from portal.extensions import db
from portal.registry.models import Area
from surveys.distribution import add_survey_area
from surveys.guards import new_form_token
from surveys.models import Guarantee, QuotaAction, Source, SurveyKind, SurveyMethod
from surveys.response_models import SurveyAnswer, SurveyResponse, SurveyTally
from surveys.results.aggregates import survey_results
from surveys.services import create_survey, open_survey, save_question
from surveys.tallies import KEY_COLUMNS

ASPECTS = ("道路清扫保洁", "公厕卫生", "农贸市场", "垃圾清运", "背街小巷", "小区环境", "餐饮店卫生", "病媒生物防制")
AGES = ("18岁以下", "18-40岁", "41-60岁", "60岁以上")
ANSWERS_PER_RESPONSE = 1 + len(ASPECTS) + 1  # headline, the matrix items, age


def make_bench_survey(area_count=4):
    """An open 满意率 survey (open guarantee) with a headline question, an 8-item matrix, a single choice and a
    comment, distributed in up to ``area_count`` active areas with populations. Commits; returns it."""
    survey = create_survey({"title": "城市环境卫生满意度调查（基准测试）", "kind": SurveyKind.QUESTIONNAIRE.value,
                            "method": SurveyMethod.QR_OPEN.value, "guarantee": Guarantee.OPEN.value, "scale": 3,
                            "satisfied_levels": [1, 2], "target_percent": 90}, actor=None)
    section = survey.sections[0]
    for data in (
        {"key": "overall", "kind": "satisfaction", "text": "您对本市环境卫生状况总体是否满意？", "required": True,
         "headline": True},
        {"key": "aspects", "kind": "matrix", "text": "请评价以下方面", "required": True,
         "items": [{"value": f"i{n + 1}", "label": label} for n, label in enumerate(ASPECTS)]},
        {"key": "age", "kind": "single", "text": "您的年龄", "required": True,
         "options": [{"value": "abcd"[n], "label": label} for n, label in enumerate(AGES)]},
        {"key": "comment", "kind": "long_text", "text": "您的意见和建议", "required": False},
    ):
        save_question(survey, section, None, data, actor=None)
    areas = db.session.execute(db.select(Area).where(Area.active.is_(True), Area.depth == 1)
                               .order_by(Area.id).limit(area_count)).scalars().all()
    for index, area in enumerate(areas):
        add_survey_area(survey, area, None, quota=None, quota_action=QuotaAction.WARN, population=50000 + 10000 * index)
    open_survey(survey, actor=None)
    db.session.commit()
    return survey


def submission_fields(survey, secret_key, index):
    """The form fields of one valid submission (answers vary with ``index``); add the session's csrf_token.
    Each call signs a fresh form token, i.e. a new idempotency key, with the server's SECRET_KEY."""
    rng = random.Random(index)
    fields = {"form": new_form_token(secret_key, survey), "q-overall": str(rng.choice((1, 1, 2, 2, 3))),
              "q-age": rng.choice("abcd"), "q-comment": "公厕需要加强保洁" if index % 5 == 0 else ""}
    for n in range(len(ASPECTS)):
        fields[f"q-aspects-i{n + 1}"] = str(rng.choice((1, 2, 2, 3)))
    if survey.areas:
        fields["area"] = survey.areas[index % len(survey.areas)].key
    return fields


def seed_answers(survey, answers=1_000_000, batch=5000):
    """Store about ``answers`` answers (ANSWERS_PER_RESPONSE per response) straight into the tables, with
    their tallies, quickly. For benchmarks only: it bypasses the checks (the data is generated valid)."""
    questions = {q.key: q for q in survey.questions}
    strata = [link.id for link in survey.areas] or [None]
    rng = random.Random(42)
    tallies = Counter()
    total = answers // ANSWERS_PER_RESPONSE
    for start in range(0, total, batch):
        count = min(batch, total - start)
        rows = []
        for n in range(start, start + count):
            levels = [rng.choice((1, 1, 2, 2, 3)) for _ in range(1 + len(ASPECTS))]
            rows.append((n, rng.choice(strata), levels, rng.randrange(len(AGES))))
        db.session.execute(SurveyResponse.__table__.insert(), [
            {"survey_id": survey.id, "source": Source.SELF_SELECTED if n % 4 else Source.SAMPLED,
             "idempotency_key": f"seed-{survey.id}-{n}", "locale": "zh_Hans", "day": f"2026-{1 + n % 12:02d}-15",
             "duration_seconds": 60 + n % 300, "headline_level": levels[0], "survey_area_id": stratum,
             "submitted_at": survey.created_at, "over_quota": False, "is_speeder": False, "is_straightliner": False,
             "is_burst": False, "excluded": False} for n, stratum, levels, _age in rows])
        ids = db.session.execute(db.select(SurveyResponse.id).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.idempotency_key.in_(
                [f"seed-{survey.id}-{n}" for n, *_rest in rows])).order_by(SurveyResponse.id)).scalars().all()
        answer_rows = []
        for response_id, (n, stratum, levels, age) in zip(ids, rows, strict=True):
            source = Source.SELF_SELECTED if n % 4 else Source.SAMPLED
            keyed = [(questions["overall"].id, "", levels[0])] + [
                (questions["aspects"].id, f"i{i + 1}", level) for i, level in enumerate(levels[1:])] + [
                (questions["age"].id, "", age)]
            for question_id, item, value in keyed:
                answer_rows.append({"response_id": response_id, "question_id": question_id, "item": item,
                                    "value": value})
                tallies[(question_id, item, value, source, stratum or 0)] += 1
        db.session.execute(SurveyAnswer.__table__.insert(), answer_rows)
        db.session.commit()
    db.session.execute(SurveyTally.__table__.insert(), [
        dict(zip(KEY_COLUMNS, (survey.id,) + key, strict=True), count=count) for key, count in tallies.items()])
    db.session.commit()
    return total * ANSWERS_PER_RESPONSE


def results_ms(survey, repeat=5):
    """The median time in milliseconds of computing everything the results page shows."""
    timings = []
    for _ in range(repeat):
        db.session.expire_all()
        started = time.perf_counter()
        survey_results(survey)
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)[len(timings) // 2]
