"""The scheduler's entry points for surveys: thin, idempotent, each commits once."""
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import notify
from portal.city import get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from surveys.models import Survey, SurveyState
from surveys.quality import flag_responses
from surveys.services import close_survey

REMIND_BEFORE = timedelta(hours=24)
CLOSING_TEXT = _l("[%(city)s] Survey “%(title)s” closes at %(ends)s with %(received)d responses so far.")
SHORT_TEXT = _l(" Areas short of their quota: %(areas)s.")


def close_ended_surveys(now=None):
    """Close every open survey whose end time has passed (they take no answers already); returns how many."""
    now = now or utcnow()
    ended = db.session.execute(db.select(Survey).where(Survey.state == SurveyState.OPEN,
                                                       Survey.ends_at.is_not(None), Survey.ends_at <= now)).scalars()
    closed = [close_survey(survey, actor=None, now=now) for survey in ended]
    db.session.commit()
    return len(closed)


def check_quality_of_open_surveys(now=None):
    """Recompute the speeder and burst flags of every open survey (nightly); returns {survey id: counts}."""
    found = {survey.id: flag_responses(survey) for survey in db.session.execute(
        db.select(Survey).where(Survey.state == SurveyState.OPEN)).scalars().all()}
    db.session.commit()
    return found


def remind_surveys_closing(now=None):
    """A day before an open survey ends, tell the staff group robot how many responses it has and which areas are
    still short of their quota, so the distribution can be pushed in time. Once per survey and end time (a moved
    end time earns a new reminder); nothing when no group robot is configured. Returns how many were queued."""
    now = now or utcnow()
    if not notify.robot_configured():
        return 0
    settings = get_city_settings()
    closing = db.session.execute(db.select(Survey).where(
        Survey.state == SurveyState.OPEN, Survey.ends_at.is_not(None), Survey.ends_at > now,
        Survey.ends_at <= now + REMIND_BEFORE)).scalars().all()
    queued = 0
    with force_locale(settings.default_locale):
        for survey in closing:
            received = sum(link.received for link in survey.areas)
            text = str(CLOSING_TEXT) % {"city": settings.display_city_name, "title": survey.display_title,
                                        "ends": to_local(survey.ends_at, settings.timezone).strftime("%Y-%m-%d %H:%M"),
                                        "received": received}
            short = [link.area.display_name for link in survey.areas if link.quota and link.received < link.quota]
            if short:
                text += str(SHORT_TEXT) % {"areas": "、".join(short)}
            if notify.queue(channel="robot", recipient=notify.ROBOT, template="survey_closing", text=text,
                            dedupe_key=f"survey-closing:{survey.id}:{survey.ends_at.isoformat()}"):
                queued += 1
    db.session.commit()
    return queued
