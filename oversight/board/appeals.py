"""Appeals (申诉) by an exposed unit: what its staff see, who may appeal, filing one and deciding it (withdraw,
correct with a public note, or reject), with the decision sent to the unit.

Every function takes an explicit ``actor``, checks the actor's permission, records the step in the item's trail
and the audit log, and ends with a flush; the caller commits. Refusals raise ``BoardError``.
"""
from oversight.board import notices
from oversight.board.items import ITEM_FIELDS, apply_fields, guard_public_text
from oversight.board.models import Appeal, AppealDecision, EditorialState, ExposureItem
from oversight.board.rules import MAX_REASON, MAX_TEXT, BoardError, clean, record_event, require, step
from portal.auth import audit
from portal.auth.permissions import Permission, can
from portal.clock import utcnow
from portal.extensions import db

APPEALABLE = frozenset({EditorialState.REVIEW, EditorialState.PUBLISHED, EditorialState.ARCHIVED})


def items_for_unit(unit_id):
    """What an exposed unit's staff see in their inbox: items about their unit in review or public."""
    if unit_id is None:
        return []
    return db.session.execute(
        db.select(ExposureItem).where(ExposureItem.unit_id == unit_id, ExposureItem.state.in_(APPEALABLE))
        .order_by(ExposureItem.unit_notified_at.desc(), ExposureItem.id.desc())).scalars().all()


def can_appeal(item, actor):
    return (can(actor, Permission.BOARD_APPEAL) and actor.unit_id is not None and actor.unit_id == item.unit_id
            and item.state in APPEALABLE and item.open_appeal is None)


def file_appeal(item, actor, statement, evidence=()):
    """申诉 by the exposed unit's handler: a statement and evidence photos (``StoredPhoto``s, in storage)."""
    require(actor, Permission.BOARD_APPEAL)
    if actor.unit_id is None or actor.unit_id != item.unit_id:
        raise BoardError("not_your_unit")
    if item.state not in APPEALABLE:
        raise BoardError("state")
    if item.open_appeal is not None:
        raise BoardError("appeal_open")
    statement = clean(statement, MAX_TEXT, "statement", required=True)
    appeal = Appeal(unit_id=item.unit_id, filed_by_id=actor.id, statement=statement,
                    evidence_keys=[{"key": p.key, "thumb_key": p.thumb_key} for p in evidence] or None)
    item.appeals.append(appeal)
    record_event(item, actor, "appeal")
    db.session.flush()
    audit.record(actor, "appeal", item, summary=item.title, changes={"appeal": appeal.id})
    db.session.flush()
    return appeal


def decide_appeal(appeal, actor, decision, reason, correction=None, correction_note=None):
    """Accept (withdraw the item, or correct it with a public correction note) or reject; the reason is kept
    and shown to the unit."""
    require(actor, Permission.BOARD_EDIT)
    if appeal.decision is not None:
        raise BoardError("appeal_decided")
    decision = AppealDecision(decision)
    reason = clean(reason, MAX_REASON, "reason", required=True)
    item = appeal.item
    if decision == AppealDecision.WITHDRAWN:
        step(item, "take_down", actor, reason)
        item.takedown_reason = reason
    elif decision == AppealDecision.CORRECTED:
        note = clean(correction_note, MAX_TEXT, "correction_note", required=True)
        if correction:
            before = audit.snapshot(item, ITEM_FIELDS)
            apply_fields(item, correction)
            audit.record(actor, "update", item, summary=item.title,
                         changes=audit.diff(before, audit.snapshot(item, ITEM_FIELDS)))
        item.correction_note = note
        guard_public_text(item)
    appeal.decision, appeal.decision_reason = decision, reason
    appeal.decided_by_id, appeal.decided_at = actor.id, utcnow()
    event = record_event(item, actor, f"appeal_{decision.value}", reason=reason)
    db.session.flush()
    audit.record(actor, "decide_appeal", item, summary=item.title,
                 changes={"appeal": appeal.id, "decision": decision.value})
    notices.queue_appeal_decision(appeal, event)
    db.session.flush()
    return appeal
