"""Scorecard rules (weights, targets, veto lines, in append-only versions) and the daily rollups behind the figures.

The rollups hold, per local day and per unit / leaf area / leaf category / the whole city, the counts the figures
are made of (see ``complaints.measures``). They are derived data: ``refresh_rollups`` rebuilds any day
from the cases, and the figures replace any day touched since the last refresh by a live query, so a stale rollup
never shows.
"""
from datetime import date, datetime

from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class ScoreRule(db.Model):
    """One version of the composite index: its parts (figure, weight, target) and veto lines.

    ``parts`` is ``[{"name": "on_time_rate", "weight": 30, "target": 0.7}, …]`` with weights summing to 100;
    ``vetoes`` is ``[{"name": "followup_satisfaction_rate", "line": 0.85}, …]``. Saving makes a new version; old
    versions stay (snapshots name the version they used).

    The version also fixes how it judges: ``missing_data`` (``zero``: a part without data scores 0; ``unranked``:
    the entry gets no index, with the reason shown; ``left_out``: the weights of the others are scaled up, only
    for versions stored before this choice existed), ``verdict_min_n`` (fewer answers than this give no verdict on
    a target or veto line) and ``survey_source`` (which survey 满意率 the index and the veto use: ``sampled`` or
    ``self``).
    """

    __tablename__ = "score_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    parts: Mapped[list] = mapped_column(db.JSON, nullable=False)
    vetoes: Mapped[list] = mapped_column(db.JSON, nullable=False)
    note: Mapped[str | None] = mapped_column(db.String(500))
    missing_data: Mapped[str] = mapped_column(db.String(20), nullable=False, default="zero",
                                              server_default="left_out")
    verdict_min_n: Mapped[int] = mapped_column(nullable=False, default=30, server_default="1")
    survey_source: Mapped[str] = mapped_column(db.String(20), nullable=False, default="sampled",
                                               server_default="sampled")

    created_by = relationship("User")


class ScoreRuleFrozen(Exception):
    """Raised on flush when code tries to change or delete a stored rule version."""


@event.listens_for(Session, "before_flush")
def _keep_rules_append_only(session, _context, _instances):
    for obj in session.dirty:
        if isinstance(obj, ScoreRule) and session.is_modified(obj):
            raise ScoreRuleFrozen("score rule versions are append-only")
    for obj in session.deleted:
        if isinstance(obj, ScoreRule):
            raise ScoreRuleFrozen("score rule versions are never deleted")


class ReceivedRollup(db.Model):
    """Cases received on one local day, per level key and channel (key 0: no unit / no area)."""

    __tablename__ = "scorecard_received_rollups"

    level: Mapped[str] = mapped_column(db.String(10), primary_key=True)
    day: Mapped[date] = mapped_column(db.Date, primary_key=True)
    key: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(db.String(20), primary_key=True)
    received: Mapped[int] = mapped_column(nullable=False, default=0)
    filed: Mapped[int] = mapped_column(nullable=False, default=0)


class DueRollup(db.Model):
    """Cases whose due time fell on one local day (应结案 of that day), per level key, and how they ended: the rounds
    in progress on the case rows. Finished rounds (``CaseRound``, written once when a case is reopened) are few and
    always counted live."""

    __tablename__ = "scorecard_due_rollups"

    level: Mapped[str] = mapped_column(db.String(10), primary_key=True)
    day: Mapped[date] = mapped_column(db.Date, primary_key=True)
    key: Mapped[int] = mapped_column(primary_key=True)
    due: Mapped[int] = mapped_column(nullable=False, default=0)
    postponed: Mapped[int] = mapped_column(nullable=False, default=0)
    closed: Mapped[int] = mapped_column(nullable=False, default=0)
    closed_on_time: Mapped[int] = mapped_column(nullable=False, default=0)
    reworked: Mapped[int] = mapped_column(nullable=False, default=0)
    followed_up: Mapped[int] = mapped_column(nullable=False, default=0)
    satisfied: Mapped[int] = mapped_column(nullable=False, default=0)
    hours_n: Mapped[int] = mapped_column(nullable=False, default=0)
    hours_sum: Mapped[float] = mapped_column(db.Float, nullable=False, default=0.0)
    h00: Mapped[int] = mapped_column(nullable=False, default=0)
    h01: Mapped[int] = mapped_column(nullable=False, default=0)
    h02: Mapped[int] = mapped_column(nullable=False, default=0)
    h03: Mapped[int] = mapped_column(nullable=False, default=0)
    h04: Mapped[int] = mapped_column(nullable=False, default=0)
    h05: Mapped[int] = mapped_column(nullable=False, default=0)
    h06: Mapped[int] = mapped_column(nullable=False, default=0)
    h07: Mapped[int] = mapped_column(nullable=False, default=0)
    h08: Mapped[int] = mapped_column(nullable=False, default=0)
    h09: Mapped[int] = mapped_column(nullable=False, default=0)
    h10: Mapped[int] = mapped_column(nullable=False, default=0)
    h11: Mapped[int] = mapped_column(nullable=False, default=0)
    h12: Mapped[int] = mapped_column(nullable=False, default=0)
    h13: Mapped[int] = mapped_column(nullable=False, default=0)
    h14: Mapped[int] = mapped_column(nullable=False, default=0)
    h15: Mapped[int] = mapped_column(nullable=False, default=0)
    h16: Mapped[int] = mapped_column(nullable=False, default=0)
    h17: Mapped[int] = mapped_column(nullable=False, default=0)
    h18: Mapped[int] = mapped_column(nullable=False, default=0)
    h19: Mapped[int] = mapped_column(nullable=False, default=0)
    h20: Mapped[int] = mapped_column(nullable=False, default=0)
    work_n: Mapped[int] = mapped_column(nullable=False, default=0)
    work_sum: Mapped[float] = mapped_column(db.Float, nullable=False, default=0.0)
    w00: Mapped[int] = mapped_column(nullable=False, default=0)
    w01: Mapped[int] = mapped_column(nullable=False, default=0)
    w02: Mapped[int] = mapped_column(nullable=False, default=0)
    w03: Mapped[int] = mapped_column(nullable=False, default=0)
    w04: Mapped[int] = mapped_column(nullable=False, default=0)
    w05: Mapped[int] = mapped_column(nullable=False, default=0)
    w06: Mapped[int] = mapped_column(nullable=False, default=0)
    w07: Mapped[int] = mapped_column(nullable=False, default=0)
    w08: Mapped[int] = mapped_column(nullable=False, default=0)
    w09: Mapped[int] = mapped_column(nullable=False, default=0)
    w10: Mapped[int] = mapped_column(nullable=False, default=0)
    w11: Mapped[int] = mapped_column(nullable=False, default=0)
    w12: Mapped[int] = mapped_column(nullable=False, default=0)
    w13: Mapped[int] = mapped_column(nullable=False, default=0)
    w14: Mapped[int] = mapped_column(nullable=False, default=0)
    w15: Mapped[int] = mapped_column(nullable=False, default=0)
    w16: Mapped[int] = mapped_column(nullable=False, default=0)
    w17: Mapped[int] = mapped_column(nullable=False, default=0)
    w18: Mapped[int] = mapped_column(nullable=False, default=0)
    w19: Mapped[int] = mapped_column(nullable=False, default=0)
    w20: Mapped[int] = mapped_column(nullable=False, default=0)


class CaseMark(db.Model):
    """Each case as the rollups last counted it: the columns the figures read, copied at refresh time.

    A case changed since the last refresh is corrected for exactly: its old contribution (from here) is taken
    off the rolled-up days and its new one (from the case) added, so a change never forces a whole day to be
    recounted from the cases.
    """

    __tablename__ = "scorecard_case_marks"

    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(db.String(20), nullable=False)
    channel: Mapped[str] = mapped_column(db.String(20), nullable=False)
    unit_id: Mapped[int | None] = mapped_column()
    area_id: Mapped[int | None] = mapped_column()
    category_id: Mapped[int] = mapped_column(nullable=False)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    postponed: Mapped[bool] = mapped_column(db.Boolean, nullable=False)
    round_rework_count: Mapped[int] = mapped_column(nullable=False)
    hours: Mapped[float | None] = mapped_column(db.Float)
    work_hours: Mapped[float | None] = mapped_column(db.Float)
    rating: Mapped[int | None] = mapped_column()
    rating_scale: Mapped[int | None] = mapped_column()


MARK_COLUMNS = ("created_at", "due_at", "state", "channel", "unit_id", "area_id", "category_id", "dispatched_at",
                "handled_at", "postponed", "round_rework_count", "hours", "work_hours", "rating",
                "rating_scale")


class RollupState(db.Model):
    """A single row: how far the rollups go and since when cases may have changed without being recounted."""

    __tablename__ = "scorecard_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(db.String(60), nullable=False)
    rolled_through: Mapped[date | None] = mapped_column(db.Date)  # last local day held in the rollups
    watermark: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # cases changed since may be dirty
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
