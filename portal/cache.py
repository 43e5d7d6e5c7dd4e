"""The shared cache of public pages (the exposure board and the 红黑榜): rendered responses kept per (generation, URL,
language, city date) in Redis when ``REDIS_URL`` is set, else in a small per-process LRU, and one cluster-wide
"generation" number that every change to what those pages show raises, so that no cached copy outlives a change.

The generation lives in Redis (an atomic HINCRBY after the change commits) or, without Redis, in the
``cache_generations`` table (raised inside the change's own transaction). It is part of every cache key.
"""
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.city import CitySettings
from portal.extensions import db
from portal.registry.models import Area, Category, Point, Unit

log = logging.getLogger(__name__)

BOARD = "board"
EXTENSION = "public_cache"
REDIS_PREFIX = "minsheng:cache:"
_BUMP_PENDING = "public_cache_bump"  # Session.info flag: this transaction changed what the public pages show


class CacheGeneration(db.Model):
    """A named generation number and when it last moved (one row per name; "board" is the only one today)."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(db.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(db.BigInteger, nullable=False)
    changed_at: Mapped[float] = mapped_column(db.Float, nullable=False)  # Unix seconds


_TABLE = CacheGeneration.__tablename__
# A missing row starts at the current time in milliseconds, never at 1: numbers never go back to ones that were
# used before (emptied table, restored backup), so an old cached copy can never match a new generation.
_BUMP_SQL = db.text(
    f"INSERT INTO {_TABLE} (name, value, changed_at) VALUES (:name, :start, :now) "
    f"ON CONFLICT (name) DO UPDATE SET value = {_TABLE}.value + 1, changed_at = :now")


@dataclass(frozen=True)
class Generation:
    value: int
    changed_at: float  # Unix seconds; 0 when nothing ever changed


@dataclass
class Entry:
    """One cached response: what the view answered, its validators, and compressed copies of the body."""

    body: bytes
    mimetype: str
    headers: list  # [(name, value)] the view set that must come back (CORS, Content-Disposition...)
    etag: str
    last_modified: float
    encoded: dict  # "br"/"gzip" -> bytes


# ---------------------------------------------------------------- stores

class LocalStore:
    """A small LRU with expiry for one process (used when there is no Redis); thread-safe."""

    def __init__(self, size):
        self.size = size
        self._data = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._data.get(key)
            if found is None:
                return None
            value, expires = found
            if expires <= time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key, value, ttl):
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def add(self, key, value, ttl):
        """Store ``value`` unless the key holds one; return what the key holds afterwards."""
        with self._lock:
            found = self._data.get(key)
            if found is not None and found[1] > time.monotonic():
                return found[0]
        self.set(key, value, ttl)
        return value

    def clear(self):
        with self._lock:
            self._data.clear()

    def generation(self, name):
        """Without Redis the generation is the database's, shared by every process on every machine."""
        return db_generation(db.session, name)


_GENERATION_SQL = db.select(CacheGeneration.value, CacheGeneration.changed_at).where(
    CacheGeneration.name == db.bindparam("name"))


BOARD_GENERATION_SQL = f"SELECT value, changed_at FROM {_TABLE} WHERE name = '{BOARD}'"


def db_generation(connection, name):
    """The generation kept in the database (``connection``: a session or a Core connection)."""
    row = connection.execute(_GENERATION_SQL, {"name": name}).first()
    return Generation(row[0], row[1]) if row else Generation(0, 0.0)


class RedisStore:
    """Entries and the generation in Redis, shared by every worker on every machine. Entries are pickled
    ``Entry`` objects that only this application writes."""

    def __init__(self, url):
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)

    def get(self, key):
        import pickle

        raw = self.client.get(REDIS_PREFIX + key)
        return pickle.loads(raw) if raw is not None else None

    def set(self, key, value, ttl):
        import pickle

        self.client.set(REDIS_PREFIX + key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
                        px=max(1, int(ttl * 1000)))

    def add(self, key, value, ttl):
        import pickle

        full = REDIS_PREFIX + key
        if self.client.set(full, pickle.dumps(value), px=max(1, int(ttl * 1000)), nx=True):
            return value
        raw = self.client.get(full)
        return pickle.loads(raw) if raw is not None else value

    def clear(self):
        for key in self.client.scan_iter(REDIS_PREFIX + "*", count=500):
            self.client.delete(key)

    def _generation_key(self, name):
        return f"{REDIS_PREFIX}generation:{name}"

    def generation(self, name):
        """None when Redis does not answer: nothing may then be read from or written to the cache."""
        import redis

        try:
            value, changed_at = self.client.hmget(self._generation_key(name), "value", "changed_at")
        except redis.RedisError:
            log.warning("Redis does not answer: the board's pages are rendered without the cache", exc_info=True)
            return None
        if value is None:
            return Generation(0, 0.0)
        return Generation(int(value), float(changed_at or 0))

    def bump(self, name):
        key = self._generation_key(name)
        now = time.time()
        pipe = self.client.pipeline(transaction=True)
        pipe.hsetnx(key, "value", int(now * 1000))  # see _BUMP_SQL: never restart at a used number
        pipe.hincrby(key, "value", 1)
        pipe.hset(key, "changed_at", repr(now))
        pipe.execute()


def init_app(app):
    url = app.config["REDIS_URL"]
    app.extensions[EXTENSION] = RedisStore(url) if url else LocalStore(app.config["BOARD_CACHE_ENTRIES"])
    if not event.contains(Session, "after_flush", _note_changes):
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def store():
    from flask import current_app

    return current_app.extensions[EXTENSION]


def current_generation(name=BOARD):
    """The generation (value, when it last moved), or None when its store does not answer."""
    return store().generation(name)


def bump_generation(name=BOARD):
    """Raise the generation now (outside any model change: a command, a test). Commits nothing itself."""
    found = store()
    if isinstance(found, RedisStore):
        found.bump(name)
    else:
        now = time.time()
        db.session.execute(_BUMP_SQL, {"name": name, "start": int(now * 1000), "now": now})


# ---------------------------------------------------------------- what changes the public pages

# The models whose rows the board and the 红黑榜 show: the registry's and the city's here; the board's items and the
# published snapshots are added by their model modules (``watch_public``), which stand above the shell.
_PUBLIC_MODELS = [Area, Unit, Point, Category, CitySettings]


def watch_public(*models):
    """Declare models whose rows the public pages show: a change to one raises the board's generation. Candidates,
    events and appeals are staff-side only: an appeal that changes an item changes the item. Case counters (linked
    reports, "me too") are not watched, they change with every report; cached pages show them at most
    BOARD_CACHE_SECONDS old."""
    _PUBLIC_MODELS.extend(model for model in models if model not in _PUBLIC_MODELS)


def watched_models():
    return tuple(_PUBLIC_MODELS)


def _touches_public_pages(session):
    watched = watched_models()
    for collection in (session.new, session.dirty, session.deleted):
        if any(isinstance(obj, watched) for obj in collection):
            return True
    return False


def _note_changes(session, _flush_context):
    from flask import current_app, has_app_context

    if session.info.get(_BUMP_PENDING) or not _touches_public_pages(session):
        return
    session.info[_BUMP_PENDING] = True
    if has_app_context() and isinstance(current_app.extensions.get(EXTENSION), RedisStore):
        return  # raised after the commit (see _after_commit)
    # In the change's own transaction: readers see the new number exactly when they can see the change.
    now = time.time()
    session.connection().execute(_BUMP_SQL, {"name": BOARD, "start": int(now * 1000), "now": now})


def _after_commit(session):
    from flask import current_app, has_app_context

    if not session.info.pop(_BUMP_PENDING, False):
        return
    if has_app_context() and isinstance(current_app.extensions.get(EXTENSION), RedisStore):
        # After the commit, never before: a reader between a raise and the commit would cache the old rows under
        # the new number.
        try:
            current_app.extensions[EXTENSION].bump(BOARD)
        except Exception:  # noqa: BLE001 - the change is committed; cached pages expire within BOARD_CACHE_SECONDS
            log.exception("Could not raise the board cache generation in Redis")


def _after_rollback(session):
    session.info.pop(_BUMP_PENDING, None)


def utc_timestamp(value):
    return datetime.fromtimestamp(value, timezone.utc)
