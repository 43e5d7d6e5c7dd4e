"""Route × role expectations for the scorecards staff routes (merged into test_permissions.EXPECTED).

``EXPECTED`` maps (method, rule) to the roles allowed; ``world_values(world)`` may add URL values (ids of objects it
creates) for the rules' arguments.
"""
from portal.auth.models import Role  # noqa: F401

EXPECTED = {}

# m2: stored snapshots (旬通报, 月评比, 红黑榜)
_SNAPSHOT = "/console/bulletins/<int:snapshot_id>"
_SNAPSHOT_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.MODERATOR})
_PUBLISHERS = frozenset({Role.ADMIN, Role.LEADER})
EXPECTED.update({
    ("GET", "/console/bulletins/"): _SNAPSHOT_READERS,
    ("POST", "/console/bulletins/generate"): _PUBLISHERS,
    ("GET", _SNAPSHOT): _SNAPSHOT_READERS,
    ("GET", f"{_SNAPSHOT}/print"): _SNAPSHOT_READERS,
    ("POST", f"{_SNAPSHOT}/publish"): _PUBLISHERS,
    ("POST", f"{_SNAPSHOT}/notes"): _PUBLISHERS,
    ("GET", f"{_SNAPSHOT}/export.<any(csv, xlsx):fmt>"): _SNAPSHOT_READERS,
    ("GET", "/console/bulletins/rule"): frozenset({Role.ADMIN}),
    ("POST", "/console/bulletins/rule"): frozenset({Role.ADMIN}),
})

# m1: figures, composite index and scorecard pages
_SCORECARD_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.MODERATOR})
EXPECTED.update({
    ("GET", "/console/scorecards/"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/units"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/areas"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/categories"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/units/<int:unit_id>"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/areas/<int:area_id>"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/categories/<int:category_id>"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/compare"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/export/<any(city, units, areas, categories, compare):table>.<any(csv, xlsx):fmt>"):
        _SCORECARD_READERS,
    ("GET", "/console/scorecards/rules"): frozenset({Role.ADMIN}),
    ("POST", "/console/scorecards/rules"): frozenset({Role.ADMIN}),
    ("GET", "/console/scorecards/rules/<int:score_rule_version>"): _SCORECARD_READERS,
    ("GET", "/console/scorecards/definitions"): _SCORECARD_READERS,
})


def world_values(world):
    values = {}
    values.update(_snapshot_values(world))  # m2
    values.update(_scorecard_values(world))  # m1
    return values


def _snapshot_values(world):
    """m2: a stored month ranking for last month (the pages of a snapshot need one)."""
    from oversight.scorecards.jobs import publish_month_ranking
    from portal.clock import utcnow
    from portal.extensions import db

    snapshot = publish_month_ranking(utcnow())
    db.session.commit()
    return {"snapshot_id": snapshot.id}


def _scorecard_values(world):
    """m1: the scorecards of the world's unit, area and category, rule version 1 and the units export."""
    from oversight.scorecards.rules import current_rule
    from portal.extensions import db

    rule = current_rule()
    db.session.commit()
    return {"unit_id": world["unit"].id, "area_id": world["area"].id, "category_id": world["category"].id,
            "score_rule_version": rule.version, "table": "units"}
