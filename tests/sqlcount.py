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


def statements_for_two_and_eight_rows(client, url, add_rows, rows_shown):
    """The statements ``url`` sends with two rows (``add_rows(2, start=1)``) and with eight (six more), after one
    request that reads what a first request reads once (the city's settings). ``rows_shown(page)`` must count the
    rows on the page each time, so that the page really lists them. Equal counts: no query per row."""
    add_rows(2, start=1)
    client.get(url)
    counts = []
    for more in (0, 6):
        add_rows(more, start=3)
        with recorded_statements() as seen:
            response = client.get(url)
        assert response.status_code == 200
        assert rows_shown(response.get_data(as_text=True)) == 2 + more
        counts.append(len(seen))
    return counts
