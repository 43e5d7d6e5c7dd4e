"""City settings editable by admins: name, hotline, timezone, default language, satisfaction scale."""
import secrets
from zoneinfo import available_timezones

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.i18n import LOCALES, localized
from portal.models import TimestampMixin

SATISFACTION_SCALES = {
    3: [_l("Satisfied"), _l("Basically satisfied"), _l("Dissatisfied")],
    5: [_l("Very satisfied"), _l("Satisfied"), _l("Basically satisfied"), _l("Dissatisfied"), _l("Very dissatisfied")],
}


class CitySettings(TimestampMixin, db.Model):
    """A single row (id 1) of settings that admins edit in the console."""

    __tablename__ = "city_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_name: Mapped[str] = mapped_column(db.String(100), nullable=False, default="示范市")
    city_name_zh_hant: Mapped[str | None] = mapped_column(db.String(100))
    city_name_en: Mapped[str | None] = mapped_column(db.String(100))
    hotline: Mapped[str] = mapped_column(db.String(40), nullable=False, default="12345")
    timezone: Mapped[str] = mapped_column(db.String(60), nullable=False, default="Asia/Shanghai")
    default_locale: Mapped[str] = mapped_column(db.String(10), nullable=False, default="zh_Hans")
    satisfaction_scale: Mapped[int] = mapped_column(nullable=False, default=3)
    # Working time for handling limits (处置时限), e.g. "08:30-12:00,13:30-17:30"; holidays come from the calendar.
    working_periods: Mapped[str] = mapped_column(db.String(100), nullable=False, default="08:30-12:00,13:30-17:30")
    # 黄灯: a case turns amber once this share (percent) of its handling limit has passed.
    warning_percent: Mapped[int] = mapped_column(nullable=False, default=80)
    # Key for signing QR codes; kept in the database so printed placards survive a SECRET_KEY rotation.
    qr_key: Mapped[str | None] = mapped_column(db.String(64))

    @property
    def display_city_name(self):
        return localized(self.city_name, self.city_name_zh_hant, self.city_name_en)


DEFAULTS = {
    "city_name": "示范市",
    "hotline": "12345",
    "timezone": "Asia/Shanghai",
    "default_locale": "zh_Hans",
    "satisfaction_scale": 3,
    "working_periods": "08:30-12:00,13:30-17:30",
    "warning_percent": 80,
}


def get_city_settings():
    """The settings row (cached for the request); unsaved defaults if the row does not exist yet."""
    if has_request_context() and "city_settings" in g:
        return g.city_settings
    settings = db.session.get(CitySettings, 1)
    if settings is None:
        settings = CitySettings(id=1, **DEFAULTS)
    if has_request_context():
        g.city_settings = settings
    return settings


def ensure_city_settings():
    """Make sure the settings row exists and has a QR signing key; the caller commits."""
    settings = db.session.get(CitySettings, 1)
    if settings is None:
        settings = CitySettings(id=1, **DEFAULTS)
        db.session.add(settings)
    if not settings.qr_key:
        settings.qr_key = secrets.token_hex(32)
    db.session.flush()
    if has_request_context():
        g.city_settings = settings
    return settings


SETTINGS_FIELDS = ("city_name", "city_name_zh_hant", "city_name_en", "hotline", "timezone", "default_locale",
                   "satisfaction_scale", "working_periods", "warning_percent")


def save_city_settings(data, actor):
    """Change the city settings from validated data, with an audit entry of what changed; the caller commits."""
    from portal.auth import audit  # the audit log's models import this module's package

    settings = ensure_city_settings()
    before = audit.snapshot(settings, SETTINGS_FIELDS)
    for key in SETTINGS_FIELDS:
        if key in data:
            setattr(settings, key, data[key])
    audit.record(actor, "update", settings, summary="city settings",
                 changes=audit.diff(before, audit.snapshot(settings, SETTINGS_FIELDS)))
    db.session.flush()
    return settings


def valid_timezone(name):
    return name in available_timezones()


def valid_locale(code):
    return code in LOCALES
