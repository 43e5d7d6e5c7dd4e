"""Route × role expectations for the supervision staff routes (merged into test_permissions.EXPECTED).

``EXPECTED`` maps (method, rule) to the roles allowed; ``world_values(world)`` may add URL values (ids of objects it
creates) for the rules' arguments.
"""
from portal.auth.models import Role  # noqa: F401

EXPECTED = {}


def world_values(world):
    return {}
