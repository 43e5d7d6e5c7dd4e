"""City settings editable by admins: name, hotline, timezone, default language, satisfaction scale."""
import secrets
import time
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, make_transient_to_detached, mapped_column

from portal.auth import audit
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import localized
from portal.models import TimestampMixin

SATISFACTION_SCALES = {
    3: [_l("Satisfied"), _l("Basically satisfied"), _l("Dissatisfied")],
    5: [_l("Very satisfied"), _l("Satisfied"), _l("Basically satisfied"), _l("Dissatisfied"), _l("Very dissatisfied")],
}


def satisfaction_label(rating, scale):
    """The words of a rating (1 = best) on its scale, e.g. 满意; "" when the pair makes no sense."""
    labels = SATISFACTION_SCALES.get(scale or 0)
    if rating is None or not labels or not 1 <= rating <= len(labels):
        return ""
    return str(labels[rating - 1])


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
    # The escalation ladder (DOMAIN.md §4): this many 督办单 within this many days since a unit's last strike
    # take it one step up (1 → 2 → 3).
    strike_notice_count: Mapped[int] = mapped_column(nullable=False, default=3, server_default="3")
    strike_window_days: Mapped[int] = mapped_column(nullable=False, default=30, server_default="30")
    # 回访: a closed case not rated after this many days reminds its reporter once.
    rating_reminder_days: Mapped[int] = mapped_column(nullable=False, default=3, server_default="3")
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
    "strike_notice_count": 3,
    "strike_window_days": 30,
    "rating_reminder_days": 3,
}


def city_today(now=None, tz=None):
    """The city's date now (or at the aware datetime ``now``): days, deadlines and periods are the city's, never the
    machine's. ``tz`` names the timezone when the caller already has it (a job), else the city settings give it."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz or get_city_settings().timezone)
    return (now or utcnow()).astimezone(zone).date()


def get_city_settings():
    """The settings row (cached for the request); unsaved defaults if the row does not exist yet.

    The row comes from this process's copy (``_settings_values``), not from the database on every request; it is
    handed back attached to the session as if just loaded, so a change made to it is saved as before.
    """
    settings = _settings_in_use()
    if settings is None:
        values = _settings_values()
        if values is None:
            settings = CitySettings(id=1, **DEFAULTS)
        else:
            settings = CitySettings(**values)
            make_transient_to_detached(settings)
            db.session.add(settings)
            _attached[0] += 1
    if has_request_context():
        g.city_settings = settings
    return settings


def settings_without_database():
    """The settings as this process last read them (or the defaults), without asking the database: for the error
    page shown while the database is unavailable."""
    values = current_app.extensions.get("city_settings_copy", {}).get("values")
    return CitySettings(**values) if values else CitySettings(id=1, **DEFAULTS)


def city_setting(name):
    """One setting's value, as ``get_city_settings()`` would give it, without building the settings object: for
    hot paths (a resident's report or survey answer reads the timezone or the signing key and nothing else)."""
    source = _request_source() if has_request_context() else _settings_in_use() or _settings_values() or DEFAULTS
    return source.get(name) if type(source) is dict else getattr(source, name)


def _request_source():
    """Where ``city_setting`` reads in a request: the settings object in use, else this process's copy of the row
    (or the defaults); found once per request (a submission reads five settings) and again only after the row was
    written, loaded or attached through the ORM in this process, which may put an object in use."""
    held = g.get("city_settings")
    if held is not None:
        return held
    stamp = (_writes[0], _attached[0])
    memo = g.get("_city_setting_source")
    if memo is not None and memo[0] == stamp:
        return memo[1]
    source = _settings_in_use() or _settings_values() or DEFAULTS
    g._city_setting_source = (stamp, source)
    return source


def _settings_in_use():
    """The settings object this request or session already holds (it may carry unsaved changes), or None."""
    if has_request_context() and "city_settings" in g:
        return g.city_settings
    if not db.session.registry.has():  # no session yet (a kept survey form): none to hold them, and none made here
        return None
    return db.session.identity_map.get(CitySettings.__mapper__.identity_key_from_primary_key((1,)))


# The settings change a few times a year and are read by nearly every request. Each process keeps a copy of the
# row per app, trusted for RECHECK_SECONDS; then one read of ``updated_at`` says whether it is still current. A
# write to the row from this process (any flush of it) drops the copy at once; a save in another process (another
# gunicorn worker) bumps ``updated_at`` and is seen there within RECHECK_SECONDS.
RECHECK_SECONDS = 1.0
_writes = [0]  # flushes of the settings row in this process
_attached = [0]  # the row made an ORM object of a session in this process (loaded, or the copy attached): in use


def _note_write(_mapper, _connection, _target):
    _writes[0] += 1


def _note_load(_target, _context):
    _attached[0] += 1


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(CitySettings, _name, _note_write)
event.listen(CitySettings, "load", _note_load)


def _settings_values():
    """The settings row as {attribute: value} from this process's copy, or None if there is no row yet."""
    copy = current_app.extensions.setdefault("city_settings_copy", {})
    writes, now = _writes[0], time.monotonic()
    current = copy.get("writes") == writes
    if current and now - copy["checked"] < RECHECK_SECONDS:
        return copy["values"]
    table = CitySettings.__table__
    if current and copy["values"] is not None:
        stamp = db.session.execute(db.select(table.c.updated_at).where(table.c.id == 1)).scalar()
        if stamp == copy["values"]["updated_at"]:
            copy["checked"] = now
            return copy["values"]
    row = db.session.execute(db.select(table).where(table.c.id == 1)).first()
    values = None if row is None else {
        attribute.key: row._mapping[attribute.columns[0]] for attribute in CitySettings.__mapper__.column_attrs}
    copy.update(values=values, writes=writes, checked=now)
    return values


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
                   "satisfaction_scale", "working_periods", "warning_percent", "strike_notice_count",
                   "strike_window_days", "rating_reminder_days")
# Left blank in the form, these keep their current value (older forms and scripts do not send them).
KEEP_WHEN_BLANK = ("strike_notice_count", "strike_window_days", "rating_reminder_days")


def save_city_settings(data, actor):
    """Change the city settings from validated data, with an audit entry of what changed; the caller commits."""
    settings = ensure_city_settings()
    before = audit.snapshot(settings, SETTINGS_FIELDS)
    for key in SETTINGS_FIELDS:
        if key in data and not (key in KEEP_WHEN_BLANK and data[key] is None):
            setattr(settings, key, data[key])
    audit.record(actor, "update", settings, summary="city settings",
                 changes=audit.diff(before, audit.snapshot(settings, SETTINGS_FIELDS)))
    db.session.flush()
    return settings


def valid_timezone(name):
    return name in available_timezones()


def default_locale():
    """The city's default language (its settings), else the app's: the last choice of ``i18n.select_locale``."""
    return city_setting("default_locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
