"""The city's taxonomy and cases as GeoReport v2 services and service requests: a projection of the internal
lifecycle that carries nothing private (no reporter, no query code, no staff note, no internal id).

Open311 words (``service_code``, ``service_request_id``) live here and in the serializers only.
"""
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from complaints import intake
from complaints.models import OPEN_STATES, Case
from oversight.board.models import PUBLIC_STATES, ExposureItem, ItemCase, ItemPhoto
from portal.city import city_setting
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.masking import redact_excerpt
from portal.notify import public_url
from portal.registry.models import Category

DEFAULT_WINDOW_DAYS = 90  # GeoReport v2: without dates, the last 90 days
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_IDS = 50  # service_request_id=a,b,c
MAX_NOTE = 500
# Which extra-question types become which GeoReport attribute datatypes.
DATATYPES = {"text": "string", "choice": "singlevaluelist", "yesno": "singlevaluelist"}


class QueryError(Exception):
    """A GET whose parameters cannot be answered: ``problems`` is a list of messages (one per wrong parameter)."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def w3c(value):
    """An aware datetime as a W3C datetime in the city's timezone with its offset: 2026-12-06T08:40:00+08:00."""
    return to_local(value, city_setting("timezone")).isoformat(timespec="seconds") if value is not None else None


# ---------------------------------------------------------------- services

def service_categories():
    """The categories residents may choose (active, not groups), in taxonomy order, with their group."""
    return [category for _group, categories in intake.category_groups() for category in categories]


def service_by_code(code):
    category = db.session.scalars(db.select(Category).where(Category.code == (code or "")[:40])).first()
    if category is None or not category.active or category.is_group or \
            (category.parent is not None and not category.parent.active):
        return None
    return category


def service_notice(category, urgent=False):
    hours = category.urgent_limit_hours if urgent and category.urgent_limit_hours else category.limit_hours
    return _("Handled within %(hours)d working hours of being sent to the responsible unit.", hours=hours)


def service(category):
    return {
        "service_code": category.code,
        "service_name": category.display_name,
        "description": service_notice(category),
        "metadata": bool(intake.questions_of(category)),
        "type": "realtime",
        "keywords": ",".join(w for w in (category.synonyms or "").replace("，", ",").replace("、", ",").split(",")
                             if w.strip()),
        "group": category.parent.display_name if category.parent is not None else "",
    }


def service_definition(category):
    attributes = []
    for order, question in enumerate(intake.questions_of(category), start=1):
        datatype = DATATYPES.get(question.type, "string")
        attribute = {
            "variable": True,
            "code": question.key,
            "datatype": datatype,
            "required": question.required,
            "datatype_description": _("Free text, at most %(max)d characters.", max=intake.MAX_ANSWER)
            if datatype == "string" else None,
            "order": order,
            "description": question.label,
        }
        if datatype.endswith("valuelist"):
            attribute["values"] = [{"key": value, "name": label} for value, label in question.choices]
        attributes.append(attribute)
    return {"service_code": category.code, "attributes": attributes}


# ---------------------------------------------------------------- service requests

@dataclass(frozen=True)
class RequestQuery:
    """A GET requests query after checking: the ids asked for, or the filters."""

    numbers: tuple = ()
    category: Category | None = None
    unknown_service: bool = False
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _parse_datetime(raw):
    """A W3C datetime (2026-12-01T08:00:00+08:00, …Z, or a date); without an offset, the city's local time."""
    raw = raw.strip()
    if re.search(r"T.* \d{2}:\d{2}$", raw):  # an offset's "+" sent unescaped arrives as a space
        raw = raw[:-6] + "+" + raw[-5:]
    value = datetime.fromisoformat(raw) if "T" in raw or " " in raw else \
        datetime.combine(datetime.strptime(raw, "%Y-%m-%d").date(), time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(city_setting("timezone")))
    if not 1970 <= value.year <= 2100:
        raise ValueError("out of range")  # and no arithmetic on it can overflow
    return value


def _positive_int(raw, name, problems, upper):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= upper:
        problems.append(_("%(name)s must be a whole number from 1 to %(max)d.", name=name, max=upper))
        return None
    return value


def check_request_query(args):
    """Read the GET parameters; raises QueryError naming every wrong one at once."""
    problems = []
    ids = (args.get("service_request_id") or "").strip()
    if ids:
        numbers = tuple(dict.fromkeys(n.strip()[:20] for n in ids.split(",") if n.strip()))
        if len(numbers) > MAX_IDS:
            raise QueryError([_("Ask for at most %(max)d service_request_id values at once.", max=MAX_IDS)])
        return RequestQuery(numbers=numbers)  # the specification: other parameters are then ignored
    query = {}
    code = args.get("service_code")
    if code:
        query["category"] = service_by_code(code)
        query["unknown_service"] = query["category"] is None
    for name in ("start_date", "end_date"):
        if args.get(name):
            try:
                query[name[:-5] if name == "start_date" else "end"] = _parse_datetime(args[name])
            except ValueError:
                problems.append(_("%(name)s must be a W3C datetime such as 2026-12-01T08:00:00+08:00.", name=name))
    if "start" in query and "end" in query and query["start"] > query["end"]:
        problems.append(_("start_date must be before end_date."))
    status = (args.get("status") or "").strip().lower()
    if status:
        statuses = set(s.strip() for s in status.split(","))
        if not statuses <= {"open", "closed"}:
            problems.append(_("status must be open or closed."))
        elif len(statuses) == 1:
            query["status"] = statuses.pop()
    if args.get("page"):
        query["page"] = _positive_int(args["page"], "page", problems, 10_000)
    if args.get("page_size"):
        query["page_size"] = _positive_int(args["page_size"], "page_size", problems, MAX_PAGE_SIZE)
    if problems:
        raise QueryError(problems)
    return RequestQuery(**query)


def find_requests(query, now=None):
    """The cases a checked query asks for, newest first."""
    loads = (selectinload(Case.category).selectinload(Category.parent), selectinload(Case.unit),
             selectinload(Case.point), selectinload(Case.area), selectinload(Case.events))
    if query.numbers:
        found = db.session.scalars(db.select(Case).where(Case.number.in_(query.numbers)).options(*loads)).all()
        order = {number: index for index, number in enumerate(query.numbers)}
        return sorted(found, key=lambda case: order[case.number])
    if query.unknown_service:
        return []
    end = query.end or (now or utcnow())
    start = query.start or (end - timedelta(days=DEFAULT_WINDOW_DAYS))
    select = db.select(Case).where(Case.created_at >= start, Case.created_at <= end)
    if query.category is not None:
        select = select.where(Case.category_id == query.category.id)
    if query.status == "open":
        select = select.where(Case.is_open)
    elif query.status == "closed":
        select = select.where(~Case.is_open)
    select = select.order_by(Case.created_at.desc(), Case.id.desc()) \
        .offset((query.page - 1) * query.page_size).limit(query.page_size)
    return db.session.scalars(select.options(*loads)).all()


def public_photo_urls(case_ids):
    """{case id: URL of the first redacted, published board photo of a public item linked to the case}. Case photos
    themselves are never public (they may show faces and plates); only the board's redacted copies are."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        db.select(ItemCase.case_id, ItemPhoto.id, ItemPhoto.stage)
        .join(ExposureItem, ExposureItem.id == ItemCase.item_id)
        .join(ItemPhoto, ItemPhoto.item_id == ItemCase.item_id)
        .where(ItemCase.case_id.in_(case_ids), ExposureItem.state.in_([s.value for s in PUBLIC_STATES]),
               ItemPhoto.published_key.is_not(None), ItemPhoto.published_thumb_key.is_not(None))
        .order_by(ItemCase.case_id, ItemPhoto.id)).all()
    urls = {}
    for case_id, photo_id, _stage in sorted(rows, key=lambda r: (r[0], r[2] != "before", r[1])):
        urls.setdefault(case_id, public_url(url_for("board.photo", photo_id=photo_id, thumb=False)))
    return urls


def _redacted(case, text, length):
    return redact_excerpt(text, names=(case.reporter_name or "",), length=length) if text else None


def status_notes(case):
    """The latest step of the public timeline in plain words (with its public note, contacts blanked out)."""
    timeline = intake.public_timeline(case)
    if not timeline:
        return None
    latest = timeline[-1]
    note = _redacted(case, latest.note, MAX_NOTE)
    return f"{latest.label}: {note}" if note else str(latest.label)


def description(case):
    """What a stranger may read of the description, as on the "me too" pages: its redacted start. A case filed
    anonymously is listed without any text of the reporter's."""
    return None if case.anonymous else intake.public_excerpt(case)


def address(case):
    """The point's address or name; else the place typed by the reporter (redacted; left out for an anonymous
    case), else the area."""
    if case.point is not None:
        return case.point.address or case.point.display_name
    if case.location_text and not case.anonymous:
        return _redacted(case, case.location_text, 100)
    return case.area.display_name if case.area is not None else None


def _coordinates(case):
    if case.latitude is not None and case.longitude is not None:
        return round(case.latitude, 6), round(case.longitude, 6)
    if case.point is not None and case.point.latitude is not None and case.point.longitude is not None:
        return round(case.point.latitude, 6), round(case.point.longitude, 6)
    return None, None


def service_request(case, media_url=None):
    """One case as a GeoReport v2 service request, fields in the specification's order."""
    lat, lng = _coordinates(case)
    category = case.category
    return {
        "service_request_id": case.number,
        "status": "open" if case.state in OPEN_STATES else "closed",
        "status_notes": status_notes(case),
        "service_name": category.display_name,
        "service_code": category.code,
        "description": description(case),
        "agency_responsible": case.unit.display_name if case.unit is not None else None,
        "service_notice": service_notice(category, case.urgent),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.due_at),
        "address": address(case),
        "lat": lat,
        "long": lng,
        "media_url": media_url,
    }


def service_requests(cases):
    urls = public_photo_urls([case.id for case in cases])
    return [service_request(case, urls.get(case.id)) for case in cases]
