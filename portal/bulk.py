"""Several plain rows in one driver call, for the hot paths that write a handful of rows per request (a survey
answer's items and tallies).

SQLAlchemy prepares every row of an executemany in Python (parameter names, type processing); for ten rows of
plain values that cost more than the database's work. These statements go to the driver as they are, through the
session's connection (same transaction, same events), with the driver's placeholder style. Values must be what the
driver takes (int, float, str, None): callers pass enum values as ``.value``.
"""
from functools import lru_cache

from portal.extensions import db


@lru_cache(maxsize=32)
def _insert_sql(table, columns, paramstyle, on_conflict):
    mark = "?" if paramstyle == "qmark" else "%s"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
            f"{' ' + on_conflict if on_conflict else ''}")


def insert_many(table, columns, rows, on_conflict=""):
    """INSERT ``rows`` (tuples in the order of ``columns``) into ``table`` (a Table) with one executemany;
    ``on_conflict`` is appended as written (the same ON CONFLICT clause works on SQLite and PostgreSQL)."""
    if not rows:
        return
    connection = db.session.connection()
    connection.exec_driver_sql(_insert_sql(table.name, tuple(columns), connection.dialect.paramstyle, on_conflict),
                               list(rows))
