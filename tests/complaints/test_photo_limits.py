"""Photos cannot take the server down: the pixels a photo decodes to are capped (PHOTO_MAX_MEGAPIXELS), big JPEGs
are decoded at a reduced scale, other formats past the cap are refused before decoding with a clear message, and
each process decodes only a few photos at once. Images are generated here; nothing big is committed."""
import io
import threading
import uuid

import pytest
from PIL import Image, ImageFile

from complaints.models import Case
from portal import photos
from portal.extensions import db
from tests.complaints.test_intake import multipart
from tests.factories import make_area, make_category


def png(width, height):
    """A flat PNG: a few KB on the wire, ``width`` × ``height`` pixels once decoded."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width, height):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 200)).save(buffer, "JPEG", quality=50)
    return buffer.getvalue()


@pytest.fixture
def capped(make_app):
    """An app whose photos may decode to at most one million pixels (small images exercise the cap)."""
    app = make_app(PHOTO_MAX_MEGAPIXELS=1)
    with app.app_context():
        yield app


def test_a_png_decoding_past_the_cap_is_refused_before_decoding(capped, monkeypatch):
    data = png(1200, 1000)  # 1.2 million pixels > 1 million
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))

    with pytest.raises(photos.PhotoError) as refused:
        photos.prepare_photo(data)

    assert refused.value.code == photos.TOO_MANY_PIXELS and decoded == []


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_within_the_cap(capped):
    prepared = photos.prepare_photo(jpeg(2400, 2000))  # 4.8 MP; at 1/4 scale 600 × 500 = 0.3 MP ≤ 1 MP

    assert (prepared.width, prepared.height) == (600, 500)


def test_a_photo_within_the_cap_keeps_the_stored_size(app):
    prepared = photos.prepare_photo(jpeg(4096, 3072))  # 12.6 MP ≤ 16 MP (default); at 1/2: 2048 × 1536

    assert (prepared.width, prepared.height) == (2048, 1536)


def test_the_report_form_says_so_in_the_readers_language_and_stores_nothing(capped):
    client = capped.test_client()
    client.set_cookie("lang", "en")
    area, category = make_area("人民街道"), make_category()
    data = {"category_id": str(category.id), "area_id": str(area.id), "description": "公厕门口垃圾堆了三天",
            "idempotency_key": uuid.uuid4().hex, "photos": [(io.BytesIO(png(1200, 1000)), "big.png")]}

    response = client.post("/report", **multipart(data))

    assert response.status_code == 422
    assert "Photo 1 (big.png) has more than 1 million pixels." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_photos_beyond_the_concurrency_wait_their_turn_then_are_asked_to_try_again(make_app, monkeypatch):
    app = make_app(PHOTO_CONCURRENCY=1, PHOTO_WAIT_SECONDS=0.2)
    inside, release = threading.Event(), threading.Event()
    real = photos._prepare

    def slow(data):
        inside.set()
        release.wait(5)
        return real(data)

    monkeypatch.setattr(photos, "_prepare", slow)
    results = {}

    def first():
        with app.app_context():
            results["first"] = photos.prepare_photo(jpeg(64, 48))

    worker = threading.Thread(target=first)
    worker.start()
    assert inside.wait(5)
    with app.app_context(), pytest.raises(photos.PhotoError) as refused:
        photos.prepare_photo(jpeg(64, 48))  # the one slot is taken for longer than 0.2 s
    release.set()
    worker.join(5)

    assert refused.value.code == photos.BUSY and results["first"].width == 64
    with app.app_context():
        assert photos.prepare_photo(jpeg(64, 48)).width == 64  # the slot was given back
        assert "上传照片的人很多" in photos.describe(photos.BUSY, 1, "a.jpg")  # the city's language by default
