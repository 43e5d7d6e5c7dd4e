"""Scheduler lock and job-run records.

``SchedulerLock`` is a lease: one row per lock name, held by one process until ``expires_at``; the holder renews it
every few seconds, and another process may take it only once it has expired. ``JobRun`` records every run of every
job (for the status page, and so that a run key that already succeeded is not run again).
"""
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db

OUTCOMES = ("running", "success", "failed", "skipped")


class SchedulerLock(db.Model):
    """A named lease on being the active scheduler."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(db.String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(db.String(120), nullable=False)  # host:pid:random of the process
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class JobRun(db.Model):
    """One run of one job: when, by which process, with which outcome (and the error, if it failed)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        db.Index("ix_job_runs_job_started", "job", "started_at"),
        db.Index("ix_job_runs_run_key_outcome", "run_key", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(db.String(60), nullable=False)
    run_key: Mapped[str | None] = mapped_column(db.String(120))  # e.g. "xun_bulletin:2026-11-1"; None: every run
    holder: Mapped[str | None] = mapped_column(db.String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(db.String(10), nullable=False, default="running")
    result: Mapped[str | None] = mapped_column(db.String(500))  # a short summary of what the job did
    error: Mapped[str | None] = mapped_column(db.Text)
