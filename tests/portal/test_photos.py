"""Photos: only real pictures get in; they are stored upright, shrunk, with a thumbnail and without EXIF/GPS."""
import io

import pytest
from PIL import ExifTags, Image

from complaints import intake
from complaints.models import Case
from portal import photos
from portal.extensions import db
from portal.storage import LocalStorage, StorageError, get_storage
from tests.complaints.test_intake import case_count, image_bytes, png_declaring, post_report, report_data, stored_files
from tests.factories import make_area, make_category

GPS = ExifTags.IFD.GPSInfo
ORIENTATION = ExifTags.Base.Orientation


def phone_exif():
    """The EXIF a phone writes: camera make and the GPS position where the picture was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Minsheng Phone"
    gps = exif.get_ifd(GPS)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 51.0)
    return exif


def photo_with_gps(size=(120, 80)):
    """A JPEG as a phone makes it: camera make, GPS position and time in its EXIF."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(buffer, "JPEG", exif=phone_exif(), comment=b"taken at home")
    return buffer.getvalue()


def sideways_photo():
    """200x100 pixels stored sideways (left half red, right half blue) with EXIF orientation 6: 'rotate 90° CW'."""
    image = Image.new("RGB", (200, 100), (220, 0, 0))
    image.paste((0, 0, 220), (100, 0, 200, 100))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def stored_image(key):
    return Image.open(io.BytesIO(get_storage().path(key).read_bytes()))


def test_gps_and_all_other_metadata_are_stripped_from_the_stored_file(app):
    original = Image.open(io.BytesIO(photo_with_gps()))
    assert original.getexif().get_ifd(GPS)  # the upload really carries a position

    stored = photos.store_photos([photos.prepare_photo(photo_with_gps())])[0]

    for key in (stored.key, stored.thumb_key):
        data = get_storage().path(key).read_bytes()
        image = stored_image(key)
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
        assert b"Exif\x00\x00" not in data and b"Minsheng Phone" not in data and b"taken at home" not in data


def test_a_report_through_the_form_stores_no_gps(app, uploads):
    area, category = make_area("示范区"), make_category()
    data = report_data(category, area_id=str(area.id), photos=[("IMG_0001.JPG", photo_with_gps())])

    response = post_report(app.test_client(), data)

    assert response.status_code == 302
    files = [p for p in uploads.rglob("*.jpg")]
    assert len(files) == 2 and db.session.scalars(db.select(Case)).one().photos
    assert all(b"Exif" not in p.read_bytes() for p in files)


def test_the_exif_orientation_is_applied_before_it_is_dropped(app):
    prepared = photos.prepare_photo(sideways_photo())

    image = Image.open(io.BytesIO(prepared.full))
    assert image.size == (100, 200) == (prepared.width, prepared.height)  # now portrait
    top, bottom = image.getpixel((50, 20)), image.getpixel((50, 180))
    assert top[0] > 150 and top[2] < 80  # the red half is on top after turning 90° clockwise
    assert bottom[2] > 150 and bottom[0] < 80
    assert ORIENTATION not in image.getexif()


def test_large_photos_are_shrunk_and_get_a_thumbnail(app):
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 120, 60)).save(buffer, "PNG")

    prepared = photos.prepare_photo(buffer.getvalue())

    full, thumb = Image.open(io.BytesIO(prepared.full)), Image.open(io.BytesIO(prepared.thumb))
    assert full.format == thumb.format == "JPEG"
    assert full.size == (2048, 1536) == (prepared.width, prepared.height)
    assert thumb.size == (320, 240)


def test_small_photos_are_not_enlarged(app):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200)).save(buffer, "WEBP")
    prepared = photos.prepare_photo(buffer.getvalue())
    assert (prepared.width, prepared.height) == (300, 200)


def test_transparent_pixels_become_white(app):
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(buffer, "PNG")
    image = Image.open(io.BytesIO(photos.prepare_photo(buffer.getvalue()).full))
    assert min(image.getpixel((10, 10))) > 245


def test_heic_photos_from_iphones_are_accepted(app):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buffer = io.BytesIO()
    try:
        Image.new("RGB", (640, 480), (200, 50, 50)).save(buffer, "HEIF", quality=80)
    except (KeyError, OSError, ValueError) as exc:
        pytest.skip(f"this pillow-heif build cannot write HEIC to test with: {exc}")

    prepared = photos.prepare_photo(buffer.getvalue())

    assert Image.open(io.BytesIO(prepared.full)).format == "JPEG"
    assert (prepared.width, prepared.height) == (640, 480)


@pytest.mark.parametrize("data, code", [
    (b"just some text pretending to be a photo", photos.NOT_IMAGE),
    (b"", photos.NOT_IMAGE),
    (photo_with_gps()[:300], photos.NOT_IMAGE),  # cut off in the middle
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", photos.NOT_IMAGE),  # a format we don't take
])
def test_what_is_not_a_readable_photo_is_refused(app, data, code):
    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare_photo(data)
    assert refused.value.code == code


def test_a_decompression_bomb_is_refused_before_it_is_decoded(app):
    for width, height in ((20000, 20000), (10000, 6000)):  # past Pillow's own guard, and past ours only
        with pytest.raises(photos.PhotoError) as refused:
            photos.prepare_photo(png_declaring(width, height))
        assert refused.value.code == photos.TOO_MANY_PIXELS


def test_storage_keys_are_random_and_nothing_else_is_accepted_as_a_key(tmp_path):
    storage = LocalStorage(tmp_path)
    first, second = storage.save(b"one"), storage.save(b"two")

    with storage.open(first) as fh:
        assert first != second and fh.read() == b"one"
    for bad in ("../../etc/passwd", "ab/../../secret.jpg", "/etc/passwd", first + "/..", "AB/" + first[3:]):
        with pytest.raises(StorageError):
            storage.path(bad)
    with pytest.raises(StorageError):
        storage.save(b"<svg/>", ".svg")
    storage.delete(first)
    assert not storage.exists(first) and storage.exists(second)


def test_a_failed_write_leaves_no_files_behind(app, uploads, monkeypatch):
    prepared = [photos.prepare_photo(sideways_photo()) for _ in range(3)]
    storage = get_storage()
    original, writes = storage.save, []

    def flaky_save(data, suffix=".jpg"):
        if len(writes) == 4:
            raise OSError("disk full")
        writes.append(1)
        return original(data, suffix)

    monkeypatch.setattr(storage, "save", flaky_save)
    with pytest.raises(OSError):
        photos.store_photos(prepared)
    assert [p for p in uploads.rglob("*") if p.is_file()] == []


# Uploads that never become a case --------------------------------------------------------------------------

def test_an_upload_over_the_request_limit_gets_a_friendly_page(app, make_app, tmp_path):
    area, category = make_area("示范区"), make_category()
    client = make_app(MAX_CONTENT_LENGTH=1024 * 1024, UPLOAD_FOLDER=str(tmp_path / "limit")).test_client()
    client.set_cookie("lang", "en")

    response = post_report(client, report_data(category, area_id=str(area.id),
                                               photos=[("a.jpg", b"\xff" * (2 * 1024 * 1024))]))

    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Your photos are too large to send together" in page and 'href="/report"' in page
    assert case_count() == 0


def test_files_are_deleted_again_when_the_database_refuses_the_report(app, uploads, monkeypatch):
    def refuse(**_kwargs):
        raise RuntimeError("database went away")

    area, category = make_area("示范区"), make_category()
    monkeypatch.setattr(intake.services, "submit_report", refuse)
    with pytest.raises(RuntimeError):
        post_report(app.test_client(), report_data(category, area_id=str(area.id),
                                                   photos=[("a.jpg", image_bytes()), ("b.jpg", image_bytes())]))

    assert stored_files(uploads) == [] and case_count() == 0
