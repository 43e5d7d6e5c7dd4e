"""The case ledger (台账): filters from a query string, one row per case as CSV or XLSX, and the printable record.

Rows are built from a few queries whatever the number of cases: the cases in id batches with their point and
unit joined, and the area and category trees once. Reporter phones and names are never part of a row. Every
export (CSV, XLSX, a printed record) is written to the audit log: who, when, which filter, how many rows.
"""
import dataclasses
from datetime import date

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from complaints.models import OPEN_STATES, Case, CaseEvent, CaseState, Channel, EventKind
from complaints.queries import CaseFilter, apply_filter
from portal.auth import audit
from portal.city import get_city_settings, satisfaction_label
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.i18n import localized
from portal.masking import mask_contacts, mask_name, mask_phone
from portal.registry.models import Area, Category, Unit

BATCH = 500
# (key, header, width in characters)
COLUMNS = (
    ("number", _l("Case number"), 15), ("created", _l("Received at"), 17), ("channel", _l("Channel"), 14),
    ("category", _l("Category"), 24), ("area", _l("Area"), 36), ("point", _l("Point"), 28),
    ("description", _l("Description"), 50), ("state", _l("State"), 14), ("unit", _l("Unit"), 22),
    ("dispatched", _l("Dispatched at"), 17), ("due", _l("Due at"), 17), ("handled", _l("Handled at"), 17),
    ("closed", _l("Closed at"), 17), ("on_time", _l("On time"), 10), ("rework", _l("Rework count"), 8),
    ("reopen", _l("Reopen count"), 8), ("rebound", _l("Rebound count"), 8), ("me_too", _l("Me too count"), 8),
    ("rating", _l("Rating"), 14), ("outcome", _l("Outcome"), 50),
)


def ledger_filter(args):
    """The ledger's filter from the query string, leniently (unknown values are ignored); the case list's rules."""
    channel = args.get("channel", "")
    return CaseFilter(states=tuple(args.getlist("state")), unit_id=_int(args.get("unit")),
                      area_id=_int(args.get("area")), category_id=_int(args.get("category")),
                      channel=channel if channel in {c.value for c in Channel} else "",
                      created_from=_day(args.get("from")), created_to=_day(args.get("to")))


def filter_record(filters):
    """The filter as the audit log keeps it: only what narrows the export, as plain JSON values."""
    kept = {}
    for name, value in dataclasses.asdict(filters).items():
        if value in (None, "", (), [], False):
            continue
        kept[name] = value.isoformat() if isinstance(value, date) else list(value) if isinstance(value, tuple) \
            else value
    return kept


def count_rows(filters):
    """How many cases an export with ``filters`` holds (one COUNT query)."""
    return db.session.scalar(apply_filter(db.select(db.func.count(Case.id)), filters))


def record_export(actor, fmt, filters):
    """Write a ledger export to the audit log before it is sent. Returns the number of rows. The caller commits."""
    rows = count_rows(filters)
    audit.record(actor, "export", object_type=Case.__tablename__, summary=f"{fmt} · {rows}",
                 changes={"format": fmt, "rows": rows, "filter": filter_record(filters)})
    return rows


def record_printout(actor, case):
    """Write the opening of a case's printable record to the audit log. The caller commits."""
    audit.record(actor, "export", case, summary=f"record · {case.number}",
                 changes={"format": "record", "rows": 1, "filter": {"number": case.number}})


def _int(value):
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _day(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# ---------------------------------------------------------------- rows

class Lookups:
    """Area paths and category names for every row, from one query each."""

    def __init__(self):
        self.areas = {a.id: a for a in db.session.execute(db.select(Area)).scalars()}
        self.categories = {c.id: c for c in db.session.execute(db.select(Category)).scalars()}

    def area_path(self, area_id):
        area = self.areas.get(area_id)
        if area is None:
            return ""
        return " / ".join(self.areas[i].display_name for i in area.ancestor_ids() if i in self.areas)

    def category_name(self, category_id):
        category = self.categories.get(category_id)
        if category is None:
            return ""
        group = self.categories.get(category.parent_id)
        return f"{group.display_name} / {category.display_name}" if group else category.display_name


def on_time(case, now):
    """按期: closed by the due time; an open case past it is overdue; otherwise not decided yet."""
    if case.due_at is None:
        return ""
    if case.closed_at is not None and case.state == CaseState.CLOSED:
        return _("Yes") if case.closed_at <= case.due_at else _("No")
    if case.state in OPEN_STATES and case.postponed:
        return _("Postponed")
    if case.is_overdue(now):
        return _("Overdue")
    return ""


def rating_label(case):
    return satisfaction_label(case.rating, case.rating_scale)


def case_row(case, lookups, tz_name, now):
    """One ledger row: a dict keyed like COLUMNS, times as naive local datetimes."""

    def local(value):
        return to_local(value, tz_name).replace(tzinfo=None) if value else None

    point = case.point
    return {
        "number": case.number, "created": local(case.created_at), "channel": case.channel.label,
        "category": lookups.category_name(case.category_id), "area": lookups.area_path(case.area_id),
        "point": f"{point.code} {point.display_name}" if point is not None else (case.location_text or ""),
        "description": mask_contacts(case.description), "state": case.state.label,  # exports leave the system
        "unit": case.unit.display_name if case.unit is not None else "",
        "dispatched": local(case.dispatched_at), "due": local(case.due_at), "handled": local(case.handled_at),
        "closed": local(case.closed_at), "on_time": on_time(case, now), "rework": case.rework_count,
        "reopen": case.reopen_count, "rebound": case.rebound_count, "me_too": case.me_too_count,
        "rating": rating_label(case), "outcome": case.outcome or "",
    }


def ledger_rows(filters):
    """Rows for every case matching ``filters``, oldest first, fetched in id batches (a few queries in all)."""
    tz_name = get_city_settings().timezone
    lookups = Lookups()
    now = utcnow()
    base = apply_filter(db.select(Case), filters).options(joinedload(Case.point), joinedload(Case.unit))
    last_id = 0
    while True:
        batch = db.session.execute(base.where(Case.id > last_id).order_by(Case.id).limit(BATCH)).scalars().all()
        for case in batch:
            yield case_row(case, lookups, tz_name, now)
        if len(batch) < BATCH:
            return
        last_id = batch[-1].id
        for case in batch:  # keep memory flat on big exports (points and units stay: they repeat)
            db.session.expunge(case)


def headers():
    return [str(label) for _key, label, _width in COLUMNS]


def table(rows):
    """The header, then each row's values in column order (``portal.exports`` writes them as CSV or XLSX)."""
    yield headers()
    for row in rows:
        yield [row[key] for key, _label, _width in COLUMNS]


def widths():
    return [width for _key, _label, width in COLUMNS]


def export_names():
    """The download's name in the user's language and its ASCII fallback, both without the extension."""
    day = to_local(utcnow(), get_city_settings().timezone).strftime("%Y%m%d")
    return f"{_('Case ledger')}-{day}", f"case-ledger-{day}"


# ---------------------------------------------------------------- the printable record

def record_case(number):
    """A case with everything its printable record shows, or None."""
    return db.session.execute(
        db.select(Case).where(Case.number == number).options(
            joinedload(Case.category), joinedload(Case.point), joinedload(Case.area), joinedload(Case.unit),
            selectinload(Case.events).joinedload(CaseEvent.actor), selectinload(Case.photos),
        )
    ).unique().scalar_one_or_none()


PHOTO_ENDPOINTS = ("cases.photo", "cases.case.photo")  # the staff case console's photo view, where it lives


def photo_url(photo, case, thumb=True):
    """The photo's address on the staff photo endpoint, when that endpoint exists; None means show no image."""
    for endpoint in PHOTO_ENDPOINTS:
        if endpoint not in current_app.view_functions:
            continue
        for arguments in ({"number": case.number, "photo_id": photo.id}, {"photo_id": photo.id}):
            try:
                return url_for(endpoint, **arguments, **({"thumb": True} if thumb else {}))
            except BuildError:
                continue
    return None


def masked_reporter(case):
    """The reporter as the printed record shows them: first character of the name, the phone as 138****5678."""
    if case.anonymous:
        return ""
    return " ".join(part for part in (mask_name(case.reporter_name), mask_phone(case.reporter_phone)) if part)


def answers_shown(case):
    """(question label, answer) for the category's extra questions, in the order they are asked."""
    answers = case.answers or {}
    shown = []
    for question in case.category.questions or []:
        if question.get("key") not in answers:
            continue
        label = localized(question.get("label", question["key"]), question.get("label_zh_hant"),
                          question.get("label_en"))
        value = answers[question["key"]]
        choices = {c.get("value"): c for c in question.get("choices") or [] if isinstance(c, dict)}
        if question.get("type") == "choice" and value in choices:
            choice = choices[value]
            value = localized(choice["label"], choice.get("label_zh_hant"), choice.get("label_en"))
        elif isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        shown.append((label, value))
    return shown


def closing_record(case):
    """The 办结记录: dispatches (with unit names), handling notes, verifications, in order."""
    unit_ids = {e.data["unit_id"] for e in case.events if e.data and e.data.get("unit_id")}
    units = {u.id: u for u in db.session.execute(db.select(Unit).where(Unit.id.in_(unit_ids))).scalars()} \
        if unit_ids else {}
    dispatches = [(e, units.get(e.data["unit_id"]) if e.data else None)
                  for e in case.events if e.kind == EventKind.DISPATCH]
    handlings = [e for e in case.events if e.kind == EventKind.HANDLE]
    verifications = [e for e in case.events if e.kind in (EventKind.CLOSE, EventKind.VERIFY_FAIL)]
    return {"dispatches": dispatches, "handlings": handlings, "verifications": verifications,
            "rating": rating_label(case)}
