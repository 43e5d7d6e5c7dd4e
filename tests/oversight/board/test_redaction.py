"""Redaction: the published photo is a new file with the boxes blurred in and no metadata; the original is
never changed, and bad boxes are refused."""
import io

import pytest
from PIL import ExifTags, Image, ImageChops

from oversight.board import redaction
from oversight.board.models import ItemPhoto
from oversight.board.redaction import RedactionError, parse_boxes
from oversight.board.rules import BoardError
from portal.auth.models import Role
from portal.extensions import db
from portal.storage import get_storage
from tests.factories import make_user
from tests.oversight.board.factories import checkerboard_jpeg, make_item, stored_bytes
from tests.portal.test_photos import phone_exif

GPS = ExifTags.IFD.GPSInfo


def phone_photo(size=(400, 300)):
    """A detailed JPEG as a phone makes it: a checkerboard (so blur shows) and EXIF with make and GPS."""
    return checkerboard_jpeg(size, phone_exif())


@pytest.fixture
def photo(app):
    """An item photo whose stored original still carries EXIF/GPS (the worst case)."""
    item = make_item("review", photos=0)
    data = phone_photo()
    storage = get_storage()
    record = ItemPhoto(item_id=item.id, original_key=storage.save(data), original_thumb_key=storage.save(data),
                       width=400, height=300)
    db.session.add(record)
    db.session.commit()
    return record


def difference(a, b, box):
    diff = ImageChops.difference(a.crop(box).convert("L"), b.crop(box).convert("L"))
    return sum(diff.getdata()) / (diff.width * diff.height)


def test_the_published_file_is_blurred_inside_the_boxes_same_outside_and_has_no_exif(app, photo):
    original = stored_bytes(photo.original_key)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS)  # the original really has a position
    redaction.redact_photo(photo, [[100, 100, 120, 80]], make_user(Role.MODERATOR))
    db.session.commit()
    assert photo.published_key not in (None, photo.original_key)
    published = Image.open(io.BytesIO(stored_bytes(photo.published_key)))
    assert not published.getexif() and "exif" not in published.info and "comment" not in published.info
    source = Image.open(io.BytesIO(original))
    assert difference(source, published, (100, 100, 220, 180)) > 40  # the checkerboard is gone
    assert difference(source, published, (0, 0, 90, 90)) < 8  # elsewhere only JPEG noise
    assert stored_bytes(photo.original_key) == original
    thumb = Image.open(io.BytesIO(stored_bytes(photo.published_thumb_key)))
    assert max(thumb.size) <= redaction.THUMB_SIDE and not thumb.getexif()
    assert photo.boxes == [[100, 100, 120, 80]] and photo.redacted_by_id is not None


def test_zero_boxes_need_an_explicit_confirmation_and_still_make_a_new_file(app, photo):
    moderator = make_user(Role.MODERATOR)
    with pytest.raises(BoardError) as refused:
        redaction.redact_photo(photo, [], moderator)
    assert refused.value.code == "confirm_nothing" and photo.published_key is None
    redaction.redact_photo(photo, [], moderator, confirm_nothing=True)
    db.session.commit()
    assert photo.published_key and photo.published_key != photo.original_key
    assert not Image.open(io.BytesIO(stored_bytes(photo.published_key))).getexif()


def test_redacting_again_replaces_the_published_file_after_commit(app, photo):
    moderator = make_user(Role.MODERATOR)
    redaction.redact_photo(photo, [[0, 0, 50, 50]], moderator)
    db.session.commit()
    first = photo.published_key
    redaction.redact_photo(photo, [[10, 10, 50, 50], [200, 100, 30, 30]], moderator)
    assert get_storage().exists(first)  # still served until the change is committed
    db.session.commit()
    assert not get_storage().exists(first) and get_storage().exists(photo.published_key)


def test_a_rolled_back_redaction_leaves_no_new_file(app, photo):
    redaction.redact_photo(photo, [[0, 0, 50, 50]], make_user(Role.MODERATOR))
    key = photo.published_key
    db.session.rollback()
    assert not get_storage().exists(key)


@pytest.mark.parametrize("role", [Role.LEADER, Role.HANDLER, Role.DISPATCHER])
def test_only_editors_redact(app, photo, role):
    with pytest.raises(BoardError) as refused:
        redaction.redact_photo(photo, [[0, 0, 10, 10]], make_user(role))
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("raw, boxes", [
    ("", []),
    ("[[1, 2, 30, 40]]", [[1, 2, 30, 40]]),
    ("1, 2, 30, 40\n 100,100,10,10 \n", [[1, 2, 30, 40], [100, 100, 10, 10]]),
    ("5，5，20，20", [[5, 5, 20, 20]]),
    ("[[0.4, 0, 399.6, 300]]", [[0, 0, 400, 300]]),
])
def test_boxes_are_read_from_the_script_or_typed_by_hand(raw, boxes):
    assert parse_boxes(raw, 400, 300) == boxes


@pytest.mark.parametrize("raw, code", [
    ("1, 2, 3", "format"),
    ("a, b, c, d", "format"),
    ("[1, 2, 3, 4]", "format"),
    ("{", "format"),
    ("0, 0, 1, 10", "size"),
    ("0, 0, 10, -5", "size"),
    ("-1, 0, 10, 10", "outside"),
    ("390, 0, 20, 10", "outside"),
    ("0, 295, 10, 10", "outside"),
    ("\n".join(["0, 0, 10, 10"] * 51), "too_many"),
])
def test_bad_boxes_are_refused(raw, code):
    with pytest.raises(RedactionError) as refused:
        parse_boxes(raw, 400, 300)
    assert refused.value.code == code
