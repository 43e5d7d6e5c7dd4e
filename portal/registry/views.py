"""Console pages for the registry: one list/create/edit/(de)activate flow shared by every kind of record."""
from dataclasses import dataclass, field
from typing import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.registry import services
from portal.registry.forms import (
    ERROR_MESSAGES,
    AreaForm,
    CategoryForm,
    PointForm,
    RouteTestForm,
    RoutingRuleForm,
    UnitForm,
)
from portal.registry.models import Area, AreaLevel, Category, Point, PointKind, RoutingRule, Unit, UnitKind

bp = Blueprint("registry", __name__, url_prefix="/console")

BLANK = [("", "—")]
RECORDS = "/<any(areas, units, points, categories, rules):name>"
RECORD = RECORDS + "/<int(max=2147483647):record_id>"  # ids beyond the column type are a 404, not a 500
PER_PAGE = 50


def unit_choices():
    units = db.session.execute(services.search(Unit, active=True)).scalars()
    return BLANK + [(u.id, f"{u.display_name} ({u.code})") for u in units]


def group_choices():
    groups = db.session.execute(
        db.select(Category).where(Category.parent_id.is_(None)).order_by(Category.sort_order, Category.code)
    ).scalars()
    return BLANK + [(g.id, g.display_name) for g in groups]


def category_choices():
    """Groups, each followed by its categories, for routing rules (a rule may name either)."""
    return BLANK + services.group_and_category_choices()


@dataclass
class Registry:
    """How one kind of registry record is listed and edited."""

    name: str
    model: type
    form: type
    title: object
    columns: list
    prepare: Callable = lambda form, obj: None
    to_data: Callable = None
    order: Callable = None
    filters: list = field(default_factory=list)
    load: tuple = ()  # loader options for the relations its columns show, so that a page takes a few queries

    def data_from(self, form):
        if self.to_data:
            return self.to_data(form)
        return {name: f.data for name, f in form._fields.items() if name != "csrf_token"}


def _prepare_area(form, obj):
    form.parent_id.choices = BLANK + [c for c in services.area_choices() if obj is None or c[0] != obj.id]
    form.office_unit_id.choices = unit_choices()


def _prepare_unit(form, obj):
    form.area_id.choices = BLANK + services.area_choices()


def _prepare_point(form, obj):
    form.area_id.choices = BLANK + services.area_choices()
    form.owner_unit_id.choices = unit_choices()


def _prepare_category(form, obj):
    form.parent_id.choices = [c for c in group_choices() if obj is None or c[0] != obj.id]


def _prepare_rule(form, obj):
    form.category_id.choices = category_choices()
    form.area_id.choices = BLANK + services.area_choices()
    form.unit_id.choices = unit_choices()
    if obj is not None and request.method == "GET":
        form.point_code.data = obj.point.code if obj.point else ""


def _rule_data(form):
    data = {k: form[k].data for k in ("category_id", "area_id", "unit_id", "note", "active")}
    data["point_id"] = None
    if form.point_code.data:
        point = services.find_by_code(Point, form.point_code.data.strip())
        if point is None or not point.active:
            raise services.RegistryError("point_unknown", field="point_code")
        data["point_id"] = point.id
    return data


def _area_filter(query, model):
    area_id = request.args.get("area", type=int)
    area = db.session.get(Area, area_id) if area_id else None
    if area is not None:
        query = query.where(model.area_id.in_(services.subtree_ids(area)))
    return query


def _kind_filter(query, model):
    kind = request.args.get("kind")
    if kind in {m.value for m in model.kind.type.enum_class}:
        query = query.where(model.kind == kind)
    return query


def _level_filter(query, model):
    level = request.args.get("level")
    if level in {m.value for m in AreaLevel}:
        query = query.where(model.level == level)
    return query


def _rule_query(text, active):
    query = db.select(RoutingRule).join(Category, RoutingRule.category_id == Category.id)
    if text:
        key = services.search_key(text)
        query = query.join(Unit, RoutingRule.unit_id == Unit.id).where(
            db.or_(Category.search_key.contains(key, autoescape=True), Unit.search_key.contains(key, autoescape=True))
        )
    if active is not None:
        query = query.where(RoutingRule.active.is_(active))
    return query.order_by(Category.code, RoutingRule.id)


REGISTRIES = {
    r.name: r
    for r in [
        Registry("areas", Area, AreaForm, _l("Areas"),
                 [(_l("Code"), "code"), (_l("Name"), "display_name"), (_l("Level"), "level.label"),
                  (_l("Parent"), "parent"), (_l("Territorial office"), "office_unit")],
                 prepare=_prepare_area, filters=[_level_filter],
                 order=lambda q: q.order_by(None).order_by(Area.path),
                 load=(selectinload(Area.parent), selectinload(Area.office_unit))),
        Registry("units", Unit, UnitForm, _l("Units"),
                 [(_l("Code"), "code"), (_l("Name"), "display_name"), (_l("Kind"), "kind.label"),
                  (_l("Area"), "area"), (_l("Contact"), "contact_name"), (_l("Phone"), "contact_phone")],
                 prepare=_prepare_unit, filters=[_kind_filter, _area_filter], load=(selectinload(Unit.area),)),
        Registry("points", Point, PointForm, _l("Points"),
                 [(_l("Code"), "code"), (_l("Name"), "display_name"), (_l("Kind"), "kind.label"),
                  (_l("Area"), "area.short_path"), (_l("Owner unit"), "owner_unit"), (_l("Address"), "address")],
                 prepare=_prepare_point, filters=[_kind_filter, _area_filter],
                 load=(selectinload(Point.area).selectinload(Area.parent).selectinload(Area.parent),
                       selectinload(Point.owner_unit))),
        Registry("categories", Category, CategoryForm, _l("Categories"),
                 [(_l("Code"), "code"), (_l("Name"), "display_name"), (_l("Group"), "parent"),
                  (_l("Kind"), "kind.label"), (_l("Limit (h)"), "limit_hours"),
                  (_l("Urgent limit (h)"), "urgent_limit_hours")],
                 prepare=_prepare_category, load=(selectinload(Category.parent),)),
        Registry("rules", RoutingRule, RoutingRuleForm, _l("Routing rules"),
                 [(_l("Category or group"), "category"), (_l("Area"), "area"), (_l("Point"), "point"),
                  (_l("Responsible unit"), "unit"), (_l("Note"), "note")],
                 prepare=_prepare_rule, to_data=_rule_data,
                 load=(selectinload(RoutingRule.category), selectinload(RoutingRule.area),
                       selectinload(RoutingRule.point), selectinload(RoutingRule.unit))),
    ]
}

KIND_CHOICES = {"units": UnitKind.choices, "points": PointKind.choices}


def _registry(name):
    registry = REGISTRIES.get(name)
    if registry is None:
        abort(404)
    return registry


def _active_arg():
    return {"1": True, "0": False}.get(request.args.get("active", "1"))


@bp.get(f"{RECORDS}/")
@require(Permission.REGISTRY_VIEW)
def list_records(name):
    registry = _registry(name)
    text = request.args.get("q", "").strip()
    if registry.model is RoutingRule:
        query = _rule_query(text, _active_arg())
    else:
        query = services.search(registry.model, text, _active_arg())
    for apply in registry.filters:
        query = apply(query, registry.model)
    if registry.order:
        query = registry.order(query)
    page = db.paginate(query.options(*registry.load), per_page=PER_PAGE, error_out=False)
    extra = {}
    if registry.model is RoutingRule:
        extra["test_form"] = _route_test()
    return render_template("registry/list.html", registry=registry, page=page, q=text,
                           area_choices=services.area_choices() if name in KIND_CHOICES else None,
                           kind_choices=KIND_CHOICES[name]() if name in KIND_CHOICES else [],
                           level_choices=AreaLevel.choices(),
                           **extra)


def _route_test():
    form = RouteTestForm(request.args)
    form.category_id.choices = category_choices()
    form.area_id.choices = BLANK + services.area_choices()
    form.result = None
    form.ran = "category_id" in request.args
    if form.ran and form.validate():
        category = db.session.get(Category, form.category_id.data)
        point = services.find_by_code(Point, form.point_code.data.strip()) if form.point_code.data else None
        area = db.session.get(Area, form.area_id.data) if form.area_id.data else None
        if form.point_code.data and point is None:
            form.point_code.errors.append(ERROR_MESSAGES["point_unknown"])
        elif category is not None:
            form.result = services.suggest_unit(category, point=point, area=area)
    return form


def _edit(registry, obj):
    form = registry.form(obj=obj)
    registry.prepare(form, obj)
    if form.validate_on_submit():
        try:
            record = services.save(obj or registry.model(), registry.data_from(form), actor=current_user)
        except services.RegistryError as error:
            db.session.rollback()
            registry.prepare(form, obj)
            target = form[error.field] if error.field in form else form.code
            target.errors = list(target.errors) + [ERROR_MESSAGES[error.message]]
        else:
            db.session.commit()
            flash(_("Saved: %(name)s", name=record.display_name), "success")
            return redirect(url_for("registry.list_records", name=registry.name))
    return render_template("registry/form.html", registry=registry, form=form, obj=obj)


@bp.route(f"{RECORDS}/new", methods=["GET", "POST"])
@require(Permission.REGISTRY_EDIT)
def new_record(name):
    return _edit(_registry(name), None)


@bp.route(f"{RECORD}/edit", methods=["GET", "POST"])
@require(Permission.REGISTRY_EDIT)
def edit_record(name, record_id):
    registry = _registry(name)
    return _edit(registry, db.get_or_404(registry.model, record_id))


@bp.post(f"{RECORD}/active")
@require(Permission.REGISTRY_EDIT)
def set_active(name, record_id):
    registry = _registry(name)
    record = db.get_or_404(registry.model, record_id)
    active = request.form.get("active") == "1"
    services.set_active(record, active, actor=current_user)
    db.session.commit()
    message = _("Activated: %(name)s") if active else _("Deactivated: %(name)s")
    flash(message % {"name": record.display_name}, "success")
    return redirect(url_for("registry.list_records", name=name))
