"""What the public board reads: filters from a query string, the public item lists, counts and thumbnails.

Only items in PUBLIC_STATES are ever returned; the rectification status is filtered in SQL with
``ExposureItem.status_expression(today)`` where ``today`` is the date in the city's timezone. Every list is a
fixed number of queries whatever its length (no lazy loads per item in the templates).
"""
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timezone
from time import monotonic
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale
from sqlalchemy.orm import joinedload, selectinload

from complaints.models import Case
from oversight.board.models import (
    PUBLIC_STATES,
    ExposureItem,
    ItemCase,
    ItemEntry,
    ItemKind,
    ItemPhoto,
    RectificationStatus,
)
from portal.cache import current_generation
from portal.city import get_city_settings
from portal.extensions import db
from portal.i18n import localized
from portal.registry.models import Area, AreaLevel, Category, Unit

PER_PAGE = 20
MAX_PAGE = 10_000
MAX_ID = 2**31 - 1
EXPOSURE_KINDS = (ItemKind.PLACE, ItemKind.UNIT)
FILTER_AREA_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET)  # the area menu; any id still filters


class Gone(Exception):
    """The item was public once and has been taken down: its URL answers 410 with a short notice."""

    def __init__(self, item):
        super().__init__(item.id)
        self.item = item


def _positive_id(value):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _month(value):
    """``2026-11`` → date(2026, 11, 1); anything else → None."""
    try:
        parsed = datetime.strptime(str(value).strip(), "%Y-%m").date()
    except (TypeError, ValueError):
        return None
    return parsed if 2000 <= parsed.year <= 2100 else None


@dataclass
class BoardFilters:
    """The board's filters as typed in a query string; unknown or malformed values are ignored (and reported)."""

    area: int | None = None
    unit: int | None = None
    status: RectificationStatus | None = None
    category: int | None = None
    kind: ItemKind | None = None
    month: date | None = None
    page: int = 1
    ignored: list = field(default_factory=list)  # names of parameters that were given but not understood

    @classmethod
    def from_args(cls, args):
        found = cls()
        for name in ("area", "unit", "category"):
            raw = args.get(name, "")
            if raw:
                setattr(found, name, _positive_id(raw))
                if getattr(found, name) is None:
                    found.ignored.append(name)
        for name, enum_cls in (("status", RectificationStatus), ("kind", ItemKind)):
            raw = args.get(name, "")
            if raw:
                try:
                    setattr(found, name, enum_cls(raw))
                except ValueError:
                    found.ignored.append(name)
        raw = args.get("month", "")
        if raw:
            found.month = _month(raw)
            if found.month is None:
                found.ignored.append("month")
        page = _positive_id(args.get("page", "1"))
        found.page = min(page, MAX_PAGE) if page else 1
        return found

    def args(self, **changes):
        """Query-string arguments for these filters (``changes`` override), without empty values."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ignored"}
        values.update(changes)
        out = {}
        for name, value in values.items():
            if value is None or (name == "page" and value == 1):
                continue
            if isinstance(value, date):
                value = value.strftime("%Y-%m")
            out[name] = getattr(value, "value", value)
        return out

    @property
    def active(self):
        return any(getattr(self, name) is not None for name in ("area", "unit", "status", "category", "kind",
                                                                  "month"))


def _month_bounds_utc(month):
    """The UTC instants at which ``month`` (a local month) starts and ends."""
    tz = ZoneInfo(get_city_settings().timezone)
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    start = datetime.combine(month, time.min, tzinfo=tz)
    end = datetime.combine(following, time.min, tzinfo=tz)
    return start, end


def public_items(filters, today, default_kinds=EXPOSURE_KINDS):
    """A select of the public items matching ``filters``, newest published first.

    Without a kind filter the list holds ``default_kinds`` (the board lists exposures and shows praise apart).
    """
    query = db.select(ExposureItem).where(ExposureItem.state.in_(PUBLIC_STATES))
    if filters.kind is not None:
        query = query.where(ExposureItem.kind == filters.kind)
    elif default_kinds:
        query = query.where(ExposureItem.kind.in_(default_kinds))
    if filters.area is not None:
        area_path = db.select(Area.path).where(Area.id == filters.area).scalar_subquery()
        below = db.select(Area.id).where(Area.path.startswith(area_path, autoescape=False))
        query = query.where(ExposureItem.area_id.in_(below))
    if filters.unit is not None:
        query = query.where(ExposureItem.unit_id == filters.unit)
    if filters.category is not None:
        # a group selects its categories too
        below = db.select(Category.id).where((Category.id == filters.category)
                                             | (Category.parent_id == filters.category))
        query = query.where(ExposureItem.category_id.in_(below))
    if filters.status is not None:
        query = query.where(ExposureItem.kind != ItemKind.PRAISE,
                            ExposureItem.status_expression(today) == filters.status.value)
    if filters.month is not None:
        start, end = _month_bounds_utc(filters.month)
        query = query.where(ExposureItem.published_at >= start, ExposureItem.published_at < end)
    return query.order_by(ExposureItem.published_at.desc(), ExposureItem.id.desc())


def with_list_relations(query):
    """Load what a list row shows in the same round trips (no query per item)."""
    return query.options(joinedload(ExposureItem.area), joinedload(ExposureItem.unit),
                         joinedload(ExposureItem.category), joinedload(ExposureItem.point))


@dataclass
class Page:
    """One page of a list. No total count: counting every public item would scan the table on each view, and
    readers page with "older"/"newer" like any news column."""

    items: list
    page: int
    per_page: int
    has_next: bool
    thumbs: dict  # item id -> ItemPhoto (its first published photo)
    figures: dict  # item id -> (linked cases, their me-too total)

    @property
    def has_prev(self):
        return self.page > 1


def list_page(filters, today, per_page=PER_PAGE, default_kinds=EXPOSURE_KINDS):
    """One page of the board: the items, their thumbnails and linked-case figures (three queries)."""
    query = public_items(filters, today, default_kinds)
    items = db.session.execute(
        with_list_relations(query).limit(per_page + 1).offset((filters.page - 1) * per_page)
    ).unique().scalars().all()
    has_next = len(items) > per_page
    items = items[:per_page]
    ids = [item.id for item in items]
    return Page(items, filters.page, per_page, has_next, first_photos(ids), case_figures(ids))


def latest_praise(limit=3):
    query = public_items(BoardFilters(kind=ItemKind.PRAISE), None, None).limit(limit)
    items = db.session.execute(with_list_relations(query)).unique().scalars().all()
    return items, first_photos([item.id for item in items])


def first_photos(item_ids):
    """Each item's first published photo (before photos first): {item id: ItemPhoto}. Unpublished ones never."""
    if not item_ids:
        return {}
    photos = db.session.execute(
        db.select(ItemPhoto).where(ItemPhoto.item_id.in_(item_ids), ItemPhoto.published_key.is_not(None),
                                   ItemPhoto.published_thumb_key.is_not(None))
    ).scalars().all()
    found = {}
    # sorted here: an ORDER BY item_id makes SQLite walk the whole item_id index instead of looking the ids up
    for photo in sorted(photos, key=lambda p: (p.item_id, p.stage != "before", p.id)):
        found.setdefault(photo.item_id, photo)
    return found


def case_figures(item_ids):
    """{item id: (number of linked reports, sum of their me-too counts)} in one query."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        db.select(ItemCase.item_id, db.func.count(Case.id), db.func.coalesce(db.func.sum(Case.me_too_count), 0))
        .join(Case, Case.id == ItemCase.case_id)
        .where(ItemCase.item_id.in_(item_ids))
        .group_by(ItemCase.item_id)
    ).all()
    return {item_id: (count, int(me_too)) for item_id, count, me_too in rows}


def public_item(item_id):
    """The item behind ``/board/items/<id>`` with its entries and photos; None if it never was public.

    Raises ``Gone`` for a taken-down item: the URL stays, with a notice instead of the content.
    """
    item = db.session.execute(
        db.select(ExposureItem).where(ExposureItem.id == item_id)
        .options(joinedload(ExposureItem.area), joinedload(ExposureItem.unit), joinedload(ExposureItem.category),
                 joinedload(ExposureItem.point), selectinload(ExposureItem.entries).selectinload(ItemEntry.photos),
                 selectinload(ExposureItem.photos))
    ).unique().scalar_one_or_none()
    if item is None or item.before_publication:
        return None
    if item.is_taken_down:
        raise Gone(item)
    return item


def published_photos(item):
    """The photos the public may see, as (before, after): only those with a published (redacted) file."""
    shown = [p for p in item.photos if p.published_key and p.published_thumb_key]
    return [p for p in shown if p.stage != "after"], [p for p in shown if p.stage == "after"]


def public_photo(photo_id):
    """An ItemPhoto a reader may fetch: published file present and its item public; else None."""
    photo = db.session.get(ItemPhoto, photo_id)
    if photo is None or not photo.published_key or not photo.published_thumb_key:
        return None
    item = db.session.get(ExposureItem, photo.item_id)
    return photo if item is not None and item.is_public else None


def last_changes(item_ids):
    """{item id: the latest follow-up's creation time} (an item changes when a follow-up is added)."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        db.select(ItemEntry.item_id, db.func.max(ItemEntry.created_at))
        .where(ItemEntry.item_id.in_(item_ids)).group_by(ItemEntry.item_id)
    ).all()
    return dict(rows)


def updated_at(item, entry_changes):
    """When a reader last saw a change: the item's own update or its latest follow-up (UTC, aware)."""
    times = [t for t in (item.updated_at, item.published_at, entry_changes.get(item.id)) if t is not None]
    return max(_aware(t) for t in times)


def _aware(value):
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _names(model, *where, order_by):
    rows = db.session.execute(
        db.select(model.id, model.name, model.name_zh_hant, model.name_en, *(
            [model.depth] if model is Area else [])).where(model.active.is_(True), *where).order_by(*order_by)
    ).all()
    return [(row[0], localized(row[1], row[2], row[3]), row[4] if model is Area else 0) for row in rows]


OPTIONS_SECONDS = 60  # how long a worker reuses the filter menus at most


def filter_options():
    """The menus of the filter form as (id, name in the reader's language, depth): areas down to streets, every
    active unit, every active category. The names change rarely and the board is read often, so each worker keeps
    them per language for ``OPTIONS_SECONDS``, or until the registry changes (the board's cache generation)."""
    locale = str(get_locale())
    generation = current_generation()  # None: its store does not answer, read the menus afresh
    cache = current_app.extensions.setdefault("board_filter_menus", {})  # locale -> (time, generation, menus)
    cached = cache.get(locale)
    if cached is not None and generation is not None and monotonic() - cached[0] < OPTIONS_SECONDS \
            and cached[1] == generation.value:
        return cached[2]
    menus = {
        "areas": _names(Area, Area.level.in_(FILTER_AREA_LEVELS), order_by=(Area.path,)),
        "units": _names(Unit, order_by=(Unit.code,)),
        "categories": _names(Category, Category.parent_id.is_not(None),
                             order_by=(Category.sort_order, Category.code)),
    }
    cache[locale] = (monotonic(), generation.value if generation is not None else None, menus)
    return menus


def month_options(today, count=12):
    """The last ``count`` months, newest first (the board's archive by month of publication)."""
    months, year, month = [], today.year, today.month
    for _n in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months
