"""Writing to the audit log: every change made through the console or an import lands here."""
from flask import has_request_context, request

from portal.auth.models import AuditEntry
from portal.extensions import db


def _plain(value):
    if hasattr(value, "value"):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "id") and hasattr(value, "__table__"):
        return value.id
    return value


def snapshot(obj, fields):
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before, after):
    """Only the fields that changed, as {field: [old, new]}."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def record(actor, action, obj=None, *, object_type=None, summary="", changes=None):
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else "system"),
        object_id=getattr(obj, "id", None),
        summary=str(summary)[:300],
        changes=changes or None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
