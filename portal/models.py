"""Shared model building blocks: timestamps and names stored in zh_Hans with optional zh_Hant and en."""
import enum
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.i18n import localized, search_key


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a translatable label (``LABELS`` is set by each subclass)."""

    @property
    def label(self):
        return str(self.labels()[self])

    @classmethod
    def labels(cls):
        return cls._labels  # type: ignore[attr-defined]

    @classmethod
    def choices(cls):
        """(value, label) pairs; the labels stay lazy, so choices built at import read in the reader's language."""
        return [(m.value, cls.labels()[m]) for m in cls]


def enum_column(enum_cls, **kw):
    return db.Enum(enum_cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e], **kw)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class NamedMixin:
    """Name in zh_Hans (required) with optional zh_Hant and en, and a search key that ignores 简/繁."""

    code: Mapped[str] = mapped_column(db.String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(db.String(200), nullable=False)
    name_zh_hant: Mapped[str | None] = mapped_column(db.String(200))
    name_en: Mapped[str | None] = mapped_column(db.String(200))
    search_key: Mapped[str] = mapped_column(db.String(700), nullable=False, default="", index=True)
    active: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=True, index=True)

    @property
    def display_name(self):
        return localized(self.name, self.name_zh_hant, self.name_en)

    def name_in(self, locale):
        return localized(self.name, self.name_zh_hant, self.name_en, locale=locale)

    def refresh_search_key(self):
        self.search_key = search_key(self.code, self.name, self.name_zh_hant, self.name_en)

    def __str__(self):
        return self.display_name


@event.listens_for(Session, "before_flush")
def _refresh_search_keys(session, _context, _instances):
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, NamedMixin):
            obj.refresh_search_key()
