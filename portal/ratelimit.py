"""Rate-limit counters in the database, shared by every process: the default store of Flask-Limiter here
(``RATELIMIT_STORAGE_URI = "database://"``) unless ``REDIS_URL`` names Redis.

The in-memory store counts per process: under four gunicorn workers a limit of 10 sign-in attempts let about 40
through. Here each hit is one atomic upsert on its own short connection (never the request's transaction), the
same SQL on SQLite (≥ 3.35) and PostgreSQL: a window that has expired starts again at the hit's amount.
"""
import random
import time

from limits.storage import Storage
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

SCHEME = "database"
PRUNE_CHANCE = 0.01  # about one hit in a hundred also deletes expired counters


class RateLimitCounter(db.Model):
    """One fixed-window counter: the limit's key, hits so far, and when the window ends (Unix seconds)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(db.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(nullable=False)
    expires_at: Mapped[float] = mapped_column(db.Float, nullable=False, index=True)


_TABLE = RateLimitCounter.__tablename__
_INCR = db.text(
    f"INSERT INTO {_TABLE} (key, count, expires_at) VALUES (:key, :amount, :expires) "
    f"ON CONFLICT (key) DO UPDATE SET "
    f"count = CASE WHEN {_TABLE}.expires_at <= :now THEN :amount ELSE {_TABLE}.count + :amount END, "
    f"expires_at = CASE WHEN {_TABLE}.expires_at <= :now THEN :expires ELSE {_TABLE}.expires_at END "
    f"RETURNING count")


class DatabaseStorage(Storage):
    """Flask-Limiter's storage (fixed-window strategies) on the app's own database."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        from sqlalchemy.exc import SQLAlchemyError

        return SQLAlchemyError

    @staticmethod
    def _engine():
        return db.engine  # the current app's: one storage object serves every app of the process

    def incr(self, key, expiry, amount=1):
        now = time.time()
        with self._engine().begin() as connection:
            count = connection.execute(_INCR, {"key": key, "amount": amount, "expires": now + expiry,
                                               "now": now}).scalar_one()
            if random.random() < PRUNE_CHANCE:
                connection.execute(db.delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
        return count

    def get(self, key):
        with self._engine().connect() as connection:
            count = connection.execute(db.select(RateLimitCounter.count).where(
                RateLimitCounter.key == key, RateLimitCounter.expires_at > time.time())).scalar()
        return count or 0

    def get_expiry(self, key):
        with self._engine().connect() as connection:
            expires = connection.execute(db.select(RateLimitCounter.expires_at).where(
                RateLimitCounter.key == key)).scalar()
        return expires if expires is not None else time.time()

    def check(self):
        try:
            with self._engine().connect() as connection:
                connection.execute(db.select(1))
        except Exception:  # noqa: BLE001 - "not healthy" is the answer
            return False
        return True

    def reset(self):
        with self._engine().begin() as connection:
            return connection.execute(db.delete(RateLimitCounter)).rowcount

    def clear(self, key):
        with self._engine().begin() as connection:
            connection.execute(db.delete(RateLimitCounter).where(RateLimitCounter.key == key))


def warn_if_per_process(app):
    """Say loudly at startup when limits are counted in this process only (an explicit ``memory://``)."""
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory"):
        app.logger.warning("Rate limits (sign-in attempts, reports) are counted per process (memory://): under "
                           "several workers each counts alone. Leave RATELIMIT_STORAGE_URI unset (the database) "
                           "or set REDIS_URL.")
