"""The board's public map: published items at their point, else inside their area; nothing private.

A board item is placed where the public already knows it is: its point (a toilet, a market), else a spot inside its
area's boundary. A reporter's own position (a phone's GPS, a pin) is never used: it may be their home.
"""
from shapely.geometry import shape

from oversight.board import queries as public
from portal import coords
from portal.extensions import db
from portal.i18n import localized
from portal.registry.models import Area, Point

MAX_ITEMS = 2000


def _area_spots(area_ids):
    """{area id: (lat, lng)} of a point surely inside each area's boundary (not the centroid: areas may be concave)."""
    rows = db.session.execute(db.select(Area.id, Area.boundary).where(Area.id.in_(area_ids),
                                                                      Area.boundary.isnot(None))).all()
    spots = {}
    for area_id, boundary in rows:
        inside = shape(boundary).representative_point()
        spots[area_id] = (inside.y, inside.x)
    return spots


def map_items(filters, today):
    """The public items matching the board's ``filters`` that have a place, in the tiles' coordinate system:
    {"items": [{"lat", "lng", "title", "subtitle", "id"}]}, newest first, at most MAX_ITEMS."""
    items = db.session.scalars(public.public_items(filters, today).limit(MAX_ITEMS)).all()
    points = {p.id: (p.latitude, p.longitude) for p in db.session.scalars(db.select(Point).where(
        Point.id.in_({i.point_id for i in items if i.point_id}), Point.latitude.isnot(None),
        Point.longitude.isnot(None)))}
    spots = _area_spots({i.area_id for i in items if i.area_id})
    system = coords.tile_system()
    out = []
    for item in items:
        where = points.get(item.point_id) or spots.get(item.area_id)
        if where is None:
            continue
        lat, lng = coords.from_wgs84(*where, system)
        out.append({"id": item.id, "lat": round(lat, 6), "lng": round(lng, 6),
                    "title": localized(item.title, None, item.title_en),
                    "subtitle": item.status(today).label if item.deadline or item.rectified_on else ""})
    return {"items": out}
