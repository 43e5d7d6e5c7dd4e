"""Writers on SQLite queue on a file lock beside the database (portal.sqlite.QueuedWriterConnection)."""
import sqlite3
import threading
import time

import pytest

from portal import sqlite as queue


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "queue.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n INTEGER)")
    return path


def connect(path):
    connection = sqlite3.connect(path, factory=queue.QueuedWriterConnection, timeout=10, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout=10000")
    return connection


def test_a_second_writer_waits_for_the_first_ones_commit_and_then_goes_on(database):
    first, second = connect(database), connect(database)
    second.execute("PRAGMA busy_timeout=0")  # SQLite's busy handler gives up at once: only the queue can make it wait
    first.execute("INSERT INTO t VALUES (1)")
    assert first.queued
    errors = []

    def write():
        try:
            second.execute("INSERT INTO t VALUES (2)")
            second.commit()
        except sqlite3.OperationalError as error:  # "database is locked": it did not wait in the queue
            errors.append(error)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(0.5)
    assert writer.is_alive()  # still queued behind the first transaction
    first.commit()
    writer.join(10)

    assert not writer.is_alive() and errors == []  # woken by the commit, not by SQLite's retries
    assert not first.queued and not second.queued
    assert sorted(row[0] for row in first.execute("SELECT n FROM t")) == [1, 2]


def test_readers_never_queue_and_a_rollback_or_close_leaves_the_queue(database):
    first, second = connect(database), connect(database)
    first.execute("SELECT COUNT(*) FROM t").fetchone()
    assert not first.queued
    first.execute("UPDATE t SET n = 0")
    assert first.queued
    first.rollback()
    assert not first.queued

    second.cursor().executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    assert second.queued
    second.close()
    third = connect(database)
    third.execute("BEGIN IMMEDIATE")  # what portal.sqlite.lock_for_write sends
    assert third.queued
    third.commit()


def test_a_writer_stuck_behind_the_queue_gives_up_waiting_and_lets_sqlite_decide(database, monkeypatch):
    monkeypatch.setattr(queue, "GIVE_UP", 0.2)
    holder, waiter = connect(database), connect(database)
    holder.execute("INSERT INTO t VALUES (1)")
    holder.commit()  # the queue is free again ...
    holder.queue_for("INSERT")  # ... but held by a connection that is not writing (a stuck holder)
    started = time.monotonic()

    waiter.execute("INSERT INTO t VALUES (2)")  # SQLite's write lock is free: it goes on after GIVE_UP
    waiter.commit()

    assert 0.2 <= time.monotonic() - started < 5
    assert not waiter.queued
