"""催办/督办单 and the time-limit watch (DOMAIN.md §4).

The watch looks at every case the clock runs against (with a unit, not postponed): once a case has used the city's
``warning_percent`` of its handling time (counted in working time, like the limit itself) its unit gets one 催办
(黄灯); once it is overdue, one numbered 督办单 (红灯). A notice is unique per (case, kind, due time), so the watch
may run any number of times, and an approved extension (a new due time) earns new notices if that one is missed too.

The escalation ladder that counts each unit's 督办单 is in ``complaints.supervision.escalation``.

Services take an explicit ``actor`` (None: the scheduler), never touch the request, and end with a flush.
"""
import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from complaints.models import Case
from complaints.notifications import place_of, render
from complaints.supervision.models import NoticeKind, SupervisionNotice
from portal import notify
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.i18n import localized
from portal.sqlite import lock_for_write
from portal.workdays import add_working_hours, parse_periods, working_hours_between

log = logging.getLogger(__name__)

MAX_NOTE = 1000


class SupervisionError(Exception):
    """A supervision request refused; ``code`` picks the message, ``field`` the form field (if any)."""

    def __init__(self, code, field=None):
        super().__init__(code)
        self.code, self.field = code, field


# ---------------------------------------------------------------- messages to the unit (city's language)

UNIT_TEXTS = {
    NoticeKind.URGE: _l("[%(city)s] Reminder: case %(number)s (%(category)s, %(place)s) is due by %(due)s. "
                        "Please finish it in time."),
    NoticeKind.SUPERVISE: _l("[%(city)s] Supervision notice %(notice)s: case %(number)s (%(category)s, %(place)s) "
                             "was due by %(due)s and is overdue. Handle it at once and report back."),
}


def city_locale():
    return get_city_settings().default_locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def render_text(text, params):
    return render(text, params)


def queue_for_unit(unit, template, text, params, key, case_id=None):
    """The unit's contact phone (SMS, else WeChat, else the log) and the group robot when one is configured."""
    if unit.contact_phone and unit.contact_phone.strip():
        notify.queue(channel=notify.person_channel(), recipient=unit.contact_phone.strip(), template=template,
                     text=text, params=params, case_id=case_id, dedupe_key=f"{key}:unit")
    if notify.robot_configured():
        notify.queue(channel="robot", recipient=notify.ROBOT, template=template, text=text, params=params,
                     case_id=case_id, dedupe_key=f"{key}:robot")


def notify_notice(notice):
    """Tell the unit of a 催办 or 督办单 (queued in the caller's transaction; one message per notice)."""
    settings = get_city_settings()
    locale = city_locale()
    case = notice.case
    due = to_local(notice.due_at, settings.timezone)
    params = {
        "city": localized(settings.city_name, settings.city_name_zh_hant, settings.city_name_en, locale=locale),
        "notice": notice.number or "", "number": case.number, "category": case.category.name_in(locale),
        "place": place_of(case, locale), "due": due.strftime("%Y-%m-%d %H:%M"),
        "unit": notice.unit.name_in(locale),
    }
    with force_locale(locale):
        text = render_text(UNIT_TEXTS[notice.kind], params)
    queue_for_unit(notice.unit, f"supervision_{notice.kind.value}", text, params, f"notice:{notice.id}",
                    case_id=case.id)


# ---------------------------------------------------------------- thresholds

def _periods(settings):
    return parse_periods(settings.working_periods)


def amber_at(case, settings=None):
    """When the case has used the city's warning share of its handling time, counted in working time."""
    settings = settings or get_city_settings()
    start = case.dispatched_at or case.due_at
    periods = _periods(settings)
    total = working_hours_between(start, case.due_at, settings.timezone, periods)
    if total <= 0:
        return case.due_at
    return add_working_hours(start, total * settings.warning_percent / 100, settings.timezone, periods)


def is_watched(case):
    """The clock runs against a unit: dispatched or in progress, not postponed (缓办), with a due time."""
    return case.on_clock and case.unit_id is not None


def _notice_exists(case_id, kind, due_at):
    return db.session.execute(db.select(SupervisionNotice.id).where(
        SupervisionNotice.case_id == case_id, SupervisionNotice.kind == kind,
        SupervisionNotice.due_at == due_at)).first() is not None


def notice_number_prefix(year):
    return f"督〔{year}〕"


def next_notice_number(now):
    """The next 督办单 number of the city's local year, e.g. 督〔2026〕0042号 (numbers are never skipped)."""
    year = to_local(now, get_city_settings().timezone).year
    prefix = notice_number_prefix(year)
    issued = db.session.scalar(db.select(db.func.count(SupervisionNotice.id)).where(
        SupervisionNotice.number.like(prefix + "%")))
    return f"{prefix}{issued + 1:04d}号"


def issue_notice(case, kind, actor=None, note=None, now=None):
    """Issue one 催办 or 督办单 for the case's current due time and tell its unit; None if it exists already.

    A 督办单 takes the next number of the year; when two writers race for a number, the loser takes the next one,
    so numbers have no gaps and no repeats.
    """
    now = now or utcnow()
    for _attempt in range(50):
        if _notice_exists(case.id, kind, case.due_at):
            return None
        number = next_notice_number(now) if kind == NoticeKind.SUPERVISE else None
        notice = SupervisionNotice(kind=kind, case_id=case.id, unit_id=case.unit_id, due_at=case.due_at,
                                   issued_at=now, issued_by_id=getattr(actor, "id", None), number=number,
                                   note=(note or "").strip()[:MAX_NOTE] or None)
        try:
            with db.session.begin_nested():
                db.session.add(notice)
                db.session.flush()
        except IntegrityError:
            continue  # the same notice, or the same number, was just taken by another writer: look again
        notify_notice(notice)
        db.session.flush()
        return notice
    raise RuntimeError("could not issue a supervision notice")


def _watch_candidates(now):
    """Cases whose clock runs and that still lack the notice their time calls for (SQL does the sorting out)."""
    notice = SupervisionNotice

    def has(kind):
        return db.exists().where(notice.case_id == Case.id, notice.kind == kind, notice.due_at == Case.due_at)

    return db.select(Case).where(
        Case.on_clock, Case.unit_id.is_not(None), ~has(NoticeKind.SUPERVISE),
        db.or_(Case.due_at < now, ~has(NoticeKind.URGE)),
    ).order_by(Case.due_at, Case.id)


def watch_time_limits(now=None):
    """One pass of the watch: 黄灯 → 催办, 红灯 → 督办单. Returns {"urge": n, "supervise": n} issued now."""
    now = now or utcnow()
    settings = get_city_settings()
    lock_for_write()
    counts = {"urge": 0, "supervise": 0}
    for case in db.session.execute(_watch_candidates(now)).scalars().all():
        if now > case.due_at:
            kind = NoticeKind.SUPERVISE
        elif now >= amber_at(case, settings):
            kind = NoticeKind.URGE
        else:
            continue
        if issue_notice(case, kind, actor=None, now=now) is not None:
            counts[kind.value] += 1
    db.session.flush()
    return counts


def issue_manual_notice(case, actor, note=None, now=None):
    """A 督办单 issued by hand (SUPERVISION_MANAGE) for a case with its unit; refuses a second one per due time."""
    if case is None:
        raise SupervisionError("case_unknown", field="case")
    if not is_watched(case):
        raise SupervisionError("case_not_with_unit", field="case")
    lock_for_write()
    notice = issue_notice(case, NoticeKind.SUPERVISE, actor=actor, note=note, now=now)
    if notice is None:
        raise SupervisionError("notice_exists", field="case")
    return notice


# ---------------------------------------------------------------- reading notices

def visible_notices(user):
    """A select of the notices ``user`` may see: a unit handler only their unit's, others all."""
    query = db.select(SupervisionNotice)
    if user.role == Role.HANDLER:
        return query.where(SupervisionNotice.unit_id == user.unit_id) if user.unit_id else query.where(db.false())
    return query


def filter_notices(query, unit_id=None, kind=None, start=None, end=None):
    """Narrow by unit, kind and an issue period [start, end) in UTC; newest first."""
    if unit_id:
        query = query.where(SupervisionNotice.unit_id == unit_id)
    if kind:
        query = query.where(SupervisionNotice.kind == kind)
    if start is not None:
        query = query.where(SupervisionNotice.issued_at >= start)
    if end is not None:
        query = query.where(SupervisionNotice.issued_at < end)
    return query.order_by(SupervisionNotice.issued_at.desc(), SupervisionNotice.id.desc())


def case_notices(case):
    """Every notice about one case, oldest first (for the console's case page; never for the public)."""
    return db.session.execute(db.select(SupervisionNotice).where(SupervisionNotice.case_id == case.id)
                              .order_by(SupervisionNotice.issued_at, SupervisionNotice.id)).scalars().all()


def notices_by_id(ids):
    if not ids:
        return {}
    return {n.id: n for n in db.session.execute(
        db.select(SupervisionNotice).where(SupervisionNotice.id.in_(list(ids)))).scalars()}
