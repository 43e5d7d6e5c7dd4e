"""Getting a survey to people: the areas it runs in (links, QR posters, quotas, populations), token cards, and a
telephone survey's call list (the numbers drawn for it: the sampling frame that makes a phone answer sampled).

Areas of one survey must not contain one another: each response then counts under exactly one of them, which
is what quotas and the population weighting need.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from portal import notify
from portal.auth import audit
from portal.city import get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.registry.qr import render_svg
from surveys.definition import SurveyError
from surveys.guards import format_token, new_token_code, normalise_phone, phone_hash
from surveys.models import QuotaAction, Survey, SurveyArea, SurveyMethod, SurveyState
from surveys.response_models import SurveyCallNumber, SurveyResponse, SurveyToken
from surveys.services import new_key

MAX_TOKENS_PER_BATCH = 2000
MAX_CARDS = 600  # one printed sheet run; larger batches are printed in parts
MAX_CALL_NUMBERS = 5000  # numbers pasted at a time


def public_url(endpoint, **values):
    """An absolute public URL: PUBLIC_BASE_URL when set (what printed codes must carry), else this host."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root
    return base.rstrip("/") + url_for(endpoint, **values)


def survey_url(survey, link=None):
    if link is not None:
        return public_url("surveys.area_link", slug=survey.slug, key=link.key)
    return public_url("surveys.start", slug=survey.slug)


def token_url(token):
    return public_url("surveys.token_link", code=token.code)


def _check_quota(quota, population):
    for field, value in (("quota", quota), ("population", population)):
        if value is not None and (not isinstance(value, int) or value < 0 or value > 10**9):
            raise SurveyError("number", field=field)


def add_survey_area(survey, area, actor, quota=None, quota_action=QuotaAction.STOP, population=None):
    """Distribute ``survey`` in ``area``: a link and QR of its own, an optional quota and population."""
    if area is None or not area.active:
        raise SurveyError("area", field="area_id")
    if survey.state == SurveyState.CLOSED:
        raise SurveyError("closed")
    for link in survey.areas:
        if area.path.startswith(link.area.path) or link.area.path.startswith(area.path):
            raise SurveyError("area_overlap", field="area_id")
    _check_quota(quota, population)
    link = SurveyArea(area_id=area.id, key=new_key(), quota=quota, quota_action=quota_action, population=population)
    survey.areas.append(link)
    db.session.flush()
    audit.record(actor, "create", link, summary=f"{survey.title} · {area.name}",
                 changes={"quota": quota, "population": population})
    return link


def update_survey_area(link, actor, quota=None, quota_action=QuotaAction.STOP, population=None):
    _check_quota(quota, population)
    before = audit.snapshot(link, ("quota", "quota_action", "population"))
    link.quota, link.quota_action, link.population = quota, quota_action, population
    db.session.flush()
    audit.record(actor, "update", link, summary=link.area.name,
                 changes=audit.diff(before, audit.snapshot(link, ("quota", "quota_action", "population"))))
    return link


def remove_survey_area(link, actor):
    """Only an area nobody has answered in yet, and without token cards, can be removed."""
    used = db.session.execute(db.select(SurveyResponse.id).where(SurveyResponse.survey_area_id == link.id)
                              .limit(1)).first()
    tokens = db.session.execute(db.select(SurveyToken.id).where(SurveyToken.survey_id == link.survey_id,
                                                                SurveyToken.area_id == link.area_id).limit(1)).first()
    if used or tokens:
        raise SurveyError("area_in_use")
    audit.record(actor, "delete", link, summary=link.area.name)
    link.survey.areas.remove(link)
    db.session.flush()


# ---------------------------------------------------------------- token cards

def generate_tokens(survey, count, actor, area=None):
    """A new batch of ``count`` one-use token cards, optionally for an area (responses count there)."""
    if not isinstance(count, int) or not 1 <= count <= MAX_TOKENS_PER_BATCH:
        raise SurveyError("token_count", field="count")
    if survey.state == SurveyState.CLOSED:
        raise SurveyError("closed")
    if area is not None and not any(area.path.startswith(link.area.path) for link in survey.areas) \
            and survey.areas:
        raise SurveyError("area_outside", field="area_id")
    batch = (db.session.scalar(db.select(db.func.max(SurveyToken.batch)).where(SurveyToken.survey_id == survey.id))
             or 0) + 1
    for _attempt in range(5):
        codes = {new_token_code() for _ in range(count)}
        taken = set(db.session.execute(db.select(SurveyToken.code).where(SurveyToken.code.in_(codes))).scalars())
        codes = sorted(codes - taken)
        if len(codes) == count:
            break
    else:  # pragma: no cover - 31^10 codes make this practically impossible
        raise SurveyError("token_count")
    try:
        with db.session.begin_nested():
            db.session.add_all([SurveyToken(survey_id=survey.id, area_id=area.id if area else None, batch=batch,
                                            code=code) for code in codes])
            db.session.flush()
    except IntegrityError:  # pragma: no cover - a concurrent batch took a code: the caller may retry
        raise SurveyError("token_count") from None
    audit.record(actor, "tokens", survey, summary=f"batch {batch}",
                 changes={"count": count, "area_id": area.id if area else None})
    return batch


def token_batches(survey):
    """[(batch, area id, cards, used)] for the survey, one query."""
    query = (db.select(SurveyToken.batch, SurveyToken.area_id, db.func.count(SurveyToken.id),
                       db.func.count(SurveyToken.used_at))
             .where(SurveyToken.survey_id == survey.id)
             .group_by(SurveyToken.batch, SurveyToken.area_id).order_by(SurveyToken.batch))
    return db.session.execute(query).all()


@dataclass(frozen=True)
class Card:
    token: SurveyToken
    label: str
    url: str
    svg: Markup


def token_cards(survey, batch, unused_only=True):
    """Printable cards of one batch (at most MAX_CARDS), each with its QR code, code and link."""
    query = db.select(SurveyToken).where(SurveyToken.survey_id == survey.id, SurveyToken.batch == batch)
    if unused_only:
        query = query.where(SurveyToken.used_at.is_(None))
    tokens = db.session.execute(query.order_by(SurveyToken.id).limit(MAX_CARDS)).scalars().all()
    cards = []
    for token in tokens:
        url = token_url(token)
        cards.append(Card(token, format_token(token.code), url, Markup(render_svg(url))))
    return cards


def poster(survey, link=None):
    """(url, svg) for a printable poster of the survey or of one of its areas."""
    url = survey_url(survey, link)
    return url, Markup(render_svg(url))


# ---------------------------------------------------------------- a telephone survey's call list

def add_call_numbers(survey, text, actor):
    """Put the numbers drawn for a telephone survey (one per line, pasted from the survey team's list) on its call
    list: only answers from these phones are sampled; anyone else who verifies a phone is self-selected. Every
    unreadable line is named at once (problems {"lines": [line numbers]}) and then nothing is stored. Numbers
    already on the list are skipped. Only keyed hashes are stored. Returns (added, already on the list)."""
    if survey.method != SurveyMethod.PHONE:
        raise SurveyError("call_list_method", field="numbers")
    if survey.state == SurveyState.CLOSED:
        raise SurveyError("closed")
    lines = [(number, line.strip()) for number, line in enumerate((text or "").splitlines(), start=1)
             if line.strip()]
    if not 1 <= len(lines) <= MAX_CALL_NUMBERS:
        raise SurveyError("call_list_count", field="numbers")
    phones = {number: normalise_phone(line) for number, line in lines}
    bad = [number for number, phone in phones.items() if phone is None]
    if bad:
        raise SurveyError("call_list_lines", field="numbers", problems={"lines": bad})
    hashes = {phone_hash(phone) for phone in phones.values()}
    listed = set(db.session.execute(db.select(SurveyCallNumber.phone_hash).where(
        SurveyCallNumber.survey_id == survey.id, SurveyCallNumber.phone_hash.in_(hashes))).scalars())
    new = sorted(hashes - listed)
    db.session.add_all([SurveyCallNumber(survey_id=survey.id, phone_hash=hashed) for hashed in new])
    audit.record(actor, "call_list", survey, changes={"added": len(new), "already": len(hashes) - len(new)})
    db.session.flush()
    return len(new), len(hashes) - len(new)


def call_list_size(survey):
    return db.session.scalar(db.select(db.func.count(SurveyCallNumber.id)).where(
        SurveyCallNumber.survey_id == survey.id))


# ---------------------------------------------------------------- the day before it closes

REMIND_BEFORE = timedelta(hours=24)
CLOSING_TEXT = _l("[%(city)s] Survey “%(title)s” closes at %(ends)s with %(received)d responses so far.")
SHORT_TEXT = _l(" Areas short of their quota: %(areas)s.")


def areas_short_of_quota(survey):
    """The survey's area links with a quota (of at least one) not reached yet, in the survey's order."""
    return [link for link in survey.areas if link.quota and link.received < link.quota]


def closing_reminder_text(survey, settings=None):
    """The staff group's reminder: when the survey closes, how many responses it has, and the areas still short of
    their quota. In the current locale."""
    settings = settings or get_city_settings()
    text = str(CLOSING_TEXT) % {"city": settings.display_city_name, "title": survey.display_title,
                                "ends": to_local(survey.ends_at, settings.timezone).strftime("%Y-%m-%d %H:%M"),
                                "received": sum(link.received for link in survey.areas)}
    short = [link.area.display_name for link in areas_short_of_quota(survey)]
    if short:
        text += str(SHORT_TEXT) % {"areas": "、".join(short)}
    return text


def remind_surveys_closing(now=None):
    """A day before an open survey ends, tell the staff group robot how many responses it has and which areas are
    still short of their quota, so the distribution can be pushed in time. Once per survey and end time (a moved
    end time earns a new reminder); nothing when no group robot is configured. Returns how many were queued; does
    not commit."""
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
            if notify.queue(channel="robot", recipient=notify.ROBOT, template="survey_closing",
                            text=closing_reminder_text(survey, settings),
                            dedupe_key=f"survey-closing:{survey.id}:{survey.ends_at.isoformat()}"):
                queued += 1
    db.session.flush()
    return queued
