"""事事有反馈: which public case events tell whom what, queued in the same transaction as the step itself.

A session hook notes every new public ``CaseEvent`` when it is flushed and, when the transaction commits, queues
the messages it calls for: the reporter's phone (unless anonymous), every "me too" phone and the followers of every
report merged into the case as a duplicate, each phone once; for a dispatch the units' group robot when one is
configured. The scheduler sends the queue (portal.notify). A rolled-back step queues nothing; a re-run queues
nothing twice.
"""
import logging

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from complaints.case_records import MeToo
from complaints.models import Case, CaseEvent, CaseState, EventKind
from portal import notify
from portal.city import get_city_settings
from portal.clock import to_local
from portal.extensions import db
from portal.i18n import localized
from portal.registry.models import Unit

log = logging.getLogger(__name__)

# One short text per event kind, in the city's default language. Never the query code or anyone's phone.
TEXTS = {
    EventKind.FILE: _l("[%(city)s] Your report %(number)s has been accepted and filed. Follow it at %(url)s"),
    EventKind.REJECT: _l("[%(city)s] Your report %(number)s was not accepted: %(reason)s. Details: %(url)s"),
    EventKind.DISPATCH: _l("[%(city)s] Case %(number)s has been sent to %(unit)s, to be handled by %(due)s. "
                           "Follow it at %(url)s"),
    EventKind.HANDLE: _l("[%(city)s] %(unit)s reports case %(number)s fixed; it is now being checked. %(url)s"),
    EventKind.CLOSE: _l("[%(city)s] Case %(number)s is closed: %(outcome)s. Please rate the result at %(url)s"),
    EventKind.REOPEN: _l("[%(city)s] Case %(number)s has been reopened and will be handled again. %(url)s"),
    EventKind.REBOUND: _l("[%(city)s] The problem of case %(number)s came back; it will be handled again. "
                          "%(url)s"),
    EventKind.MERGE: _l("[%(city)s] Your report %(number)s is the same problem as case %(target)s, which is "
                        "being handled; its progress is shown at %(url)s"),
}
ROBOT_TEXT = _l("[%(city)s] New case %(number)s for %(unit)s: %(category)s at %(place)s, due by %(due)s. %(url)s")
NOTIFIED_KINDS = frozenset(TEXTS)

PENDING_KEY = "case_events_to_notify"


def tracking_url(case):
    return notify.public_url(f"/track/{case.number}")


def place_of(case, locale):
    """Where the problem is, in words: the point, else the typed location, else the area."""
    if case.point is not None:
        return case.point.name_in(locale)
    if case.location_text:
        return case.location_text
    return case.area.name_in(locale) if case.area is not None else ""


def message_params(case, event, locale):
    """The values the texts use; plain strings, stored with the delivery."""
    settings = get_city_settings()
    unit = case.unit
    if unit is None and event.data and event.data.get("unit_id"):
        unit = db.session.get(Unit, event.data["unit_id"])
    due = to_local(case.due_at, settings.timezone)
    params = {
        "city": localized(settings.city_name, settings.city_name_zh_hant, settings.city_name_en, locale=locale),
        "number": case.number,
        "url": tracking_url(case),
        "unit": unit.name_in(locale) if unit is not None else "",
        "due": due.strftime("%Y-%m-%d %H:%M") if due else "",
        "category": case.category.name_in(locale),
        "place": place_of(case, locale),
        "reason": "",
        "outcome": "",
        "target": "",
    }
    if event.kind == EventKind.REJECT:
        params["reason"] = notify.shorten(event.note or case.reject_reason)
    elif event.kind == EventKind.CLOSE:
        params["outcome"] = notify.shorten(event.note or case.outcome)
    elif event.kind == EventKind.MERGE:
        params["target"] = (event.data or {}).get("into") or getattr(case.duplicate_of, "number", "")
    return params


def recipients(case):
    """The phones that follow a case, each once: its reporter (unless anonymous), every "me too", and the followers
    of the reports merged into it as duplicates (they were told to follow this case), at any depth."""
    phones = []
    seen = set()
    pending = [case.id]
    while pending:
        case_id = pending.pop(0)
        if case_id in seen:
            continue
        seen.add(case_id)
        current = case if case_id == case.id else db.session.get(Case, case_id)
        if current.reporter_phone and not current.anonymous and current.reporter_phone.strip():
            phones.append(current.reporter_phone.strip())
        me_toos = db.session.execute(
            db.select(MeToo.phone).where(MeToo.case_id == case_id, MeToo.phone.is_not(None)).order_by(MeToo.id)
        ).scalars()
        phones.extend(phone.strip() for phone in me_toos if phone.strip())
        pending.extend(db.session.execute(
            db.select(Case.id).where(Case.duplicate_of_id == case_id, Case.state == CaseState.MERGED)
            .order_by(Case.id)).scalars())
    return list(dict.fromkeys(phones))


def render(text, params):
    """The translated text with its values; the English source if a translation's placeholders are broken."""
    try:
        return str(text) % params
    except (KeyError, ValueError, TypeError):
        log.error("translation of %r has broken placeholders; sending the source text", text._args[0])
        return text._args[0] % params


def queue_for_event(event):
    """Queue what one case event calls for; returns the new deliveries (none for internal or unlisted events)."""
    if not event.public or event.kind not in NOTIFIED_KINDS:
        return []
    case = event.case
    locale = get_city_settings().default_locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    params = message_params(case, event, locale)
    template = f"case_{event.kind.value}"
    queued = []
    with force_locale(locale):
        text = render(TEXTS[event.kind], params)
        channel = notify.person_channel()
        for phone in recipients(case):
            queued.append(notify.queue(channel=channel, recipient=phone, template=template, text=text,
                                       params=params, case_id=case.id,
                                       dedupe_key=f"case:{case.id}:event:{event.id}:{phone}"))
        if event.kind == EventKind.DISPATCH and notify.robot_configured():
            queued.append(notify.queue(channel="robot", recipient=notify.ROBOT, template="unit_dispatch",
                                       text=render(ROBOT_TEXT, params), params=params, case_id=case.id,
                                       dedupe_key=f"case:{case.id}:event:{event.id}:{notify.ROBOT}"))
    return [d for d in queued if d is not None]


# ---------------------------------------------------------------- the session hook

def _note_public_events(session, _flush_context):
    """after_flush: remember new public case events (they have ids now)."""
    for obj in session.new:
        if isinstance(obj, CaseEvent) and obj.public and obj.kind in NOTIFIED_KINDS:
            session.info.setdefault(PENDING_KEY, []).append(obj)


def _queue_noted_events(session):
    """before_commit: the step is complete now, so texts see its final state (unit, due time, outcome)."""
    if not has_app_context() or current_app.extensions.get("case_notifications") is None:
        return
    if any(isinstance(obj, CaseEvent) for obj in session.new):
        session.flush()  # events appended since the last flush are noted too
    events = session.info.pop(PENDING_KEY, [])
    for case_event in events:
        if not inspect(case_event).persistent:  # its savepoint was rolled back
            continue
        with session.no_autoflush:
            queue_for_event(case_event)


def _forget_rolled_back(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def init_app(app):
    """Called once by ``create_app``: hook case events to the notification queue (the scheduler sends it)."""
    notify.init_app(app)
    app.extensions["case_notifications"] = True
    for name, listener in (("after_flush", _note_public_events), ("before_commit", _queue_noted_events),
                           ("after_soft_rollback", _forget_rolled_back)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
