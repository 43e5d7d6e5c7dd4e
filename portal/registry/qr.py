"""QR codes for points: short signed tokens that survive a SECRET_KEY rotation and can be revoked, their PNG and
SVG images, and the selection of points for printed placards."""
import base64
import hashlib
import hmac
import io
import re
from dataclasses import dataclass

import qrcode
import qrcode.image.pil
from flask import current_app, render_template, request
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from portal.auth import audit
from portal.city import ensure_city_settings, get_city_settings
from portal.extensions import db
from portal.registry.models import Area, Point
from portal.registry.services import subtree_ids

SCAN_PATH = "/q/"  # the public path a scanned code opens; qr_views routes it
UNKNOWN, REVOKED, INACTIVE = "unknown", "revoked", "inactive"

MAC_BYTES = 9  # 72 bits: exactly 12 url-safe base64 characters, no padding
MAX_TOKEN_LENGTH = 40
MAX_DB_ID = 2**31 - 1  # a forged id above this would overflow PostgreSQL's integer column
MAX_PLACARDS = 600
MAX_SELECTED_IDS = 5000  # keeps a hand-made query string from building a giant IN (...)
_TOKEN = re.compile(r"([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{12})")


@dataclass(frozen=True)
class Resolution:
    """What a scanned token leads to: the point, or why not (``problem`` is one of UNKNOWN, REVOKED, INACTIVE)."""

    point: Point | None = None
    problem: str | None = None


def _mac(key, point_id, serial):
    digest = hmac.new(key.encode(), f"point:{point_id}:{serial}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:MAC_BYTES]).decode("ascii")


def token_for(point):
    """The token printed on ``point``'s placard: its id and a MAC over the id and the current serial.

    Signing may create the city's QR key on first use, so the caller commits.
    """
    key = get_city_settings().qr_key or ensure_city_settings().qr_key
    return f"{point.id}.{_mac(key, point.id, point.qr_serial)}"


def resolve_token(token):
    """Check a scanned token. Never raises, whatever the string; only a valid token of an active point gives it."""
    key = get_city_settings().qr_key
    match = _TOKEN.fullmatch(token) if isinstance(token, str) and len(token) <= MAX_TOKEN_LENGTH else None
    if match is None or not key or int(match[1]) > MAX_DB_ID:
        return Resolution(problem=UNKNOWN)
    point = db.session.get(Point, int(match[1]))
    if point is None:
        return Resolution(problem=UNKNOWN)
    mac = match[2]
    if hmac.compare_digest(mac, _mac(key, point.id, point.qr_serial)):
        return Resolution(point=point) if point.active else Resolution(problem=INACTIVE)
    if any(hmac.compare_digest(mac, _mac(key, point.id, serial)) for serial in range(1, point.qr_serial)):
        return Resolution(problem=REVOKED)
    return Resolution(problem=UNKNOWN)


def render_problem(resolution):
    """The friendly page for a code that does not lead to a point, in the reader's language."""
    return render_template("qr/problem.html", problem=resolution.problem or UNKNOWN)


def point_url(point):
    """The absolute URL encoded in ``point``'s QR code."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root
    return f"{base.rstrip('/')}{SCAN_PATH}{token_for(point)}"


def regenerate(point, actor):
    """Give ``point`` a new code: every placard printed before stops working. The caller commits."""
    old = point.qr_serial
    point.qr_serial = old + 1
    audit.record(actor, "qr_regenerate", point, summary=point.code, changes={"qr_serial": [old, point.qr_serial]})
    db.session.flush()
    return point


def _code(data):
    # Q recovers from about a quarter of the code being dirty or torn, which outdoor placards need.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=12, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def render_png(data):
    """PNG bytes of a QR code for ``data``."""
    buffer = io.BytesIO()
    _code(data).make_image(image_factory=qrcode.image.pil.PilImage).save(buffer, format="PNG")
    return buffer.getvalue()


def render_svg(data):
    """A standalone SVG document (str) of a QR code for ``data``, one module per user unit, 1 mm by default.

    Drawn from the module matrix as one path of horizontal runs: small enough to inline hundreds on a
    placard sheet, and free of element ids that would clash there.
    """
    matrix = _code(data).get_matrix()  # includes the quiet zone
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            start = x
            while x < size and row[x]:
                x += 1
            if x > start:
                runs.append(f"M{start},{y}h{x - start}v1h{start - x}z")
            x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {size} {size}" '
        f'width="{size}mm" height="{size}mm" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def file_name(point, extension):
    return f"qr-{point.code}.{extension}"


@dataclass(frozen=True)
class Placard:
    point: Point
    url: str
    svg: Markup


@dataclass(frozen=True)
class PlacardSelection:
    """Points to print, at most MAX_PLACARDS; ``total`` says how many were chosen in all."""

    placards: list
    total: int
    area: Area | None

    @property
    def is_capped(self):
        return self.total > len(self.placards)


def _valid_ids(values):
    return list(dict.fromkeys(v for v in values if isinstance(v, int) and 0 < v <= MAX_DB_ID))[:MAX_SELECTED_IDS]


def select_placards(point_ids=(), area_id=None):
    """Placards for the active points chosen by id and those anywhere in the area's subtree, ordered by code."""
    point_ids = _valid_ids(point_ids)
    area = db.session.get(Area, area_id) if _valid_ids([area_id]) else None
    chosen = []
    if point_ids:
        chosen.append(Point.id.in_(point_ids))
    if area is not None:
        chosen.append(Point.area_id.in_(subtree_ids(area)))
    if not chosen:
        return PlacardSelection([], 0, area)
    where = (Point.active.is_(True), db.or_(*chosen))
    total = db.session.scalar(db.select(db.func.count(Point.id)).where(*where))
    points = db.session.scalars(
        db.select(Point).where(*where).options(selectinload(Point.area)).order_by(Point.code).limit(MAX_PLACARDS)
    ).all()
    placards = []
    for point in points:
        url = point_url(point)
        placards.append(Placard(point, url, Markup(render_svg(url))))
    return PlacardSelection(placards, total, area)
