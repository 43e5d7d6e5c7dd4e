"""The database lease that makes one scheduler active per installation.

One row per lock name. ``acquire`` is a single conditional UPDATE (renew if we hold it, take it if it has
expired) or, when no row exists yet, an INSERT that only one process can win (primary key): it works the same on
SQLite and PostgreSQL and needs no advisory locks. Each call is its own short transaction on its own connection,
so it never mixes with the caller's session. Processes compare times from their own clocks: keep them in sync
(NTP) and the lease a good deal longer than the heartbeat.
"""
import secrets
import threading
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.scheduler.models import SchedulerLock

LOCK_NAME = "scheduler"


def acquire(holder, lease_seconds, name=LOCK_NAME, now=None):
    """Take or renew the lease for ``lease_seconds``; True if ``holder`` holds it now."""
    now = now or utcnow()
    expires = now + timedelta(seconds=lease_seconds)
    table = SchedulerLock.__table__
    with db.engine.begin() as connection:
        result = connection.execute(
            table.update()
            .where(table.c.name == name, db.or_(table.c.holder == holder, table.c.expires_at < now))
            .values(holder=holder, heartbeat_at=now, expires_at=expires,
                    acquired_at=db.case((table.c.holder == holder, table.c.acquired_at),
                                        else_=db.literal(now, UTCDateTime()))))
        if result.rowcount == 1:
            return True
        exists = connection.execute(db.select(table.c.name).where(table.c.name == name)).first()
    if exists:
        return False
    try:
        with db.engine.begin() as connection:
            connection.execute(table.insert().values(name=name, holder=holder, acquired_at=now, heartbeat_at=now,
                                                     expires_at=expires))
    except IntegrityError:
        return False  # another process inserted the row first: it holds the lease
    return True


def release(holder, name=LOCK_NAME, now=None):
    """Give the lease up at once (on a clean shutdown), so a standby process can take over without waiting."""
    now = now or utcnow()
    table = SchedulerLock.__table__
    with db.engine.begin() as connection:
        connection.execute(table.update().where(table.c.name == name, table.c.holder == holder)
                           .values(expires_at=now))


def is_holder(holder, name=LOCK_NAME, now=None):
    """True while ``holder`` holds an unexpired lease."""
    now = now or utcnow()
    table = SchedulerLock.__table__
    with db.engine.connect() as connection:
        row = connection.execute(db.select(table.c.holder).where(
            table.c.name == name, table.c.holder == holder, table.c.expires_at > now)).first()
    return row is not None


def current_lock(name=LOCK_NAME):
    """The lock row (holder, heartbeat, expiry) for the status page, or None before any scheduler ran."""
    return db.session.get(SchedulerLock, name)


@contextmanager
def job_lease(name, holder, lease_seconds):
    """Hold the lease ``name`` while the block runs, renewed every third of ``lease_seconds``; yields whether it
    was taken (False: another process holds it). A runner that dies stops renewing, so its lease expires."""
    token = f"{holder or 'run'}:{secrets.token_hex(4)}"
    if not acquire(token, lease_seconds, name=name):
        yield False
        return
    app, stop = current_app._get_current_object(), threading.Event()

    def renew():
        while not stop.wait(lease_seconds / 3):
            with app.app_context():
                try:
                    acquire(token, lease_seconds, name=name)
                except Exception:  # noqa: BLE001 - a database hiccup: the next renewal tries again
                    pass

    renewer = threading.Thread(target=renew, name=f"lease {name}", daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        release(token, name=name)
