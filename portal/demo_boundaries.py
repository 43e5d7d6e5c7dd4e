"""The demo city's boundaries: a Voronoi partition of its grid cells' centres, each area the union of its cells.

Valid, nested and without overlaps by construction, so every map of the demo shows data. Only areas without a
boundary get one: boundaries an admin imported stay.
"""
import random

import shapely
from shapely.geometry import MultiPoint

from portal.extensions import db
from portal.registry.boundaries import set_boundary
from portal.registry.cells import forget_cells
from portal.registry.models import Area, AreaLevel

MARGIN_DEG = 0.012  # the city reaches this far beyond its outermost cell centres
PRECISION_DEG = 1e-6  # about 10 cm: what the demo's positions are rounded to


def build_demo_boundaries(city, grid_centres, seed):
    """Give the city and every area below it a boundary from ``grid_centres`` ({grid Area: (lat, lon)})."""
    grids = list(grid_centres)
    points = MultiPoint([(lon, lat) for lat, lon in (grid_centres[g] for g in grids)])
    frame = shapely.box(*points.buffer(MARGIN_DEG).bounds)
    cells = shapely.voronoi_polygons(points, extend_to=frame, ordered=True).geoms
    shapes = {}
    for grid, cell in zip(grids, cells, strict=True):
        shapes[grid.id] = shapely.set_precision(cell.intersection(frame), PRECISION_DEG)
    areas = {a.id: a for a in db.session.scalars(db.select(Area).where(
        Area.path.startswith(city.path, autoescape=True)))}
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
