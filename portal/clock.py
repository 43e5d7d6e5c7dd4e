"""Time handling: everything is stored in UTC and shown in the city's timezone."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.types import DateTime, TypeDecorator


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use portal.clock.utcnow()")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def to_local(value, tz_name):
    """Convert an aware datetime to the named timezone (for display and day boundaries)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz_name))
