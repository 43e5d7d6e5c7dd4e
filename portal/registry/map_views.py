"""Area boundaries for the maps, as GeoJSON in the tiles' coordinate system: public (boundaries are no secret)."""
from flask import Blueprint, abort, jsonify, request

from portal import coords
from portal.extensions import db
from portal.registry.models import Area, AreaLevel, with_boundary

bp = Blueprint("areamap", __name__, url_prefix="/map")


def area_features(level, system):
    """The active areas of ``level`` that have a boundary, as GeoJSON features (code, name, population)."""
    areas = db.session.scalars(db.select(Area).where(Area.level == level, Area.active.is_(True),
                                                     Area.boundary.isnot(None))
                                  .order_by(Area.code).options(with_boundary()))
    return [{"type": "Feature", "id": area.id,
             "properties": {"code": area.code, "name": area.display_name, "population": area.population},
             "geometry": coords.geometry_from_wgs84(area.boundary, system)} for area in areas]


@bp.get("/areas.json")
def areas():
    try:
        level = AreaLevel(request.args.get("level", "district"))
    except ValueError:
        abort(404)
    response = jsonify({"type": "FeatureCollection", "features": area_features(level, coords.tile_system())})
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
