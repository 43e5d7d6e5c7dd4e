"""Area boundaries as GeoJSON: import (checked whole, written whole or not at all) and export.

Every feature's problems are collected before anything is written (一次性告知). Geometry work (validity, nesting,
overlap) is shapely's; coordinates are WGS-84, longitude first, as GeoJSON says.
"""
import json
import math
from dataclasses import dataclass

import shapely
from flask_babel import lazy_gettext as _l
from shapely.geometry import shape
from shapely.validation import explain_validity

from portal.auth import audit
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.cells import forget_cells
from portal.registry.models import Area, with_boundary
from portal.registry.outcome import ImportOutcome

MAX_BYTES = 20 * 1024 * 1024
MAX_FEATURES = 50_000
CODE_PROPERTY = "code"
# A rectangle around the People's Republic (with a margin): a coordinate outside it is not in the city.
CHINA = shapely.box(73.0, 3.5, 135.5, 54.0)
# Shared edges drawn by two different tools disagree by a few centimetres; this much (≈1 m) is not an overlap,
# and a child may stick out of its parent by as much.
TOLERANCE_DEG = 1e-5
TOLERANCE_AREA = TOLERANCE_DEG * TOLERANCE_DEG * 100
POLYGONS = ("Polygon", "MultiPolygon")


@dataclass
class Problem:
    """One thing wrong with an upload: ``feature`` counts from 1 in the file's order (None for the whole file)."""

    feature: int | None
    code: str | None
    message: object  # a lazy string, translated when shown


@dataclass
class BoundaryImport(ImportOutcome):
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Feature:
    number: int
    code: str
    area: Area
    geometry: object  # a shapely (Multi)Polygon
    population: int | None
    has_population: bool


def _reject_constant(name):
    raise ValueError(name)  # NaN and Infinity are not JSON


def _load(data):
    if len(data) > MAX_BYTES:
        raise ValueError(_l("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
        document = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError(_l("The file is not GeoJSON (UTF-8 JSON text).")) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise ValueError(_l("The file must hold a GeoJSON FeatureCollection."))
    if len(document["features"]) > MAX_FEATURES:
        raise ValueError(_l("A file may hold at most %(max)d features.", max=MAX_FEATURES))
    return document["features"]


def _numbers(coordinates):
    """Every number in a coordinates array, or None when it holds anything but finite numbers and lists."""
    found, stack = [], [coordinates]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool) and math.isfinite(item):
            found.append(item)
        else:
            return None
    return found


def _rings_closed(raw):
    """Each ring has at least four 2- or 3-number positions and ends where it starts (shapely would close it)."""
    polygons = raw["coordinates"] if raw["type"] == "MultiPolygon" else [raw["coordinates"]]
    if not isinstance(polygons, list) or not polygons:
        return False
    for rings in polygons:
        if not isinstance(rings, list) or not rings:
            return False
        for ring in rings:
            if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1] \
                    or any(not isinstance(p, list) or len(p) not in (2, 3) for p in ring):
                return False
    return True


def _geometry_problem(raw):
    """(shapely geometry, None) or (None, message) for a feature's ``geometry`` member."""
    if not isinstance(raw, dict) or raw.get("type") not in POLYGONS:
        kind = raw.get("type") if isinstance(raw, dict) else None
        return None, _l("The geometry must be a Polygon or MultiPolygon, not %(kind)s.", kind=kind or "—")
    if _numbers(raw.get("coordinates")) is None:
        return None, _l("The coordinates must be numbers.")
    if not _rings_closed(raw):
        return None, _l("The coordinates do not make a polygon (each ring needs at least four positions, "
                        "the last one the same as the first).")
    try:
        geometry = shape(raw)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError):
        return None, _l("The coordinates do not make a polygon (each ring needs at least four positions, "
                        "the last one the same as the first).")
    if geometry.is_empty:
        return None, _l("The polygon is empty.")
    if geometry.has_z:
        geometry = shapely.force_2d(geometry)
    if not CHINA.contains(geometry):
        swapped = shapely.transform(geometry, lambda xy: xy[:, ::-1])
        if CHINA.contains(swapped):
            return None, _l("Latitude and longitude look swapped: GeoJSON puts the longitude first.")
        return None, _l("Some coordinates are outside China: boundaries are WGS-84 longitude, latitude in degrees.")
    if not geometry.is_valid:
        return None, _l("The polygon is not valid (%(reason)s): rings must not cross themselves or each other.",
                        reason=explain_validity(geometry))
    return geometry, None


def _population_problem(properties):
    if "population" not in properties:
        return None, False, None
    value = properties["population"]
    if value is None or value == "":
        return None, True, None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000_000:
        return None, True, _l("The population must be a whole number of residents.")
    return value, True, None


def _read_features(features, problems):
    """The features that passed the checks that need no other feature, by area id."""
    codes = [f.get("properties", {}).get(CODE_PROPERTY) if isinstance(f, dict) and isinstance(
        f.get("properties"), dict) else None for f in features]
    areas = {a.code: a for a in db.session.scalars(db.select(Area).where(
        Area.code.in_([c for c in codes if isinstance(c, str)])).options(with_boundary()))}
    seen, good = {}, {}
    for number, (raw, code) in enumerate(zip(features, codes, strict=True), start=1):
        def report(message, number=number, code=code):
            problems.append(Problem(number, code if isinstance(code, str) else None, message))
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            report(_l("This is not a GeoJSON Feature."))
            continue
        if not isinstance(code, str) or not code.strip():
            report(_l("The feature has no “%(name)s” property naming its area.", name=CODE_PROPERTY))
            continue
        area = areas.get(code)
        if area is None:
            report(_l("No area has the code %(code)s.", code=code[:40]))
        elif code in seen:
            report(_l("The area %(code)s appears twice (features %(first)d and %(second)d).", code=code,
                      first=seen[code], second=number))
            area = None
        seen.setdefault(code, number)
        geometry, message = _geometry_problem(raw.get("geometry"))
        if message:
            report(message)
        population, has_population, message = _population_problem(raw["properties"])
        if message:
            report(message)
        if area is not None and geometry is not None and not message:
            good[area.id] = _Feature(number, code, area, geometry, population, has_population)
    return good


def _stored_geometry(area):
    return shape(area.boundary) if area.boundary else None


def _check_nesting(good, problems):
    """A child must lie inside its parent, and siblings must not overlap: new boundaries and stored ones together."""
    ids = set(good)
    parent_ids = {f.area.parent_id for f in good.values() if f.area.parent_id is not None}
    relatives = db.session.scalars(db.select(Area).where(db.or_(
        Area.id.in_(parent_ids), Area.parent_id.in_(parent_ids | ids)), Area.boundary.isnot(None))
        .options(with_boundary())).all()
    geometry = {a.id: _stored_geometry(a) for a in relatives if a.id not in ids}
    geometry.update({area_id: f.geometry for area_id, f in good.items()})
    by_id = {a.id: a for a in relatives} | {f.area.id: f.area for f in good.values()}
    children = {}
    for area in by_id.values():
        if area.parent_id is not None and area.id in geometry:
            children.setdefault(area.parent_id, []).append(area.id)

    def blame(area_id, message):
        feature = good.get(area_id)
        problems.append(Problem(feature.number if feature else None, by_id[area_id].code, message))

    for parent_id, child_ids in children.items():
        parent_shape = geometry.get(parent_id)
        if parent_shape is not None:
            parent_shape = parent_shape.buffer(TOLERANCE_DEG)
            shapely.prepare(parent_shape)  # one parent, many children: prepared once
        for child_id in child_ids:
            if parent_shape is None or (child_id not in ids and parent_id not in ids):
                continue
            if not parent_shape.covers(geometry[child_id]):
                blamed = child_id if child_id in ids else parent_id
                blame(blamed, _l("%(child)s is not inside its parent area %(parent)s.",
                                 child=by_id[child_id].code, parent=by_id[parent_id].code))
        shapes = [geometry[c] for c in child_ids]
        tree = shapely.STRtree(shapes)
        for i, j in zip(*tree.query(shapes, predicate="intersects"), strict=True):
            first, second = child_ids[i], child_ids[j]
            if i >= j or (first not in ids and second not in ids):
                continue
            if shapes[i].intersection(shapes[j]).area > TOLERANCE_AREA:
                blamed = first if first in ids else second
                other = second if blamed == first else first
                blame(blamed, _l("%(area)s overlaps its neighbour %(other)s.", area=by_id[blamed].code,
                                 other=by_id[other].code))


def set_boundary(area, geometry):
    """Store a shapely (Multi)Polygon as the area's boundary with its bounding box; None clears it."""
    if geometry is None:
        area.boundary = None
        area.bbox_west = area.bbox_south = area.bbox_east = area.bbox_north = None
        return
    area.boundary = _as_stored(geometry)
    area.bbox_west, area.bbox_south, area.bbox_east, area.bbox_north = geometry.bounds


def import_boundaries(data, *, actor, dry_run=False):
    """Check a GeoJSON FeatureCollection of area boundaries (bytes) and, when nothing is wrong, store them all."""
    result = BoundaryImport(dry_run=dry_run)
    try:
        features = _load(data)
    except ValueError as error:
        result.problems.append(Problem(None, None, error.args[0]))
        return result
    good = _read_features(features, result.problems)
    if good:
        _check_nesting(good, result.problems)
    if result.problems:
        result.problems.sort(key=lambda p: (p.feature or 0))
        return result
    now, updates = utcnow(), []
    for feature in good.values():
        area = feature.area
        new = _as_stored(feature.geometry)
        if area.boundary == new and not (feature.has_population and area.population != feature.population):
            result.unchanged += 1
            continue
        west, south, east, north = feature.geometry.bounds
        row = {"id": area.id, "boundary": new, "bbox_west": west, "bbox_south": south, "bbox_east": east,
               "bbox_north": north, "updated_at": now}
        if feature.has_population:
            row["population"] = feature.population
        updates.append(row)
    result.updated = len(updates)
    if not dry_run and updates:
        # One bulk UPDATE by primary key: a city's 10,000 grid cells are not 10,000 ORM flushes.
        for population in (True, False):  # rows of one statement must have the same keys
            rows = [r for r in updates if ("population" in r) == population]
            if rows:
                db.session.execute(db.update(Area), rows)
        audit.record(actor, "import", object_type="boundaries",
                     summary=f"boundaries: {result.updated} updated, {result.unchanged} unchanged")
        db.session.flush()
        db.session.expire_all()
        forget_cells()
    return result


def _as_stored(geometry):
    """The GeoJSON dict of a shapely geometry as the JSON column gives it back (lists, not tuples)."""
    return json.loads(shapely.to_geojson(geometry))


def export_boundaries():
    """Every area with a boundary as a GeoJSON FeatureCollection (a dict), importable again."""
    areas = db.session.scalars(db.select(Area).where(Area.boundary.isnot(None)).order_by(Area.path, Area.code)
                              .options(with_boundary()))
    parents = dict(db.session.execute(db.select(Area.id, Area.code)).all())
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {CODE_PROPERTY: a.code, "name": a.name, "name_en": a.name_en, "level": a.level.value,
                       "parent_code": parents.get(a.parent_id), "population": a.population},
        "geometry": a.boundary,
    } for a in areas]}
