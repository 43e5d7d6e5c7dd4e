"""Photo uploads: check that each file is a real picture, turn it upright, strip its metadata, shrink it and make
a thumbnail; store the results and serve them back through routes that have checked access.

Everything is checked in memory first: files reach storage only once every photo of a report has passed, and
``store_photos``/``discard`` let the caller delete them again if the database refuses the report.
"""
import io
import logging
import threading
from dataclasses import dataclass
from functools import cache

from flask import abort, current_app, has_app_context, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.storage import StorageError, get_storage

log = logging.getLogger(__name__)

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # per file; the whole request is capped by MAX_CONTENT_LENGTH (64 MB)
MAX_PIXELS = 50_000_000  # the most a header may claim at all (a 50-megapixel phone camera), checked before decoding
MAX_SIDE = 2048
THUMB_SIDE = 320
JPEG_QUALITY = 85
FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "HEIF"})  # MPO: phone JPEGs with a depth/preview frame

TOO_MANY, TOO_LARGE, NOT_IMAGE, TOO_MANY_PIXELS = "too_many", "too_large", "not_image", "too_many_pixels"
BUSY = "busy"
# Decoding is where a photo costs: a 7000×7000 PNG of 160 KB decodes to 147 MB and seconds of CPU. The pixels a
# photo may decode to are capped (config PHOTO_MAX_MEGAPIXELS); JPEGs are decoded at a reduced scale that fits the
# cap (Pillow's draft mode, 1/2 to 1/8), other formats cannot be and are refused past it. Per process, at most
# PHOTO_CONCURRENCY photos are decoded at once; a request waits PHOTO_WAIT_SECONDS for its turn, then the form comes
# back asking to try again, so a burst of big photos cannot hold every worker thread.
_slots = {}
_slots_guard = threading.Lock()


class PhotoError(Exception):
    """A photo we refuse; ``code`` is one of TOO_MANY, TOO_LARGE, NOT_IMAGE, TOO_MANY_PIXELS, BUSY."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class PhotoProblem:
    """Why one upload of a form was refused: its position (1-based), its file name as sent, and the code."""

    number: int
    filename: str
    code: str

    @property
    def message(self):
        return describe(self.code, self.number, self.filename)


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked photo, re-encoded in memory and not stored yet."""

    full: bytes
    thumb: bytes
    width: int
    height: int


@dataclass(frozen=True)
class StoredPhoto:
    """A photo in storage: what ``complaints.services`` attaches to a case."""

    key: str
    thumb_key: str
    width: int
    height: int


def describe(code, number=0, filename=""):
    """The reader's-language message for a refused photo: whole sentences, so translators can order them freely."""
    limits = {"count": MAX_PHOTOS, "mb": MAX_PHOTO_BYTES // (1024 * 1024), "mp": max_decoded_pixels() // 1_000_000,
              "number": number, "name": (filename or "")[:60]}
    if code == TOO_MANY:
        return _("Please choose at most %(count)d photos.", **limits)
    if code == TOO_LARGE:
        return _("Photo %(number)d (%(name)s) is larger than %(mb)d MB.", **limits)
    if code == TOO_MANY_PIXELS:
        return _("Photo %(number)d (%(name)s) has more than %(mp)d million pixels.", **limits)
    if code == BUSY:
        return _("Photo %(number)d (%(name)s) could not be processed now because many photos are being sent. "
                 "Please send the form again in a minute.", **limits)
    return _("Photo %(number)d (%(name)s) is not a picture we can read (JPEG, PNG, WebP or HEIC).", **limits)


@cache
def _register_heif():
    """Let Pillow open HEIC/HEIF (iPhone photos). Done on first use, not at import."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _config(name, default):
    return current_app.config.get(name, default) if has_app_context() else default


def max_decoded_pixels():
    """The most pixels one photo may decode to (config PHOTO_MAX_MEGAPIXELS, in millions)."""
    return int(float(_config("PHOTO_MAX_MEGAPIXELS", 16)) * 1_000_000)


def _slot():
    """This process's semaphore for decoding photos (PHOTO_CONCURRENCY at once)."""
    size = max(1, int(_config("PHOTO_CONCURRENCY", 2)))
    with _slots_guard:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


def _draft_to_fit(image, cap):
    """Ask the JPEG decoder for a reduced scale (1/2, 1/4, 1/8): the smallest reduction that fits the cap, or more
    as long as the long side stays at least MAX_SIDE (the stored size)."""
    width, height = image.size
    scales = (1, 2, 4, 8)
    fits = next((s for s in scales if -(-width // s) * -(-height // s) <= cap), 8)
    sharp = max((s for s in scales if -(-max(width, height) // s) >= MAX_SIDE), default=1)
    scale = max(fits, sharp)
    if scale > 1:
        image.draft("RGB", (max(1, width // scale), max(1, height // scale)))


def prepare_photo(data):
    """Check ``data`` is a JPEG/PNG/WebP/HEIC picture and return it upright, without metadata, as JPEG + thumbnail.

    Raises PhotoError. Any failure of the decoders on hostile input counts as "not a picture". At most
    PHOTO_CONCURRENCY photos are decoded at once in this process; past PHOTO_WAIT_SECONDS of waiting: BUSY.
    """
    slot = _slot()
    if not slot.acquire(timeout=float(_config("PHOTO_WAIT_SECONDS", 20))):
        raise PhotoError(BUSY)
    try:
        return _prepare(data)
    finally:
        slot.release()


def _prepare(data):
    _register_heif()
    cap = max_decoded_pixels()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise PhotoError(NOT_IMAGE)
            width, height = image.size
            if width * height > MAX_PIXELS:  # checked on the header, before a single pixel is decoded
                raise PhotoError(TOO_MANY_PIXELS)
            if image.format in ("JPEG", "MPO"):
                _draft_to_fit(image, cap)  # decode big JPEGs at a reduced scale: less memory and time
            if image.size[0] * image.size[1] > cap:  # what will be decoded, still before decoding
                raise PhotoError(TOO_MANY_PIXELS)
            picture = _upright(image)
            picture = _rgb(picture)
            picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            thumb = picture.copy()
            thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
            return PreparedPhoto(_jpeg(picture), _jpeg(thumb), picture.width, picture.height)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (a warning, or an error past twice its limit); the warning is an error under pytest.
        raise PhotoError(TOO_MANY_PIXELS) from None
    except UnidentifiedImageError:
        raise PhotoError(NOT_IMAGE) from None
    except Exception as exc:  # noqa: BLE001 - truncated or malformed files make decoders raise all sorts
        log.info("photo refused: %s: %s", type(exc).__name__, exc)
        raise PhotoError(NOT_IMAGE) from None


def _upright(image):
    """Apply the EXIF orientation (phones store pictures sideways and say so in EXIF)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - broken EXIF must not cost the resident their photo
        image.load()
        return image.copy()


def _rgb(image):
    """RGB for JPEG; transparent pixels become white rather than black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image):
    """Encode without EXIF, GPS, XMP or comments; only an RGB colour profile is kept (it is not personal)."""
    icc = image.info.get("icc_profile") if image.mode == "RGB" else None
    image.info = {}
    buffer = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **options)
    return buffer.getvalue()


def prepare_uploads(files):
    """Read and check the uploads of one form. Returns ``(prepared, problems)``: every problem at once.

    ``files`` are werkzeug FileStorage objects; empty parts (no file chosen) are ignored.
    """
    chosen = [f for f in files if f is not None and f.filename]
    if len(chosen) > MAX_PHOTOS:
        return [], [PhotoProblem(0, "", TOO_MANY)]
    prepared, problems = [], []
    for number, upload in enumerate(chosen, start=1):
        data = upload.stream.read(MAX_PHOTO_BYTES + 1)
        try:
            if len(data) > MAX_PHOTO_BYTES:
                raise PhotoError(TOO_LARGE)
            prepared.append(prepare_photo(data))
        except PhotoError as error:
            problems.append(PhotoProblem(number, upload.filename, error.code))
    return (prepared if not problems else []), problems


def store_photos(prepared, storage=None):
    """Write checked photos to storage; if one write fails, those already written are deleted again."""
    storage = storage or get_storage()
    stored = []
    try:
        for photo in prepared:
            key, thumb_key = storage.save_pair(photo.full, photo.thumb)
            stored.append(StoredPhoto(key, thumb_key, photo.width, photo.height))
    except Exception:
        discard(stored, storage)
        raise
    return stored


def discard(stored, storage=None):
    """Delete stored photos that never made it into the database."""
    storage = storage or get_storage()
    for photo in stored:
        for key in (photo.key, photo.thumb_key):
            try:
                storage.delete(key)
            except (OSError, StorageError):
                log.exception("could not delete orphan photo file %s", key)


def send_photo(photo, thumb=False):
    """The response for a CasePhoto (full size, or its thumbnail). The caller has checked the reader may see it."""
    return serve_stored_photo(photo.thumb_key if thumb else photo.key, "private, max-age=86400")  # no shared caches


def serve_stored_photo(key, cache_control, max_age=0):
    """A stored JPEG as a response from whichever store holds it; 404 when the key is not ours or has no file.
    A key's content never changes (a new photo gets a new key), so the key itself is the ETag."""
    storage = get_storage()
    try:
        fh = storage.open(key)
    except (StorageError, FileNotFoundError):
        abort(404)
    response = send_file(fh, mimetype="image/jpeg", conditional=True, max_age=max_age,
                         etag=key.replace("/", "-"), last_modified=None)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
