"""Photo storage: the local folder and the S3-compatible store behave the same (the same tests run on both), and a
photo report works end to end with photos in a bucket shared by every web machine."""
import io
import uuid

import pytest
from PIL import Image

from complaints.models import Case
from oversight.board import redaction
from oversight.board.models import ItemPhoto
from portal.auth.models import Role
from portal.extensions import db
from portal.storage import LocalStorage, StorageError, get_storage, storage_from_config
from tests.factories import make_area, make_category, make_user
from tests.oversight.board.factories import checkerboard_jpeg, jpeg_bytes, make_item
from tests.s3server import bucket_keys, s3_config, s3_endpoint  # noqa: F401 - fixtures

BAD_KEYS = ["../../etc/passwd", "ab/../../secret.jpg", "/etc/passwd", "AB/" + "0" * 32 + ".jpg",
            "ab/" + "0" * 32 + ".jpg\x00", "ab/" + "0" * 32 + ".svg", "", None, 7, "ab/" + "0" * 32 + ".jpg/.."]


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    config = request.getfixturevalue("s3_config")
    return storage_from_config(config, str(tmp_path))


def test_a_saved_photo_reads_back_byte_for_byte_under_a_new_random_key(storage):
    first, second = storage.save(b"\xff\xd8one"), storage.save(b"\xff\xd8two")

    assert first != second
    with storage.open(first) as fh:
        assert fh.read() == b"\xff\xd8one"
    assert storage.read(second) == b"\xff\xd8two"
    assert storage.exists(first) and storage.exists(second)


def test_a_photo_and_its_thumbnail_are_saved_as_a_pair_or_not_at_all(storage, monkeypatch):
    key, thumb_key = storage.save_pair(b"\xff\xd8full", b"\xff\xd8thumb")
    assert storage.read(key) == b"\xff\xd8full" and storage.read(thumb_key) == b"\xff\xd8thumb"

    saved, real_save = [], storage.save

    def thumbnail_fails(data, suffix=".jpg"):
        if data == b"\xff\xd8thumb2":
            raise StorageError("disk full")
        saved.append(real_save(data, suffix))
        return saved[-1]

    monkeypatch.setattr(storage, "save", thumbnail_fails)
    with pytest.raises(StorageError):
        storage.save_pair(b"\xff\xd8full2", b"\xff\xd8thumb2")
    assert len(saved) == 1 and not storage.exists(saved[0])  # the full-size half did not stay behind
    assert storage.exists(key) and storage.exists(thumb_key)


def test_a_deleted_photo_is_gone_and_deleting_it_again_is_harmless(storage):
    first, second = storage.save(b"one"), storage.save(b"two")

    storage.delete(first)
    storage.delete(first)

    assert not storage.exists(first) and storage.exists(second)
    with pytest.raises(FileNotFoundError):
        storage.open(first)


def test_a_key_that_was_never_saved_does_not_exist(storage):
    never = "ab/" + "0" * 32 + ".jpg"
    assert not storage.exists(never)
    with pytest.raises(FileNotFoundError):
        storage.open(never)


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_anything_but_a_key_the_store_made_is_refused_by_every_operation(storage, bad):
    for operation in (storage.open, storage.exists, storage.delete, storage.read):
        with pytest.raises(StorageError):
            operation(bad)


def test_only_jpeg_is_stored(storage):
    with pytest.raises(StorageError):
        storage.save(b"<svg/>", ".svg")


def test_the_store_is_chosen_by_config_and_a_wrong_choice_says_what_is_wrong(tmp_path):
    assert isinstance(storage_from_config({}, str(tmp_path)), LocalStorage)
    assert storage_from_config({"UPLOAD_FOLDER": str(tmp_path / "x")}, "/nowhere").root == tmp_path / "x"
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        storage_from_config({"UPLOAD_STORE": "s3"}, str(tmp_path))
    with pytest.raises(RuntimeError, match="'ftp'"):
        storage_from_config({"UPLOAD_STORE": "ftp"}, str(tmp_path))


# End to end with the S3 store ---------------------------------------------------------------------------------------

@pytest.fixture
def s3_app(make_app, s3_config):  # noqa: F811 - fixture
    app = make_app(**s3_config)
    with app.app_context():
        yield app


def test_a_photo_report_stores_its_photos_in_the_bucket_and_the_reporter_sees_them(s3_app, s3_config, uploads):  # noqa: F811
    client = s3_app.test_client()
    area, category = make_area("示范区"), make_category()

    response = client.post("/report", data={
        "category_id": str(category.id), "area_id": str(area.id), "description": "东门垃圾桶满了没人清",
        "idempotency_key": uuid.uuid4().hex, "photos": [(io.BytesIO(jpeg_bytes(colour=(200, 0, 0))), "before.jpg")],
    }, content_type="multipart/form-data")

    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    photo = case.photos[0]
    assert bucket_keys(s3_config) == sorted([photo.key, photo.thumb_key])
    assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]
    with client.get(f"/track/{case.number}/photos/{photo.id}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert "private" in served.headers["Cache-Control"]
        assert Image.open(io.BytesIO(served.data)).getpixel((5, 5))[0] > 150  # the red photo
    assert s3_app.test_client().get(f"/track/{case.number}/photos/{photo.id}").status_code == 404  # a stranger


def test_the_board_serves_the_redacted_copy_from_the_bucket_and_never_the_original(s3_app, s3_config):  # noqa: F811
    item = make_item(photos=0)
    storage = get_storage()
    photo = ItemPhoto(item_id=item.id, original_key=storage.save(checkerboard_jpeg()),
                      original_thumb_key=storage.save(checkerboard_jpeg()), width=400, height=300)
    db.session.add(photo)
    db.session.commit()
    client = s3_app.test_client()
    assert client.get(f"/board/photos/{photo.id}").status_code == 404  # not redacted yet: nothing public

    redaction.redact_photo(photo, [[0, 0, 100, 100]], make_user(Role.MODERATOR))
    db.session.commit()

    with client.get(f"/board/photos/{photo.id}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert served.headers["Cache-Control"].startswith("public")
        assert served.data == get_storage().read(photo.published_key)
        published = Image.open(io.BytesIO(served.data)).convert("L")
        original = Image.open(io.BytesIO(storage.read(photo.original_key))).convert("L")
        assert published.getpixel((45, 55)) != original.getpixel((45, 55))  # blurred inside the box
        assert abs(published.getpixel((305, 205)) - original.getpixel((305, 205))) < 40  # the same outside
    with client.get(f"/board/photos/{photo.id}", headers={"If-None-Match": served.headers["ETag"]}) as again:
        assert again.status_code == 304
    assert set(bucket_keys(s3_config)) == {photo.original_key, photo.original_thumb_key, photo.published_key,
                                           photo.published_thumb_key}


def test_a_photo_missing_from_the_bucket_answers_404_not_500(s3_app):
    item = make_item()
    photo = item.photos[0]
    get_storage().delete(photo.published_key)

    assert s3_app.test_client().get(f"/board/photos/{photo.id}").status_code == 404
