"""Route × role expectations for the Open311 API-key pages (merged into test_permissions.EXPECTED)."""
from portal.auth.models import Role

ADMIN = frozenset({Role.ADMIN})

EXPECTED = {
    ("GET", "/console/api-keys/"): ADMIN,
    ("POST", "/console/api-keys/"): ADMIN,
    ("POST", "/console/api-keys/<int:key_id>/revoke"): ADMIN,
}


def world_values(world):
    from oversight.open311.keys import issue_key
    from portal.extensions import db

    record, _key = issue_key("测试系统", None)
    db.session.commit()
    return {"key_id": record.id}
