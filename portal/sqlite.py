"""SQLite specifics: the embedded database serialises writers, and needs telling when a transaction will write.

In WAL mode a transaction that starts by reading cannot become a writer once another connection has written in
between: SQLite answers "database is locked" at once, without waiting for the busy timeout. Code that opens a
savepoint, reads, then writes (quotas, tokens, bulk steps) calls ``lock_for_write`` first.

Writers also queue on a file lock beside the database (``QueuedWriterConnection``): SQLite's own busy handler waits
for its write lock by sleeping 1, 2, 5, 10 ms and more between tries, so under load a worker went on sleeping long
after the lock was free (a report holds it for about a third of a millisecond).

A table hint written for SQLite (``select.with_hint(table, "INDEXED BY ix_name", "sqlite")``) is rendered after the
table's name, as SQLite reads it: SQLAlchemy renders table hints for MySQL and SQL Server only and dropped these
without a word (``_from_hint_text``).
"""
import fcntl
import os
import sqlite3
import threading
import time

from sqlalchemy.dialects.sqlite.base import SQLiteCompiler

from portal.extensions import db


def _from_hint_text(_compiler, _table, text):
    """``FROM cases INDEXED BY ix_cases_due_at_hours``: the scorecards' percentile reads name their partial index,
    which SQLite's planner would not pick (it walked (state, due_at) and looked every case of the period up: with
    1,000,000 cases those reads took 284 ms a page, 68 ms with the index)."""
    return text


SQLiteCompiler.get_from_hint_text = _from_hint_text

# Statements that take SQLite's write lock (a transaction's first write, or an explicit BEGIN IMMEDIATE).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")
FIRST_WAIT, LONGEST_WAIT = 0.00005, 0.002  # seconds between tries for the queue's lock, doubling
GIVE_UP = 10.0  # then go on and let SQLite's busy timeout decide, as without the queue


def lock_for_write():
    """On SQLite, start the transaction with BEGIN IMMEDIATE (waiting for the write lock) unless one is open.
    Returns True when it started the transaction: nothing was written in it before, so rolling it back undoes only
    what follows.

    A no-op on PostgreSQL, where row locks and MVCC handle this (returns False).
    """
    if db.engine.dialect.name != "sqlite":
        return False
    raw = db.session.connection().connection.dbapi_connection
    if raw.in_transaction:
        return False
    raw.execute("BEGIN IMMEDIATE")
    return True


def has_plain_reader(engine):
    """True on a SQLite file database, where ``plain_read`` can use the thread's own connection."""
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def plain_read(app, engine, read):
    """``read(connection)`` on this thread's own plain connection to the SQLite file (``has_plain_reader``), outside
    any transaction: each SELECT sees the latest commit (WAL) and holds no lock afterwards. A fifth of the cost of a
    pool checkout, reset and check-in, for hot reads that need no transaction (the board's generation, a survey
    form's content). The connection is made by the engine (its connect hooks and pragmas ran), then taken out of its
    pool for good; a disposed engine gets a new one, and a connection that failed is closed."""
    local = app.extensions.get("sqlite_plain_readers")
    if local is None:
        local = app.extensions.setdefault("sqlite_plain_readers", threading.local())
    connection = getattr(local, "connection", None)
    if connection is not None and local.pool is not engine.pool:  # the engine was disposed: connect afresh
        local.connection = None
        connection.close()
        connection = None
    if connection is None:
        proxied = engine.raw_connection()
        connection = proxied.driver_connection
        proxied.detach()
        connection.isolation_level = None
        local.connection, local.pool = connection, engine.pool
    try:
        return read(connection)
    except sqlite3.Error:
        local.connection = None
        connection.close()
        raise


class _QueuedCursor(sqlite3.Cursor):
    def execute(self, sql, *args):
        self.connection.queue_for(sql)
        return super().execute(sql, *args)

    def executemany(self, sql, *args):
        self.connection.queue_for(sql)
        return super().executemany(sql, *args)


class QueuedWriterConnection(sqlite3.Connection):
    """A sqlite3 connection whose transactions wait for each other's commit on an exclusive ``flock`` of the file
    ``<database>-writer`` before their first write, and release it on commit, rollback or close.

    ``flock`` locks belong to the open file, so two connections of one process queue like two processes. A waiter
    tries again after 50 µs, doubling up to 2 ms: it goes on at most that long after the lock is free. After
    GIVE_UP seconds it stops waiting for the queue (a writer holding it while waiting for this connection cannot
    block it for good) and SQLite's busy timeout decides, as before.
    """

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._queue = os.open(f"{os.fspath(database)}-writer", os.O_RDWR | os.O_CREAT, 0o600)
        self.queued = False

    def queue_for(self, sql):
        """Before a statement: take the queue's lock if the statement writes and this transaction has not yet."""
        if self.queued or not sql.lstrip()[:15].upper().startswith(_WRITES):
            return
        wait, deadline = FIRST_WAIT, time.monotonic() + GIVE_UP
        while True:
            try:
                fcntl.flock(self._queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.queued = True
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT)

    def _leave(self):
        if self.queued:
            self.queued = False
            fcntl.flock(self._queue, fcntl.LOCK_UN)

    def cursor(self, factory=_QueuedCursor):
        return super().cursor(factory)

    def execute(self, sql, *args):
        self.queue_for(sql)
        return super().execute(sql, *args)

    def executemany(self, sql, *args):
        self.queue_for(sql)
        return super().executemany(sql, *args)

    def commit(self):
        try:
            super().commit()
        finally:
            self._leave()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self):
        try:
            super().close()
        finally:
            self._leave()
            if self._queue is not None:
                os.close(self._queue)
                self._queue = None
