"""Route × role expectations for the followups staff routes (merged into test_permissions.EXPECTED).

``EXPECTED`` maps (method, rule) to the roles allowed; ``world_values(world)`` may add URL values (ids of objects it
creates) for the rules' arguments.
"""
from portal.auth.models import Role

SURVEY = "/console/surveys/<int:survey_id>"
SURVEY_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER})
ADMIN = frozenset({Role.ADMIN})

EXPECTED = {
    # a low-scoring survey item made into a 上级交办 case (surveys/rectification.py)
    ("GET", f"{SURVEY}/rectify"): SURVEY_READERS,
    ("POST", f"{SURVEY}/rectify"): SURVEY_READERS,
    # moving a question of a draft survey to another section
    ("POST", f"{SURVEY}/questions/<int:question_id>/section"): ADMIN,
}


def world_values(world):
    return {}
