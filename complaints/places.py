"""Where a report is about: the point of a scanned QR code or of a search, the areas a resident may choose, and the
nearest point's area for a shared location (split from complaints/intake.py)."""
import math
from dataclasses import dataclass

from sqlalchemy.orm import selectinload

from complaints.forms import optional_id
from portal.extensions import db
from portal.registry import qr
from portal.registry.models import Area, AreaLevel, Point
from portal.registry.services import area_choices, search

AREA_GUESS_RADIUS_M = 300  # a shared location takes the area of the nearest point this close
MAX_RESULTS = 20
MAX_QUERY = 50
EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class Place:
    """What the report page is bound to: a point from its QR code, a point chosen by search, or nothing yet.

    ``problem`` says why a QR token (qr.UNKNOWN / REVOKED / INACTIVE) or a chosen point ("point") led nowhere.
    """

    point: Point | None = None
    token: str | None = None
    problem: str | None = None

    @property
    def via_qr(self):
        return self.token is not None and self.point is not None

    def url_args(self):
        if self.token is not None:
            return {"t": self.token}
        return {"p": self.point.id} if self.point is not None else {}


def resolve_place(token=None, point_id=None):
    if token is not None:
        resolution = qr.resolve_token(token)
        return Place(point=resolution.point, token=token, problem=resolution.problem)
    if point_id:
        point_id = optional_id(point_id)
        point = db.session.get(Point, point_id) if point_id else None
        if point is None or not point.active:
            return Place(problem="point")
        return Place(point=point)
    return Place()


def area_options(include_grid=False):
    """(id, indented name) of active areas in tree order. Residents don't know grid cells; inspectors do."""
    hidden = set()
    if not include_grid:
        hidden = set(db.session.scalars(db.select(Area.id).where(Area.level == AreaLevel.GRID)))
    return [(area_id, label) for area_id, label in area_choices() if area_id not in hidden]


def search_points(text, limit=MAX_RESULTS):
    """Active points whose code or name (any language, 简/繁 alike) contains ``text``."""
    text = (text or "").strip()[:MAX_QUERY]
    if not text:
        return []
    return db.session.scalars(search(Point, text, active=True).options(selectinload(Point.area)).limit(limit)).all()


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat, lng, radius_m):
    """(south, north, west, east) of a box holding every point within ``radius_m``: a cheap SQL prefilter."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 0.01)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def within_box(columns, box):
    lat_column, lng_column = columns
    south, north, west, east = box
    return db.and_(lat_column.between(south, north), lng_column.between(west, east))


def area_near(latitude, longitude, radius_m=AREA_GUESS_RADIUS_M):
    """The area of the nearest active point within ``radius_m`` of a shared location, or None."""
    box = bounding_box(latitude, longitude, radius_m)
    points = db.session.scalars(db.select(Point).where(Point.active.is_(True),
                                                       within_box((Point.latitude, Point.longitude), box))).all()
    ranked = sorted((distance_m(latitude, longitude, p.latitude, p.longitude), p.id, p) for p in points)
    for distance, _id, point in ranked:
        if distance <= radius_m and point.area is not None and point.area.active:
            return point.area
    return None
