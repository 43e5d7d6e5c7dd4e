"""Making and editing exposure-board items: drafts from scratch, from complaint cases or from a proposed
candidate, edits, dated follow-ups (追踪报道) and photo removal; dismissing a candidate.

Every function takes an explicit ``actor``, checks the actor's permission, appends to the item's trail
(``ItemEvent``) and the audit log, and ends with a flush; the caller commits. Refusals raise ``BoardError``.
The editorial steps are in ``publishing.py``, appeals in ``appeals.py``, redaction in ``redaction.py``.
"""
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from complaints.models import Case
from oversight.board import checks
from oversight.board.models import (
    EditorialState,
    EntryMilestone,
    ExposureItem,
    ItemCase,
    ItemEntry,
    ItemKind,
    ItemPhoto,
)
from oversight.board.redaction import delete_after_commit, delete_files
from oversight.board.rules import (
    MAX_LOCATION,
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    BoardError,
    clean,
    record_event,
    require,
)
from portal.auth import audit
from portal.auth.permissions import Permission
from portal.city import city_today, get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.storage import StorageError, get_storage

MAX_CASES = 50  # cases linked in one step

ITEM_FIELDS = ("kind", "title", "title_en", "description", "description_en", "area_id", "point_id", "unit_id",
               "category_id", "location_text", "found_on", "deadline")
TEXT_FIELDS = {"title": MAX_TITLE, "title_en": MAX_TITLE, "description": MAX_TEXT, "description_en": MAX_TEXT,
               "location_text": MAX_LOCATION}

# The description a draft made from cases starts with (stored in zh_Hans and English; the editor rewrites it).
FROM_CASES_TEXT = _l("%(count)d reports of “%(category)s” at %(place)s between %(first)s and %(last)s "
                     "(%(me_too)d more residents said “me too”).")


def _recompute_dates(item):
    """progress_on / rectified_on follow from the entries: the first PROGRESS and the first RECTIFIED date."""
    def first(milestone):
        dates = [e.reported_on for e in item.entries if e.milestone == milestone]
        return min(dates) if dates else None

    item.progress_on = first(EntryMilestone.PROGRESS)
    item.rectified_on = first(EntryMilestone.RECTIFIED)


def guard_public_text(item):
    """A public item may never show a reporter's name or phone, not even for a moment after an edit."""
    if item.is_public:
        blocking = [f for f in checks.check_item(item) if f.blocking]
        if blocking:
            raise BoardError("reporter_identity", findings=blocking)


def apply_fields(item, data):
    """Validate and set the editable fields from ``data`` (model objects for the relations)."""
    data = dict(data)
    for name, limit in TEXT_FIELDS.items():
        if name in data:
            setattr(item, name, clean(data[name], limit, name, required=name in ("title", "description")))
    if "kind" in data:
        item.kind = ItemKind(data["kind"])
    for name in ("area", "point", "unit", "category"):
        if name in data:
            setattr(item, name, data[name])
    if item.point is not None and item.area is None:
        item.area = item.point.area
    if "found_on" in data:
        item.found_on = data["found_on"]
    if "deadline" in data:
        item.deadline = data["deadline"]
    if not isinstance(item.found_on, date):
        raise BoardError("required", field="found_on")
    if item.found_on > city_today():
        raise BoardError("found_in_future", field="found_on")
    if item.deadline is not None and item.deadline < item.found_on:
        raise BoardError("deadline_before_found", field="deadline")
    if item.kind == ItemKind.UNIT and item.unit is None:
        raise BoardError("unit_required", field="unit")
    if item.kind != ItemKind.PRAISE and item.area is None and item.point is None and item.unit is None:
        raise BoardError("place_required", field="area")


# ---------------------------------------------------------------- making items

def create_item(data, actor):
    """A draft from scratch (inspection finding, media tip). ``data`` holds the ITEM_FIELDS (relations as
    objects: area, point, unit, category)."""
    require(actor, Permission.BOARD_EDIT)
    item = ExposureItem(state=EditorialState.DRAFT, kind=ItemKind.PLACE, created_by_id=actor.id)
    apply_fields(item, data)
    db.session.add(item)
    record_event(item, actor, "create")
    db.session.flush()
    audit.record(actor, "create", item, summary=item.title, changes=audit.snapshot(item, ITEM_FIELDS))
    db.session.flush()
    return item


def create_item_from_cases(cases, actor, *, kind=ItemKind.PLACE, title=None, deadline=None, candidate=None):
    """A draft made from one or more complaint cases in one step: place, area, unit and category come from the
    cases, the cases are linked, their before photos are copied (new files: the case's own never change) and
    the candidate it was proposed as, if any, is marked used. Never copies the reporter or the resident's text.
    """
    require(actor, Permission.BOARD_EDIT)
    cases = list(dict.fromkeys(cases))
    if not cases:
        raise BoardError("no_cases", field="cases")
    if len(cases) > MAX_CASES:
        raise BoardError("too_many_cases", field="cases")
    if candidate is not None and candidate.state != "open":
        raise BoardError("candidate_decided")
    first = cases[0]
    points = {c.point_id for c in cases}
    point = first.point if len(points) == 1 else None
    area = point.area if point is not None else _common_area(cases)
    unit = next((c.unit for c in cases if c.unit is not None), None) or (candidate.unit if candidate else None)
    categories = {c.category_id for c in cases}
    category = first.category if len(categories) == 1 else None
    found_on = min(to_local(c.created_at, get_city_settings().timezone).date() for c in cases)
    place_zh, place_en = _place_names(point, area, first)
    category_zh = category.name if category else first.category.name
    category_en = category.name_en or category.name if category else first.category.name_en or category_zh
    item = ExposureItem(state=EditorialState.DRAFT, created_by_id=actor.id)
    texts = _from_cases_texts(cases, found_on, place_zh, place_en, category_zh, category_en)
    apply_fields(item, {"kind": kind, "title": title or f"{place_zh}{category_zh}问题",
                  "title_en": None if title else f"{category_en} at {place_en}",
                  "description": texts["zh_Hans"], "description_en": texts["en"],
                  "area": area, "point": point, "unit": unit, "category": category, "found_on": found_on,
                  "deadline": deadline})
    db.session.add(item)
    for case in cases:
        item.case_links.append(ItemCase(case=case))
    record_event(item, actor, "create", reason=", ".join(c.number for c in cases))
    copied = []
    try:
        for case in cases:
            for source in case.photos:
                if source.stage == "before":
                    copied.append(_copy_case_photo(item, source))
    except (OSError, StorageError):
        delete_files([key for photo in copied for key in (photo.original_key, photo.original_thumb_key)])
        raise BoardError("photo_copy") from None
    if candidate is not None:
        db.session.flush()
        _mark_used(candidate, item, actor)
    db.session.flush()
    audit.record(actor, "create", item, summary=item.title,
                 changes={"cases": [c.number for c in cases], "candidate": getattr(candidate, "key", None)})
    db.session.flush()
    return item


def _common_area(cases):
    areas = {c.area_id for c in cases}
    first = cases[0]
    if len(areas) == 1:
        return first.area
    return first.area.parent if first.area is not None and first.area.parent is not None else first.area


def _place_names(point, area, case):
    if point is not None:
        return point.name, point.name_en or point.name
    if area is not None:
        return area.name, area.name_en or area.name
    return case.location_text or "", case.location_text or ""


def _from_cases_texts(cases, found_on, place_zh, place_en, category_zh, category_en):
    last = max(to_local(c.created_at, get_city_settings().timezone).date() for c in cases)
    params = {"count": len(cases), "first": found_on.isoformat(), "last": last.isoformat(),
              "me_too": sum(c.me_too_count for c in cases)}
    texts = {}
    for locale, place, category in (("zh_Hans", place_zh, category_zh), ("en", place_en, category_en)):
        with force_locale(locale):
            texts[locale] = str(FROM_CASES_TEXT) % dict(params, place=place, category=category)
    return texts


def _copy_case_photo(item, source):
    """A new pair of files with the case photo's content: the board never points at the case's own files."""
    storage = get_storage()
    key, thumb_key = storage.save_pair(storage.read(source.key), storage.read(source.thumb_key))
    photo = ItemPhoto(stage="before", original_key=key, original_thumb_key=thumb_key, width=source.width,
                      height=source.height, source_case_photo_id=source.id)
    item.photos.append(photo)
    return photo


def cases_by_numbers(numbers):
    """The cases for a list of case numbers; raises BoardError naming the unknown ones."""
    numbers = [n.strip() for n in numbers if n and n.strip()]
    if not numbers:
        raise BoardError("no_cases", field="cases")
    if len(numbers) > MAX_CASES:
        raise BoardError("too_many_cases", field="cases")
    found = {c.number: c for c in db.session.execute(db.select(Case).where(Case.number.in_(numbers))).scalars()}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise BoardError("unknown_cases", field="cases", numbers=unknown)
    return [found[n] for n in dict.fromkeys(numbers)]


# ---------------------------------------------------------------- editing and follow-ups

def edit_item(item, data, actor, reason=None):
    """Change the item's text and place. A public item's edit needs a reason and is shown in the trail."""
    require(actor, Permission.BOARD_EDIT)
    if item.is_taken_down:
        raise BoardError("taken_down")
    reason = clean(reason, MAX_REASON, "reason", required=item.is_public)
    before = audit.snapshot(item, ITEM_FIELDS)
    apply_fields(item, data)
    changes = audit.diff(before, audit.snapshot(item, ITEM_FIELDS))
    if not changes:
        return item
    guard_public_text(item)
    record_event(item, actor, "edit", reason=reason)
    audit.record(actor, "update", item, summary=item.title, changes=changes)
    db.session.flush()
    return item


def add_entry(item, actor, *, milestone, text, reported_on, text_en=None, photos=()):
    """A dated follow-up (追踪报道) with optional photos (``StoredPhoto``s, already in storage). The item's
    progress_on / rectified_on follow from its entries."""
    require(actor, Permission.BOARD_EDIT)
    if item.is_taken_down:
        raise BoardError("taken_down")
    milestone = EntryMilestone(milestone)
    text = clean(text, MAX_TEXT, "text", required=True)
    text_en = clean(text_en, MAX_TEXT, "text_en")
    if not isinstance(reported_on, date):
        raise BoardError("required", field="reported_on")
    if reported_on > city_today():
        raise BoardError("entry_in_future", field="reported_on")
    if reported_on < item.found_on:
        raise BoardError("entry_before_found", field="reported_on")
    entry = ItemEntry(milestone=milestone, text=text, text_en=text_en, reported_on=reported_on,
                      created_by_id=actor.id)
    item.entries.append(entry)
    stage = "after" if milestone == EntryMilestone.RECTIFIED else "progress"
    for stored in photos:
        photo = ItemPhoto(stage=stage, original_key=stored.key, original_thumb_key=stored.thumb_key,
                          width=stored.width, height=stored.height)
        item.photos.append(photo)
        entry.photos.append(photo)
    _recompute_dates(item)
    guard_public_text(item)
    record_event(item, actor, "entry", reason=milestone.value)
    db.session.flush()
    audit.record(actor, "add_entry", item, summary=item.title,
                 changes={"milestone": milestone.value, "reported_on": reported_on.isoformat()})
    db.session.flush()
    return entry


def remove_photo(photo, actor):
    """Drop a photo that should not be on the board at all (only before publication)."""
    require(actor, Permission.BOARD_EDIT)
    item = photo.item
    if not item.before_publication:
        raise BoardError("photo_locked")
    keys = [k for k in (photo.original_key, photo.original_thumb_key, photo.published_key,
                        photo.published_thumb_key) if k]
    item.photos.remove(photo)
    db.session.delete(photo)
    record_event(item, actor, "remove_photo")
    audit.record(actor, "remove_photo", item, summary=item.title)
    db.session.flush()
    delete_after_commit(keys)


# ---------------------------------------------------------------- candidates

def dismiss_candidate(candidate, actor, reason):
    require(actor, Permission.BOARD_EDIT)
    if candidate.state != "open":
        raise BoardError("candidate_decided")
    candidate.decision_note = clean(reason, MAX_REASON, "reason", required=True)
    candidate.state, candidate.decided_by_id, candidate.decided_at = "dismissed", actor.id, utcnow()
    audit.record(actor, "dismiss", candidate, summary=candidate.key, changes={"reason": candidate.decision_note})
    db.session.flush()
    return candidate


def create_item_from_candidate(candidate, actor):
    """One click on the queue: a draft prefilled from the candidate's cases (or, for a unit at strike 2 with no
    open cases, a unit item to write)."""
    ids = candidate.case_ids or []
    cases = db.session.execute(db.select(Case).where(Case.id.in_(ids)).order_by(Case.id)).scalars().all() if ids \
        else []
    kind = ItemKind.UNIT if candidate.source == "strike" else ItemKind.PLACE
    if cases:
        return create_item_from_cases(cases, actor, kind=kind, candidate=candidate)
    if candidate.state != "open":
        raise BoardError("candidate_decided")
    item = create_item({"kind": kind, "title": candidate.summary[:MAX_TITLE], "description": candidate.summary,
                        "unit": candidate.unit, "area": candidate.area, "point": candidate.point,
                        "category": candidate.category, "found_on": city_today()}, actor)
    _mark_used(candidate, item, actor)
    db.session.flush()
    return item


def _mark_used(candidate, item, actor):
    candidate.state, candidate.item_id, candidate.decided_by_id, candidate.decided_at = (
        "used", item.id, actor.id, utcnow())
