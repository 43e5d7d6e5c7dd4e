"""Route × role expectations for the supervision and scheduler staff routes (merged into test_permissions.EXPECTED).

``EXPECTED`` maps (method, rule) to the roles allowed; ``world_values(world)`` adds URL values (ids of objects it
creates) for the rules' arguments.
"""
from datetime import timedelta

from complaints.supervision.models import NoticeKind, SupervisionNotice, UnitStrike
from portal.auth.models import Role
from portal.clock import utcnow
from portal.extensions import db

VIEWERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.HANDLER})
MANAGERS = frozenset({Role.ADMIN, Role.DISPATCHER})
HANDLERS = frozenset({Role.HANDLER})
ADMIN = frozenset({Role.ADMIN})
S = "/console/supervision"

EXPECTED = {
    ("GET", f"{S}/"): VIEWERS,
    ("GET", f"{S}/notices/<int:notice_id>/print"): VIEWERS,
    ("GET", f"{S}/issue"): MANAGERS,
    ("POST", f"{S}/issue"): MANAGERS,
    ("GET", f"{S}/strikes"): VIEWERS,
    ("GET", f"{S}/strikes/<int:strike_id>/print"): VIEWERS,
    ("POST", f"{S}/units/<int:unit_id>/clear"): MANAGERS,
    ("POST", f"{S}/strikes/<int:strike_id>/statement"): HANDLERS,
    ("GET", "/console/scheduler/"): ADMIN,
}


def world_values(world):
    now = utcnow()
    notice = SupervisionNotice(kind=NoticeKind.SUPERVISE, number="督〔2026〕9001号", case_id=world["case"].id,
                               unit_id=world["unit"].id, due_at=now - timedelta(hours=1), issued_at=now)
    strike = UnitStrike(unit_id=world["unit"].id, cycle=1, level=2, issued_at=now, reason="test",
                        notice_ids=[])
    db.session.add_all([notice, strike])
    db.session.commit()
    return {"notice_id": notice.id, "strike_id": strike.id, "unit_id": world["unit"].id}
