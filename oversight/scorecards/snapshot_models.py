"""Stored snapshots: 旬通报 bulletins, 月评比 rankings and 红黑榜 lists (never recomputed once stored).

A snapshot is generated once per (kind, period) and then never changes (DOMAIN.md §7): its ``data`` holds every row
with its figures, scores, ranks and the rules used. Publishing only stamps ``published_at``; a correction after
publication is a new ``SnapshotNote``, never an edit. The 红黑榜 is computed by a versioned ``ListRule``; saving
the rule makes a new version and old versions stay.
"""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.cache import watch_public
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.models import LabelledEnum, enum_column


class SnapshotKind(LabelledEnum):
    XUN_BULLETIN = "xun_bulletin"  # 旬通报: every ten days, for the previous 旬
    MONTH_RANKING = "month_ranking"  # 月评比: units ranked by the composite index
    HONOURS = "honours"  # 红黑榜: the monthly red and black lists


SnapshotKind._labels = {
    SnapshotKind.XUN_BULLETIN: _l("Ten-day bulletin (旬通报)"),
    SnapshotKind.MONTH_RANKING: _l("Monthly ranking (月评比)"),
    SnapshotKind.HONOURS: _l("Red and black lists (红黑榜)"),
}

# The kind of period each snapshot covers.
PERIOD_KIND = {SnapshotKind.XUN_BULLETIN: "xun", SnapshotKind.MONTH_RANKING: "month", SnapshotKind.HONOURS: "month"}


class SnapshotFrozen(Exception):
    """Raised on flush when code tries to change what a stored snapshot says."""


class Snapshot(db.Model):
    """One generated bulletin, ranking or 红黑榜 for one period. ``(kind, period_key)`` is unique."""

    __tablename__ = "snapshots"
    __table_args__ = (
        db.UniqueConstraint("kind", "period_key", name="uq_snapshot_kind_period"),
        db.Index("ix_snapshots_kind_published", "kind", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SnapshotKind] = mapped_column(enum_column(SnapshotKind), nullable=False)
    period_key: Mapped[str] = mapped_column(db.String(40), nullable=False)  # Period.key, e.g. "month:2026-11"
    period_start: Mapped[date] = mapped_column(db.Date, nullable=False)  # first local day
    period_end: Mapped[date] = mapped_column(db.Date, nullable=False)  # last local day, inclusive
    data: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))  # None: the scheduler
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))

    generated_by = relationship("User", foreign_keys=[generated_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])
    notes = relationship("SnapshotNote", back_populates="snapshot", order_by="SnapshotNote.id")

    @property
    def is_published(self):
        return self.published_at is not None


class SnapshotNote(db.Model):
    """A correction or remark appended to a snapshot (shown with it, publicly once it is published)."""

    __tablename__ = "snapshot_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(db.ForeignKey("snapshots.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(db.Text, nullable=False)

    snapshot = relationship("Snapshot", back_populates="notes")
    created_by = relationship("User")


class ListRule(db.Model):
    """A version of the published rule that puts units and areas on the 红黑榜 and names units in the 旬通报.

    Red list: the best ``red_count`` eligible units (and areas) whose composite index is at least
    ``red_min_score``. Black list: the worst ``black_count`` eligible ones, every eligible one whose index is below
    ``black_below_score``, and every unit at the third strike of the escalation ladder. The bottom places by rank
    are at most ``black_max_percent`` % of the eligible field (rounded down), so a small field puts nobody there by
    rank, and an entry sharing first place is never there by rank. Eligible means at least
    ``min_cases`` cases received in the month, so small units are not ranked on noise. The bulletin names units
    whose 回访满意率 is below ``bulletin_target_percent`` with at least ``bulletin_min_rated`` rated cases.
    """

    __tablename__ = "list_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    min_cases: Mapped[int] = mapped_column(nullable=False, default=20)
    red_count: Mapped[int] = mapped_column(nullable=False, default=3)
    red_min_score: Mapped[float] = mapped_column(db.Float, nullable=False, default=85.0)
    black_count: Mapped[int] = mapped_column(nullable=False, default=3)
    black_below_score: Mapped[float] = mapped_column(db.Float, nullable=False, default=60.0)
    area_level: Mapped[str] = mapped_column(db.String(20), nullable=False, default="district")
    bulletin_target_percent: Mapped[float] = mapped_column(db.Float, nullable=False, default=85.0)
    bulletin_min_rated: Mapped[int] = mapped_column(nullable=False, default=5)
    black_max_percent: Mapped[float] = mapped_column(db.Float, nullable=False, default=20.0, server_default="100")
    note: Mapped[str | None] = mapped_column(db.Text)

    created_by = relationship("User")

    PARAMETERS = ("min_cases", "red_count", "red_min_score", "black_count", "black_below_score", "area_level",
                  "bulletin_target_percent", "bulletin_min_rated", "black_max_percent")

    def parameters(self):
        return {name: getattr(self, name) for name in self.PARAMETERS}


LIST_RULE_DEFAULTS = {"min_cases": 20, "red_count": 3, "red_min_score": 85.0, "black_count": 3,
                      "black_below_score": 60.0, "area_level": "district", "bulletin_target_percent": 85.0,
                      "bulletin_min_rated": 5, "black_max_percent": 20.0}

_FROZEN = ("kind", "period_key", "period_start", "period_end", "data", "generated_at", "generated_by_id")


@event.listens_for(Session, "before_flush")
def _keep_snapshots_frozen(session, _context, _instances):
    """A stored snapshot's content, and a publication once made, never change; rules and notes are append-only."""
    for obj in session.dirty:
        if isinstance(obj, Snapshot):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _FROZEN):
                raise SnapshotFrozen("a stored snapshot never changes")
            for name in ("published_at", "published_by_id"):
                if state.attrs[name].history.deleted not in ((), [None]):
                    raise SnapshotFrozen("a publication is never undone or changed")
        elif isinstance(obj, (SnapshotNote, ListRule)) and session.is_modified(obj):
            raise SnapshotFrozen(f"{type(obj).__name__} rows are append-only")
    for obj in session.deleted:
        if isinstance(obj, (Snapshot, SnapshotNote, ListRule)):
            raise SnapshotFrozen(f"{type(obj).__name__} rows are never deleted")


# A change to these rows changes the public 红黑榜 pages (their cached copies are dropped).
watch_public(Snapshot, SnapshotNote)
