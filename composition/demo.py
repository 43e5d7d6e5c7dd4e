"""The demo city: areas, units, points, the taxonomy, routing rules and one sign-in per role, for trying things out.

DEMO ONLY: every demo account shares the password ``DEMO_PASSWORD``, which is printed by ``flask demo-logins``.
Never seed a production database; a real city starts with ``flask create-admin`` instead.
Seeding is deterministic (fixed lists and a seeded random generator) and idempotent: records are looked up
by code (users by username) and only missing ones are created, so existing records and admin edits stay.
What the city is made of (districts, units, estates, users) is listed in ``composition.demo_lists``.
"""
import random
import unicodedata
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from complaints.demo import seed_demo_cases
from complaints.jobs import seed_demo_supervision
from complaints.models import Case
from composition.demo_boundaries import build_demo_boundaries
from composition.demo_lists import (
    CITY_CENTRE,
    CITY_CODE,
    COMMITTEES,
    CONTRACTORS,
    DEPARTMENTS,
    DISTRICTS,
    ESTATES,
    HANDLER_UNIT,
    INSPECTOR_GRIDS,
    POINTS_PER_STREET,
    PROPERTY_COMPANIES,
    SECTOR_UNITS,
    USERS,
)
from oversight.board.demo import seed_board_demo
from oversight.open311.demo import demo_key, seed_demo_key
from oversight.scorecards.demo import seed_snapshots
from portal.auth.models import Role, User
from portal.auth.services import save_user
from portal.city import DEFAULTS as CITY_DEFAULTS
from portal.city import ensure_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import Area, AreaLevel, Category, Point, PointKind, RoutingRule, Unit, UnitKind
from portal.registry.services import save
from portal.taxonomy import GROUPS, install_taxonomy
from surveys.demo import seed_demo_surveys

DEMO_PASSWORD = "minsheng-demo"
SEED = 12345

MODELS = (("cases", Case), ("areas", Area), ("units", Unit), ("points", Point), ("categories", Category),
          ("routing rules", RoutingRule), ("users", User))


@dataclass
class SeedSummary:
    city: str
    created: dict
    totals: dict

    @property
    def created_anything(self):
        return any(self.created.values())

    def __str__(self):
        if not self.created_anything:
            return f"Demo city {self.city}: already complete, nothing created."
        parts = ", ".join(f"{n} {label}" for label, n in self.created.items())
        return (f"Demo city {self.city}: created {parts}. "
                f"Sign in with any of {', '.join(u[0] for u in USERS)} / {DEMO_PASSWORD} (demo only).")


class _Seeder:
    """Creates what is missing, looking records up by code; remembers everything by code for the next step."""

    def __init__(self, rng):
        self.rng = rng
        self.existing = {model: {obj.code: obj for obj in db.session.execute(db.select(model)).scalars()}
                         for model in (Area, Unit, Point)}

    def ensure(self, model, code, **data):
        obj = self.existing[model].get(code)
        if obj is None:
            obj = save(model(), {"code": code, **data}, actor=None)
            self.existing[model][code] = obj
        return obj

    def area(self, code):
        return self.existing[Area][code]

    def unit(self, code):
        return self.existing[Unit][code]

    # Areas ---------------------------------------------------------------------------------------------------

    def build_areas(self, settings):
        """市 → 3 区/县 → 8 街道/乡镇 → ~20 社区/村 → ~60 网格; returns grid descriptions for placing points."""
        city = self.ensure(Area, CITY_CODE, name=settings.city_name, name_zh_hant=settings.city_name_zh_hant,
                           name_en=settings.city_name_en, level=AreaLevel.CITY, parent_id=None)
        streets = []
        for d_code, d_name, d_en, offset, street_rows in DISTRICTS:
            district = self.ensure(Area, d_code, name=d_name, name_en=d_en, level=AreaLevel.DISTRICT,
                                   parent_id=city.id)
            d_centre = (CITY_CENTRE[0] + offset[0], CITY_CENTRE[1] + offset[1])
            for s_index, (s_code, s_name, s_en, roads, communities) in enumerate(street_rows):
                street = self.ensure(Area, f"{d_code}-{s_code}", name=s_name, name_en=s_en, level=AreaLevel.STREET,
                                     parent_id=district.id)
                s_centre = (d_centre[0] + 0.012 * (s_index - 1), d_centre[1] + self.rng.uniform(-0.012, 0.012))
                grids_by_community = []
                for c_code, c_name, pinyin in communities:
                    suffix = "Village" if c_name.endswith("村") else "Community"
                    community = self.ensure(Area, f"{street.code}-{c_code}", name=c_name,
                                            name_en=f"{pinyin} {suffix}", level=AreaLevel.COMMUNITY,
                                            parent_id=street.id)
                    c_centre = (s_centre[0] + self.rng.uniform(-0.005, 0.005),
                                s_centre[1] + self.rng.uniform(-0.005, 0.005))
                    grids = []
                    for n in range(1, (2 if suffix == "Village" else 3) + 1):
                        grid = self.ensure(Area, f"{community.code}-G{n}", name=f"第{n}网格", name_en=f"Grid {n}",
                                           level=AreaLevel.GRID, parent_id=community.id)
                        grids.append((grid, (c_centre[0] + self.rng.uniform(-0.0015, 0.0015),
                                             c_centre[1] + self.rng.uniform(-0.0015, 0.0015))))
                    grids_by_community.append((community, grids))
                streets.append({"area": street, "district": district, "roads": roads,
                                "rural": d_name.endswith("县"), "communities": grids_by_community})
        return city, streets

    # Units -----------------------------------------------------------------------------------------------------

    def build_units(self, city, streets):
        for code, name, name_en, _sector in DEPARTMENTS:
            self.ensure(Unit, code, name=name, name_en=name_en, kind=UnitKind.DEPARTMENT, area_id=city.id)
        for street in streets:
            area = street["area"]
            if area.name.endswith("街道"):
                name, name_en = f"{area.name}办事处", f"{area.name_en} Office"
            else:
                name, name_en = f"{area.name}人民政府", f"{area.name_en} Government"
            office = self.ensure(Unit, f"U-{area.code}", name=name, name_en=name_en, kind=UnitKind.TERRITORIAL,
                                 area_id=area.id)
            self._set_office(area, office)
        for code in COMMITTEES:
            area = self.area(code)
            village = area.name.endswith("村")
            committee = self.ensure(Unit, f"U-{code}", name=area.name + ("村委会" if village else "居委会"),
                                    name_en=area.name_en + (" Committee" if village else " Residents' Committee"),
                                    kind=UnitKind.TERRITORIAL, area_id=area.id)
            self._set_office(area, committee)
        for code, name, name_en in CONTRACTORS:
            self.ensure(Unit, code, name=name, name_en=name_en, kind=UnitKind.CONTRACTOR)

    def _set_office(self, area, unit):
        if area.office_unit_id is None:
            save(area, {"office_unit_id": unit.id}, actor=None)

    # Points ----------------------------------------------------------------------------------------------------

    def build_points(self, streets):
        counters = {}
        estates = iter(ESTATES)

        def next_code(kind):
            counters[kind] = counters.get(kind, 0) + 1
            return f"P-{kind.value.upper()}-{counters[kind]:03d}"

        for street in streets:
            all_grids = [grid for _community, grids in street["communities"] for grid in grids]
            for kind, urban_count, rural_count in POINTS_PER_STREET:
                for index in range(rural_count if street["rural"] else urban_count):
                    name, road, owner = self._describe(kind, index, street, estates)
                    self._place(next_code(kind), kind, name, road, owner, street, self.rng.choice(all_grids))
            for community, grids in street["communities"]:
                owner = self.existing[Unit].get(f"U-{community.code}") or self.unit(f"U-{street['area'].code}")
                self._place(next_code(PointKind.NOTICE_BOARD), PointKind.NOTICE_BOARD, f"{community.name}宣传栏",
                            self.rng.choice(street["roads"]), owner, street, self.rng.choice(grids))

    def _describe(self, kind, index, street, estates):
        """(name, road, owner unit) of the ``index``-th point of ``kind`` in a street."""
        area, roads = street["area"], street["roads"]
        short = area.name[:-2] if area.name.endswith("街道") else area.name[:-1]
        office = self.unit(f"U-{area.code}")
        road = roads[index % len(roads)]
        if kind == PointKind.TOILET:
            return f"{road}公厕", road, self.unit("U-HWC")
        if kind == PointKind.STREET_LAMP:
            return f"{road}路灯{index * 17 + 8:03d}号杆", road, self.unit("U-SZC")
        if kind == PointKind.ROAD:
            cross = [r for r in roads if r != road]
            return f"{road}（{cross[0]}至{cross[-1]}段）", road, self.unit("U-SZC")
        if kind == PointKind.ESTATE:
            return next(estates), road, self.unit(PROPERTY_COMPANIES[index % len(PROPERTY_COMPANIES)])
        if kind == PointKind.MARKET:
            return f"{short}农贸市场", road, office if street["rural"] else self.unit("U-SCJG")
        if kind == PointKind.TRANSFER_STATION:
            return f"{short}垃圾中转站", road, self.unit("U-HWC")
        if kind == PointKind.SERVICE_WINDOW:
            return f"{area.name}便民服务中心", road, office
        if kind == PointKind.SCHOOL:
            return (f"{short}中心小学", f"{short}中学")[index], road, None
        if kind == PointKind.INSPECTION:
            return f"{road}背街小巷（考察点）", road, None
        return f"{short}文化广场", road, office

    def _place(self, code, kind, name, road, owner, street, grid_and_centre):
        grid, (lat, lon) = grid_and_centre
        prefix = street["district"].name + (street["area"].name if street["rural"] else "")
        self.ensure(Point, code, name=name, kind=kind, area_id=grid.id, owner_unit_id=owner.id if owner else None,
                    address=f"{prefix}{road}{self.rng.randint(1, 399)}号",
                    latitude=round(lat + self.rng.uniform(-0.001, 0.001), 6),
                    longitude=round(lon + self.rng.uniform(-0.001, 0.001), 6))

    # Routing ---------------------------------------------------------------------------------------------------

    def build_rules(self, categories, city, streets):
        rules = db.session.execute(db.select(RoutingRule)).scalars()
        existing = {(r.category_id, r.area_id, r.point_id) for r in rules}

        def rule(category_code, unit_code, area=None, point=None, note=None):
            category, unit = categories[category_code], self.unit(unit_code)
            scope = (category.id, area.id if area else None, point.id if point else None)
            if scope not in existing:
                save(RoutingRule(), {"category_id": scope[0], "area_id": scope[1], "point_id": scope[2],
                                     "unit_id": unit.id, "note": note, "active": True}, actor=None)
                existing.add(scope)

        # The sector side (属主): each group to its department, and a category where its department differs.
        for group in GROUPS:
            group_unit = SECTOR_UNITS[group.sector]
            rule(group.code, group_unit, note="全市行业主管")
            for entry in group.categories:
                if SECTOR_UNITS[entry.sector] != group_unit:
                    rule(entry.code, SECTOR_UNITS[entry.sector], note="全市行业主管")
        # The territory side (属地): street order is the street office's job everywhere in its street.
        for street in streets:
            rule("JM", f"U-{street['area'].code}", area=street["area"], note="街面秩序属地管理")
        # Enforcement that only a department may do, whatever the territory.
        rule("WM02", "U-JJZD", area=city, note="交通违法由交警执法")
        rule("SC03", "U-SCJG", area=city, note="无证经营由市场监管部门查处")
        # Point rules: contracted-out cleaning, a market under direct supervision, an estate's property company.
        points = self.existing[Point]
        rule("SZ06", "U-BJ-JM", point=points["P-TOILET-001"], note="该公厕保洁外包给洁美保洁")
        rule("SC01", "U-SCJG", point=points["P-MARKET-001"], note="市场开办方整改由市场监管局督促")
        estate = points["P-ESTATE-001"]
        rule("WY02", estate.owner_unit.code, point=estate, note="小区楼道由物业负责清理")


def _seed_users(seeder):
    existing = {u.username for u in db.session.execute(db.select(User)).scalars()}
    password_hash = None  # hashed once and shared: the demo accounts have one password anyway, and hashing is slow
    for username, role, display_name in USERS:
        if username in existing:
            continue
        password_hash = password_hash or generate_password_hash(
            DEMO_PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"])
        data = {"username": username, "display_name": display_name, "role": role, "active": True}
        if role == Role.HANDLER:
            data["unit_id"] = seeder.unit(HANDLER_UNIT).id
        if role == Role.INSPECTOR:
            data["areas"] = [seeder.area(code) for code in INSPECTOR_GRIDS]
        save_user(User(password_hash=password_hash, session_version=1), data, actor=None)


def _counts():
    return {label: db.session.scalar(db.select(db.func.count()).select_from(model)) for label, model in MODELS}


def seed_demo_city():
    """Build (or complete) the demo city and return what was created. The caller commits."""
    before = _counts()
    settings = ensure_city_settings()
    if settings.city_name == CITY_DEFAULTS["city_name"]:
        settings.city_name_zh_hant = settings.city_name_zh_hant or "示範市"
        settings.city_name_en = settings.city_name_en or "Demo City"
    seeder = _Seeder(random.Random(SEED))
    city, streets = seeder.build_areas(settings)
    seeder.build_units(city, streets)
    seeder.build_points(streets)
    build_demo_boundaries(city, {grid: centre for street in streets for _community, grids in street["communities"]
                                 for grid, centre in grids}, SEED)
    categories = install_taxonomy(actor=None)
    seeder.build_rules(categories, city, streets)
    _seed_users(seeder)
    db.session.flush()
    seed_demo_cases()
    _seed_demo_followups()
    after = _counts()
    return SeedSummary(settings.city_name, {k: after[k] - before[k] for k in after}, after)


def _seed_demo_followups():
    """What the scheduler, the editors and the survey team would have produced by now: 催办/督办单 and strikes, the
    exposure board, answered surveys, and the last complete 旬通报 / 月评比 / 红黑榜 (each seeder does nothing when
    its data exists)."""
    now = utcnow()
    seed_demo_supervision(now)
    db.session.flush()
    seed_board_demo(now)
    db.session.flush()
    seed_demo_surveys(now)
    db.session.flush()
    seed_snapshots(now)
    db.session.flush()
    seed_demo_key()
    db.session.flush()


def has_areas():
    return db.session.execute(db.select(Area.id).limit(1)).first() is not None


def demo_logins():
    """(username, role label) of the demo accounts that still have the demo password."""
    users = db.session.execute(db.select(User).where(User.username.in_([u[0] for u in USERS]))).scalars()
    by_name = {u.username: u for u in users}
    demo_hashes = {}  # seeded accounts share one hash: check each distinct hash once

    def has_demo_password(user):
        if user.password_hash not in demo_hashes:
            demo_hashes[user.password_hash] = user.check_password(DEMO_PASSWORD)
        return demo_hashes[user.password_hash]

    return [(name, by_name[name].role.label) for name, _role, _display in USERS
            if name in by_name and by_name[name].active and has_demo_password(by_name[name])]


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has areas.")
@with_appcontext
def seed_demo_command(if_empty):
    """Build the demo city (demo data and demo passwords: never on a production database)."""
    if if_empty and has_areas():
        click.echo("Areas exist already: demo data not seeded (--if-empty).")
        return
    summary = seed_demo_city()
    db.session.commit()
    click.echo(summary)


@click.command("demo-logins")
@with_appcontext
def demo_logins_command():
    """Print the demo sign-ins (demo only)."""
    logins = demo_logins()
    if not logins:
        click.echo("No demo accounts with the demo password (run `flask --app wsgi seed-demo` to create them).")
        return
    rows = [("username", "role", "password")] + [(name, label, DEMO_PASSWORD) for name, label in logins]
    widths = [max(_width(row[i]) for row in rows) + 2 for i in range(2)]
    click.echo("Demo sign-ins (demo data only; change these passwords before any real use):")
    for name, label, password in rows:
        click.echo(f"  {_pad(name, widths[0])}{_pad(label, widths[1])}{password}")

    integration = demo_key()
    if integration:
        click.echo(f"\nOpen311 API key of the example integration {integration[0]} (demo only): {integration[1]}")


def _width(text):
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text, width):
    return text + " " * (width - _width(text))
