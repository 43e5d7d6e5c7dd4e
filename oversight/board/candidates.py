"""Candidates for the moderator's queue, proposed by the escalation ladder: a unit at its 2nd strike, and a cluster
of open reports of one category at one place above a threshold.

``propose_candidates(now)`` is idempotent (each candidate has a stable key) and is run by the scheduler and on
opening the queue page. Window and threshold are configuration: ``BOARD_CLUSTER_DAYS`` (default 30) and
``BOARD_CLUSTER_THRESHOLD`` (default 5, counting reports plus "me too"s).
"""
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from complaints.models import OPEN_STATES, Case
from complaints.supervision.models import SupervisionNotice, UnitStrike
from oversight.board.models import Candidate
from portal.city import get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db

STRIKE_SUMMARY = _l("%(unit)s reached the 2nd strike of the escalation ladder: %(reason)s")
CLUSTER_SUMMARY = _l("%(count)d reports of “%(category)s” at %(place)s in the last %(days)d days")


def cluster_days():
    return int(current_app.config["BOARD_CLUSTER_DAYS"])


def cluster_threshold():
    return int(current_app.config["BOARD_CLUSTER_THRESHOLD"])


def _locale():
    return get_city_settings().default_locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _add(candidate):
    """Insert unless a candidate with the same key exists (also when another process inserted it just now)."""
    if db.session.execute(db.select(Candidate.id).where(Candidate.key == candidate.key)).first():
        return None
    try:
        with db.session.begin_nested():
            db.session.add(candidate)
            db.session.flush()
    except IntegrityError:
        return None
    return candidate


def strike_candidates():
    strikes = db.session.execute(
        db.select(UnitStrike).where(UnitStrike.level == 2, UnitStrike.cleared_at.is_(None)).order_by(UnitStrike.id)
    ).scalars().all()
    found = []
    for strike in strikes:
        key = f"strike:{strike.id}"
        notice_ids = strike.notice_ids or []
        case_ids = sorted(set(db.session.execute(
            db.select(SupervisionNotice.case_id).where(SupervisionNotice.id.in_(notice_ids))).scalars())) \
            if notice_ids else []
        with force_locale(_locale()):
            summary = str(STRIKE_SUMMARY) % {"unit": strike.unit.name_in(_locale()), "reason": strike.reason}
        found.append(Candidate(key=key, source="strike", unit_id=strike.unit_id, area_id=strike.unit.area_id,
                               strike_id=strike.id, case_ids=case_ids or None, summary=summary[:300]))
    return found


def cluster_candidates(now):
    """Open cases of one category at one point (or one area when there is no point), received in the window,
    counting their "me too"s, at or above the threshold."""
    since = now - timedelta(days=cluster_days())
    month = to_local(now, get_city_settings().timezone).strftime("%Y-%m")
    weight = func.count(Case.id) + func.coalesce(func.sum(Case.me_too_count), 0)
    place = db.case((Case.point_id.is_not(None), "point"), else_="area")
    place_id = func.coalesce(Case.point_id, Case.area_id)
    rows = db.session.execute(
        db.select(Case.category_id, place, place_id, weight)
        .where(Case.state.in_([s.value for s in OPEN_STATES]), Case.created_at >= since,
               place_id.is_not(None))
        .group_by(Case.category_id, place, place_id)
        .having(weight >= cluster_threshold())
    ).all()
    found = []
    for category_id, kind, where_id, count in rows:
        column = Case.point_id if kind == "point" else Case.area_id
        conditions = [Case.category_id == category_id, column == where_id, Case.created_at >= since,
                      Case.state.in_([s.value for s in OPEN_STATES])]
        if kind == "area":
            conditions.append(Case.point_id.is_(None))
        cases = db.session.execute(db.select(Case).where(*conditions).order_by(Case.id)).scalars().all()
        first = cases[0]
        locale = _locale()
        where = first.point if kind == "point" else first.area
        with force_locale(locale):
            summary = str(CLUSTER_SUMMARY) % {"count": count, "category": first.category.name_in(locale),
                                              "place": where.name_in(locale) if where else "",
                                              "days": cluster_days()}
        found.append(Candidate(
            key=f"cluster:{category_id}:{kind}:{where_id}:{month}", source="cluster", category_id=category_id,
            point_id=first.point_id if kind == "point" else None, area_id=first.area_id,
            unit_id=next((c.unit_id for c in cases if c.unit_id), None), case_ids=[c.id for c in cases],
            summary=summary[:300]))
    return found


def propose_candidates(now=None):
    """Add the candidates not proposed before; returns the new ones. The caller commits (the job does)."""
    now = now or utcnow()
    added = [c for c in strike_candidates() + cluster_candidates(now) if _add(c) is not None]
    db.session.flush()
    return added
