"""The dispatcher's case map: the case list's filters, clustered on the server on a grid per zoom level.

A case's position is its own (the phone's GPS or a pin), else its point's. The database groups the positions in a
bounding box into grid squares of about ``CELL_PX`` screen pixels at the map's zoom, so a map of 100,000 open cases
is a few hundred rows; a square holding one case comes back as that case, with its next step.
"""
import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from complaints.handling import light
from complaints.models import Case, CaseState
from portal import coords
from portal.extensions import db
from portal.registry.models import Category, Point

CELL_PX = 60  # a cluster's square, in screen pixels of a 256-pixel tile
MAX_ZOOM = 19
MAX_CASES = 500  # single cases sent with their details; beyond this, they are sent as clusters of one
# What the dispatcher does next with a case in each state, on the case's page.
NEXT_STEP = {
    CaseState.RECEIVED: _l("File or reject (立案)"),
    CaseState.FILED: _l("Dispatch (派遣)"),
    CaseState.DISPATCHED: _l("Follow the handling"),
    CaseState.IN_PROGRESS: _l("Follow the handling"),
    CaseState.HANDLED: _l("Verify and close (核查结案)"),
}


class BadBox(ValueError):
    """The map's bounding box or zoom is not usable."""


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @classmethod
    def parse(cls, raw_bbox, raw_zoom):
        """From ``west,south,east,north`` and a zoom level as sent by the map, in WGS-84; BadBox if not sane."""
        try:
            west, south, east, north = (float(part) for part in str(raw_bbox or "").split(","))
            zoom = int(raw_zoom)
        except (TypeError, ValueError):
            raise BadBox("bbox") from None
        numbers = (west, south, east, north)
        if not all(math.isfinite(n) for n in numbers) or not (-90 <= south < north <= 90) \
                or not (-180 <= west < east <= 180) or not 0 <= zoom <= MAX_ZOOM:
            raise BadBox("bbox")
        return cls(west, south, east, north, zoom)

    @property
    def cell_deg(self):
        return 360.0 / (2 ** self.zoom) * CELL_PX / 256


def positions(query):
    """(case id, latitude, longitude) of the cases a case-list select finds, where a position is known."""
    latitude = db.func.coalesce(Case.latitude, Point.latitude)
    longitude = db.func.coalesce(Case.longitude, Point.longitude)
    located = query.outerjoin(Point, Case.point_id == Point.id).with_only_columns(
        Case.id.label("id"), latitude.label("lat"), longitude.label("lng"))
    return located.subquery()


def squares(query, box):
    """[(count, mean latitude, mean longitude, smallest case id)] per grid square of ``box`` holding cases."""
    located = positions(query)
    cell = box.cell_deg
    # One integer per grid square (columns of 2^22 rows: the world at zoom 19 has fewer), cheaper to group by than two.
    square = db.func.floor(located.c.lng / cell) * 4194304 + db.func.floor(located.c.lat / cell)
    rows = db.session.execute(
        db.select(db.func.count().label("n"), db.func.avg(located.c.lat), db.func.avg(located.c.lng),
                  db.func.min(located.c.id))
        .where(located.c.lat.between(box.south, box.north), located.c.lng.between(box.west, box.east))
        .group_by(square)).all()
    return rows


def cluster(query, box):
    """Clusters and single cases of ``query`` (a select of Case with the list's filters) inside ``box``."""
    rows = squares(query, box)
    singles = [row[3] for row in rows if row[0] == 1][:MAX_CASES]
    cases = _case_markers(singles)
    clusters = [{"lat": lat, "lng": lng, "count": n} for n, lat, lng, case_id in rows if case_id not in cases]
    return {"clusters": clusters, "cases": list(cases.values()), "total": sum(row[0] for row in rows)}


def _case_markers(ids):
    if not ids:
        return {}
    latitude = db.func.coalesce(Case.latitude, Point.latitude)
    longitude = db.func.coalesce(Case.longitude, Point.longitude)
    rows = db.session.execute(
        db.select(Case, latitude, longitude).outerjoin(Point, Case.point_id == Point.id)
        .join(Category, Case.category_id == Category.id).where(Case.id.in_(ids))).all()
    return {case.id: {"lat": lat, "lng": lng, "count": 1, "number": case.number, "state": case.state.value,
                      "state_label": case.state.label, "category": case.category.display_name,
                      "light": light(case), "next": str(NEXT_STEP.get(case.state, "")) or None}
            for case, lat, lng in rows}


def for_tiles(result, system):
    """The same clusters with their positions in the tiles' coordinate system (GCJ-02 tiles need shifting)."""
    if system == coords.WGS84:
        return result
    for marker in result["clusters"] + result["cases"]:
        marker["lat"], marker["lng"] = coords.from_wgs84(marker["lat"], marker["lng"], system)
    return result


def box_from_tiles(box, system):
    """A box sent by a map on ``system`` tiles, in WGS-84 (the corners shifted; the shift is the same nearby)."""
    if system == coords.WGS84:
        return box
    south, west = coords.to_wgs84(box.south, box.west, system)
    north, east = coords.to_wgs84(box.north, box.east, system)
    return Box(max(-180.0, west), max(-90.0, south), min(180.0, east), min(90.0, north), box.zoom)
