"""Route × role expectations for the maps' staff pages (merged into test_permissions.EXPECTED): the case map is
the case list's (every staff role, each within their scope), the leader's map the scorecards' readers', and the
area boundaries' import and export the registry editors' (admins)."""
from portal.auth.models import Role

ADMIN = frozenset({Role.ADMIN})
ALL = frozenset(Role)
SCORECARD_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.MODERATOR})

EXPECTED = {
    ("GET", "/console/cases/map"): ALL,
    ("GET", "/console/cases/map.json"): ALL,
    ("GET", "/console/scorecards/map.json"): SCORECARD_READERS,
    ("GET", "/console/boundaries"): ADMIN,
    ("POST", "/console/boundaries"): ADMIN,
    ("GET", "/console/boundaries.geojson"): ADMIN,
}


def world_values(_world):
    return {}
