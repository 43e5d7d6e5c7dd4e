"""Demo surveys for the demo city: a 满意率 questionnaire answered by two methods (self-selected through the QR
posters of three communities, and sampled through token cards handed to drawn households of a village), with a few
flagged responses held back, and a 知识问答 quiz with answers, so every survey page and the scorecards' survey
figures have data on first run. DEMO ONLY; deterministic; idempotent: nothing happens once any survey exists.
"""
import random
from datetime import timedelta

from portal.extensions import db
from portal.registry.models import Area
from surveys.answering import submit_response
from surveys.distribution import add_survey_area, generate_tokens
from surveys.models import Guarantee, Survey, SurveyKind, SurveyMethod
from surveys.response_models import SurveyToken
from surveys.services import create_survey, open_survey, save_question

SEED = 20261201
DAYS = 20  # answers are spread over the last days
# (area code, population, self-selected answers, share satisfied) for the QR posters; the village takes token cards.
QR_AREAS = (("DC-DH-LY", 8200, 48, 0.80), ("DC-DH-DHM", 6100, 40, 0.72), ("DC-WC-WCG", 7400, 44, 0.86))
CARD_AREA, CARD_POPULATION, CARDS, CARDS_ANSWERED, CARDS_SATISFIED = "BS-QS-SQ", 2300, 30, 24, 0.92
REPEATS = 6  # one phone that clears its cookie: the first counts, the rest are held back as repeats
QUIZ_ANSWERS, QUIZ_RIGHT = 60, 0.78

ASPECTS = (("i1", "道路清扫保洁", "Street sweeping"), ("i2", "公厕卫生", "Public toilets"),
           ("i3", "农贸市场环境", "Farmers' markets"), ("i4", "垃圾分类与清运", "Waste sorting and collection"))
QUIZ = (  # (key, question, English, options [(label, English)], index of the right one)
    ("q1", "每年的几月是全国爱国卫生月？", "Which month is the national Patriotic Health Month?",
     (("4月", "April"), ("5月", "May"), ("9月", "September")), 0),
    ("q2", "“四害”是指哪一组？", "What are the “four pests”?",
     (("鼠、蚊、蝇、蟑螂", "Rats, mosquitoes, flies, cockroaches"),
      ("鼠、蚊、蝇、蚂蚁", "Rats, mosquitoes, flies, ants")), 0),
    ("q3", "厨余垃圾应投入哪种颜色的垃圾桶？", "Which bin takes kitchen waste?",
     (("蓝色", "Blue"), ("绿色", "Green"), ("红色", "Red")), 1),
    ("q4", "公共场所室内可以吸烟吗？", "May people smoke indoors in public places?",
     (("可以", "Yes"), ("不可以", "No")), 1),
)


def seed_demo_surveys(now):
    """Create the demo surveys with their answers (the caller commits); False when surveys exist already."""
    if db.session.scalar(db.select(db.func.count(Survey.id))):
        return False
    areas = {a.code: a for a in db.session.execute(
        db.select(Area).where(Area.code.in_([code for code, *_rest in QR_AREAS] + [CARD_AREA]))).scalars()}
    if len(areas) < len(QR_AREAS) + 1:
        return False  # not the demo city
    rng = random.Random(SEED)
    _satisfaction_survey(now, areas, rng)
    _quiz(now, rng)
    return True


def _when(now, rng):
    """A moment in the last DAYS days, and how long the answer took (a person: 40 s to 4 min)."""
    return now - timedelta(days=rng.uniform(0.2, DAYS)), rng.randint(40, 240)


def _answers(satisfied, rng):
    level = rng.choice((1, 2)) if satisfied else 3
    aspects = {code: [str(rng.choice((1, 2, 2, 3)))] for code, _name, _en in ASPECTS}
    if len({value[0] for value in aspects.values()}) == 1:  # a person rarely gives one answer to everything
        aspects["i1"] = [str(1 + int(aspects["i1"][0]) % 3)]
    return {"overall": [str(level)], "age": [rng.choice("abc")], "aspects": aspects}


def _satisfaction_survey(now, areas, rng):
    survey = create_survey({
        "title": "2026年城市环境卫生状况群众满意度调查",
        "title_en": "2026 survey of satisfaction with the city's sanitation",
        "intro": "请根据您最近一个月的感受作答，约需两分钟。",
        "intro_en": "Answer from your experience of the last month; about two minutes.",
        "kind": SurveyKind.QUESTIONNAIRE.value, "method": SurveyMethod.QR_OPEN.value,
        "guarantee": Guarantee.DEVICE.value, "scale": 3, "satisfied_levels": [1, 2], "target_percent": 90}, actor=None)
    section = survey.sections[0]
    for question in (
            {"key": "overall", "kind": "satisfaction", "text": "您对本市环境卫生状况是否满意？", "headline": True,
             "text_en": "Are you satisfied with the sanitation of the city?", "required": True},
            {"key": "aspects", "kind": "matrix", "text": "请评价以下方面", "text_en": "Rate each of these",
             "required": True, "items": [{"value": code, "label": name, "label_en": en} for code, name, en in ASPECTS]},
            {"key": "age", "kind": "single", "text": "您的年龄", "text_en": "Your age", "required": True,
             "options": [{"value": "a", "label": "18岁以下", "label_en": "Under 18"},
                         {"value": "b", "label": "18-60岁", "label_en": "18 to 60"},
                         {"value": "c", "label": "60岁以上", "label_en": "Over 60"}]},
            {"key": "comment", "kind": "long_text", "text": "您的意见和建议", "text_en": "Your suggestions",
             "required": False}):
        save_question(survey, section, None, question, actor=None)
    links = {code: add_survey_area(survey, areas[code], None, population=population)
             for code, population, *_rest in QR_AREAS}
    add_survey_area(survey, areas[CARD_AREA], None, population=CARD_POPULATION)
    open_survey(survey, actor=None, now=now - timedelta(days=DAYS + 1))
    generate_tokens(survey, CARDS, actor=None, area=areas[CARD_AREA])
    n = 0
    for code, _population, answers, share in QR_AREAS:
        for index in range(answers):
            at, seconds = _when(now, rng)
            n += 1
            submit_response(survey, _answers(index < round(answers * share), rng), idempotency_key=f"demo-s-{n}",
                            survey_area=links[code], device_key=f"demo-device-{n}",
                            fingerprint=f"demo-browser-{n}", started_at=at - timedelta(seconds=seconds), now=at)
    at = now - timedelta(days=3)
    for index in range(REPEATS):  # one phone, a new cookie every time, all 不满意
        n += 1
        submit_response(survey, _answers(False, rng), idempotency_key=f"demo-s-{n}", survey_area=links["DC-WC-WCG"],
                        device_key=f"demo-device-{n}", fingerprint="demo-browser-stuffer",
                        started_at=at - timedelta(seconds=50), now=at + timedelta(minutes=index))
    codes = db.session.execute(db.select(SurveyToken.code).where(SurveyToken.survey_id == survey.id)
                               .order_by(SurveyToken.id).limit(CARDS_ANSWERED)).scalars().all()
    for index, code in enumerate(codes):  # a volunteer's tablet: one device, many households' cards
        at, seconds = _when(now, rng)
        n += 1
        submit_response(survey, _answers(index < round(CARDS_ANSWERED * CARDS_SATISFIED), rng),
                        idempotency_key=f"demo-s-{n}", token_code=code, device_key="demo-volunteer-tablet",
                        started_at=at - timedelta(seconds=seconds), now=at)
    return survey


def _quiz(now, rng):
    survey = create_survey({
        "title": "创卫健康知识问答", "title_en": "Sanitary city health quiz", "kind": SurveyKind.QUIZ.value,
        "method": SurveyMethod.QR_OPEN.value, "guarantee": Guarantee.DEVICE.value, "scale": 3,
        "satisfied_levels": [1, 2], "target_percent": 90, "pass_percent": 75}, actor=None)
    section = survey.sections[0]
    for key, text, text_en, options, right in QUIZ:
        save_question(survey, section, None, {
            "key": key, "kind": "single", "text": text, "text_en": text_en, "required": True,
            "options": [{"value": "abc"[i], "label": label, "label_en": en, **({"correct": True} if i == right else {})}
                        for i, (label, en) in enumerate(options)]}, actor=None)
    open_survey(survey, actor=None, now=now - timedelta(days=DAYS + 1))
    for n in range(1, QUIZ_ANSWERS + 1):
        at, seconds = _when(now, rng)
        answers = {key: ["abc"[right] if rng.random() < QUIZ_RIGHT else "abc"[(right + 1) % len(options)]]
                   for key, _text, _en, options, right in QUIZ}
        submit_response(survey, answers, idempotency_key=f"demo-q-{n}", device_key=f"demo-quiz-{n}",
                        fingerprint=f"demo-quiz-browser-{n}", started_at=at - timedelta(seconds=seconds), now=at)
    return survey
