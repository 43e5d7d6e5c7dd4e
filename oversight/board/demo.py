"""Demo exposure board for the demo city: a dozen published items across the rectification statuses, a praise
item and an archived one, with drawn photos already redacted (published copies), linked to demo cases where one
of the same category exists. DEMO ONLY; idempotent: nothing happens once the board has any item."""
import io
import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from complaints.models import Case
from oversight.board.models import (
    EditorialState,
    EntryMilestone,
    ExposureItem,
    ItemCase,
    ItemEntry,
    ItemEvent,
    ItemKind,
    ItemPhoto,
)
from portal.city import get_city_settings
from portal.extensions import db
from portal.photos import prepare_photo, store_photos
from portal.registry.models import Area, Category, Point, PointKind, Unit

SEED = 20261122
P, PR = EntryMilestone.PROGRESS, EntryMilestone.RECTIFIED

# (title, English title, kind, point kind, street code prefix, unit code, category code, found days ago,
#  deadline in days from today (None: none), follow-ups [(milestone, days ago, text, English)], scene)
ITEMS = (
    ("柳荫农贸市场门口垃圾堆积", "Rubbish piling up at the Liuyin farmers' market", ItemKind.PLACE, PointKind.MARKET,
     "DC-DH", "U-HWC", "SR01", 4, 5, (), "rubbish"),
    ("东华路绿化带垃圾成堆", "Rubbish in the green belt on Donghua Road", ItemKind.PLACE, PointKind.ROAD, "DC-DH",
     "U-YLJ", "SR05", 9, 3, ((P, 2, "园林局已安排人员清理，预计三日内完成。", "Cleaning has started."),), "rubbish"),
    ("槐树巷陈年垃圾", "Long-standing rubbish heap in Huaishu Lane", ItemKind.PLACE, PointKind.ROAD, "DC-DH",
     "U-HWC", "SR03", 20, -6, ((P, 15, "环卫处已进场清运。", "Removal started."),
                               (PR, 10, "陈年垃圾已全部清运，并设置了围挡。", "All cleared; a fence was put up.")),
     "rubbish"),
    ("解放路流动摊贩占道经营", "Street vendors blocking Jiefang Road", ItemKind.PLACE, PointKind.ROAD, "DC-DH",
     "U-CGJ", "JM03", 18, -3, (), "stalls"),
    ("人民路路面坑槽", "Pothole on Renmin Road", ItemKind.PLACE, PointKind.ROAD, "DC-WC", "U-SZC", "SZ01", 25, -10,
     ((PR, 14, "坑槽已修补完毕，路面恢复平整。", "The pothole has been repaired."),), "pothole"),
    ("湖滨路公厕脏乱、异味大", "Dirty, smelly public toilet on Hubin Road", ItemKind.PLACE, PointKind.TOILET,
     "NH-HB", "U-HWC", "SZ06", 7, 2, ((P, 3, "已增派保洁人员，每日两次保洁。", "Cleaning twice a day now."),),
     "rubbish"),
    ("文昌路路灯不亮", "Street lamps out on Wenchang Road", ItemKind.PLACE, PointKind.STREET_LAMP, "DC-WC", "U-SZC",
     "SZ03", 3, 7, (), "night"),
    ("安居物业：小区楼道杂物长期不清理", "Anju Property: stairwell clutter never cleared", ItemKind.UNIT,
     PointKind.ESTATE, "DC-LX", "U-WY-AJ", "WY02", 30, -8,
     ((EntryMilestone.UPDATE, 12, "督查组复查，楼道杂物仍未清理。", "Re-inspection: still not cleared."),), "clutter"),
    ("南苑路占道洗车修车", "Car washing on the pavement of Nanyuan Road", ItemKind.PLACE, PointKind.ROAD, "NH-NY",
     "U-CGJ", "JM06", 16, -4, ((PR, 6, "已依法取缔，路面已冲洗干净。", "Stopped; the pavement was washed."),),
     "stalls"),
    ("新桥农贸市场污水横流", "Waste water all over the Xinqiao market", ItemKind.UNIT, PointKind.MARKET, "NH-XQ",
     "U-SCJG", "SC01", 22, -2, ((P, 9, "市场监管局已约谈市场开办方。", "The market operator was summoned."),),
     "rubbish"),
    ("学府路电线杆小广告", "Flyposting on poles along Xuefu Road", ItemKind.PLACE, PointKind.ROAD, "DC-WC", "U-CGJ",
     "XC01", 2, 6, (), "posters"),
    ("青石镇垃圾中转站异味扰民", "Smell from the Qingshi refuse transfer station", ItemKind.PLACE,
     PointKind.TRANSFER_STATION, "BS-QS", "U-HWC", "SR02", 11, 4,
     ((P, 5, "已加装除臭设备，正在调试。", "Odour control is being installed."),), "rubbish"),
)
PRAISE = ("环卫工人拾金不昧，归还市民钱包", "Street cleaner returns a lost wallet", "DC-DH", "U-HWC", 5)
ARCHIVED = ("去年的滨江大道马路市场", "Last year's street market on Binjiang Avenue", "NH-XQ", "U-CGJ", "JM04", 330)


def _jpeg(image):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def draw_scene(scene, rng, fixed=False):
    """A simple street picture (no people, no plates): what the problem looks like, or the same place fixed."""
    width, height = 640, 480
    night = scene == "night" and not fixed
    image = Image.new("RGB", (width, height), (25, 30, 60) if night else (170, 205, 235))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 130):  # buildings
        top = rng.randint(60, 180)
        draw.rectangle((x, top, x + 110, 300), fill=(120 + rng.randint(0, 60), 110, 100))
        for wy in range(top + 15, 290, 35):
            for wx in range(x + 12, x + 100, 30):
                lit = (250, 230, 140) if night and rng.random() < .5 else (200, 220, 235)
                draw.rectangle((wx, wy, wx + 16, wy + 18), fill=lit)
    draw.rectangle((0, 300, width, height), fill=(60, 60, 60) if night else (150, 150, 145))  # street
    draw.rectangle((0, 300, width, 330), fill=(190, 185, 175))  # pavement edge
    if fixed:
        draw.ellipse((40, 260, 160, 330), fill=(60, 150, 70))  # a tidy shrub
        return _jpeg(image)
    if scene in ("rubbish", "clutter"):
        for _n in range(rng.randint(6, 10)):
            x, y = rng.randint(20, width - 120), rng.randint(310, height - 60)
            colour = rng.choice([(110, 90, 60), (80, 80, 80), (200, 200, 200), (60, 110, 160), (150, 40, 40)])
            draw.ellipse((x, y, x + rng.randint(40, 110), y + rng.randint(25, 60)), fill=colour)
    elif scene == "stalls":
        for x in (60, 260, 450):
            draw.rectangle((x, 320, x + 140, 400), fill=(200, 120, 40))
            draw.polygon([(x - 10, 320), (x + 150, 320), (x + 70, 270)], fill=(40, 120, 200))
    elif scene == "pothole":
        draw.ellipse((220, 360, 420, 430), fill=(50, 45, 40))
    elif scene == "posters":
        for x in (120, 380):
            draw.rectangle((x, 120, x + 14, 420), fill=(90, 90, 90))
            for y in range(200, 360, 28):
                draw.rectangle((x - 20, y, x + 34, y + 22), fill=(245, 245, 200))
    elif scene == "night":
        for x in (100, 320, 540):
            draw.rectangle((x, 180, x + 8, 320), fill=(90, 90, 90))
            draw.ellipse((x - 10, 170, x + 18, 190), fill=(70, 70, 70))  # lamps out
    return _jpeg(image)


def _photo(item, scene, rng, stage="before", entry=None, now=None):
    """An ItemPhoto whose published copy already exists (the drawn scenes have nothing to blur)."""
    prepared = prepare_photo(draw_scene(scene, rng, fixed=stage == "after"))  # once: the copies are the same
    original, published = store_photos([prepared, prepared])
    photo = ItemPhoto(item=item, entry=entry, stage=stage, original_key=original.key,
                      original_thumb_key=original.thumb_key, published_key=published.key,
                      published_thumb_key=published.thumb_key, width=original.width, height=original.height,
                      boxes=[], redacted_at=now)
    db.session.add(photo)
    return photo


def _place(kind, street_code):
    return db.session.execute(
        db.select(Point).join(Point.area).where(Point.kind == kind, Point.active.is_(True))
        .order_by(Area.code.startswith(street_code).desc(), Point.code).limit(1)
    ).scalars().first()


def _by_code(model, code):
    return db.session.execute(db.select(model).where(model.code == code)).scalars().first()


def _publish(item, now, days_ago):
    item.unit_notified_at = now - timedelta(days=days_ago + 3)
    item.published_at = now - timedelta(days=days_ago)
    item.events.append(ItemEvent(action="submit", from_state=EditorialState.DRAFT, to_state=EditorialState.REVIEW,
                                 at=now - timedelta(days=days_ago + 3)))
    item.events.append(ItemEvent(action="publish", from_state=EditorialState.REVIEW,
                                 to_state=EditorialState.PUBLISHED, at=item.published_at))


def _link_cases(item, category):
    if category is None:
        return
    cases = db.session.execute(
        db.select(Case.id).where(Case.category_id == category.id).order_by(Case.id).limit(2)).scalars().all()
    for case_id in cases:
        item.case_links.append(ItemCase(case_id=case_id))


def seed_board_demo(now):
    """Create the demo board once; returns how many items were made. The caller commits."""
    if db.session.execute(db.select(ExposureItem.id).limit(1)).first() is not None:
        return 0
    rng = random.Random(SEED)
    today = now.astimezone(ZoneInfo(get_city_settings().timezone)).date()
    made = 0
    for (title, title_en, kind, point_kind, street, unit_code, category_code, found, deadline, entries,
         scene) in ITEMS:
        point = _place(point_kind, street)
        category = _by_code(Category, category_code)
        item = ExposureItem(kind=kind, state=EditorialState.PUBLISHED, title=title, title_en=title_en,
                            description=f"群众多次反映：{title}。请责任单位限期整改，本栏目将持续追踪报道。",
                            description_en=f"Residents have reported it repeatedly: {title_en}. The responsible unit "
                                           "must fix it by the deadline; this column will follow it up.",
                            point=point, area=point.area if point else None, unit=_by_code(Unit, unit_code),
                            category=category, found_on=today - timedelta(days=found),
                            deadline=today + timedelta(days=deadline) if deadline is not None else None)
        db.session.add(item)
        _publish(item, now, max(found - 2, 0))
        _link_cases(item, category)
        _photo(item, scene, rng, now=now)
        for milestone, days_ago, text, text_en in entries:
            entry = ItemEntry(item=item, milestone=milestone, reported_on=today - timedelta(days=days_ago), text=text,
                              text_en=text_en, created_at=now - timedelta(days=days_ago))
            db.session.add(entry)
            if milestone == P and item.progress_on is None:
                item.progress_on = entry.reported_on
            if milestone == PR and item.rectified_on is None:
                item.rectified_on = entry.reported_on
                _photo(item, scene, rng, stage="after", entry=entry, now=now)
        made += 1

    title, title_en, street, unit_code, found = PRAISE
    point = _place(PointKind.ROAD, street)
    praise = ExposureItem(kind=ItemKind.PRAISE, state=EditorialState.PUBLISHED, title=title, title_en=title_en,
                          description="环卫工人在清扫时拾到钱包，第一时间联系失主归还，失主送来锦旗致谢。",
                          description_en="A street cleaner found a wallet and returned it to its owner at once.",
                          point=point, area=point.area if point else None, unit=_by_code(Unit, unit_code),
                          found_on=today - timedelta(days=found))
    db.session.add(praise)
    _publish(praise, now, found - 1)
    _photo(praise, "clean", rng, stage="after", now=now)
    made += 1

    title, title_en, street, unit_code, category_code, found = ARCHIVED
    point = _place(PointKind.ROAD, street)
    old = ExposureItem(kind=ItemKind.PLACE, state=EditorialState.ARCHIVED, title=title, title_en=title_en,
                       description="马路市场占用机动车道，早晚高峰拥堵严重。", point=point,
                       area=point.area if point else None, unit=_by_code(Unit, unit_code),
                       category=_by_code(Category, category_code), found_on=today - timedelta(days=found),
                       deadline=today - timedelta(days=found - 15), rectified_on=today - timedelta(days=found - 12))
    db.session.add(old)
    _publish(old, now, found - 2)
    old.events.append(ItemEvent(action="archive", from_state=EditorialState.PUBLISHED,
                                to_state=EditorialState.ARCHIVED, at=now - timedelta(days=found - 60)))
    db.session.add(ItemEntry(item=old, milestone=PR, reported_on=old.rectified_on,
                             text="马路市场已取缔，道路恢复通行。", created_at=now - timedelta(days=found - 12)))
    _photo(old, "stalls", rng, now=now)
    made += 1
    db.session.flush()
    return made
