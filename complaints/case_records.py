"""What a case gathers besides its trail and photos: the residents' "me too"s, the unit's extension requests
(延期/缓办) and the handling rounds that ended when the case was reopened (重办) or marked rebound (反弹).

Registered with the other models in ``composition.create_app``; ``Case`` refers to ``CaseRound`` by name.
"""
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class MeToo(db.Model):
    """A resident who reported the same open problem instead of filing anew (counted and notified too)."""

    __tablename__ = "case_me_toos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, index=True)
    phone: Mapped[str | None] = mapped_column(db.String(30))
    idempotency_key: Mapped[str | None] = mapped_column(db.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ExtensionRequest(db.Model):
    """A unit's request for more time: 延期 (move the due time by working hours) or 缓办 (postpone: the clock
    stops; the case stays in 应结案 but is left out of 按期结案率, see ``Case.postponed``)."""

    __tablename__ = "case_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(db.String(10), nullable=False)  # extend | postpone
    hours: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(db.String(500), nullable=False)
    requested_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decision: Mapped[str | None] = mapped_column(db.String(10))  # approved | denied; None while pending
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(db.String(500))

    case = relationship("Case")


class CaseRound(db.Model):
    """One finished handling round of a case (派遣 to 结案, and its 回访), kept when the case is reopened (重办) or
    marked rebound (反弹): the round the scorecards counted stays counted where it happened.

    The case row holds the round in progress; a row here is written once, when that round ends, and never
    changed. ``seq`` numbers the rounds of a case from 1.
    """

    __tablename__ = "case_rounds"
    __table_args__ = (
        db.UniqueConstraint("case_id", "seq", name="uq_case_rounds_case_seq"),
        db.Index("ix_case_rounds_due_at", "due_at"),
        db.Index("ix_case_rounds_ended_at", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False)
    seq: Mapped[int] = mapped_column(nullable=False)
    ended_kind: Mapped[str] = mapped_column(db.String(10), nullable=False)  # reopen (重办) | rebound (反弹)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # where the case was and who had it during the round
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("units.id"))
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"))
    category_id: Mapped[int] = mapped_column(db.ForeignKey("categories.id"), nullable=False)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    postponed: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    rework_count: Mapped[int] = mapped_column(nullable=False, default=0)
    hours: Mapped[float | None] = mapped_column(db.Float)
    work_hours: Mapped[float | None] = mapped_column(db.Float)
    rating: Mapped[int | None] = mapped_column()
    rating_scale: Mapped[int | None] = mapped_column()
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case = relationship("Case", back_populates="rounds")

    # round column <- case column, copied when the round ends
    COPIED = {"unit_id": "unit_id", "area_id": "area_id", "category_id": "category_id",
              "dispatched_at": "dispatched_at", "due_at": "due_at", "handled_at": "handled_at",
              "closed_at": "closed_at", "postponed": "postponed", "rework_count": "round_rework_count",
              "hours": "hours", "work_hours": "work_hours", "rating": "rating", "rating_scale": "rating_scale",
              "rated_at": "rated_at"}

