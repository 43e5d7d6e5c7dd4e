"""The handling-rounds migration rebuilds the finished rounds of cases reopened before it from their events."""
import importlib.util
from pathlib import Path

from complaints import handling, reopening, services
from complaints.case_records import CaseRound
from complaints.models import Case
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_area, make_case, make_category, make_unit, make_user
from tests.oversight.scorecards.helpers import local

COMPARED = ("seq", "ended_kind", "ended_at", "unit_id", "area_id", "category_id", "dispatched_at", "due_at",
            "handled_at", "closed_at", "postponed", "rework_count", "hours", "work_hours", "rating", "rating_scale",
            "rated_at")


def migration():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "s10rounds_case_rounds.py"
    spec = importlib.util.spec_from_file_location("s10rounds_case_rounds", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rounds_of(case_id):
    return [tuple(getattr(r, name) for name in COMPARED) for r in db.session.execute(
        db.select(CaseRound).where(CaseRound.case_id == case_id).order_by(CaseRound.seq)).scalars()]


def test_the_migration_rebuilds_earlier_rounds_from_the_events(app):
    unit, other = make_unit("市环卫处"), make_unit("市政处")
    dispatcher, handler = make_user(Role.DISPATCHER), make_user(Role.HANDLER, unit=unit)
    case = make_case(category=make_category("暴露垃圾", limit_hours=8), area=make_area("东城区"))
    handling.file_case(case, dispatcher)
    handling.dispatch_case(case, other, dispatcher, now=local(2026, 11, 9, 8))
    handling.return_case(case, None, "不归我们管")  # mis-routed: the round goes on with the right unit
    handling.dispatch_case(case, unit, dispatcher, now=local(2026, 11, 9, 9))
    handling.accept_case(case, handler)
    handling.handle_case(case, handler, "已清运", now=local(2026, 11, 9, 11))
    handling.verify_case(case, dispatcher, False, "没扫干净")  # 返工 in round 1
    handling.handle_case(case, handler, "已清运", now=local(2026, 11, 10, 17))
    handling.verify_case(case, dispatcher, True, "核查通过", now=local(2026, 11, 10, 18))
    services.rate_case(case, 3, now=local(2026, 11, 12, 10))
    reopening.reopen_case(case, dispatcher, "重办", now=local(2026, 11, 13, 10))
    handling.dispatch_case(case, unit, dispatcher, now=local(2026, 11, 16, 9))
    handling.accept_case(case, handler)
    handling.handle_case(case, handler, "已重新清运", now=local(2026, 11, 16, 15))
    db.session.commit()
    case_id = case.id
    expected = rounds_of(case_id)
    # round 1: dispatched Mon 11-09 09:00, due 8 working hours later (Mon 3 + 4 h, Tue 08:30 + 1 h) = 11-10 09:30;
    # handled Tue 17:00: Mon 09:00–12:00 3 h + 13:30–17:30 4 h + Tue 08:30–12:00 3.5 h + 13:30–17:00 3.5 h = 14
    # working hours; one 返工; rated 3 of 3
    assert [(r[0], r[1], r[7], r[11], r[12], r[13], r[14]) for r in expected] == [
        (1, "reopen", local(2026, 11, 10, 9, 30), 1, 32.0, 14.0, 3)]  # Mon 09:00 → Tue 17:00 = 32 calendar hours
    # as before the migration: no rounds kept, no working hours, 返工 counted over the whole case
    db.session.execute(db.delete(CaseRound))
    db.session.execute(db.update(Case).values(hours=None, work_hours=None, round_rework_count=0))
    db.session.commit()
    db.session.expire_all()

    migration().backfill(db.session.connection())
    db.session.commit()

    assert rounds_of(case_id) == expected
    migrated = db.session.get(Case, case_id)
    assert (migrated.round_rework_count, migrated.rework_count) == (0, 1)
    assert (migrated.hours, migrated.work_hours) == (6.0, 4.5)  # Mon 09:00–15:00; 09:00–12:00 and 13:30–15:00
