"""Survey factories for the tests: a survey built through the real services, committed."""
import itertools

from portal.extensions import db
from surveys.distribution import add_survey_area
from surveys.models import Guarantee, QuotaAction, SurveyKind, SurveyMethod
from surveys.services import create_survey, open_survey, save_question

_seq = itertools.count(1)


def settings(**kw):
    data = {"title": "卫生状况满意度调查", "kind": SurveyKind.QUESTIONNAIRE.value, "method": SurveyMethod.QR_OPEN.value,
            "guarantee": Guarantee.OPEN.value, "scale": 3, "satisfied_levels": [1, 2], "target_percent": 90}
    data.update(kw)
    return data


def satisfaction(key="overall", headline=True, **kw):
    return {"key": key, "kind": "satisfaction", "text": "您对本市环境卫生状况是否满意？", "required": True,
            "headline": headline, **kw}


def single(key="age", options=("18岁以下", "18-60岁", "60岁以上"), correct=None, **kw):
    codes = "abcdefghij"
    return {"key": key, "kind": "single", "text": "您的年龄", "required": True,
            "options": [{"value": codes[i], "label": label, **({"correct": True} if codes[i] == correct else {})}
                        for i, label in enumerate(options)], **kw}


def multiple(key="problems", options=("垃圾", "噪声", "占道"), correct=(), **kw):
    codes = "abcdefghij"
    return {"key": key, "kind": "multiple", "text": "您最关心哪些问题？", "required": False,
            "options": [{"value": codes[i], "label": label, **({"correct": True} if codes[i] in correct else {})}
                        for i, label in enumerate(options)], **kw}


def matrix(key="aspects", items=("道路清扫", "公厕卫生", "农贸市场", "垃圾清运"), **kw):
    return {"key": key, "kind": "matrix", "text": "请评价以下方面", "required": True,
            "items": [{"value": f"i{n + 1}", "label": label} for n, label in enumerate(items)], **kw}


def text(key="comment", kind="long_text", **kw):
    return {"key": key, "kind": kind, "text": "您的意见和建议", "required": False, **kw}


def make_survey(questions=None, *, open_it=True, areas=(), **kw):
    """A survey with ``questions`` (default: one headline satisfaction question) in one section.

    ``areas`` are (area, quota, population[, action]) tuples.
    """
    survey = create_survey(settings(**kw), actor=None)
    for question in questions if questions is not None else [satisfaction()]:
        save_question(survey, survey.sections[0], None, question, actor=None)
    for row in areas:
        area, quota, population = row[:3]
        action = row[3] if len(row) > 3 else QuotaAction.STOP
        add_survey_area(survey, area, None, quota=quota, quota_action=action, population=population)
    if open_it:
        open_survey(survey, actor=None)
    db.session.commit()
    return survey


def key(n=None):
    return f"idem-{next(_seq) if n is None else n:08d}"
