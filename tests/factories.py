"""Factories for registry records and staff users. Each commits, so the web client sees the record."""
import itertools

from portal.auth.models import Role, User
from portal.extensions import db
from portal.registry.models import (
    Area,
    AreaLevel,
    Category,
    CategoryKind,
    Point,
    PointKind,
    RoutingRule,
    Unit,
    UnitKind,
)
from portal.registry.services import save

_seq = itertools.count(1)


def _code(prefix):
    return f"{prefix}{next(_seq):04d}"


def make_area(name="示范区", level=AreaLevel.DISTRICT, parent=None, **kw):
    data = {"code": _code("A"), "name": name, "level": level, "parent_id": parent.id if parent else None}
    data.update(kw)
    area = save(Area(), data, actor=None)
    db.session.commit()
    return area


def make_unit(name="市城管局", kind=UnitKind.DEPARTMENT, **kw):
    data = {"code": _code("U"), "name": name, "kind": kind}
    data.update(kw)
    unit = save(Unit(), data, actor=None)
    db.session.commit()
    return unit


def make_point(area=None, name="人民公园公厕", kind=PointKind.TOILET, owner=None, **kw):
    area = area or make_area()
    data = {"code": _code("P"), "name": name, "kind": kind, "area_id": area.id,
            "owner_unit_id": owner.id if owner else None}
    data.update(kw)
    point = save(Point(), data, actor=None)
    db.session.commit()
    return point


def make_category(name="暴露垃圾", parent=None, kind=CategoryKind.EVENT, **kw):
    if parent is None and kw.pop("as_group", False) is False:
        parent = make_category(name="市容环境", kind=kind, as_group=True)
    data = {"code": _code("C"), "name": name, "kind": kind, "parent_id": parent.id if parent else None,
            "limit_hours": kw.pop("limit_hours", 24)}
    data.update(kw)
    category = save(Category(), data, actor=None)
    db.session.commit()
    return category


def make_rule(category, unit, area=None, point=None, **kw):
    data = {"category_id": category.id, "unit_id": unit.id, "area_id": area.id if area else None,
            "point_id": point.id if point else None}
    data.update(kw)
    rule = save(RoutingRule(), data, actor=None)
    db.session.commit()
    return rule


def make_user(role=Role.ADMIN, username=None, password="password123", unit=None, areas=(), **kw):
    user = User(username=username or _code(role.value), display_name=kw.pop("display_name", "测试用户"),
                role=role, unit_id=unit.id if unit else None, **kw)
    user.set_password(password)
    user.areas = list(areas)
    db.session.add(user)
    db.session.commit()
    return user


def make_case(category=None, point=None, area=None, channel="web", description="路边有垃圾没人清理", actor=None,
              **kw):
    """A case in 受理, reported at ``point`` (a fresh one by default)."""
    from complaints.models import Channel
    from complaints.services import submit_report

    category = category or make_category(limit_hours=kw.pop("limit_hours", 8), urgent_limit_hours=2)
    if point is None and area is None:
        point = make_point()
    case, _created = submit_report(category=category, description=description, channel=Channel(channel),
                                   point=point, area=area, actor=actor, **kw)
    db.session.commit()
    return case
