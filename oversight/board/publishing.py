"""The exposure board's editorial steps: draft → review → published → archived | taken down, with what stands
in the way of publication (unredacted photos, reporter identity, the exposed unit's notice period).

Every function takes an explicit ``actor``, checks the actor's permission, records the step in the item's trail
and the audit log, and ends with a flush; the caller commits. Refusals raise ``BoardError``.
"""
from datetime import timedelta

from oversight.board import checks, notices
from oversight.board.models import EditorialState
from oversight.board.rules import MAX_REASON, BoardError, clean, notice_ends_at, notice_hours, require, step
from portal.auth.permissions import Permission
from portal.clock import utcnow
from portal.extensions import db


def submit_for_review(item, actor, now=None):
    """Draft → in review. The exposed unit is told now, before anything is public, and may appeal."""
    require(actor, Permission.BOARD_EDIT)
    if item.state != EditorialState.DRAFT:
        raise BoardError("state")
    blocking = [f for f in checks.check_item(item) if f.blocking]
    if blocking:
        raise BoardError("reporter_identity", findings=blocking)
    event = step(item, "submit", actor)
    if item.unit is not None:
        item.unit_notified_at = now or utcnow()
        db.session.flush()
        notices.queue_unit_notice(item, event)
    db.session.flush()
    return event


def send_back(item, actor, reason):
    require(actor, Permission.BOARD_EDIT)
    reason = clean(reason, MAX_REASON, "reason", required=True)
    event = step(item, "send_back", actor, reason)
    db.session.flush()
    return event


def publication_blockers(item, now=None, confirm_warnings=False):
    """Why ``item`` cannot be published now: a list of BoardError codes (empty: it can be)."""
    now = now or utcnow()
    problems = []
    if item.state != EditorialState.REVIEW:
        problems.append("state")
    if any(p.published_key is None for p in item.photos):
        problems.append("photos_unredacted")
    findings = checks.check_item(item)
    if any(f.blocking for f in findings):
        problems.append("reporter_identity")
    if not confirm_warnings and any(not f.blocking for f in findings):
        problems.append("confirm_warnings")
    if item.open_appeal is not None:
        problems.append("appeal_open")
    elif item.unit_id is not None:
        if item.unit_notified_at is None:
            problems.append("no_notice")
        elif now < item.unit_notified_at + timedelta(hours=notice_hours()) and not any(
                a.decided_at is not None and a.decided_at >= item.unit_notified_at for a in item.appeals):
            problems.append("notice_period")
    return problems


def publish(item, actor, confirm_warnings=False, now=None):
    """In review → published: every photo redacted, no reporter identity in the text, warnings confirmed, and
    the unit's notice period over (or its appeal decided)."""
    require(actor, Permission.BOARD_PUBLISH)
    problems = publication_blockers(item, now=now, confirm_warnings=confirm_warnings)
    if problems:
        findings = checks.check_item(item) if {"reporter_identity", "confirm_warnings"} & set(problems) else ()
        raise BoardError(problems[0], findings=findings, until=notice_ends_at(item), problems=problems)
    event = step(item, "publish", actor)
    if item.published_at is None:
        item.published_at = now or utcnow()
    db.session.flush()
    return event


def archive(item, actor, reason=None):
    require(actor, Permission.BOARD_EDIT)
    event = step(item, "archive", actor, clean(reason, MAX_REASON, "reason"))
    db.session.flush()
    return event


def take_down(item, actor, reason):
    """No longer public; the reason is kept. Editors and publishers may both do it."""
    require(actor, Permission.BOARD_EDIT, Permission.BOARD_PUBLISH)
    reason = clean(reason, MAX_REASON, "reason", required=True)
    event = step(item, "take_down", actor, reason)
    item.takedown_reason = reason
    db.session.flush()
    return event
