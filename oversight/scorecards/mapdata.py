"""The leader's map beside the scorecards: a choropleth of the period's cases per area (per 10,000 residents where
the population is known) from the same rollups as the tables, and a heat map of where the cases were.

The heat map's points are the period's case positions grouped by the case map's grid squares on the server
(complaints.console.casemap), so a year of cases is a few thousand weighted points, not a download of every case.
"""
from datetime import timedelta

from flask_babel import ngettext

from complaints.console import casemap
from complaints.models import Case
from complaints.queries import local_day_start
from oversight.scorecards.figures import compute
from portal import coords
from portal.city import get_city_settings
from portal.extensions import db
from portal.registry.map_views import area_features
from portal.registry.models import AreaLevel

HEAT_ZOOM = 15  # squares of about 80 m
PER = 10_000


def rate_label(count, population):
    """What the tooltip says: the count, and the rate per 10,000 residents where the population is known."""
    if population:
        return ngettext("%(num)d case, %(rate).1f per 10,000 residents",
                        "%(num)d cases, %(rate).1f per 10,000 residents", count, rate=count * PER / population)
    return ngettext("%(num)d case (population unknown)", "%(num)d cases (population unknown)", count)


def leader_map(period, level, now=None):
    """{"areas": GeoJSON of the level's areas with ``value`` (per 10,000 residents, else the count) and ``label``,
    "points": [[lat, lng, weight]]} for ``period``, in the tiles' coordinate system."""
    system = coords.tile_system()
    features = area_features(AreaLevel(level), system)
    received = {figures.key: figures.received
                for figures in compute(period, "area", ids=[f["id"] for f in features], now=now)} if features else {}
    per_resident = any(f["properties"]["population"] for f in features)
    for feature in features:
        count, population = received.get(feature["id"], 0), feature["properties"]["population"]
        value = count * PER / population if population else (None if per_resident else count)
        feature["properties"].update(value=value, count=count, label=rate_label(count, population))
    tz = get_city_settings().timezone
    start, end = local_day_start(period.start, tz), local_day_start(period.end + timedelta(days=1), tz)
    in_period = db.select(Case).where(Case.created_at >= start, Case.created_at < end)
    box = casemap.Box(-180.0, -90.0, 180.0, 90.0, HEAT_ZOOM)
    points = []
    for n, lat, lng, _case_id in casemap.squares(in_period, box):
        lat, lng = coords.from_wgs84(lat, lng, system)
        points.append([round(lat, 6), round(lng, 6), n])
    return {"areas": {"type": "FeatureCollection", "features": features}, "points": points,
            "per_resident": per_resident}

