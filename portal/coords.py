"""Coordinate systems at the edges: everything is stored in WGS-84 (GPS, 天地图/CGCS2000); a tile source or a phone
API in GCJ-02 (高德, 腾讯, WeChat's location) is converted on the way in and out, with prcoords (CC0, the published
GCJ-02 algorithm with a precise inverse). Positions outside China are never shifted, as GCJ-02 itself leaves them.

The tile source is configuration: ``MAP_TILE_URL`` (empty: no tiles, the city's own boundaries on a plain
background and no request leaving the site), ``MAP_TILE_CRS`` (wgs84 | gcj02) and ``MAP_TILE_ATTRIBUTION``.
"""
from urllib.parse import urlsplit

import prcoords
from flask import current_app

WGS84, GCJ02 = "wgs84", "gcj02"
SYSTEMS = (WGS84, GCJ02)


def in_china(latitude, longitude):
    """The algorithm's own test (a rectangle around China): outside it, GCJ-02 equals WGS-84."""
    return prcoords.sanity_in_china_p(prcoords.Coords(latitude, longitude))


def to_wgs84(latitude, longitude, system):
    """(latitude, longitude) in WGS-84 from a position in ``system``."""
    if system == WGS84 or not in_china(latitude, longitude):
        return latitude, longitude
    if system == GCJ02:
        wgs = prcoords.gcj_wgs_bored((latitude, longitude), False)  # iterative: centimetres, not metres
        return wgs.lat, wgs.lon
    raise ValueError(f"unknown coordinate system {system!r}")


def from_wgs84(latitude, longitude, system):
    """(latitude, longitude) in ``system`` from a WGS-84 position."""
    if system == WGS84 or not in_china(latitude, longitude):
        return latitude, longitude
    if system == GCJ02:
        shifted = prcoords.wgs_gcj((latitude, longitude), False)
        return shifted.lat, shifted.lon
    raise ValueError(f"unknown coordinate system {system!r}")


def geometry_from_wgs84(geometry, system):
    """A GeoJSON geometry (longitude first) converted for a map in ``system``; the same object when WGS-84."""
    if system == WGS84 or geometry is None:
        return geometry

    def convert(coordinates):
        if coordinates and isinstance(coordinates[0], (int, float)):
            latitude, longitude = from_wgs84(coordinates[1], coordinates[0], system)
            return [round(longitude, 7), round(latitude, 7)]
        return [convert(part) for part in coordinates]

    return {"type": geometry["type"], "coordinates": convert(geometry["coordinates"])}


def tile_system():
    return current_app.config["MAP_TILE_CRS"]


def tiles():
    """What a map page needs to know about the tile source (for data- attributes): url, system, attribution."""
    config = current_app.config
    return {"url": config["MAP_TILE_URL"], "crs": config["MAP_TILE_CRS"],
            "attribution": config["MAP_TILE_ATTRIBUTION"]}


def centre_for_tiles(latitude, longitude):
    """"lat,lng" for a map's data-centre, in the tiles' system; "" when the position is unknown."""
    if latitude is None or longitude is None:
        return ""
    latitude, longitude = from_wgs84(latitude, longitude, tile_system())
    return f"{latitude:.6f},{longitude:.6f}"


def tile_origin(url):
    """The CSP source for a tile URL template: ``https://t{s}.example.cn/x/{z}/{x}/{y}`` → ``https://*.example.cn``."""
    parts = urlsplit(url.replace("{s}", "x"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"MAP_TILE_URL is not an http(s) URL template: {url!r}")
    host = url.split("://", 1)[1].split("/", 1)[0].split("@")[-1]
    if "{s}" in host:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def init_app(app):
    """Check the tile settings at start, and let the browser load tiles (and only tiles) from their host."""
    app.context_processor(lambda: {"map_tiles": tiles, "map_centre": centre_for_tiles})
    if app.config["MAP_TILE_CRS"] not in SYSTEMS:
        raise ValueError(f"MAP_TILE_CRS must be one of {', '.join(SYSTEMS)}, not {app.config['MAP_TILE_CRS']!r}")
    if app.config["MAP_TILE_URL"]:
        origin = tile_origin(app.config["MAP_TILE_URL"])
        policy = app.config["CONTENT_SECURITY_POLICY"]
        app.config["CONTENT_SECURITY_POLICY"] = "; ".join(
            f"{part} {origin}" if part.strip().startswith("img-src") else part for part in policy.split("; "))
