"""The escalation ladder (DOMAIN.md §4): ``strike_notice_count`` 督办单 within ``strike_window_days`` since the
unit's last strike (or since its strikes were cleared) take the unit one step up, 1 → 2 → 3, each step once per
cycle; clearing a unit's strikes (with a reason) starts a new cycle. A strike-2 step asks the unit for a written
self-criticism. The 督办单 themselves come from the time-limit watch in ``complaints.supervision.services``.

Services take an explicit ``actor`` (None: the scheduler), never touch the request, and end with a flush.
"""
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from complaints.supervision.models import NoticeKind, StrikeStatement, SupervisionNotice, UnitStrike
from complaints.supervision.services import SupervisionError, city_locale, queue_for_unit, render_text
from portal.auth import audit
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import localized
from portal.sqlite import lock_for_write

MAX_STATEMENT = 5000
TOP_LEVEL = 3

STRIKE_TEXTS = {
    1: _l("[%(city)s] %(unit)s received %(count)d supervision notices within %(days)d days: rectification notice "
          "and internal criticism (strike 1)."),
    2: _l("[%(city)s] %(unit)s received %(count)d more supervision notices: the unit is a candidate for the "
          "exposure board and its head must hand in a written self-criticism (strike 2)."),
    3: _l("[%(city)s] %(unit)s received %(count)d more supervision notices: the matter is reported to the "
          "superior authority and the unit is put on the black list (strike 3)."),
}
STRIKE_REASON = _l("%(count)d supervision notices within %(days)d days: %(numbers)s")


class LadderState:
    """Where a unit stands: its current cycle, that cycle's strikes (uncleared) and since when notices count."""

    def __init__(self, cycle, strikes, since):
        self.cycle, self.strikes, self.since = cycle, strikes, since

    @property
    def level(self):
        return max((s.level for s in self.strikes), default=0)


def ladder_state(unit_id):
    strikes = db.session.execute(db.select(UnitStrike).where(UnitStrike.unit_id == unit_id)
                                 .order_by(UnitStrike.cycle, UnitStrike.level)).scalars().all()
    if not strikes:
        return LadderState(1, [], None)
    last = max(s.cycle for s in strikes)
    in_cycle = [s for s in strikes if s.cycle == last]
    cleared = [s.cleared_at for s in in_cycle if s.cleared_at is not None]
    if cleared:  # the cycle was closed by clearing: a new one starts then
        return LadderState(last + 1, [], max(cleared))
    return LadderState(last, in_cycle, max(s.issued_at for s in in_cycle))


def _counted_notices(unit_id, state, now, window_days):
    lower = now - timedelta(days=window_days)
    query = db.select(SupervisionNotice).where(
        SupervisionNotice.unit_id == unit_id, SupervisionNotice.kind == NoticeKind.SUPERVISE,
        SupervisionNotice.issued_at <= now)
    if state.since is not None and state.since >= lower:
        query = query.where(SupervisionNotice.issued_at > state.since)
    else:
        query = query.where(SupervisionNotice.issued_at >= lower)
    return db.session.execute(query.order_by(SupervisionNotice.issued_at, SupervisionNotice.id)).scalars().all()


def strike_reason(count, days, numbers, locale):
    with force_locale(locale):
        text = render_text(STRIKE_REASON, {"count": count, "days": days, "numbers": "、".join(numbers)})
    return text if len(text) <= 500 else text[:499] + "…"


def advance_ladder(now=None):
    """Step up every unit that has collected enough 督办单 since its last strike; returns the new strikes.
    One step per unit per run and per trigger: the notices that caused a step never count again.
    """
    now = now or utcnow()
    settings = get_city_settings()
    needed, days = settings.strike_notice_count, settings.strike_window_days
    lock_for_write()
    unit_ids = db.session.execute(db.select(SupervisionNotice.unit_id).distinct().where(
        SupervisionNotice.kind == NoticeKind.SUPERVISE, SupervisionNotice.issued_at <= now,
        SupervisionNotice.issued_at >= now - timedelta(days=days))).scalars().all()
    created = []
    for unit_id in sorted(unit_ids):
        state = ladder_state(unit_id)
        if state.level >= TOP_LEVEL:
            continue
        notices = _counted_notices(unit_id, state, now, days)
        if len(notices) < needed:
            continue
        strike = UnitStrike(unit_id=unit_id, cycle=state.cycle, level=state.level + 1, issued_at=now,
                            reason=strike_reason(len(notices), days, [n.number or "" for n in notices],
                                                 city_locale()),
                            notice_ids=[n.id for n in notices])
        try:
            with db.session.begin_nested():
                db.session.add(strike)
                db.session.flush()
        except IntegrityError:
            continue  # another writer took this step already
        _notify_strike(strike, len(notices), days)
        created.append(strike)
    db.session.flush()
    return created


def _notify_strike(strike, count, days):
    settings = get_city_settings()
    locale = city_locale()
    params = {"city": localized(settings.city_name, settings.city_name_zh_hant, settings.city_name_en,
                                locale=locale),
              "unit": strike.unit.name_in(locale), "count": count, "days": days, "level": strike.level}
    with force_locale(locale):
        text = render_text(STRIKE_TEXTS[strike.level], params)
    queue_for_unit(strike.unit, f"unit_strike_{strike.level}", text, params, f"strike:{strike.id}")


def clear_strikes(unit, actor, reason, now=None):
    """Clear the unit's strikes of the current cycle with a reason; the next strike starts a new cycle."""
    reason = (reason or "").strip()
    if not reason:
        raise SupervisionError("reason_required", field="reason")
    state = ladder_state(unit.id)
    if not state.strikes:
        raise SupervisionError("nothing_to_clear")
    now = now or utcnow()
    for strike in state.strikes:
        strike.cleared_at, strike.cleared_by_id, strike.cleared_note = now, getattr(actor, "id", None), reason[:500]
    audit.record(actor, "clear_strikes", unit, summary=f"strikes cleared (cycle {state.cycle}): {reason}"[:300],
                 changes={"cycle": state.cycle, "levels": [s.level for s in state.strikes]})
    db.session.flush()
    return state.strikes


def submit_statement(strike, actor, text):
    """The unit's written self-criticism for a strike-2 step, entered by one of the unit's handlers."""
    text = (text or "").strip()
    if actor is None or actor.role != Role.HANDLER or actor.unit_id != strike.unit_id:
        raise SupervisionError("not_your_unit")
    if strike.level != 2:
        raise SupervisionError("no_statement_needed")
    if strike.cleared_at is not None:
        raise SupervisionError("strike_cleared")
    if not text:
        raise SupervisionError("statement_required", field="text")
    if len(text) > MAX_STATEMENT:
        raise SupervisionError("statement_too_long", field="text")
    statement = StrikeStatement(strike_id=strike.id, text=text, submitted_by_id=actor.id)
    db.session.add(statement)
    db.session.flush()
    return statement


def latest_statement(strike):
    return db.session.execute(db.select(StrikeStatement).where(StrikeStatement.strike_id == strike.id)
                              .order_by(StrikeStatement.id.desc()).limit(1)).scalar()


def visible_strikes(user):
    query = db.select(UnitStrike)
    if user.role == Role.HANDLER:
        return query.where(UnitStrike.unit_id == user.unit_id) if user.unit_id else query.where(db.false())
    return query


def ladder_overview(user):
    """[(unit, LadderState, every strike of the unit newest first)] for the units ``user`` may see."""
    strikes = db.session.execute(visible_strikes(user).order_by(UnitStrike.unit_id, UnitStrike.cycle.desc(),
                                                                UnitStrike.level.desc())).scalars().all()
    by_unit = {}
    for strike in strikes:
        by_unit.setdefault(strike.unit_id, []).append(strike)
    rows = [(history[0].unit, ladder_state(unit_id), history) for unit_id, history in by_unit.items()]
    rows.sort(key=lambda row: (-row[1].level, row[0].code))
    return rows

