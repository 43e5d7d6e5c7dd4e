"""Counting the SQL a piece of work sends: for tests that keep pages and submissions to a bounded number of
statements (no per-row query loops)."""
from contextlib import contextmanager

from sqlalchemy import event

from portal.extensions import db


@contextmanager
def recorded_statements(app=None):
    """Collect every statement sent on the app's engine while the block runs (whitespace collapsed)."""
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    if app is not None:
        with app.app_context():
            engine = db.engine
    else:
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
