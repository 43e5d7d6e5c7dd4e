"""What the registry does: saving areas/units/points/categories/rules with audit, searching, and routing."""

from sqlalchemy.orm import selectinload

from portal.auth import audit
from portal.extensions import db
from portal.i18n import search_key
from portal.registry.models import Area, Category, CategoryKind, Point, RoutingRule, Unit

NAME_FIELDS = ("code", "name", "name_zh_hant", "name_en", "active")
FIELDS = {
    Area: NAME_FIELDS + ("parent_id", "level", "office_unit_id"),
    Unit: NAME_FIELDS + ("kind", "area_id", "contact_name", "contact_phone"),
    Point: NAME_FIELDS + ("kind", "area_id", "owner_unit_id", "address", "latitude", "longitude"),
    Category: NAME_FIELDS + ("parent_id", "kind", "limit_hours", "urgent_limit_hours", "sort_order", "questions",
                       "synonyms"),
    RoutingRule: ("category_id", "area_id", "point_id", "unit_id", "note", "active"),
}


class RegistryError(Exception):
    """A change the registry refuses. ``field`` names the form field the message belongs to, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def search(model, text=None, active=None):
    """A select over ``model`` matching ``text`` in any language (简/繁 alike) and the active flag."""
    query = db.select(model)
    if text:
        query = query.where(model.search_key.contains(search_key(text.strip()), autoescape=True))
    if active is not None:
        query = query.where(model.active.is_(active))
    return query.order_by(model.code)


def code_taken(model, code, exclude_id=None):
    query = db.select(model.id).where(model.code == code)
    if exclude_id:
        query = query.where(model.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def _place_area(area):
    """Set an area's path and depth from its parent, refusing cycles; then re-path its whole subtree."""
    parent = db.session.get(Area, area.parent_id) if area.parent_id else None
    if parent is not None and area.id is not None and area.id in parent.ancestor_ids():
        raise RegistryError("cycle", field="parent_id")
    old_path = area.path if area.id else None
    if area.id is None:
        db.session.add(area)
        db.session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    area.depth = (parent.depth + 1) if parent else 0
    if old_path and old_path != area.path:
        descendants = db.session.execute(
            db.select(Area).where(Area.path.startswith(old_path, autoescape=True), Area.id != area.id)
        ).scalars()
        for node in descendants:
            node.path = area.path + node.path[len(old_path):]
            node.depth = node.path.count("/") - 2


def _check(obj):
    if isinstance(obj, Category):
        obj.questions = check_questions(obj.questions)
        if obj.parent_id is not None:
            parent = db.session.get(Category, obj.parent_id)
            if parent is None or parent.parent_id is not None or parent.id == obj.id:
                raise RegistryError("group", field="parent_id")
        if obj.urgent_limit_hours is not None and obj.urgent_limit_hours > obj.limit_hours:
            raise RegistryError("urgent", field="urgent_limit_hours")
    if isinstance(obj, RoutingRule):
        if obj.area_id and obj.point_id:
            raise RegistryError("scope", field="point_id")
        duplicate = db.select(RoutingRule.id).where(
            RoutingRule.category_id == obj.category_id,
            RoutingRule.area_id.is_(None) if obj.area_id is None else RoutingRule.area_id == obj.area_id,
            RoutingRule.point_id.is_(None) if obj.point_id is None else RoutingRule.point_id == obj.point_id,
        )
        if obj.id:
            duplicate = duplicate.where(RoutingRule.id != obj.id)
        if db.session.execute(duplicate.limit(1)).first():
            raise RegistryError("duplicate_rule", field="category_id")
    if hasattr(obj, "code") and code_taken(type(obj), obj.code, obj.id):
        raise RegistryError("code_taken", field="code")


QUESTION_TYPES = ("text", "choice", "yesno")


def check_questions(questions):
    """Validate a category's extra questions; returns the list or raises RegistryError("questions")."""
    if questions in (None, []):
        return None
    if not isinstance(questions, list) or len(questions) > 10:
        raise RegistryError("questions", field="questions")
    keys = set()
    for question in questions:
        if not isinstance(question, dict) or question.get("type") not in QUESTION_TYPES:
            raise RegistryError("questions", field="questions")
        key, label = question.get("key"), question.get("label")
        if not isinstance(key, str) or not key.isidentifier() or key in keys or not isinstance(label, str) or not label:
            raise RegistryError("questions", field="questions")
        keys.add(key)
        if question["type"] == "choice":
            choices = question.get("choices")
            if not isinstance(choices, list) or not choices or not all(
                    isinstance(c, dict) and isinstance(c.get("value"), str) and isinstance(c.get("label"), str)
                    for c in choices):
                raise RegistryError("questions", field="questions")
    return questions


def save(obj, data, actor):
    """Create (obj without id) or update a registry record from validated data, with an audit entry."""
    model = type(obj)
    is_new = obj.id is None
    before = {} if is_new else audit.snapshot(obj, FIELDS[model])
    for key, value in data.items():
        setattr(obj, key, value)
    _check(obj)
    if isinstance(obj, Area):
        _place_area(obj)
    db.session.add(obj)
    db.session.flush()
    after = audit.snapshot(obj, FIELDS[model])
    audit.record(actor, "create" if is_new else "update", obj, summary=getattr(obj, "code", "") or obj.id,
                 changes=after if is_new else audit.diff(before, after))
    return obj


def set_active(obj, active, actor):
    if obj.active != active:
        obj.active = active
        audit.record(actor, "activate" if active else "deactivate", obj, summary=getattr(obj, "code", obj.id))
        db.session.flush()
    return obj


def area_choices(include_inactive=False):
    """(id, indented name) in tree order, for select boxes."""
    query = db.select(Area).order_by(Area.path)
    if not include_inactive:
        query = query.where(Area.active.is_(True))
    areas = db.session.execute(query).scalars().all()
    by_id = {a.id: a for a in areas}

    def sort_key(area):
        return [by_id[i].code if i in by_id else "" for i in area.ancestor_ids()]

    return [(a.id, "\u3000" * a.depth + a.display_name) for a in sorted(areas, key=sort_key)]


def subtree_ids(area):
    """Ids of ``area`` and everything below it: one indexed prefix query on the materialised path."""
    return db.select(Area.id).where(Area.path.startswith(area.path, autoescape=True))


class Suggestion:
    """A routing answer: the unit, and why (so the dispatcher can judge it)."""

    def __init__(self, unit, reason, rule=None):
        self.unit, self.reason, self.rule = unit, reason, rule


def suggest_unit(category, point=None, area=None):
    """Which unit should handle ``category`` at ``point`` or in ``area``, and why.

    A rule naming the point wins. Otherwise components (部件) go to their owner first, then the territory
    (部件先属主后属地); events (事件) go to the territory first, then the sector (事件先属地后属主).
    Territory = the most specific area rule, else the nearest area's territorial office (属地单位); sector =
    a citywide rule. A citywide rule for the exact category is an explicit choice of the admins and so comes
    before the implicit office; a citywide rule for the whole group comes after it. At equal scope a rule on
    the exact category beats one on its group.
    """
    area = point.area if point is not None else area
    category_ids = [category.id] + ([category.parent_id] if category.parent_id else [])
    rules = db.session.execute(
        db.select(RoutingRule)
        .join(Unit, RoutingRule.unit_id == Unit.id)
        .where(RoutingRule.active.is_(True), Unit.active.is_(True), RoutingRule.category_id.in_(category_ids))
    ).scalars().all()

    def best(matching):
        matching = sorted(matching, key=lambda r: category_ids.index(r.category_id))
        return matching[0] if matching else None

    point_rule = best([r for r in rules if point is not None and r.point_id == point.id])
    if point_rule:
        return Suggestion(point_rule.unit, "point_rule", point_rule)

    ancestors = list(reversed(area.ancestor_ids())) if area is not None else []
    area_rule = None
    for area_id in ancestors:  # deepest first
        area_rule = best([r for r in rules if r.area_id == area_id])
        if area_rule:
            break
    office = None
    if ancestors:
        offices = db.session.execute(
            db.select(Area).where(Area.id.in_(ancestors), Area.office_unit_id.is_not(None))
        ).scalars().all()
        office_area = max(offices, key=lambda a: a.depth, default=None)
        if office_area is not None and office_area.office_unit.active:
            office = office_area.office_unit
    citywide = [r for r in rules if r.area_id is None and r.point_id is None]
    exact_rule = next((r for r in citywide if r.category_id == category.id), None)
    group_rule = next((r for r in citywide if r.category_id != category.id), None)
    owner = point.owner_unit if point is not None and point.owner_unit and point.owner_unit.active else None

    def rule_step(rule, reason):
        return (rule.unit if rule else None, reason, rule)

    territory = [rule_step(area_rule, "area_rule"), rule_step(exact_rule, "sector_rule"),
                 (office, "territory", None), rule_step(group_rule, "sector_rule")]
    if category.kind == CategoryKind.COMPONENT:
        ladder = [(owner, "owner", None)] + territory
    else:
        ladder = territory + [(owner, "owner", None)]
    for unit, reason, rule in ladder:
        if unit is not None:
            return Suggestion(unit, reason, rule)
    return None


def active_points_query(text=None, area=None):
    query = search(Point, text, active=True)
    if area is not None:
        query = query.where(Point.area_id.in_(subtree_ids(area)))
    return query


def find_by_code(model, code):
    return db.session.execute(db.select(model).where(model.code == code)).scalar_one_or_none()


PLACE_DEPTHS = (1, 2, 3)  # 区/县, 街道/乡镇, 社区/村: the levels a place label may name above a grid cell


def _upper_area_names():
    """{area id: display name} of the districts, streets and communities, read once per request (one query)."""
    from flask import g, has_request_context

    cached = g.get("upper_area_names") if has_request_context() else None
    if cached is None:
        areas = db.session.execute(db.select(Area).where(Area.depth.in_(PLACE_DEPTHS))).scalars()
        cached = {area.id: area.display_name for area in areas}
        if has_request_context():
            g.upper_area_names = cached
    return cached


def place_label(area):
    """Where an area is, for a reader who does not know the grid: its district, its parent and itself, e.g.
    "东城区 / 柳荫社区 / 第1网格" instead of a bare "第1网格" (a city-wide or district area is itself)."""
    if area is None:
        return ""
    if area.depth <= 1:
        return area.display_name
    names = _upper_area_names()
    ids = area.ancestor_ids()
    chosen = [ids[1]] + ([area.parent_id] if area.parent_id not in (None, ids[1]) else [])
    return " / ".join([names[i] for i in chosen if i in names] + [area.display_name])


def active_groups():
    """The active category groups in their order, each with its categories loaded in one more query (not one query
    per group: the case list builds its category filter on every page)."""
    return db.session.execute(
        db.select(Category).where(Category.parent_id.is_(None), Category.active.is_(True))
        .order_by(Category.sort_order, Category.code).options(selectinload(Category.children))
    ).scalars().all()


def group_and_category_choices():
    """(id, label) for a select where a group or a category may be chosen: each active group (【…】), followed by
    its active categories, indented. Used by routing rules and by the case list's filter."""
    choices = []
    for group in active_groups():
        choices.append((group.id, f"【{group.display_name}】"))
        choices += [(c.id, "\u3000" + c.display_name) for c in group.children if c.active]
    return choices
