"""Stored snapshots: generating (once per kind and period), publishing, appending notes, and the published ones.

A snapshot's ``data`` is everything its pages show, computed once from the figures engine
(``oversight.scorecards.figures``) and the rules in force, with names in the three languages: later changes to cases,
units or rules never change a stored snapshot. What the data holds is built in ``snapshot_data``; the snapshot
read in the reader's language (export tables, template helpers) is in ``snapshot_display``.

- 旬通报 (``xun_bulletin``): city totals, one row per unit (received, 结案率, 按期结案率, 回访满意率, 督办), the
  units below the bulletin's satisfaction line named, and the previous 旬 beside every figure (横向纵向可比).
- 月评比 (``month_ranking``): units ranked by the composite index with its parts, the rank change against last
  month's ranking (the stored one when there is one), and the year to date against the share of the year elapsed.
- 红黑榜 (``honours``): the red and black lists of units and areas under the versioned list rule
  (``oversight.scorecards.honours``), each entry with its figures and the reasons it is there.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from oversight.scorecards.snapshot_data import build_data, find_snapshot
from oversight.scorecards.snapshot_models import PERIOD_KIND, Snapshot, SnapshotNote
from portal.auth import audit
from portal.city import city_today, get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.sqlite import lock_for_write

NOTE_MAX = 2000


class SnapshotError(Exception):
    """A snapshot step that must be refused; ``code`` picks the message shown to the user."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


MESSAGES = {
    "period_incomplete": _l("That period is not over yet. A snapshot is stored once and never changes, so it can "
                            "only be generated for a complete period."),
    "wrong_period": _l("This kind of snapshot covers a different kind of period."),
    "already_published": _l("This snapshot is already published."),
    "note_empty": _l("Write the correction or remark."),
    "note_too_long": _l("A note can be at most %(max)d characters.", max=NOTE_MAX),
}


def message(code):
    return str(MESSAGES[code])


# -- reading ---------------------------------------------------------------------------------------------------


def published(kind=None):
    """Published snapshots, newest period first."""
    query = db.select(Snapshot).where(Snapshot.published_at.is_not(None))
    if kind is not None:
        query = query.where(Snapshot.kind == kind)
    return query.order_by(Snapshot.period_start.desc(), Snapshot.id.desc())


def latest_published(kind):
    return db.session.execute(published(kind).limit(1)).scalar_one_or_none()


# -- storing ---------------------------------------------------------------------------------------------------


def generate_snapshot(kind, period, actor=None, now=None):
    """Store the snapshot of ``kind`` for ``period`` unless it exists; returns (snapshot, created).

    Idempotent: an existing snapshot is returned untouched, and when two runs race the unique (kind, period)
    constraint keeps one (the loser gets the stored one). Only complete periods can be stored.
    """
    now = now or utcnow()
    tz = get_city_settings().timezone
    if PERIOD_KIND[kind] != period.kind:
        raise SnapshotError("wrong_period")
    if period.end >= city_today(now, tz):
        raise SnapshotError("period_incomplete")
    lock_for_write()  # reads, then writes
    existing = find_snapshot(kind, period.key)
    if existing is not None:
        return existing, False
    snapshot = Snapshot(kind=kind, period_key=period.key, period_start=period.start, period_end=period.end,
                        data=build_data(kind, period, tz, now), generated_at=now,
                        generated_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(snapshot)
    except IntegrityError:
        existing = find_snapshot(kind, period.key)
        if existing is None:
            raise
        return existing, False
    audit.record(actor, "generate", snapshot, summary=f"{kind.value} {period.key}")
    db.session.flush()
    return snapshot, True


def publish_snapshot(snapshot, actor, now=None):
    """Make a stored snapshot public; publishing is never undone (a correction is a note)."""
    if snapshot.is_published:
        raise SnapshotError("already_published")
    snapshot.published_at = now or utcnow()
    snapshot.published_by_id = getattr(actor, "id", None)
    audit.record(actor, "publish", snapshot, summary=f"{snapshot.kind.value} {snapshot.period_key}")
    db.session.flush()
    return snapshot


def add_note(snapshot, text, actor, now=None):
    """Append a correction or remark to a snapshot (the snapshot itself never changes)."""
    text = (text or "").strip()
    if not text:
        raise SnapshotError("note_empty")
    if len(text) > NOTE_MAX:
        raise SnapshotError("note_too_long")
    note = SnapshotNote(snapshot_id=snapshot.id, text=text, created_by_id=getattr(actor, "id", None),
                        created_at=now or utcnow())
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "note", snapshot, summary=text[:100])
    db.session.flush()
    return note
