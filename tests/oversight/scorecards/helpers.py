"""Fixtures for the figures: cases written with exact local times and outcomes, committed."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from complaints.case_records import CaseRound
from complaints.models import CaseState
from portal.extensions import db
from tests.factories import make_case

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year, month, day, hour=12, minute=0):
    """An aware UTC datetime for a wall-clock time in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


def put_case(*, category, area, unit=None, received, state=CaseState.RECEIVED, due=None, dispatched=None,
             handled=None, closed=None, postponed=False, rework=0, reopen=0, rating=None, scale=3, channel="web",
             changed=None):
    """A case received at ``received`` (aware) in ``area`` with the given outcome, stored as is.

    ``reopen`` earlier rounds are kept as finished rounds that ended in a 重办 an hour before the case was
    dispatched again (without a due time of their own, so only the 重办 counts, in the month of that hour)."""
    case = make_case(category=category, area=area, channel=channel)
    case.created_at = received
    case.state = state
    case.unit_id = unit.id if unit else None
    case.due_at = due
    if due is not None and dispatched is None:
        dispatched = due - timedelta(hours=24)
    case.dispatched_at = dispatched
    case.handled_at = handled
    case.hours = (handled - dispatched).total_seconds() / 3600 if handled and dispatched else None
    case.closed_at = closed
    case.postponed = postponed
    case.rework_count = case.round_rework_count = rework
    case.reopen_count = reopen
    for seq in range(1, reopen + 1):
        ended = (dispatched or received) - timedelta(hours=1)
        case.rounds.append(CaseRound(seq=seq, ended_kind="reopen", ended_at=ended, unit_id=case.unit_id,
                                     area_id=case.area_id, category_id=case.category_id, closed_at=ended,
                                     postponed=False, rework_count=0))
    case.rating = rating
    case.rating_scale = scale if rating is not None else None
    if changed is not None:
        case.updated_at = changed
    db.session.commit()
    return case
