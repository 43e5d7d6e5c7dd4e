"""Areas, units, points, the problem taxonomy and the routing table."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, undefer

from portal.extensions import db
from portal.i18n import search_key
from portal.models import LabelledEnum, NamedMixin, TimestampMixin, enum_column


class AreaLevel(LabelledEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


AreaLevel._labels = {
    AreaLevel.CITY: _l("City"),
    AreaLevel.DISTRICT: _l("District / county"),
    AreaLevel.STREET: _l("Street / town"),
    AreaLevel.COMMUNITY: _l("Community / village"),
    AreaLevel.GRID: _l("Grid cell"),
}


class UnitKind(LabelledEnum):
    DEPARTMENT = "department"
    TERRITORIAL = "territorial"
    CONTRACTOR = "contractor"


UnitKind._labels = {
    UnitKind.DEPARTMENT: _l("Department"),
    UnitKind.TERRITORIAL: _l("Territorial office"),
    UnitKind.CONTRACTOR: _l("Contractor (property / cleaning)"),
}


class PointKind(LabelledEnum):
    TOILET = "toilet"
    MARKET = "market"
    ROAD = "road"
    ESTATE = "estate"
    TRANSFER_STATION = "transfer"
    STREET_LAMP = "lamp"
    NOTICE_BOARD = "board"
    SCHOOL = "school"
    SERVICE_WINDOW = "window"
    INSPECTION = "inspection"
    OTHER = "other"


PointKind._labels = {
    PointKind.TOILET: _l("Public toilet"),
    PointKind.MARKET: _l("Farmers' market"),
    PointKind.ROAD: _l("Road section"),
    PointKind.ESTATE: _l("Residential estate"),
    PointKind.TRANSFER_STATION: _l("Refuse transfer station"),
    PointKind.STREET_LAMP: _l("Street lamp"),
    PointKind.NOTICE_BOARD: _l("Notice board"),
    PointKind.SCHOOL: _l("School"),
    PointKind.SERVICE_WINDOW: _l("Service window"),
    PointKind.INSPECTION: _l("Inspection point"),
    PointKind.OTHER: _l("Other place"),
}


class CategoryKind(LabelledEnum):
    COMPONENT = "component"  # 部件: a broken or dirty thing
    EVENT = "event"  # 事件: a behaviour or situation


CategoryKind._labels = {
    CategoryKind.COMPONENT: _l("Component (部件)"),
    CategoryKind.EVENT: _l("Event (事件)"),
}


class Area(NamedMixin, TimestampMixin, db.Model):
    """A node of the area hierarchy 市 → 区/县 → 街道/乡镇 → 社区/村 → 网格, of any depth."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"), index=True)
    level: Mapped[AreaLevel] = mapped_column(enum_column(AreaLevel), nullable=False)
    # Materialised path of ids ("/1/4/17/") so that subtrees are one indexed prefix query.
    path: Mapped[str] = mapped_column(db.String(400), nullable=False, default="/", index=True)
    depth: Mapped[int] = mapped_column(nullable=False, default=0)
    # The territorial office (属地单位) answering for events in this area, e.g. the 街道办.
    office_unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("units.id", use_alter=True), index=True)
    # The boundary: a GeoJSON Polygon or MultiPolygon geometry in WGS-84 (longitude first, as GeoJSON says), and
    # its bounding box for cheap prefilters in SQL. No PostGIS: the same columns work on SQLite and PostgreSQL.
    # Deferred: a precise outline is tens of kilobytes, and the pages that list every area (the case list's filter,
    # the registry, the scorecards) need none; what draws or checks boundaries asks for them (``with_boundary``).
    boundary: Mapped[dict | None] = mapped_column(db.JSON, deferred=True)
    bbox_west: Mapped[float | None] = mapped_column(db.Float)
    bbox_south: Mapped[float | None] = mapped_column(db.Float)
    bbox_east: Mapped[float | None] = mapped_column(db.Float)
    bbox_north: Mapped[float | None] = mapped_column(db.Float)
    # Residents living in the area, when known: the leader's map shows cases per 10,000 residents.
    population: Mapped[int | None] = mapped_column()

    parent = relationship("Area", remote_side=[id], back_populates="children")
    children = relationship("Area", back_populates="parent", order_by="Area.code")
    office_unit = relationship("Unit", foreign_keys=[office_unit_id])

    def ancestor_ids(self):
        """Ids from the root down to this area, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def short_path(self):
        """The area with its parent ("柳荫社区 / 第3网格"): enough to tell same-named grid cells apart."""
        if self.parent is None or self.parent.parent is None:
            return self.display_name
        return f"{self.parent.display_name} / {self.display_name}"

    @property
    def full_name(self):
        names = []
        node = self
        while node is not None:
            names.append(node.display_name)
            node = node.parent
        return " / ".join(reversed(names))


def with_boundary():
    """The loader option for a query of areas whose boundaries are used: fetched with the areas, not one query each
    (``Area.boundary`` is deferred)."""
    return undefer(Area.boundary)


class Unit(NamedMixin, TimestampMixin, db.Model):
    """A responsible unit (责任单位): department, territorial office or contractor."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind), nullable=False)
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(db.String(100))
    contact_phone: Mapped[str | None] = mapped_column(db.String(40))

    area = relationship("Area", foreign_keys=[area_id])


class Point(NamedMixin, TimestampMixin, db.Model):
    """A physical place or city asset (点位) that carries a QR placard."""

    __tablename__ = "points"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PointKind] = mapped_column(enum_column(PointKind), nullable=False)
    area_id: Mapped[int] = mapped_column(db.ForeignKey("areas.id"), nullable=False, index=True)
    owner_unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("units.id"), index=True)
    address: Mapped[str | None] = mapped_column(db.String(300))
    latitude: Mapped[float | None] = mapped_column(db.Float)
    longitude: Mapped[float | None] = mapped_column(db.Float)
    # Bumped when the QR code is regenerated: every code signed for an earlier serial stops working.
    qr_serial: Mapped[int] = mapped_column(nullable=False, default=1)

    area = relationship("Area")
    owner_unit = relationship("Unit")


MAX_SYNONYMS = 300


class Category(NamedMixin, TimestampMixin, db.Model):
    """The problem taxonomy: groups (no parent) holding categories with handling limits."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(db.ForeignKey("categories.id"), index=True)
    kind: Mapped[CategoryKind] = mapped_column(enum_column(CategoryKind), nullable=False)
    # Handling limits (处置时限) in working hours; no urgent limit means the category has no urgent track.
    limit_hours: Mapped[int] = mapped_column(nullable=False, default=24)
    urgent_limit_hours: Mapped[int | None] = mapped_column()
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)
    # Extra questions asked when reporting (like FixMyStreet's category questions): a list of
    # {"key", "label" (zh_Hans), "label_zh_hant", "label_en", "type": text|choice|yesno, "choices", "required"}.
    questions: Mapped[list | None] = mapped_column(db.JSON)
    # Other words residents use for it (厕所、卫生间 for 公厕问题), in any language; searched like the names.
    synonyms: Mapped[str | None] = mapped_column(db.String(MAX_SYNONYMS))

    parent = relationship("Category", remote_side=[id], back_populates="children")
    children = relationship("Category", back_populates="parent", order_by="[Category.sort_order, Category.code]")

    @property
    def is_group(self):
        return self.parent_id is None

    def refresh_search_key(self):
        """Names and synonyms, 简/繁-blind: a search for 厕所 finds 公厕问题."""
        self.search_key = search_key(self.code, self.name, self.name_zh_hant, self.name_en, self.synonyms)

    @property
    def allows_urgent(self):
        return self.urgent_limit_hours is not None


class RoutingRule(TimestampMixin, db.Model):
    """(category or group) × (area or point, or the whole city) → the unit that handles it."""

    __tablename__ = "routing_rules"
    __table_args__ = (
        db.UniqueConstraint("category_id", "area_id", "point_id", name="uq_routing_rules_scope"),
        db.CheckConstraint("area_id IS NULL OR point_id IS NULL", name="one_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(db.ForeignKey("categories.id"), nullable=False, index=True)
    area_id: Mapped[int | None] = mapped_column(db.ForeignKey("areas.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(db.ForeignKey("points.id"), index=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("units.id"), nullable=False, index=True)
    note: Mapped[str | None] = mapped_column(db.String(300))
    active: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=True)

    category = relationship("Category")
    area = relationship("Area")
    point = relationship("Point")
    unit = relationship("Unit")

    @property
    def display_name(self):
        scope = self.point or self.area
        return f"{self.category.display_name} × {scope.display_name if scope else '*'} → {self.unit.display_name}"
