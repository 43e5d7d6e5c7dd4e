"""Redaction: burn a strong blur into the boxes a moderator drew on a photo and write the result as a NEW file.

The original stays as it was, on the staff side only. The published file (and its thumbnail) is re-encoded from
pixels alone, so no EXIF, GPS or comment of the original can travel with it. Boxes are ``[x, y, w, h]`` in the
original's pixels. No automatic face detection: manual boxes always work (see the README of the board).
"""
import io
import json

from flask import current_app, has_app_context
from PIL import Image, ImageFilter
from sqlalchemy import event
from sqlalchemy.orm import Session

from oversight.board.rules import BoardError, record_event, require
from portal.auth import audit
from portal.auth.permissions import Permission
from portal.clock import utcnow
from portal.extensions import db
from portal.storage import StorageError, get_storage

MAX_BOXES = 50
MIN_SIDE = 2  # pixels: anything smaller hides nothing
THUMB_SIDE = 320
JPEG_QUALITY = 85
PIXEL_BLOCKS = 8  # the blurred box is reduced to about this many blocks along its shorter side

class RedactionError(Exception):
    def __init__(self, code, number=None):
        super().__init__(code)
        self.code, self.number = code, number


def parse_boxes(raw, width, height):
    """Boxes from the form: JSON ``[[x, y, w, h], ...]`` (the drawing script) or one ``x, y, w, h`` per line
    (typed by hand). Returns a list of 4-int lists; raises RedactionError for anything else."""
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            boxes = []
        elif text.startswith("["):
            try:
                boxes = json.loads(text)
            except ValueError:
                raise RedactionError("format") from None
        else:
            boxes = [[part.strip() for part in line.replace("，", ",").split(",")]
                     for line in text.splitlines() if line.strip()]
    else:
        boxes = list(raw or [])
    if not isinstance(boxes, list):
        raise RedactionError("format")
    if len(boxes) > MAX_BOXES:
        raise RedactionError("too_many")
    clean = []
    for number, box in enumerate(boxes, start=1):
        if not isinstance(box, (list, tuple)) or len(box) != 4:
            raise RedactionError("format", number)
        try:
            x, y, w, h = (_whole(v) for v in box)
        except (TypeError, ValueError):
            raise RedactionError("format", number) from None
        if w < MIN_SIDE or h < MIN_SIDE:
            raise RedactionError("size", number)
        if x < 0 or y < 0 or x + w > width or y + h > height:
            raise RedactionError("outside", number)
        clean.append([x, y, w, h])
    return clean


def _whole(value):
    if isinstance(value, bool):
        raise TypeError("not a number")
    if isinstance(value, float):
        if not value.is_integer():
            return round(value)
        return int(value)
    return int(str(value).strip())


def blur_boxes(image, boxes):
    """A copy of ``image`` with each box Gaussian-blurred, then pixelated: nothing readable survives."""
    result = image.copy()
    for x, y, w, h in boxes:
        region = result.crop((x, y, x + w, y + h))
        region = region.filter(ImageFilter.GaussianBlur(radius=max(4, min(w, h) / 4)))
        block = max(1, min(w, h) // PIXEL_BLOCKS)
        small = region.resize((max(1, w // block), max(1, h // block)), Image.Resampling.BILINEAR)
        region = small.resize((w, h), Image.Resampling.NEAREST)
        result.paste(region, (x, y))
    return result


def _encode(image):
    """JPEG from pixels only: a fresh image, so no EXIF, GPS, XMP, comment or profile is carried over."""
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def render_published(original_bytes, boxes):
    """(full JPEG, thumbnail JPEG) of the published version of a photo."""
    with Image.open(io.BytesIO(original_bytes)) as image:
        image.load()
        picture = image.convert("RGB")
    blurred = blur_boxes(picture, boxes)
    thumb = blurred.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return _encode(blurred), _encode(thumb)


def redact_photo(photo, boxes, actor, confirm_nothing=False):
    """Write the published version of ``photo`` with ``boxes`` blurred in. With no box, the moderator must confirm
    that there is nothing to blur (the photo is still re-encoded as a new file). Replaces an earlier version."""
    require(actor, Permission.BOARD_EDIT)
    item = photo.item
    if item.state.value == "taken_down":
        raise BoardError("taken_down")
    if not boxes and not confirm_nothing:
        raise BoardError("confirm_nothing", field="confirm_nothing")
    storage = get_storage()
    try:
        original = storage.read(photo.original_key)
    except (OSError, StorageError):
        raise BoardError("photo_missing") from None
    key, thumb_key = storage.save_pair(*render_published(original, boxes))
    delete_on_rollback([key, thumb_key])
    delete_after_commit([k for k in (photo.published_key, photo.published_thumb_key) if k])
    photo.published_key, photo.published_thumb_key = key, thumb_key
    photo.boxes = [list(b) for b in boxes]
    photo.redacted_by_id, photo.redacted_at = actor.id, utcnow()
    record_event(item, actor, "redact", reason=str(len(boxes)))
    audit.record(actor, "redact", item, summary=item.title, changes={"photo": photo.id, "boxes": len(boxes)})
    db.session.flush()
    return photo


# ---------------------------------------------------------------- files follow the transaction

_AFTER_COMMIT = "board_files_after_commit"
_ON_ROLLBACK = "board_files_on_rollback"


def _listen():
    if not event.contains(Session, "after_commit", _delete_committed):
        event.listen(Session, "after_commit", _delete_committed)
        event.listen(Session, "after_rollback", _delete_rolled_back)


def delete_after_commit(keys):
    """Files that the database stops pointing at: deleted once that change is committed, kept if it is not."""
    if keys:
        _listen()
        db.session.info.setdefault(_AFTER_COMMIT, []).extend(keys)


def delete_on_rollback(keys):
    """New files that only a committed row makes useful: deleted if the transaction is rolled back."""
    if keys:
        _listen()
        db.session.info.setdefault(_ON_ROLLBACK, []).extend(keys)


def delete_files(keys):
    """Delete these stored files now, logging (not raising) what cannot be deleted."""
    if not has_app_context():
        return
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except (OSError, StorageError):
            current_app.logger.exception("could not delete board photo file %s", key)


def _delete_committed(session):
    session.info.pop(_ON_ROLLBACK, None)
    delete_files(session.info.pop(_AFTER_COMMIT, []))


def _delete_rolled_back(session):
    session.info.pop(_AFTER_COMMIT, None)
    delete_files(session.info.pop(_ON_ROLLBACK, []))
