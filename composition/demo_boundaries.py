"""The demo city's boundaries: a Voronoi partition of its grid cells' centres and points, each grid cell the union
of the Voronoi cells of its centre and its points (so every point lies in its own cell), each area the union of its
cells.

Valid, nested and without overlaps by construction, so every map of the demo shows data. Only areas without a
boundary get one: boundaries an admin imported stay.
"""
import random

import shapely
from shapely.geometry import MultiPoint

from portal.extensions import db
from portal.registry.boundaries import set_boundary
from portal.registry.cells import forget_cells
from portal.registry.models import Area, AreaLevel, Point, with_boundary

MARGIN_DEG = 0.012  # the city reaches this far beyond its outermost cell centres
PRECISION_DEG = 1e-6  # about 10 cm: what the demo's positions are rounded to


def build_demo_boundaries(city, grid_centres, seed):
    """Give the city and every area below it a boundary from ``grid_centres`` ({grid Area: (lat, lon)})."""
    grids = list(grid_centres)
    sites = {(round(lon, 6), round(lat, 6)): grid.id for grid in grids for lat, lon in [grid_centres[grid]]}
    placed = db.session.execute(db.select(Point.longitude, Point.latitude, Point.area_id).where(
        Point.area_id.in_([g.id for g in grids]), Point.latitude.isnot(None), Point.longitude.isnot(None)))
    for lon, lat, area_id in placed:
        sites.setdefault((round(lon, 6), round(lat, 6)), area_id)
    ordered = sorted(sites)
    points = MultiPoint(ordered)
    frame = shapely.box(*points.buffer(MARGIN_DEG).bounds)
    cells = shapely.voronoi_polygons(points, extend_to=frame, ordered=True).geoms
    parts = {}
    for site, cell in zip(ordered, cells, strict=True):
        parts.setdefault(sites[site], []).append(cell.intersection(frame))
    shapes = {grid_id: shapely.set_precision(shapely.union_all(cells_of), PRECISION_DEG)
              for grid_id, cells_of in parts.items()}
    areas = {a.id: a for a in db.session.scalars(db.select(Area).where(
        Area.path.startswith(city.path, autoescape=True)).options(with_boundary()))}
    members = {}
    for grid in grids:
        for ancestor_id in grid.ancestor_ids()[:-1]:
            members.setdefault(ancestor_id, []).append(shapes[grid.id])
    for area_id, parts in members.items():
        shapes[area_id] = shapely.set_precision(shapely.union_all(parts), PRECISION_DEG)
    rng = random.Random(seed)
    changed = False
    for area_id, shape in sorted(shapes.items()):
        area = areas.get(area_id)
        if area is None or area.boundary is not None:
            continue
        set_boundary(area, shape)
        if area.level == AreaLevel.COMMUNITY and area.population is None:
            area.population = rng.randrange(3000, 15000, 100)
        changed = True
    if changed:
        db.session.flush()
        forget_cells()
    return changed
