"""Share posters (PNG) for WeChat moments: the item's title, first published photo, status and a QR code back to
its page. Chinese text is drawn with the vendored Noto Sans SC subset (static/fonts), never a system font, and
posters are cached in memory per (item, last change, language, status, photo)."""
import io
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import qrcode
import qrcode.image.pil
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

from oversight.board import queries as public
from oversight.board.models import ItemKind, RectificationStatus
from portal.city import get_city_settings
from portal.config import ROOT
from portal.i18n import localized
from portal.storage import StorageError, get_storage

FONT_PATH = Path(ROOT) / "static" / "fonts" / "NotoSansSC-Medium-subset.ttf"
WIDTH, HEIGHT = 750, 1334
MARGIN = 40
PHOTO_BOX = (WIDTH - 2 * MARGIN, 500)
QR_SIDE = 240
CACHE_SIZE = 64

STATUS_COLOURS = {
    RectificationStatus.PENDING: (230, 145, 20),
    RectificationStatus.IN_PROGRESS: (40, 110, 200),
    RectificationStatus.DONE: (7, 160, 90),
    RectificationStatus.OVERDUE: (210, 40, 40),
}
PRAISE_COLOUR = (200, 30, 40)
BOARD_COLOUR = (40, 40, 40)
_TOKENS = re.compile(r"[A-Za-z0-9@#%&'.,:;!?()\-]+|\s+|.", re.S)

_cache = OrderedDict()
_lock = threading.Lock()


@lru_cache(maxsize=8)
def font(size):
    return ImageFont.truetype(str(FONT_PATH), size)


def wrap(text, size, width, max_lines):
    """Lines of ``text`` no wider than ``width`` pixels: CJK breaks anywhere, Latin words stay whole."""
    face = font(size)
    lines, line = [], ""
    for token in _TOKENS.findall(" ".join((text or "").split())):
        candidate = line + token
        if face.getlength(candidate) <= width or not line:
            line = candidate
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and face.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _first_photo(item):
    before, after = public.published_photos(item)
    photos = before + after
    return photos[0] if photos else None


def _photo_image(photo):
    try:
        with get_storage().open(photo.published_key) as fh:
            image = Image.open(fh)
            image.load()
    except (OSError, StorageError):
        return None
    return ImageOps.fit(image.convert("RGB"), PHOTO_BOX)


def _qr_image(url):
    """The QR code with whole-pixel modules (crisp when a phone's camera reads it off a screen)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=2)
    code.add_data(url)
    code.make(fit=True)
    modules = len(code.get_matrix())
    code.box_size = max(1, QR_SIDE // modules)
    image = code.make_image(image_factory=qrcode.image.pil.PilImage).get_image().convert("RGB")
    canvas = Image.new("RGB", (QR_SIDE, QR_SIDE), (255, 255, 255))
    canvas.paste(image, ((QR_SIDE - image.width) // 2, (QR_SIDE - image.height) // 2))
    return canvas


def render_poster(item, today, url):
    """The poster as PNG bytes, in the current request's language."""
    poster = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(poster)
    praise = item.kind == ItemKind.PRAISE
    band = PRAISE_COLOUR if praise else BOARD_COLOUR
    draw.rectangle((0, 0, WIDTH, 120), fill=band)
    heading = _("Praise") if praise else _("Exposure board")
    draw.text((MARGIN, 28), f"{get_city_settings().display_city_name} · {heading}", font=font(40),
              fill=(255, 255, 255))

    y = 150
    for line in wrap(localized(item.title, None, item.title_en), 44, WIDTH - 2 * MARGIN, 3):
        draw.text((MARGIN, y), line, font=font(44), fill=(20, 20, 20))
        y += 60
    y += 10

    if not praise:
        status = item.status(today)
        label = status.label
        box_width = int(font(32).getlength(label)) + 36
        draw.rounded_rectangle((MARGIN, y, MARGIN + box_width, y + 56), radius=10, fill=STATUS_COLOURS[status])
        draw.text((MARGIN + 18, y + 8), label, font=font(32), fill=(255, 255, 255))
        y += 76

    photo = _first_photo(item)
    image = _photo_image(photo) if photo is not None else None
    if image is not None:
        poster.paste(image, (MARGIN, y))
    else:
        draw.rectangle((MARGIN, y, MARGIN + PHOTO_BOX[0], y + PHOTO_BOX[1]), fill=(238, 238, 238))
    y += PHOTO_BOX[1] + 24

    details = []
    if item.unit is not None:
        details.append(_("Responsible unit: %(unit)s", unit=item.unit.display_name))
    if item.deadline is not None and not praise:
        details.append(_("Deadline: %(date)s", date=item.deadline.isoformat()))
    details.append(_("Found on %(date)s", date=item.found_on.isoformat()))
    text_width = WIDTH - 2 * MARGIN - QR_SIDE - 24
    qr_top = HEIGHT - MARGIN - QR_SIDE - 40
    for detail in details:
        for line in wrap(detail, 28, WIDTH - 2 * MARGIN, 2):
            if y + 40 > qr_top:
                break
            draw.text((MARGIN, y), line, font=font(28), fill=(80, 80, 80))
            y += 40

    poster.paste(_qr_image(url), (WIDTH - MARGIN - QR_SIDE, qr_top))
    hint_y = qr_top + 60
    for line in wrap(_("Scan the code to read the item and its follow-ups"), 28, text_width, 4):
        draw.text((MARGIN, hint_y), line, font=font(28), fill=(120, 120, 120))
        hint_y += 40
    buffer = io.BytesIO()
    poster.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def poster_for(item, today, locale, url):
    """The cached poster of ``item``; a change of the item, its status, its photo or the language redraws it."""
    photo = _first_photo(item)
    status = None if item.kind == ItemKind.PRAISE else item.status(today).value
    key = (item.id, item.updated_at.isoformat(), locale, status, photo.published_key if photo else None, url)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    png = render_poster(item, today, url)
    with _lock:
        _cache[key] = png
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return png


def clear_cache():
    with _lock:
        _cache.clear()
