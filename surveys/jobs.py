"""The scheduler's entry points for surveys: thin, idempotent, each commits once."""
from portal.clock import utcnow
from portal.extensions import db
from surveys.models import Survey, SurveyState
from surveys.quality import flag_responses
from surveys.services import close_survey


def close_ended_surveys(now=None):
    """Close every open survey whose end time has passed (they take no answers already); returns how many."""
    now = now or utcnow()
    ended = db.session.execute(db.select(Survey).where(Survey.state == SurveyState.OPEN,
                                                       Survey.ends_at.is_not(None), Survey.ends_at <= now)).scalars()
    closed = [close_survey(survey, actor=None, now=now) for survey in ended]
    db.session.commit()
    return len(closed)


def check_quality_of_open_surveys():
    """Recompute the speeder and burst flags of every open survey (nightly); returns {survey id: counts}."""
    found = {survey.id: flag_responses(survey) for survey in db.session.execute(
        db.select(Survey).where(Survey.state == SurveyState.OPEN)).scalars().all()}
    db.session.commit()
    return found
