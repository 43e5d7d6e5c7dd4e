"""The delivery log of outbound notifications (SMS gateway, WeChat template relay, group robots)."""
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class Delivery(db.Model):
    """One message to one recipient through one channel, with every attempt's outcome."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(db.String(20), nullable=False)  # sms | wechat | robot | log
    recipient: Mapped[str] = mapped_column(db.String(200), nullable=False)
    template: Mapped[str] = mapped_column(db.String(60), nullable=False)
    payload: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    status: Mapped[str] = mapped_column(db.String(10), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(db.String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(db.ForeignKey("cases.id"), index=True)
    # Jobs and retries pass the same key for the same message, so nothing is sent twice.
    dedupe_key: Mapped[str | None] = mapped_column(db.String(120), unique=True)
