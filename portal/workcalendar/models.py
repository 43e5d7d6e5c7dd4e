"""A year of the working calendar as the city's admins entered it: its days off and weekend days worked."""
from datetime import date, datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class CalendarYear(db.Model):
    """A year the city has entered. Its days replace the package's or the rules' for that year; it stays
    provisional until an admin confirms it against the State Council's notice."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))

    days = relationship("CalendarDay", back_populates="calendar_year", cascade="all, delete-orphan",
                        order_by="CalendarDay.day")
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None


class CalendarDay(db.Model):
    """An exception to the Monday–Friday week: a day off (``workday`` False) or a weekend day worked (True)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(db.Date, primary_key=True)
    year: Mapped[int] = mapped_column(db.ForeignKey("calendar_years.year"), nullable=False, index=True)
    workday: Mapped[bool] = mapped_column(db.Boolean, nullable=False)
    name: Mapped[str | None] = mapped_column(db.String(40))

    calendar_year = relationship("CalendarYear", back_populates="days")
