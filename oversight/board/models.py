"""Exposure items (曝光台 and praise), their follow-up entries, photos, case links, appeals and the editorial trail.

The editorial state is guarded on the model (``ExposureItem.transition``); the rectification status (待整改 /
整改中 / 已整改 / 逾期未整改) is never typed: it is derived from the deadline and the follow-up entries, in Python
(``status``) and in SQL (``status_expression``) so the board can filter on it.
"""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cache import watch_public
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.models import LabelledEnum, TimestampMixin, enum_column


class ItemKind(LabelledEnum):
    PLACE = "place"  # a problem place or an uncivil situation (脏乱差, 不文明行为)
    UNIT = "unit"  # a unit that failed to rectify (整改不力)
    PRAISE = "praise"  # 红榜: 善行义举, 先进典型


ItemKind._labels = {
    ItemKind.PLACE: _l("Problem place"),
    ItemKind.UNIT: _l("Unit failing to rectify"),
    ItemKind.PRAISE: _l("Praise"),
}


class EditorialState(LabelledEnum):
    DRAFT = "draft"
    REVIEW = "review"  # submitted for review; the exposed unit has been notified and may appeal
    PUBLISHED = "published"
    ARCHIVED = "archived"  # still public, marked as archived (history of the board)
    TAKEN_DOWN = "taken_down"  # no longer public; the reason is kept


EditorialState._labels = {
    EditorialState.DRAFT: _l("Draft"),
    EditorialState.REVIEW: _l("In review"),
    EditorialState.PUBLISHED: _l("Published"),
    EditorialState.ARCHIVED: _l("Archived"),
    EditorialState.TAKEN_DOWN: _l("Taken down"),
}

PUBLIC_STATES = frozenset({EditorialState.PUBLISHED, EditorialState.ARCHIVED})

E = EditorialState
# action -> (states it may start from, state it leads to)
EDITORIAL_TRANSITIONS = {
    "submit": ({E.DRAFT}, E.REVIEW),
    "send_back": ({E.REVIEW}, E.DRAFT),
    "publish": ({E.REVIEW}, E.PUBLISHED),
    "archive": ({E.PUBLISHED}, E.ARCHIVED),
    "take_down": ({E.REVIEW, E.PUBLISHED, E.ARCHIVED}, E.TAKEN_DOWN),
}


class RectificationStatus(LabelledEnum):
    PENDING = "pending"  # 待整改
    IN_PROGRESS = "in_progress"  # 整改中
    DONE = "done"  # 已整改
    OVERDUE = "overdue"  # 逾期未整改


RectificationStatus._labels = {
    RectificationStatus.PENDING: _l("Awaiting rectification"),
    RectificationStatus.IN_PROGRESS: _l("Being rectified"),
    RectificationStatus.DONE: _l("Rectified"),
    RectificationStatus.OVERDUE: _l("Overdue, not rectified"),
}


class EntryMilestone(LabelledEnum):
    UPDATE = "update"  # a follow-up report without a change of status
    PROGRESS = "progress"  # 整改中: work has started
    RECTIFIED = "rectified"  # 已整改: with after photos


EntryMilestone._labels = {
    EntryMilestone.UPDATE: _l("Follow-up"),
    EntryMilestone.PROGRESS: _l("Rectification started"),
    EntryMilestone.RECTIFIED: _l("Rectified"),
}


class IllegalEditorialStep(Exception):
    def __init__(self, item, action):
        super().__init__(f"{action} not allowed from {item.state.value}")
        self.item, self.action = item, action


class ExposureItem(TimestampMixin, db.Model):
    """One entry of the board. Its public URL is ``/board/items/<id>`` for ever."""

    __tablename__ = "exposure_items"
    __table_args__ = (
        db.Index("ix_exposure_items_state_published", "state", "published_at"),
        db.Index("ix_exposure_items_published_at", "published_at"),  # newest first across published + archived
        db.Index("ix_exposure_items_unit_state", "unit_id", "state"),
        db.Index("ix_exposure_items_area_state", "area_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind), nullable=False, default=ItemKind.PLACE)
    state: Mapped[EditorialState] = mapped_column(enum_column(EditorialState), nullable=False,
                                                  default=EditorialState.DRAFT)
    title: Mapped[str] = mapped_column(db.String(200), nullable=False)  # zh_Hans; zh_Hant by OpenCC
    title_en: Mapped[str | None] = mapped_column(db.String(200))
    description: Mapped[str] = mapped_column(db.Text, nullable=False)
    description_en: Mapped[str | None] = mapped_column(db.Text)
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"))
    point_id: Mapped[int | None] = mapped_column(db.ForeignKey("points.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("units.id"))  # the responsible unit
    category_id: Mapped[int | None] = mapped_column(db.ForeignKey("categories.id"), index=True)
    location_text: Mapped[str | None] = mapped_column(db.String(300))
    found_on: Mapped[date] = mapped_column(db.Date, nullable=False)  # 发现日期
    deadline: Mapped[date | None] = mapped_column(db.Date)  # 整改期限 (none for praise)
    # Maintained from the follow-up entries by the services, never typed: the first PROGRESS / RECTIFIED entry.
    progress_on: Mapped[date | None] = mapped_column(db.Date)
    rectified_on: Mapped[date | None] = mapped_column(db.Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # notice before publication
    correction_note: Mapped[str | None] = mapped_column(db.Text)  # shown publicly after an accepted appeal
    takedown_reason: Mapped[str | None] = mapped_column(db.String(500))
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))

    area = relationship("Area")
    point = relationship("Point")
    unit = relationship("Unit")
    category = relationship("Category")
    created_by = relationship("User")
    entries = relationship("ItemEntry", back_populates="item", order_by="ItemEntry.id",
                           cascade="all, delete-orphan")
    photos = relationship("ItemPhoto", back_populates="item", order_by="ItemPhoto.id", cascade="all, delete-orphan")
    case_links = relationship("ItemCase", back_populates="item", cascade="all, delete-orphan")
    events = relationship("ItemEvent", back_populates="item", order_by="ItemEvent.id", cascade="all, delete-orphan")
    appeals = relationship("Appeal", back_populates="item", order_by="Appeal.id", cascade="all, delete-orphan")

    @property
    def is_public(self):
        return self.state in PUBLIC_STATES

    @property
    def before_publication(self):
        """A draft or in review: not public yet, and its photos may still be removed."""
        return self.state in (EditorialState.DRAFT, EditorialState.REVIEW)

    @property
    def in_review(self):
        """Submitted for review: the exposed unit has been notified and the notice period runs."""
        return self.state == EditorialState.REVIEW

    @property
    def is_archived(self):
        return self.state == EditorialState.ARCHIVED

    @property
    def is_taken_down(self):
        """No longer public; its text, place and follow-ups can no longer change."""
        return self.state == EditorialState.TAKEN_DOWN

    def status(self, today):
        """待整改 / 整改中 / 已整改 / 逾期未整改 on ``today`` (a date in the city's timezone)."""
        if self.rectified_on is not None:
            return RectificationStatus.DONE
        if self.deadline is not None and today > self.deadline:
            return RectificationStatus.OVERDUE
        if self.progress_on is not None:
            return RectificationStatus.IN_PROGRESS
        return RectificationStatus.PENDING

    @classmethod
    def status_expression(cls, today):
        """The same rule as ``status`` as a SQL expression (for filters and counts)."""
        return sql_case(
            (cls.rectified_on.is_not(None), RectificationStatus.DONE.value),
            ((cls.deadline.is_not(None)) & (cls.deadline < today), RectificationStatus.OVERDUE.value),
            (cls.progress_on.is_not(None), RectificationStatus.IN_PROGRESS.value),
            else_=RectificationStatus.PENDING.value,
        )

    @property
    def withdrawn_after_appeal(self):
        """Taken down because the exposed unit's appeal was accepted (the public note says so, not the reason)."""
        return self.is_taken_down and any(
            a.decision == AppealDecision.WITHDRAWN for a in self.appeals)

    @property
    def open_appeal(self):
        """The appeal waiting for a decision, if any (there is at most one at a time)."""
        return next((a for a in self.appeals if a.decision is None), None)

    def can(self, action):
        allowed_from, _to = EDITORIAL_TRANSITIONS[action]
        return self.state in allowed_from

    def transition(self, action, actor, reason=None):
        """Move along draft → review → published → archived | taken down and append the trail entry."""
        if not self.can(action):
            raise IllegalEditorialStep(self, action)
        _from, to = EDITORIAL_TRANSITIONS[action]
        event = ItemEvent(action=action, actor_id=getattr(actor, "id", None), from_state=self.state, to_state=to,
                          reason=reason)
        self.state = to
        self.events.append(event)
        return event


class ItemEntry(db.Model):
    """A dated follow-up report (追踪报道): text and photos, with a milestone."""

    __tablename__ = "exposure_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("exposure_items.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    reported_on: Mapped[date] = mapped_column(db.Date, nullable=False)
    milestone: Mapped[EntryMilestone] = mapped_column(enum_column(EntryMilestone), nullable=False,
                                                      default=EntryMilestone.UPDATE)
    text: Mapped[str] = mapped_column(db.Text, nullable=False)
    text_en: Mapped[str | None] = mapped_column(db.Text)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item = relationship("ExposureItem", back_populates="entries")
    photos = relationship("ItemPhoto", back_populates="entry", order_by="ItemPhoto.id")


class ItemPhoto(db.Model):
    """A photo of an item. ``original_key`` never leaves the staff side; the public sees only ``published_key``,
    a new file with the redaction boxes blurred in and no EXIF (None until the moderator has redacted it)."""

    __tablename__ = "exposure_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("exposure_items.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    entry_id: Mapped[int | None] = mapped_column(db.ForeignKey("exposure_entries.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(db.String(10), nullable=False, default="before")  # before | after
    original_key: Mapped[str] = mapped_column(db.String(120), nullable=False)
    original_thumb_key: Mapped[str] = mapped_column(db.String(120), nullable=False)
    published_key: Mapped[str | None] = mapped_column(db.String(120))
    published_thumb_key: Mapped[str | None] = mapped_column(db.String(120))
    boxes: Mapped[list | None] = mapped_column(db.JSON)  # [[x, y, w, h], ...] in original pixels
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    redacted_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_case_photo_id: Mapped[int | None] = mapped_column(db.ForeignKey("case_photos.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item = relationship("ExposureItem", back_populates="photos")
    entry = relationship("ItemEntry", back_populates="photos")


class ItemCase(db.Model):
    """Link to an underlying complaint case (the board shows counts, never the reporter)."""

    __tablename__ = "exposure_item_cases"
    __table_args__ = (db.UniqueConstraint("item_id", "case_id", name="uq_exposure_item_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("exposure_items.id", ondelete="CASCADE"), nullable=False)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, index=True)

    item = relationship("ExposureItem", back_populates="case_links")
    case = relationship("Case")


class ItemEvent(db.Model):
    """The editorial trail: every state change, edit of a published item, redaction, appeal decision."""

    __tablename__ = "exposure_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("exposure_items.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(db.String(30), nullable=False)
    from_state: Mapped[EditorialState | None] = mapped_column(enum_column(EditorialState))
    to_state: Mapped[EditorialState | None] = mapped_column(enum_column(EditorialState))
    reason: Mapped[str | None] = mapped_column(db.Text)

    item = relationship("ExposureItem", back_populates="events")
    actor = relationship("User")


class AppealDecision(LabelledEnum):
    WITHDRAWN = "withdrawn"  # accepted: the item is taken down
    CORRECTED = "corrected"  # accepted: the item is corrected, with a visible correction note
    REJECTED = "rejected"


AppealDecision._labels = {
    AppealDecision.WITHDRAWN: _l("Accepted: item withdrawn"),
    AppealDecision.CORRECTED: _l("Accepted: item corrected"),
    AppealDecision.REJECTED: _l("Rejected"),
}


class Appeal(db.Model):
    """申诉 by the exposed unit: a statement and evidence; decided by a moderator with a recorded reason."""

    __tablename__ = "exposure_appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("exposure_items.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("units.id"), nullable=False)
    filed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    statement: Mapped[str] = mapped_column(db.Text, nullable=False)
    evidence_keys: Mapped[list | None] = mapped_column(db.JSON)  # storage keys of evidence photos
    decision: Mapped[AppealDecision | None] = mapped_column(enum_column(AppealDecision))
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(db.Text)

    item = relationship("ExposureItem", back_populates="appeals")
    unit = relationship("Unit")


class Candidate(db.Model):
    """A proposal for the moderator queue: a unit at strike 2 of the ladder, or a cluster of reports above the
    threshold. ``key`` makes proposing idempotent (e.g. ``strike:12``, ``cluster:7:point:31:2026-11``)."""

    __tablename__ = "exposure_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(db.String(80), unique=True, nullable=False)
    source: Mapped[str] = mapped_column(db.String(10), nullable=False)  # strike | cluster
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("units.id"))
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"))
    point_id: Mapped[int | None] = mapped_column(db.ForeignKey("points.id"))
    category_id: Mapped[int | None] = mapped_column(db.ForeignKey("categories.id"))
    strike_id: Mapped[int | None] = mapped_column(db.ForeignKey("unit_strikes.id"))
    case_ids: Mapped[list | None] = mapped_column(db.JSON)
    summary: Mapped[str] = mapped_column(db.String(300), nullable=False)
    state: Mapped[str] = mapped_column(db.String(10), nullable=False, default="open")  # open | used | dismissed
    item_id: Mapped[int | None] = mapped_column(db.ForeignKey("exposure_items.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(db.String(500))  # why it was dismissed

    @property
    def made_into_item(self):
        """Used: a draft item was made from it (dismissed or still open otherwise)."""
        return self.state == "used" and self.item_id is not None

    unit = relationship("Unit")
    area = relationship("Area")
    point = relationship("Point")
    category = relationship("Category")


# A change to these rows changes the public board (its cached pages are dropped).
watch_public(ExposureItem, ItemEntry, ItemPhoto, ItemCase)
