"""After closing: 重办 (the dispatcher reopens a case, usually after 不满意), declining a resident's request for
it, and 反弹 (the problem came back). The round that ends is kept as history (``CaseRound``) and the case is
filed again for dispatch.
"""
from complaints.case_records import CaseRound
from complaints.handling import add_note
from complaints.models import EventKind
from complaints.steps import CaseError
from portal.clock import utcnow
from portal.extensions import db


def reopen_case(case, actor, note, now=None):
    """重办: the dispatcher reopens a closed case (usually after 不满意); it is filed again for dispatch.

    The round that ends is kept (``CaseRound``) with its due time, closing and rating, so the figures of its period
    do not change; the 重办 counts in the period of the reopening, and the next dispatch gives a new due time.
    """
    _file_again(case, actor, note, EventKind.REOPEN, "reopen", now)
    case.reopen_count += 1
    return case


def decline_reopen(case, actor, note):
    if not case.reopen_requested:
        raise CaseError("no_reopen_request")
    case.reopen_requested = False
    add_note(case, actor, note, public=True)
    return case


def mark_rebound(case, actor, note, now=None):
    """反弹: the problem came back after closure; the case is filed again and counted. The round that ends is kept
    as for 重办."""
    _file_again(case, actor, note, EventKind.REBOUND, "rebound", now)
    case.rebound_count += 1
    return case


def _file_again(case, actor, note, event, ended_kind, now):
    """What 重办 and 反弹 share: a note is required, the round in progress is kept, the case waits for dispatch."""
    if not (note or "").strip():
        raise CaseError("note_required", field="note")
    now = now or utcnow()
    case.transition(event, actor, note=note.strip(), at=now)
    _end_round(case, ended_kind, now)
    _reset_for_redispatch(case)


def _end_round(case, kind, now):
    """Keep the round in progress as history before the case is filed again."""
    seq = len(case.rounds) + 1
    values = {column: getattr(case, source) for column, source in CaseRound.COPIED.items()}
    case.rounds.append(CaseRound(seq=seq, ended_kind=kind, ended_at=now, **values))


def _reset_for_redispatch(case):
    case.unit = None
    case.due_at = case.dispatched_at = case.handled_at = case.closed_at = None
    case.hours = case.work_hours = None
    case.round_rework_count = 0
    case.rating = case.rating_scale = case.rated_at = None
    case.rating_comment = None
    case.reopen_requested = False
    case.postponed = False
    db.session.flush()
