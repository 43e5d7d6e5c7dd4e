"""Staff users with one role each, and the append-only audit log of who changed what."""
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.models import LabelledEnum, TimestampMixin, enum_column


class Role(LabelledEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"  # 指挥中心
    OPERATOR = "operator"  # 热线坐席
    HANDLER = "handler"  # 责任单位经办人, bound to one unit
    INSPECTOR = "inspector"  # 网格员, bound to areas
    MODERATOR = "moderator"  # 曝光台编辑
    LEADER = "leader"  # 领导: reads everything, publishes bulletins and board items (the second pair of eyes)


Role._labels = {
    Role.ADMIN: _l("Administrator"),
    Role.DISPATCHER: _l("Dispatcher (command centre)"),
    Role.OPERATOR: _l("Hotline operator"),
    Role.HANDLER: _l("Unit handler"),
    Role.INSPECTOR: _l("Grid inspector"),
    Role.MODERATOR: _l("Exposure board moderator"),
    Role.LEADER: _l("Leader"),
}

user_areas = db.Table(
    "user_areas",
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("area_id", db.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(db.String(60), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(db.String(100), nullable=False)
    password_hash: Mapped[str] = mapped_column(db.String(256), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("units.id"), index=True)
    phone: Mapped[str | None] = mapped_column(db.String(40))
    active: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=True)
    # Changing the password or deactivating bumps this, which ends every open session of the user.
    session_version: Mapped[int] = mapped_column(nullable=False, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("Unit")
    areas = relationship("Area", secondary=user_areas, order_by="Area.code")

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):  # Flask-Login refuses inactive users
        return bool(self.active)

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def display_name_with_role(self):
        return f"{self.display_name} · {self.role.label}"  # the role label may carry its own brackets

    def __str__(self):
        return self.display_name


class AuditEntry(db.Model):
    """One row per change made by a person: never updated, never deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(db.String(40), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(db.String(40), nullable=False, index=True)
    object_id: Mapped[int | None] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(db.String(300), nullable=False, default="")
    changes: Mapped[dict | None] = mapped_column(db.JSON)
    ip: Mapped[str | None] = mapped_column(db.String(64))

    actor = relationship("User")
