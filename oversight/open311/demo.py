"""DEMO ONLY: one API key for an example integration, with a fixed key printed by ``flask demo-logins`` and named in
the README. Never on a production database (anyone can read the key)."""
from oversight.open311.keys import hash_key, issue_key
from oversight.open311.models import ApiKey
from portal.extensions import db

DEMO_SYSTEM = "12345热线对接示例"
DEMO_KEY = "ms311_demo-12345-hotline"


def seed_demo_key():
    """The demo integration's key, once; a key an admin revoked stays revoked."""
    if db.session.scalars(db.select(ApiKey).where(ApiKey.key_hash == hash_key(DEMO_KEY))).first() is None:
        issue_key(DEMO_SYSTEM, None, key=DEMO_KEY)


def demo_key():
    """(system, key) while the demo key works, else None."""
    record = db.session.scalars(db.select(ApiKey).where(ApiKey.key_hash == hash_key(DEMO_KEY))).first()
    return (record.system, DEMO_KEY) if record is not None and record.is_active else None
