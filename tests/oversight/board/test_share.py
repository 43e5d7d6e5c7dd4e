"""Share posters: a PNG with the title, status, first published photo and a QR code back to the item."""
import io

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from oversight.board import share
from portal.extensions import db
from tests.oversight.board.public_world import build_world


@pytest.fixture
def world(app):
    share.clear_cache()
    return build_world()


def poster(client, item, lang="zh_Hans"):
    response = client.get(f"/board/items/{item.id}/share.png?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.data))


def test_poster_is_a_png_whose_qr_code_leads_back_to_the_item(client, world):
    image = poster(client, world.done)
    assert image.size == (share.WIDTH, share.HEIGHT)
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [f"http://minsheng.test/board/items/{world.done.id}"]


def test_poster_shows_the_first_published_photo(client, world):
    image = poster(client, world.done).convert("RGB")
    photo_box = image.crop((share.MARGIN + 20, 400, share.MARGIN + 200, 500))
    colours = {colour for _count, colour in photo_box.getcolors(maxcolors=100000)}
    assert (238, 238, 238) not in colours  # not the grey placeholder of an item without photos
    assert len(colours) < 50  # the flat test photo, not text


def test_poster_is_drawn_with_the_vendored_cjk_font(client, world):
    assert share.FONT_PATH.is_file()
    face = share.font(40)
    assert face.getbbox("曝")[2] > 20  # a real glyph, not a missing-glyph box of zero width
    lines = share.wrap("柳荫农贸市场门口垃圾堆积多日无人清运影响周边居民生活" * 3, 44, 670, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")


def drawn_texts(client, monkeypatch, item, lang):
    """The texts drawn on the item's poster in ``lang``."""
    texts = []
    real = ImageDraw.ImageDraw.text

    def recording(self, xy, text, *args, **kwargs):
        texts.append(text)
        return real(self, xy, text, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(ImageDraw.ImageDraw, "text", recording)
        poster(client, item, lang)
    return texts


def test_poster_language_and_status_change_the_image(client, world, monkeypatch):
    english = drawn_texts(client, monkeypatch, world.overdue, "en")
    assert "Overdue, not rectified" in english
    assert any(text.startswith("Responsible unit: ") for text in english)
    chinese = drawn_texts(client, monkeypatch, world.overdue, "zh_Hans")
    assert "Overdue, not rectified" not in chinese and "解放路流动摊贩占道" in chinese
    world.overdue.rectified_on = world.today
    db.session.commit()
    assert "Rectified" in drawn_texts(client, monkeypatch, world.overdue, "en")  # a new poster, not the cached one


def test_poster_is_cached_until_the_item_changes(client, world, monkeypatch):
    calls = []
    real = share.render_poster

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(share, "render_poster", counting)
    first = client.get(f"/board/items/{world.pending.id}/share.png").data
    second = client.get(f"/board/items/{world.pending.id}/share.png").data
    assert first == second and len(calls) == 1
    world.pending.title = "柳荫农贸市场门口垃圾堆积（更新）"
    db.session.commit()
    client.get(f"/board/items/{world.pending.id}/share.png")
    assert len(calls) == 2


def test_praise_poster_and_taken_down_item(client, world):
    assert zxingcpp.read_barcodes(poster(client, world.praise, "en"))
    assert client.get(f"/board/items/{world.taken_down.id}/share.png").status_code == 410
