"""催办 / 督办单 and the three-strike escalation ladder (DOMAIN.md §4).

Shared by the time-limit watch (which writes them), the scorecards (督办 counts per unit, the 黑榜 at strike 3)
and the exposure board (a unit at strike 2 is a candidate for publication).
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.models import LabelledEnum, enum_column


class NoticeKind(LabelledEnum):
    URGE = "urge"  # 催办: 黄灯, the due time is near
    SUPERVISE = "supervise"  # 督办单: 红灯, overdue; numbered and counted per unit


NoticeKind._labels = {
    NoticeKind.URGE: _l("Reminder (催办)"),
    NoticeKind.SUPERVISE: _l("Supervision notice (督办单)"),
}


class SupervisionNotice(db.Model):
    """One 催办 or 督办单 about one case, addressed to the unit in charge at the time.

    ``(case_id, kind, due_at)`` is unique: the watch can run any number of times and sends one notice per due time
    (an approved extension moves the due time, so a later miss earns a new notice).
    """

    __tablename__ = "supervision_notices"
    __table_args__ = (
        db.UniqueConstraint("case_id", "kind", "due_at", name="uq_supervision_notice_case_kind_due"),
        db.Index("ix_supervision_notices_unit_kind_issued", "unit_id", "kind", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(db.String(30), unique=True)  # 督办单 number, e.g. 督〔2026〕0042号
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind), nullable=False)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("units.id"), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # the due time this notice is about
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))  # None: the scheduler
    note: Mapped[str | None] = mapped_column(db.Text)

    case = relationship("Case")
    unit = relationship("Unit")
    issued_by = relationship("User")


class UnitStrike(db.Model):
    """A step of a unit on the escalation ladder: 1 = rectification notice + 通报批评, 2 = 曝光台 candidate +
    written self-criticism, 3 = 函告上级 + 黑榜. Thresholds are city configuration.

    ``(unit_id, cycle, level)`` is unique, so each step is taken exactly once per cycle; clearing a unit's strikes
    (``cleared_at``) starts a new cycle.
    """

    __tablename__ = "unit_strikes"
    __table_args__ = (db.UniqueConstraint("unit_id", "cycle", "level", name="uq_unit_strike_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("units.id"), nullable=False, index=True)
    cycle: Mapped[int] = mapped_column(nullable=False, default=1)
    level: Mapped[int] = mapped_column(nullable=False)  # 1, 2 or 3
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    reason: Mapped[str] = mapped_column(db.String(500), nullable=False)
    notice_ids: Mapped[list | None] = mapped_column(db.JSON)  # the 督办单 that triggered it
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    cleared_note: Mapped[str | None] = mapped_column(db.String(500))

    unit = relationship("Unit")


class StrikeStatement(db.Model):
    """The written self-criticism a unit hands in at strike 2 (each submission kept; the latest counts)."""

    __tablename__ = "unit_strike_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    strike_id: Mapped[int] = mapped_column(db.ForeignKey("unit_strikes.id"), nullable=False, index=True)
    text: Mapped[str] = mapped_column(db.Text, nullable=False)
    submitted_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    strike = relationship("UnitStrike")
    submitted_by = relationship("User")
