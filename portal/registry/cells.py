"""Which area holds a position: an STRtree over the areas' boundaries, built once per process and rebuilt when the
boundaries change.

A position is placed in the deepest active area whose boundary covers it (the grid cell when the city has cells).
A position on an edge shared by two areas of the same depth goes to the one with the smaller code, whichever order
they were imported in; a position in a hole belongs to no area that has the hole. The process that changes the
boundaries forgets its index at once; other processes look for a change at most every ``RECHECK_SECONDS``.
"""
import time
from dataclasses import dataclass

import shapely
from flask import current_app
from shapely.geometry import shape

from portal.extensions import db
from portal.registry.models import Area

RECHECK_SECONDS = 30
_KEY = "map_cells"


@dataclass
class CellIndex:
    signature: tuple
    checked_at: float
    tree: object  # shapely.STRtree, or None when no area has a boundary
    ids: list
    paths: list  # materialised paths ("/1/4/17/"), to tell whether a cell lies inside an area
    ranks: list  # (-depth, code) per geometry: the smallest wins


def _signature():
    """Changes whenever an area with a boundary is added, edited, deactivated or loses its boundary."""
    count, last = db.session.execute(db.select(db.func.count(Area.id), db.func.max(Area.updated_at))
                                      .where(Area.boundary.isnot(None))).one()
    return count, last


def _build(signature):
    rows = db.session.execute(db.select(Area.id, Area.code, Area.depth, Area.path, Area.boundary)
                              .where(Area.boundary.isnot(None), Area.active.is_(True))).all()
    ids = [r.id for r in rows]
    ranks = [(-r.depth, r.code) for r in rows]
    geometries = [shape(r.boundary) for r in rows]
    tree = shapely.STRtree(geometries) if geometries else None
    return CellIndex(signature, time.monotonic(), tree, ids, [r.path for r in rows], ranks)


def cell_index():
    """This process's index, rebuilt when the boundaries have changed since it was built."""
    index = current_app.extensions.get(_KEY)
    now = time.monotonic()
    if index is not None and now - index.checked_at < RECHECK_SECONDS:
        return index
    signature = _signature()
    if index is None or index.signature != signature:
        index = _build(signature)
    else:
        index.checked_at = now
    current_app.extensions[_KEY] = index
    return index


def forget_cells():
    """Drop this process's index: the next lookup builds it from the boundaries just written."""
    current_app.extensions.pop(_KEY, None)


@dataclass(frozen=True)
class Cell:
    id: int
    path: str

    def lies_in(self, area_id):
        """Whether the cell is the area or lies inside it."""
        return f"/{area_id}/" in self.path


def locate(latitude, longitude):
    """The deepest active area whose boundary covers the WGS-84 position, as a Cell, or None."""
    index = cell_index()
    if index.tree is None or latitude is None or longitude is None:
        return None
    hits = index.tree.query(shapely.Point(longitude, latitude), predicate="covered_by")
    if len(hits) == 0:
        return None
    best = min(hits, key=lambda i: index.ranks[i])
    return Cell(index.ids[best], index.paths[best])


def cell_id_at(latitude, longitude):
    """The id of the deepest active area whose boundary covers the WGS-84 position, or None."""
    cell = locate(latitude, longitude)
    return cell.id if cell is not None else None


def cell_at(latitude, longitude):
    """The area (normally a grid cell) holding the position, or None when no boundary covers it."""
    area_id = cell_id_at(latitude, longitude)
    return db.session.get(Area, area_id) if area_id is not None else None
