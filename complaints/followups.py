"""回访: which reporters are reminded to rate their closed case, and what the reminder says.

A reporter who left a phone and did not stay anonymous gets one reminder when their closed case is still unrated
``rating_reminder_days`` after closing (a city setting); cases closed longer than ``RATING_REMINDER_MAX_AGE`` ago
are past asking. "Waiting for a 回访" itself is ``queries.followup_due_clause``, the console's own filter.
The scheduler's job (complaints/jobs.py) only calls ``send_rating_reminders``; the caller commits.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from complaints.models import Case
from complaints.notifications import render, tracking_url
from complaints.queries import followup_due_clause
from portal import notify
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import localized
from portal.notify_models import Delivery

RATING_REMINDER = _l("[%(city)s] Case %(number)s was closed. How satisfied are you with the result? Please rate "
                     "it at %(url)s")
RATING_REMINDER_MAX_AGE = timedelta(days=30)  # older closed cases are past asking (and never spammed at once)


def rating_reminder_key(case):
    """The reminder's dedupe key: one reminder per case, ever."""
    return f"case:{case.id}:rating_reminder"


def cases_to_remind(now, settings=None):
    """The closed cases whose reporter is owed a reminder at ``now``, oldest case first."""
    settings = settings or get_city_settings()
    cutoff = now - timedelta(days=settings.rating_reminder_days)
    key = db.literal("case:") + db.cast(Case.id, db.String) + db.literal(":rating_reminder")
    reminded = db.exists().where(Delivery.dedupe_key == key)
    return db.session.execute(db.select(Case).where(
        followup_due_clause(), Case.closed_at <= cutoff, Case.closed_at > cutoff - RATING_REMINDER_MAX_AGE,
        ~reminded).order_by(Case.id)).scalars().all()


def reminder_locale(settings=None):
    """Reminders go out in the city's default language (the reporter's own is not known)."""
    settings = settings or get_city_settings()
    return settings.default_locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def rating_reminder(case, settings=None, locale=None):
    """(text, params) of the reminder for ``case``: the city, the case number and the tracking link, never the
    query code."""
    settings = settings or get_city_settings()
    locale = locale or reminder_locale(settings)
    city = localized(settings.city_name, settings.city_name_zh_hant, settings.city_name_en, locale=locale)
    params = {"city": city, "number": case.number, "url": tracking_url(case)}
    with force_locale(locale):
        return render(RATING_REMINDER, params), params


def send_rating_reminders(now=None):
    """Queue the reminders owed at ``now`` (each once per case); returns how many were queued. Does not commit."""
    now = now or utcnow()
    settings = get_city_settings()
    locale = reminder_locale(settings)
    queued = 0
    for case in cases_to_remind(now, settings):
        text, params = rating_reminder(case, settings, locale)
        if notify.queue(channel=notify.person_channel(), recipient=case.reporter_phone.strip(),
                        template="case_rating_reminder", text=text, params=params, case_id=case.id,
                        dedupe_key=rating_reminder_key(case)) is not None:
            queued += 1
    db.session.flush()
    return queued
