"""Exposure-board factories for the tests: items with real rows and real photo files, committed.

``make_item`` builds the rows directly (so a test can ask for any state without walking the editorial steps) and
writes photo files through the same storage and re-encoding as the services: public items get a published copy of
every photo (a new file, no EXIF), drafts only the staff-side original.
"""
import io
import itertools
from datetime import timedelta

from PIL import Image, ImageDraw

from oversight.board.models import (
    PUBLIC_STATES,
    EditorialState,
    EntryMilestone,
    ExposureItem,
    ItemCase,
    ItemEntry,
    ItemEvent,
    ItemKind,
    ItemPhoto,
)
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db
from portal.photos import prepare_photo, store_photos
from portal.storage import get_storage

_seq = itertools.count(1)


def jpeg_bytes(size=(160, 120), colour=(90, 140, 200), exif=None):
    """A plain JPEG picture (optionally with an ``Image.Exif``)."""
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=95, **options)
    return buffer.getvalue()


def checkerboard_jpeg(size=(400, 300), exif=None):
    """A detailed JPEG: black and white squares of 10 pixels, so that blurring shows (optionally with EXIF)."""
    image = Image.new("RGB", size, (240, 240, 240))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 10):
        for y in range(0, size[1], 10):
            if (x + y) // 10 % 2:
                draw.rectangle((x, y, x + 9, y + 9), fill=(10, 10, 10))
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(buffer, "JPEG", quality=95, **options)
    return buffer.getvalue()


def make_photo(item, *, stage="before", entry=None, published=None, size=(160, 120), colour=None, boxes=None):
    """An ItemPhoto with its original file; ``published`` (default: the item is public) adds the published copy."""
    colour = colour or (60 + next(_seq) % 150, 120, 180)
    stored = store_photos([prepare_photo(jpeg_bytes(size, colour))])[0]
    photo = ItemPhoto(item=item, entry=entry, stage=stage, original_key=stored.key,
                      original_thumb_key=stored.thumb_key, width=stored.width, height=stored.height)
    db.session.add(photo)
    if published is None:
        published = item.state in PUBLIC_STATES
    if published:
        copy = store_photos([prepare_photo(jpeg_bytes(size, colour))])[0]
        photo.published_key, photo.published_thumb_key = copy.key, copy.thumb_key
        photo.boxes = list(boxes or [])
        photo.redacted_at = utcnow()
    return photo


def make_item(state=EditorialState.PUBLISHED, *, kind=ItemKind.PLACE, title=None,
              description="菜市场门口垃圾堆积多日，无人清运。", unit=None, area=None, point=None, category=None,
              found_on=None, deadline=None, entries=(), photos=1, cases=(),
              published_at=None, unit_notified_at=None, actor=None, **kw):
    """An exposure item in ``state`` (an EditorialState or its value).

    ``entries``: follow-ups as ``(milestone, reported_on, text)`` tuples or dicts with those keys and an optional
    ``photos`` count (after photos for a RECTIFIED milestone); progress_on / rectified_on follow from them as the
    services maintain them. ``photos``: how many before photos. ``cases``: complaint cases to link.
    The trail gets one event per editorial step that leads to ``state``.
    """
    state = EditorialState(state)
    today = city_today()
    item = ExposureItem(
        kind=ItemKind(kind), state=state, title=title or f"人民路农贸市场脏乱差 {next(_seq)}", description=description,
        unit=unit, area=area or (point.area if point is not None else None), point=point, category=category,
        found_on=found_on or today - timedelta(days=3), deadline=deadline, created_by_id=getattr(actor, "id", None),
        **kw,
    )
    if state != EditorialState.DRAFT:
        item.unit_notified_at = unit_notified_at or utcnow() - timedelta(days=3)
    if state in PUBLIC_STATES:
        item.published_at = published_at or utcnow() - timedelta(days=1)
    db.session.add(item)
    _trail(item, state, actor)
    for case in cases:
        item.case_links.append(ItemCase(case=case))
    for _n in range(photos):
        make_photo(item)
    for spec in entries:
        _entry(item, spec, actor)
    db.session.commit()
    return item


def _trail(item, state, actor):
    actor_id = getattr(actor, "id", None)
    steps = [("submit", EditorialState.DRAFT, EditorialState.REVIEW),
             ("publish", EditorialState.REVIEW, EditorialState.PUBLISHED)]
    reached = {EditorialState.DRAFT: 0, EditorialState.REVIEW: 1, EditorialState.PUBLISHED: 2,
               EditorialState.ARCHIVED: 2, EditorialState.TAKEN_DOWN: 2}[state]
    for action, source, target in steps[:reached]:
        item.events.append(ItemEvent(action=action, actor_id=actor_id, from_state=source, to_state=target))
    if state == EditorialState.ARCHIVED:
        item.events.append(ItemEvent(action="archive", actor_id=actor_id, from_state=EditorialState.PUBLISHED,
                                     to_state=state))
    if state == EditorialState.TAKEN_DOWN:
        item.takedown_reason = item.takedown_reason or "信息有误"
        item.events.append(ItemEvent(action="take_down", actor_id=actor_id, from_state=EditorialState.PUBLISHED,
                                     to_state=state, reason=item.takedown_reason))


def _entry(item, spec, actor):
    if not isinstance(spec, dict):
        milestone, reported_on, text = spec
        spec = {"milestone": milestone, "reported_on": reported_on, "text": text}
    milestone = EntryMilestone(spec.get("milestone", EntryMilestone.UPDATE))
    reported_on = spec.get("reported_on") or city_today()
    entry = ItemEntry(item=item, milestone=milestone, reported_on=reported_on, text=spec.get("text", "追踪报道"),
                      created_by_id=getattr(actor, "id", None))
    db.session.add(entry)
    if milestone == EntryMilestone.PROGRESS and (item.progress_on is None or reported_on < item.progress_on):
        item.progress_on = reported_on
    if milestone == EntryMilestone.RECTIFIED and (item.rectified_on is None or reported_on < item.rectified_on):
        item.rectified_on = reported_on
    for _n in range(spec.get("photos", 0)):
        make_photo(item, entry=entry, stage="after" if milestone == EntryMilestone.RECTIFIED else "before")
    return entry


def stored_bytes(key):
    """The bytes of a stored photo file."""
    with get_storage().open(key) as fh:
        return fh.read()
