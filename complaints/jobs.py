"""The scheduler's entry points for cases: thin, idempotent wrappers that call the services and commit once.

Each takes ``now`` (an aware UTC datetime; the scheduler passes the run's time) and returns a short summary.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from complaints import supervision
from complaints.models import Case, CaseState
from complaints.notifications import render, tracking_url
from portal import notify
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import localized
from portal.notify_models import Delivery

RATING_REMINDER = _l("[%(city)s] Case %(number)s was closed. How satisfied are you with the result? Please rate "
                     "it at %(url)s")
RATING_REMINDER_MAX_AGE = timedelta(days=30)  # older closed cases are past asking (and never spammed at once)


def watch_time_limits(now=None):
    """黄灯 → 催办, 红灯 → numbered 督办单, each once per case and due time."""
    counts = supervision.watch_time_limits(now or utcnow())
    db.session.commit()
    return counts


def advance_escalation_ladder(now=None):
    """Step units up the three-strike ladder when they have collected enough 督办单."""
    strikes = supervision.advance_ladder(now or utcnow())
    db.session.commit()
    return {"strikes": len(strikes)}


def rating_reminder_key(case):
    return f"case:{case.id}:rating_reminder"


def send_rating_reminders(now=None):
    """回访: one reminder to each reporter (with a phone, not anonymous) whose closed case is still unrated after
    the city's ``rating_reminder_days``. Returns how many were queued."""
    now = now or utcnow()
    settings = get_city_settings()
    cutoff = now - timedelta(days=settings.rating_reminder_days)
    key = db.literal("case:") + db.cast(Case.id, db.String) + db.literal(":rating_reminder")
    reminded = db.exists().where(Delivery.dedupe_key == key)
    cases = db.session.execute(db.select(Case).where(
        Case.state == CaseState.CLOSED, Case.rating.is_(None), Case.anonymous.is_(False),
        Case.reporter_phone.is_not(None), Case.reporter_phone != "", Case.closed_at <= cutoff,
        Case.closed_at > cutoff - RATING_REMINDER_MAX_AGE, ~reminded).order_by(Case.id)).scalars().all()
    locale = settings.default_locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    city = localized(settings.city_name, settings.city_name_zh_hant, settings.city_name_en, locale=locale)
    queued = 0
    for case in cases:
        params = {"city": city, "number": case.number, "url": tracking_url(case)}
        with force_locale(locale):
            text = render(RATING_REMINDER, params)
        if notify.queue(channel=notify.person_channel(), recipient=case.reporter_phone.strip(),
                        template="case_rating_reminder", text=text, params=params, case_id=case.id,
                        dedupe_key=rating_reminder_key(case)) is not None:
            queued += 1
    db.session.commit()
    return {"reminders": queued}


def seed_demo_supervision(now=None):
    """For the demo city: run the watch and the ladder once so that 黄灯/红灯 notices (and any strikes) show."""
    now = now or utcnow()
    counts = watch_time_limits(now)
    counts.update(advance_escalation_ladder(now))
    return counts
