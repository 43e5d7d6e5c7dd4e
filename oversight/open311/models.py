"""API keys of integrating systems and the record of every request filed with one (the POST log)."""
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class ApiKey(db.Model):
    """A key issued to one integrating system (a 12345 platform, an app). Only its SHA-256 is kept: the key itself
    is shown once, when it is issued. ``prefix`` (its first characters) lets staff tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(db.String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(db.String(12), nullable=False)
    key_hash: Mapped[str] = mapped_column(db.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one-time token of the form that issued the key: the same form sent again (a reload, a double click)
    # finds this key instead of issuing a second one.
    issue_token: Mapped[str | None] = mapped_column(db.String(32), unique=True)

    created_by = relationship("User", foreign_keys=[created_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    @property
    def is_active(self):
        return self.revoked_at is None


class ApiRequest(db.Model):
    """One service request filed over Open311: which key, which case, the client's device and account ids, and
    the token the client may look the request up by. ``dedupe_key`` makes a repeated POST return the first case."""

    __tablename__ = "api_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(db.ForeignKey("api_keys.id"), nullable=False, index=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, index=True)
    token: Mapped[str] = mapped_column(db.String(32), unique=True, nullable=False)
    device_id: Mapped[str | None] = mapped_column(db.String(100))
    account_id: Mapped[str | None] = mapped_column(db.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    api_key = relationship("ApiKey")
    case = relationship("Case")
