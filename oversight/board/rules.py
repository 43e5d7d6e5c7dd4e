"""What every board step shares: its refusal (``BoardError``), the permission check, the text limits, the entry
in the item's trail, the guarded editorial transition and the unit's notice period.

The board's step modules (``items``, ``publishing``, ``appeals``), ``redaction`` and ``notices`` all stand on
this module; it imports none of them.
"""
from datetime import timedelta

from flask import current_app

from oversight.board.models import ItemEvent
from portal.auth import audit
from portal.auth.permissions import can

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_REASON = 500
MAX_LOCATION = 300


class BoardError(Exception):
    """A step the board refuses. ``code`` picks the message (console_forms.BOARD_ERRORS); ``field`` the form
    field, if any; ``findings`` the text-check findings behind a refusal."""

    def __init__(self, code, field=None, findings=(), **params):
        super().__init__(code)
        self.code, self.field, self.findings, self.params = code, field, list(findings), params


def notice_hours():
    return current_app.config["BOARD_NOTICE_HOURS"]


def notice_ends_at(item):
    if item.unit_notified_at is None:
        return None
    return item.unit_notified_at + timedelta(hours=notice_hours())


def require(actor, *permissions):
    """Refuse unless ``actor`` holds one of ``permissions``."""
    if not any(can(actor, p) for p in permissions):
        raise BoardError("forbidden")


def clean(value, limit, field, required=False):
    """``value`` stripped (None when empty); refused when required and empty, or longer than ``limit``."""
    value = (value or "").strip()
    if required and not value:
        raise BoardError("required", field=field)
    if len(value) > limit:
        raise BoardError("too_long", field=field)
    return value or None


def record_event(item, actor, action, reason=None):
    """An entry in the item's trail for a step that does not change its state."""
    event = ItemEvent(action=action, actor_id=getattr(actor, "id", None), from_state=item.state,
                      to_state=item.state, reason=reason)
    item.events.append(event)
    return event


def step(item, action, actor, reason=None):
    """The editorial transition ``action`` (refused as ``state`` when the item's state does not allow it),
    recorded in the audit log."""
    try:
        event = item.transition(action, actor, reason=reason)
    except Exception as error:  # IllegalEditorialStep
        raise BoardError("state") from error
    audit.record(actor, action, item, summary=item.title,
                 changes={"state": [event.from_state.value, event.to_state.value], "reason": reason})
    return event
