"""API keys: issued to one integrating system (shown once, kept as a SHA-256), looked up on every POST, revoked by
an admin. Every step is in the audit log; the caller commits."""
import hashlib
import secrets

from sqlalchemy.exc import IntegrityError

from oversight.open311.models import ApiKey
from portal.auth import audit
from portal.clock import utcnow
from portal.extensions import db
from portal.textclean import clean_text

KEY_PREFIX = "ms311_"
MAX_SYSTEM = 100
MAX_KEY = 200


class ApiKeyError(Exception):
    """A key request refused: ``code`` picks the message."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def hash_key(key):
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def issue_key(system, actor, key=None, issue_token=None):
    """A new key for ``system``: returns ``(ApiKey, the key in clear)``; the clear key is never stored.

    ``issue_token`` is the one-time token of the form that asked: when a key was already issued for it (the form
    sent again by a reload or a double click, even at the same moment), that key is returned with ``None`` for
    the clear key, which was shown once and is not kept. ``key`` is for the demo city only (a fixed, documented
    example key)."""
    system = clean_text((system or "").strip())
    if not system:
        raise ApiKeyError("system_required")
    if len(system) > MAX_SYSTEM:
        raise ApiKeyError("system_too_long")
    if issue_token is not None:
        earlier = _issued_for(issue_token)
        if earlier is not None:
            return earlier, None
    key = key or KEY_PREFIX + secrets.token_urlsafe(24)
    record = ApiKey(system=system, prefix=key[:12], key_hash=hash_key(key), created_by_id=getattr(actor, "id", None),
                    issue_token=issue_token)
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        earlier = _issued_for(issue_token) if issue_token is not None else None
        if earlier is None:
            raise
        return earlier, None  # the same form won the race in another request
    audit.record(actor, "api_key_issue", record, summary=f"{system} ({record.prefix}…)")
    return record, key


def _issued_for(issue_token):
    return db.session.scalars(db.select(ApiKey).where(ApiKey.issue_token == issue_token)).first()


def revoke_key(record, actor):
    """The key stops working at once; revoking twice changes nothing."""
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        record.revoked_by_id = getattr(actor, "id", None)
        audit.record(actor, "api_key_revoke", record, summary=f"{record.system} ({record.prefix}…)")
    db.session.flush()
    return record


def active_key(key):
    """The unrevoked ApiKey for this key in clear, or None (unknown, revoked, empty or absurd)."""
    if not key or len(key) > MAX_KEY:
        return None
    record = db.session.scalars(db.select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    return record if record is not None and record.is_active else None


def all_keys():
    return db.session.scalars(db.select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())).all()
