"""Cases (工单), their append-only event history and photos, the daily number counter and saved case-list filters.
"Me too"s, extension requests and finished rounds are in ``case_records``.

The state machine lives here: ``Case.transition`` refuses anything the lifecycle of DOMAIN.md §4 does not allow.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.models import LabelledEnum, TimestampMixin, enum_column
from portal.textclean import clean_text


class CaseState(LabelledEnum):
    RECEIVED = "received"  # 受理
    FILED = "filed"  # 立案, waiting for dispatch
    REJECTED = "rejected"  # 不予立案 / 作废, with a reason the reporter sees
    DISPATCHED = "dispatched"  # 派遣: the handling clock runs
    IN_PROGRESS = "in_progress"  # the unit accepted it (处置中)
    HANDLED = "handled"  # 处置完成, waiting for 核查
    CLOSED = "closed"  # 结案
    MERGED = "merged"  # 合并 into another case as a duplicate (重复件)


CaseState._labels = {
    CaseState.RECEIVED: _l("Received"),
    CaseState.FILED: _l("Filed"),
    CaseState.REJECTED: _l("Not accepted"),
    CaseState.DISPATCHED: _l("Dispatched"),
    CaseState.IN_PROGRESS: _l("Being handled"),
    CaseState.HANDLED: _l("Handled, being checked"),
    CaseState.CLOSED: _l("Closed"),
    CaseState.MERGED: _l("Merged as a duplicate"),
}

OPEN_STATES = frozenset({CaseState.RECEIVED, CaseState.FILED, CaseState.DISPATCHED, CaseState.IN_PROGRESS,
                         CaseState.HANDLED})
WITH_UNIT_STATES = frozenset({CaseState.DISPATCHED, CaseState.IN_PROGRESS})  # the clock runs against the unit
FINAL_STATES = frozenset({CaseState.REJECTED, CaseState.CLOSED, CaseState.MERGED})


class Channel(LabelledEnum):
    QR = "qr"  # scanned a point's placard
    WEB = "web"  # the H5 / website form without a point
    HOTLINE = "hotline"  # 热线, typed by an operator
    LETTER = "letter"  # 来信来访
    BOX = "box"  # 意见箱
    PATROL = "patrol"  # 巡查, an inspector's report
    MEDIA = "media"  # 媒体曝光
    SUPERIOR = "superior"  # 上级交办
    API = "api"  # filed by another system over Open311 (the key's system is in oversight.open311)


class LocationSource(LabelledEnum):
    """How a report's place was obtained: shown to staff, who trust a placard more than a phone's GPS."""

    QR = "qr"  # the point on the placard that was scanned
    GPS = "gps"  # the phone's position, shared by the resident
    PIN = "pin"  # a pin placed on the map
    LIST = "list"  # an area or point chosen from the list


LocationSource._labels = {
    LocationSource.QR: _l("QR placard"),
    LocationSource.GPS: _l("Phone's position (GPS)"),
    LocationSource.PIN: _l("Pin placed on the map"),
    LocationSource.LIST: _l("Chosen from the list"),
}


Channel._labels = {
    Channel.QR: _l("QR code"),
    Channel.WEB: _l("Website / H5"),
    Channel.HOTLINE: _l("Hotline"),
    Channel.LETTER: _l("Letter or visit"),
    Channel.BOX: _l("Suggestion box"),
    Channel.PATROL: _l("Inspector patrol"),
    Channel.MEDIA: _l("Media exposure"),
    Channel.SUPERIOR: _l("Assigned by a superior"),
    Channel.API: _l("Another system (Open311)"),
}

STAFF_CHANNELS = (Channel.HOTLINE, Channel.LETTER, Channel.BOX, Channel.PATROL, Channel.MEDIA, Channel.SUPERIOR)


class EventKind(LabelledEnum):
    RECEIVE = "receive"
    FILE = "file"
    REJECT = "reject"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"  # 退回: mis-routed, back to the dispatcher
    NOTE = "note"
    HANDLE = "handle"
    VERIFY_FAIL = "verify_fail"  # 返工
    CLOSE = "close"  # 核查通过, 结案
    EXTENSION_REQUEST = "ext_request"
    EXTENSION_DECISION = "ext_decision"
    MERGE = "merge"
    ME_TOO = "me_too"
    RATE = "rate"  # 回访
    REOPEN_REQUEST = "reopen_request"
    REOPEN = "reopen"  # 重办
    REBOUND = "rebound"  # 反弹
    DUE_RECALCULATED = "due_recalculated"  # the working calendar changed under the running limit


EventKind._labels = {
    EventKind.RECEIVE: _l("Report received"),
    EventKind.FILE: _l("Case filed"),
    EventKind.REJECT: _l("Not accepted"),
    EventKind.DISPATCH: _l("Sent to the responsible unit"),
    EventKind.ACCEPT: _l("The unit started work"),
    EventKind.RETURN: _l("Returned for re-dispatch"),
    EventKind.NOTE: _l("Note"),
    EventKind.HANDLE: _l("The unit reports it fixed"),
    EventKind.VERIFY_FAIL: _l("Check failed: sent back for rework"),
    EventKind.CLOSE: _l("Checked and closed"),
    EventKind.EXTENSION_REQUEST: _l("More time requested"),
    EventKind.EXTENSION_DECISION: _l("Time request decided"),
    EventKind.MERGE: _l("Merged with an earlier report"),
    EventKind.ME_TOO: _l("Someone else reported the same problem"),
    EventKind.RATE: _l("Rated by the reporter"),
    EventKind.REOPEN_REQUEST: _l("The reporter asked to handle it again"),
    EventKind.REOPEN: _l("Reopened to be handled again"),
    EventKind.REBOUND: _l("The problem came back"),
    EventKind.DUE_RECALCULATED: _l("Due time recalculated: the working calendar changed"),
}

S = CaseState
# (event kind) -> (states it may start from, state it leads to; None keeps the state)
TRANSITIONS = {
    EventKind.FILE: ({S.RECEIVED}, S.FILED),
    EventKind.REJECT: ({S.RECEIVED, S.FILED}, S.REJECTED),
    EventKind.DISPATCH: ({S.FILED}, S.DISPATCHED),
    EventKind.ACCEPT: ({S.DISPATCHED}, S.IN_PROGRESS),
    EventKind.RETURN: ({S.DISPATCHED, S.IN_PROGRESS}, S.FILED),
    EventKind.NOTE: (OPEN_STATES | {S.CLOSED}, None),
    EventKind.HANDLE: ({S.IN_PROGRESS}, S.HANDLED),
    EventKind.VERIFY_FAIL: ({S.HANDLED}, S.IN_PROGRESS),
    EventKind.CLOSE: ({S.HANDLED}, S.CLOSED),
    EventKind.EXTENSION_REQUEST: (WITH_UNIT_STATES, None),
    EventKind.EXTENSION_DECISION: (WITH_UNIT_STATES, None),
    EventKind.MERGE: ({S.RECEIVED, S.FILED}, S.MERGED),
    EventKind.ME_TOO: (OPEN_STATES, None),
    EventKind.RATE: ({S.CLOSED}, None),
    EventKind.REOPEN_REQUEST: ({S.CLOSED}, None),
    EventKind.REOPEN: ({S.CLOSED}, S.FILED),
    EventKind.REBOUND: ({S.CLOSED}, S.FILED),
    EventKind.DUE_RECALCULATED: (OPEN_STATES, None),
}


class IllegalTransition(Exception):
    """The case is not in a state that allows this step."""

    def __init__(self, case, kind):
        super().__init__(f"{kind.value} not allowed from {case.state.value}")
        self.case, self.kind = case, kind


class Case(TimestampMixin, db.Model):
    """A case (工单): the raw report, where it is in the lifecycle, and who answers for it."""

    __tablename__ = "cases"
    # Every index is written on every report (SQLite holds the one write lock meanwhile), so there are no indexes
    # that another one's leading columns already give (category, state), none on a column with a handful of values
    # (channel), and columns that are empty when a report arrives are indexed only where they are set: a query
    # comparing the column (unit_id = ?, due_at < ?) still uses the partial index, on SQLite and PostgreSQL alike.
    __table_args__ = (
        db.Index("ix_cases_state_due_at", "state", "due_at"),
        # the case map (complaints/console/casemap.py) groups positions by state without reading the rows
        db.Index("ix_cases_map", "state", "latitude", "longitude", "point_id"),
        db.Index("ix_cases_category_point_state", "category_id", "point_id", "state"),
        *(db.Index(name, *columns, sqlite_where=db.text(f"{columns[0]} IS NOT NULL"),
                   postgresql_where=db.text(f"{columns[0]} IS NOT NULL"))
          for name, columns in (("ix_cases_unit_state", ("unit_id", "state")), ("ix_cases_point_id", ("point_id",)),
                                ("ix_cases_created_by_id", ("created_by_id",)),
                                ("ix_cases_duplicate_of_id", ("duplicate_of_id",)),
                                ("ix_cases_due_at", ("due_at",)), ("ix_cases_closed_at", ("closed_at",)))),
        # for the scorecards: received in a period, and the cases changed since the last rollup refresh
        db.Index("ix_cases_created_at", "created_at"),
        db.Index("ix_cases_updated_at", "updated_at"),
        # the handling times of a period's rounds, read from the index for the 90th percentiles (written at 处置 only)
        *(db.Index(name, "due_at", column, sqlite_where=db.text(f"{column} IS NOT NULL"),
                   postgresql_where=db.text(f"{column} IS NOT NULL"))
          for name, column in (("ix_cases_due_at_hours", "hours"), ("ix_cases_due_at_work_hours", "work_hours"))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(db.String(20), unique=True, nullable=False)  # 工单号 20261122-0042
    query_code: Mapped[str] = mapped_column(db.String(12), nullable=False)  # 查询码: with the number, opens /track
    idempotency_key: Mapped[str | None] = mapped_column(db.String(64), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), nullable=False)
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState), nullable=False, default=CaseState.RECEIVED)

    category_id: Mapped[int] = mapped_column(db.ForeignKey("categories.id"), nullable=False)
    point_id: Mapped[int | None] = mapped_column(db.ForeignKey("points.id"))
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"), index=True)
    latitude: Mapped[float | None] = mapped_column(db.Float)
    longitude: Mapped[float | None] = mapped_column(db.Float)
    location_source: Mapped[LocationSource | None] = mapped_column(enum_column(LocationSource))
    location_text: Mapped[str | None] = mapped_column(db.String(300))
    description: Mapped[str] = mapped_column(db.Text, nullable=False)
    answers: Mapped[dict | None] = mapped_column(db.JSON)  # the category's extra questions
    urgent: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)

    # The reporter: never public; the phone is shown masked unless the role needs it (see complaints.privacy).
    anonymous: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    reporter_name: Mapped[str | None] = mapped_column(db.String(60))
    reporter_phone: Mapped[str | None] = mapped_column(db.String(30))

    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))  # staff who typed it
    first_owner_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))  # 首问负责: first staff to act

    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("units.id"))  # the unit in charge now
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Approved 缓办: the clock stops (no lights, 催办 or 督办) and the case, still in 应结案 and in 结案率, is left
    # out of 按期结案率 (its denominator is 应结案 − 缓办). A new dispatch starts the clock again.
    postponed: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)
    # Handling time of this round from 派遣 to 处置, in calendar hours and in the city's working hours (what the limit
    # counts), set when the unit handles it.
    hours: Mapped[float | None] = mapped_column(db.Float)
    work_hours: Mapped[float | None] = mapped_column(db.Float)

    outcome: Mapped[str | None] = mapped_column(db.Text)  # the public closing record (办结说明)
    reject_reason: Mapped[str | None] = mapped_column(db.String(500))
    duplicate_of_id: Mapped[int | None] = mapped_column(db.ForeignKey("cases.id"))

    rework_count: Mapped[int] = mapped_column(nullable=False, default=0)  # every round's 返工 together
    round_rework_count: Mapped[int] = mapped_column(nullable=False, default=0)  # 返工 in the round in progress
    reopen_count: Mapped[int] = mapped_column(nullable=False, default=0)
    rebound_count: Mapped[int] = mapped_column(nullable=False, default=0)
    me_too_count: Mapped[int] = mapped_column(nullable=False, default=0)

    rating: Mapped[int | None] = mapped_column()  # 1 = best; scale from the city settings
    rating_scale: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str | None] = mapped_column(db.String(500))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_requested: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)

    category = relationship("Category")
    point = relationship("Point")
    area = relationship("Area")
    unit = relationship("Unit")
    created_by = relationship("User", foreign_keys=[created_by_id])
    first_owner = relationship("User", foreign_keys=[first_owner_id])
    duplicate_of = relationship("Case", remote_side=[id])
    events = relationship("CaseEvent", back_populates="case", order_by="CaseEvent.id",
                          cascade="all, delete-orphan")
    photos = relationship("CasePhoto", back_populates="case", order_by="CasePhoto.id", cascade="all, delete-orphan")
    rounds = relationship("CaseRound", back_populates="case", order_by="CaseRound.seq", cascade="all, delete-orphan")

    @property
    def position(self):
        """(latitude, longitude) in WGS-84: the report's own, else its point's; None when neither is known.
        The case map (complaints/console/casemap.py) spells the same rule in SQL."""
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        if self.point is not None and self.point.latitude is not None and self.point.longitude is not None:
            return self.point.latitude, self.point.longitude
        return None

    @hybrid_property
    def is_open(self):
        return self.state in OPEN_STATES

    @is_open.expression
    def is_open(cls):
        return cls.state.in_([s.value for s in OPEN_STATES])

    @hybrid_property
    def on_clock(self):
        """The clock runs against the unit: dispatched or in progress (with a unit), not postponed (缓办), with a
        due time. The one statement of the rule: lights, 催办/督办, overdue, the lists' order and the pages'
        countdowns all ask this (in Python on a case, in SQL as ``Case.on_clock``)."""
        return self.state in WITH_UNIT_STATES and not self.postponed and self.due_at is not None

    @on_clock.expression
    def on_clock(cls):
        return db.and_(cls.state.in_([s.value for s in WITH_UNIT_STATES]), cls.postponed.is_(False),
                       cls.due_at.is_not(None))

    @hybrid_property
    def with_unit(self):
        """Dispatched or in progress: the case is with a unit (postponed or not)."""
        return self.state in WITH_UNIT_STATES

    @with_unit.expression
    def with_unit(cls):
        return cls.state.in_([s.value for s in WITH_UNIT_STATES])

    @property
    def is_rejected(self):
        """不予立案 / 作废: the reporter sees the reason."""
        return self.state == CaseState.REJECTED

    def is_overdue(self, now=None):
        return self.on_clock and (now or utcnow()) > self.due_at

    def can(self, kind):
        allowed_from, _to = TRANSITIONS[kind]
        return self.state in allowed_from

    def transition(self, kind, actor=None, note=None, public=True, data=None, at=None):
        """Move along the lifecycle and append the event (at ``at``, default now); raises IllegalTransition for
        anything else."""
        if not self.can(kind):
            raise IllegalTransition(self, kind)
        _from, to = TRANSITIONS[kind]
        event = CaseEvent(kind=kind, actor_id=getattr(actor, "id", None), from_state=self.state,
                          to_state=to or self.state, note=clean_text(note), public=public, data=data)
        if at is not None:
            event.at = at
        if to is not None:
            self.state = to
        if actor is not None and self.first_owner_id is None:
            self.first_owner_id = actor.id
        self.events.append(event)
        return event


class CaseEvent(db.Model):
    """One step in a case's life (who, when, from, to, note). Rows are only ever added."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))  # None: the reporter or the system
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind), nullable=False)
    from_state: Mapped[CaseState] = mapped_column(enum_column(CaseState), nullable=False)
    to_state: Mapped[CaseState] = mapped_column(enum_column(CaseState), nullable=False)
    note: Mapped[str | None] = mapped_column(db.Text)
    public: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=True)  # shown on the tracking page
    data: Mapped[dict | None] = mapped_column(db.JSON)

    case = relationship("Case", back_populates="events")
    actor = relationship("User")
    photos = relationship("CasePhoto", back_populates="event")


class CasePhoto(db.Model):
    """A photo: ``before`` from the report, ``after`` from the unit's handling. Files live in photo storage."""

    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(db.ForeignKey("cases.id"), nullable=False, index=True)
    event_id: Mapped[int | None] = mapped_column(db.ForeignKey("case_events.id"), index=True)
    stage: Mapped[str] = mapped_column(db.String(10), nullable=False, default="before")  # before | after
    key: Mapped[str] = mapped_column(db.String(120), nullable=False)  # storage key of the full image
    thumb_key: Mapped[str] = mapped_column(db.String(120), nullable=False)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    case = relationship("Case", back_populates="photos")
    event = relationship("CaseEvent", back_populates="photos")


class CaseNumberCounter(db.Model):
    """The last case number issued per local day: one row per day, bumped under a row lock."""

    __tablename__ = "case_number_counters"

    day: Mapped[str] = mapped_column(db.String(8), primary_key=True)  # YYYYMMDD in the city's timezone
    last: Mapped[int] = mapped_column(nullable=False, default=0)


class SavedFilter(db.Model):
    """A named case-list filter a staff member keeps (the query string of the case list)."""

    __tablename__ = "case_saved_filters"
    __table_args__ = (db.UniqueConstraint("user_id", "name", name="uq_case_saved_filters_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(db.String(60), nullable=False)
    query: Mapped[str] = mapped_column(db.String(1000), nullable=False)
