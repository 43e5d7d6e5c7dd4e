"""SQLite specifics: the embedded database serialises writers, and needs telling when a transaction will write.

In WAL mode a transaction that starts by reading cannot become a writer once another connection has written in
between: SQLite answers "database is locked" at once, without waiting for the busy timeout. Code that opens a
savepoint, reads, then writes (quotas, tokens, bulk steps) calls ``lock_for_write`` first.
"""
from portal.extensions import db


def lock_for_write():
    """On SQLite, start the transaction with BEGIN IMMEDIATE (waiting for the write lock) unless one is open.

    A no-op on PostgreSQL, where row locks and MVCC handle this.
    """
    if db.engine.dialect.name != "sqlite":
        return
    raw = db.session.connection().connection.dbapi_connection
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
