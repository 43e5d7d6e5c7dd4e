"""Resident intake: "same problem already reported?", checking and filing a report with its photos all-or-nothing,
and what the tracking page may show of a case. Where a report is about lives in complaints/places.py, the types of
problem and their questions in complaints/report_questions.py (both also reachable from here, as before)."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from complaints import services
from complaints.forms import normalise_phone, parse_coordinates
from complaints.models import Case, Channel, EventKind, LocationSource
from complaints.places import MAX_QUERY as MAX_QUERY
from complaints.places import Place as Place
from complaints.places import area_near as area_near
from complaints.places import area_options as area_options
from complaints.places import bounding_box, distance_m, within_box
from complaints.places import resolve_place as resolve_place
from complaints.places import search_points as search_points
from complaints.report_questions import MAX_ANSWER as MAX_ANSWER
from complaints.report_questions import Question as Question
from complaints.report_questions import category_groups as category_groups
from complaints.report_questions import questions_of as questions_of
from complaints.report_questions import read_answers
from complaints.report_questions import search_categories as search_categories
from portal import coords
from portal import photos as photo_files
from portal.auth.models import Role
from portal.extensions import db
from portal.masking import redact_excerpt
from portal.prepared import Prepared
from portal.registry.cells import locate
from portal.registry.models import Area, Category, Point

SIMILAR_RADIUS_M = 50  # "the same place" for a problem reported by location
MAX_SIMILAR = 5
# Public events whose note the reporter reads: the reason, the fix, the outcome, and notes staff made public.
NOTE_KINDS = frozenset({EventKind.REJECT, EventKind.HANDLE, EventKind.CLOSE, EventKind.NOTE})


# ---------------------------------------------------------------- "same problem already reported?"

@dataclass(frozen=True)
class Similar:
    case: Case
    distance_m: float | None  # None: found by area, no location to measure from

    @property
    def excerpt(self):
        return public_excerpt(self.case)


def public_excerpt(case):
    """What a stranger may read of a case's description (the "me too" list and page): its start, with numbers,
    e-mail addresses and the reporter's name taken out. The full text needs the query code."""
    return redact_excerpt(case.description, names=(case.reporter_name or "",))


def is_public_for_me_too(case):
    """A case a stranger may find by its number to say "me too": open, and not merged into another. Closed,
    rejected and merged cases answer like unknown numbers, so guessing numbers reveals nothing about them."""
    return case is not None and case.is_open and case.duplicate_of_id is None


def _location(case):
    return case.position


def find_similar(category=None, point=None, latitude=None, longitude=None, radius_m=SIMILAR_RADIUS_M,
                 limit=MAX_SIMILAR, area=None):
    """Open cases (of ``category`` if given) at ``point`` or within ``radius_m`` of it or of the location, or
    (given ``area``, e.g. a resident without JavaScript or location who chose an area) anywhere in that area.

    SQL narrows by category and state (indexed) and a bounding box; the exact distance is computed here. Cases
    found by area alone come after those found by distance, newest first.
    """
    if point is not None and point.latitude is not None and point.longitude is not None:
        latitude, longitude = point.latitude, point.longitude
    near = []
    if point is not None:
        near.append(Case.point_id == point.id)
    if latitude is not None and longitude is not None:
        box = bounding_box(latitude, longitude, radius_m)
        near.append(within_box((Case.latitude, Case.longitude), box))
        near.append(Case.point_id.in_(db.select(Point.id).where(within_box((Point.latitude, Point.longitude), box))))
    in_area = set()
    if area is not None:
        in_area = set(db.session.scalars(db.select(Area.id).where(Area.path.startswith(area.path))))  # the subtree
        near.append(Case.area_id.in_(sorted(in_area)))
    if not near:
        return []
    query = (db.select(Case).where(Case.is_open, db.or_(*near)).options(selectinload(Case.point))
             .order_by(Case.id.desc()).limit(200))
    if category is not None:
        query = query.where(Case.category_id == category.id)
    found = []
    for case in db.session.scalars(query):
        if point is not None and case.point_id == point.id:
            found.append(Similar(case, 0.0))
            continue
        where = _location(case)
        distance = distance_m(latitude, longitude, *where) if where and latitude is not None else None
        if distance is not None and distance <= radius_m:
            found.append(Similar(case, distance))
        elif case.area_id in in_area:
            found.append(Similar(case, None))
    found.sort(key=lambda s: (s.distance_m is None, s.distance_m or 0, -s.case.id))
    return found[:limit]


@dataclass(frozen=True)
class SameProblemCheck:
    """The answer to the form's "has this already been reported here?" button (the path without JavaScript):
    ``missing`` when the type of problem or the place (an area, or a shared location) is not chosen yet."""

    missing: bool
    similar: list


def check_same_problem(category_id, area_id, raw_latitude=None, raw_longitude=None):
    """Open cases of the chosen type of problem in the chosen area or near the shared location."""
    category = chosen_category(category_id)
    area = db.session.get(Area, area_id) if area_id else None
    area = area if area is not None and area.active else None
    try:
        latitude, longitude = parse_coordinates(raw_latitude, raw_longitude)
    except ValueError:
        latitude = longitude = None
    if category is None or (area is None and latitude is None):
        return SameProblemCheck(missing=True, similar=[])
    return SameProblemCheck(missing=False, similar=find_similar(category=category, latitude=latitude,
                                                                longitude=longitude, area=area))


def case_by_number(number):
    number = (number or "").strip()[:20]
    return db.session.scalars(db.select(Case).where(Case.number == number)).first() if number else None


def case_for_key(idempotency_key):
    """The case already filed with this form's key (a repeated submission), or None."""
    return services.find_by_idempotency_key(idempotency_key)


@dataclass(frozen=True)
class Filed:
    """What the receipt needs of a filed case, read before the commit so that nothing is loaded again."""

    number: str
    query_code: str


# ---------------------------------------------------------------- checking and filing a report

@dataclass(frozen=True)
class ChosenCategory:
    """What checking and filing a report needs of the category chosen on the form (the form's hot path reads
    these few columns, not the whole model); ``services.submit_report`` and ``questions_of`` take it as they
    take a Category."""

    id: int
    active: bool
    parent_id: int | None
    urgent_limit_hours: int | None
    questions: list | None

    @property
    def is_group(self):
        return self.parent_id is None

    @property
    def allows_urgent(self):
        return self.urgent_limit_hours is not None


@dataclass(frozen=True)
class ChosenArea:
    """An active area chosen on the form, by id."""

    id: int
    active: bool = True


_categories, _areas = Category.__table__, Area.__table__
_CHOSEN_CATEGORY = Prepared(db.select(_categories.c.id, _categories.c.active, _categories.c.parent_id,
                             _categories.c.urgent_limit_hours, _categories.c.questions) \
    .where(_categories.c.id == db.bindparam("id")))
_CHOSEN_AREA = Prepared(db.select(_areas.c.id).where(_areas.c.id == db.bindparam("id"), _areas.c.active.is_(True)))


def chosen_category(category_id):
    """The active category (not a group) with this id, or None."""
    row = _CHOSEN_CATEGORY.execute({"id": category_id}).first() if category_id else None
    category = ChosenCategory(*row) if row is not None else None
    return category if category is not None and category.active and not category.is_group else None


def chosen_area(area_id):
    """The active area with this id, or None."""
    found = _CHOSEN_AREA.execute({"id": area_id}).scalar() if area_id else None
    return ChosenArea(found) if found is not None else None


def place_report(*, point=None, via_qr=False, chosen=None, latitude=None, longitude=None, pinned=False):
    """Where a report belongs (事件先属地): (area or None, how the location was obtained).

    The point of a scanned placard wins (its area is the point's); then a pin on the map, in the grid cell holding
    it; then an area chosen from the list, narrowed to the grid cell of the shared position when that cell lies
    inside it; then the grid cell of the phone's position; and, when no boundary holds the position, the area of the
    nearest point as before. ``area`` is None when a point was given or nothing could be placed.
    """
    if point is not None:
        return None, LocationSource.QR if via_qr else LocationSource.LIST
    by_position = LocationSource.PIN if pinned else LocationSource.GPS
    cell = locate(latitude, longitude) if latitude is not None else None
    if cell is not None and (pinned or chosen is None or cell.lies_in(chosen.id)):
        return ChosenArea(cell.id), by_position
    if chosen is not None:
        return chosen, LocationSource.LIST
    if latitude is not None:
        near = area_near(latitude, longitude)
        if near is not None:
            return near, by_position
    return None, None


def is_inspector(user):
    return bool(user is not None and user.is_authenticated and user.active and user.role == Role.INSPECTOR)


@dataclass
class Report:
    """A report that passed every check, ready to file."""

    category: ChosenCategory
    channel: Channel
    description: str
    point: Point | None = None
    area: ChosenArea | Area | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_source: LocationSource | None = None
    location_text: str | None = None
    urgent: bool = False
    anonymous: bool = False
    reporter_name: str | None = None
    reporter_phone: str | None = None
    answers: dict = field(default_factory=dict)
    photos: list = field(default_factory=list)
    actor: object = None
    idempotency_key: str | None = None


def _add_error(form_field, message):
    form_field.errors = list(form_field.errors or []) + [message]


def check_report(form, place, formdata, uploads, user, idempotency_key):
    """Check everything sent and attach every problem to its field at once (一次性告知).

    Returns a Report, or None when the form must be shown again; question errors go to ``form.question_errors``.
    """
    form.validate()
    category = chosen_category(form.category_id.data)
    if category is None:
        _add_error(form.category_id, _("Choose the type of problem from the list."))
    latitude, longitude = form.coordinates()
    pinned = form.location_source.data == LocationSource.PIN.value
    if pinned and latitude is not None:  # a pin is placed on the tiles, in their coordinate system
        latitude, longitude = (round(v, 6) for v in coords.to_wgs84(latitude, longitude, coords.tile_system()))
    point = place.point
    area, location_source = place_report(
        point=point, via_qr=place.via_qr, chosen=None if point else chosen_area(form.area_id.data),
        latitude=latitude, longitude=longitude, pinned=pinned)
    if point is None and area is None:
        _add_error(form.area_id, _("Choose the area where the problem is, or choose a place."))
    answers, form.question_errors = read_answers(category, formdata) if category else ({}, {})
    prepared, problems = photo_files.prepare_uploads(uploads)
    for problem in problems:
        _add_error(form.photos, problem.message)
    if any(f.errors for f in form) or form.question_errors:
        return None
    inspector = is_inspector(user)
    channel = Channel.PATROL if inspector else (Channel.QR if place.via_qr else Channel.WEB)
    keep_contact = not inspector and not form.anonymous.data
    return Report(
        category=category, channel=channel, description=form.description.data, point=point, area=area,
        latitude=latitude, longitude=longitude, location_source=location_source,
        location_text=form.location_text.data or None, urgent=bool(form.urgent.data) and category.allows_urgent,
        anonymous=bool(form.anonymous.data),
        reporter_name=(form.reporter_name.data or None) if keep_contact else None,
        reporter_phone=normalise_phone(form.reporter_phone.data) if keep_contact else None,
        answers=answers, photos=prepared, actor=user if inspector else None, idempotency_key=idempotency_key,
    )


def file_report(report, also=None):
    """Store the photos, create the case and commit: all or nothing. Returns its number and query code.

    ``also(case)``, when given, adds what must land in the same transaction as a new case (the Open311 record of
    the system that filed it); it is not called for a repeated key.

    A repeated idempotency key returns the case filed first and deletes the files just written, also when the
    two requests raced each other to the database. This commits (unlike services) because the files and the
    rows must land together: a failed commit deletes the files.
    """
    stored = photo_files.store_photos(report.photos)
    try:
        case, created = services.submit_report(
            category=report.category, description=report.description, channel=report.channel,
            point=report.point, area=report.area, latitude=report.latitude, longitude=report.longitude,
            location_source=report.location_source, location_text=report.location_text, urgent=report.urgent,
            anonymous=report.anonymous, reporter_name=report.reporter_name, reporter_phone=report.reporter_phone,
            answers=report.answers,
            photos=stored, actor=report.actor, idempotency_key=report.idempotency_key, key_checked=True,
            as_row=also is None)
        if created and also is not None:
            also(case)
        filed = Filed(case.number, case.query_code)
        db.session.commit()
    except BaseException as error:
        db.session.rollback()
        photo_files.discard(stored)
        winner = case_for_key(report.idempotency_key) if isinstance(error, Exception) else None
        if winner is None:
            raise
        return Filed(winner.number, winner.query_code)  # the same form, sent twice at once: the other filed it
    if not created:
        photo_files.discard(stored)
    return filed


# ---------------------------------------------------------------- what the reporter sees of a case

@dataclass(frozen=True)
class TimelineEntry:
    label: str
    at: object
    note: str | None = None


def public_timeline(case):
    """The public events in plain language: what happened and when, never who (staff stay unnamed)."""
    entries = []
    for event in case.events:
        if not event.public:
            continue
        note = event.note if event.kind in NOTE_KINDS else None
        if event.kind == EventKind.MERGE and (event.data or {}).get("into"):
            note = _("Now followed as case %(number)s.", number=event.data["into"])
        entries.append(TimelineEntry(event.kind.label, event.at, note))
    return entries


def photos_at(case, stage):
    return [photo for photo in case.photos if photo.stage == stage]
