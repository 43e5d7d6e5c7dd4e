"""Demo data for the surveys: one 满意率 survey answered by two methods, so that the scorecards show the sampled and
the self-selected figures side by side (each with its n and interval) on the first run.

Answers go through the real services: token cards handed to households of one street (sampled) and the open link
on devices across the districts (self-selected).
"""
import random
from datetime import timedelta

from portal.extensions import db
from portal.registry.models import Area, AreaLevel
from surveys.answering import submit_response
from surveys.distribution import add_survey_area, generate_tokens
from surveys.models import Guarantee, Survey, SurveyKind, SurveyMethod, SurveyToken
from surveys.services import create_survey, open_survey, save_question

SEED = 20261201
TITLE = "2026年城市环境卫生满意度调查（演示）"
CARDS = 40  # token cards answered in one street: sampled
OPEN_ANSWERS = 150  # answers through the open link on devices: self-selected
# the share answering 满意 / 基本满意 / 不满意, by method: the self-selected are the more satisfied
LEVELS = {"sampled": (0.45, 0.35, 0.20), "self": (0.60, 0.30, 0.10)}


def _level(rng, weights):
    return str(rng.choices((1, 2, 3), weights=weights)[0])


def seed_survey_demo(now):
    """Create, open and answer the demo survey unless a survey exists; returns it or None. The caller commits."""
    if db.session.execute(db.select(Survey.id).limit(1)).first() is not None:
        return None
    districts = db.session.execute(db.select(Area).where(Area.level == AreaLevel.DISTRICT.value)
                                   .order_by(Area.path)).scalars().all()
    street = db.session.execute(db.select(Area).where(Area.level == AreaLevel.STREET.value)
                                .order_by(Area.path).limit(1)).scalar()
    if not districts or street is None:
        return None
    rng = random.Random(SEED)
    survey = create_survey({"title": TITLE, "kind": SurveyKind.QUESTIONNAIRE.value,
                            "method": SurveyMethod.DOOR_TO_DOOR.value, "guarantee": Guarantee.DEVICE.value,
                            "scale": 3, "satisfied_levels": [1, 2], "target_percent": 90}, actor=None)
    save_question(survey, survey.sections[0], None, {
        "key": "overall", "kind": "satisfaction", "text": "您对本市环境卫生状况是否满意？", "required": True,
        "headline": True}, actor=None)
    links = [add_survey_area(survey, district, None) for district in districts]
    started = now - timedelta(days=20)
    open_survey(survey, actor=None, now=started)
    batch = generate_tokens(survey, CARDS, actor=None, area=street)
    codes = db.session.execute(db.select(SurveyToken.code).where(SurveyToken.survey_id == survey.id,
                                                                 SurveyToken.batch == batch)).scalars().all()
    for n, code in enumerate(codes):
        submit_response(survey, {"overall": [_level(rng, LEVELS["sampled"])]}, idempotency_key=f"demo-card-{n}",
                        token_code=code, now=started + timedelta(days=1, hours=n * 3))
    for n in range(OPEN_ANSWERS):
        submit_response(survey, {"overall": [_level(rng, LEVELS["self"])]}, idempotency_key=f"demo-open-{n}",
                        device_key=f"demo-device-{n}", survey_area=links[n % len(links)],
                        now=started + timedelta(hours=2 + n * 3))
    return survey
