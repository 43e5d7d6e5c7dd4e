"""The starting problem taxonomy of DOMAIN.md §3 as data, and ``install_taxonomy`` to load it into the registry.

Limits are working hours (8 a day, 40 a week) and follow 小事不过夜，大事不过周: things that spoil a street today
get hours, works and enforcement get days. ``urgent_hours`` None means the category has no urgent track.
``sector`` names the kind of department that answers for the category citywide (the 属主 side of routing).
"""
from dataclasses import dataclass

from portal.extensions import db
from portal.registry.models import Category, CategoryKind
from portal.registry.services import save

COMPONENT, EVENT = CategoryKind.COMPONENT, CategoryKind.EVENT

# Sector key -> the department it stands for, as named in DOMAIN.md §2.
SECTORS = {
    "urban_management": "城管局",
    "sanitation": "环卫处",
    "municipal": "市政",
    "landscaping": "园林",
    "housing": "住建",
    "traffic_police": "交警",
    "market_regulation": "市场监管",
    "health": "卫健",
    "environment": "生态环境",
    "property": "物业",
}


@dataclass(frozen=True)
class Entry:
    """One group or category of the starting taxonomy."""

    code: str
    name: str
    name_zh_hant: str
    name_en: str
    kind: CategoryKind
    sector: str
    limit_hours: int
    urgent_hours: int | None


@dataclass(frozen=True)
class Group(Entry):
    categories: tuple = ()


def _c(code, name, hant, en, kind, sector, limit, urgent):
    return Entry(code, name, hant, en, kind, sector, limit, urgent)


# Group limits are only defaults shown on the group itself; cases are filed on categories.
GROUPS = (
    Group("SR", "市容环境", "市容環境", "City appearance and sanitation", EVENT, "sanitation", 8, 4, (
        _c("SR01", "暴露垃圾/垃圾未清运", "暴露垃圾/垃圾未清運", "Exposed or uncollected rubbish",
           EVENT, "sanitation", 4, 2),
        _c("SR02", "卫生死角", "衛生死角", "Neglected dirty corner", EVENT, "sanitation", 8, 4),
        _c("SR03", "陈年垃圾", "陳年垃圾", "Long-standing rubbish heap", EVENT, "sanitation", 24, 8),
        _c("SR04", "乱堆乱放（垃圾堆/柴草堆/沙石堆）", "亂堆亂放（垃圾堆/柴草堆/沙石堆）",
           "Heaps of rubbish, firewood or sand and gravel (三堆)", EVENT, "urban_management", 24, 8),
        _c("SR05", "乱扔乱倒", "亂扔亂倒", "Littering and fly-tipping", EVENT, "sanitation", 8, 4),
        _c("SR06", "河道漂浮物", "河道漂浮物", "Floating debris on a river or canal", EVENT, "sanitation", 24, 8),
    )),
    Group("XC", "宣传广告", "宣傳廣告", "Posters and advertising", EVENT, "urban_management", 24, 8, (
        _c("XC01", "牛皮癣/小广告", "牛皮癬/小廣告", "Illegal flyers and stickers", EVENT, "urban_management", 8, 4),
        _c("XC02", "乱贴乱画/乱涂乱写", "亂貼亂畫/亂塗亂寫", "Graffiti and fly-posting", EVENT,
           "urban_management", 24, 8),
        _c("XC03", "违规户外广告", "違規戶外廣告", "Unauthorised outdoor advertising", EVENT,
           "urban_management", 72, 24),
        _c("XC04", "门头牌匾破损", "門頭牌匾破損", "Damaged shop sign", COMPONENT, "urban_management", 48, 4),
    )),
    Group("JM", "街面秩序", "街面秩序", "Street order", EVENT, "urban_management", 4, 2, (
        _c("JM01", "占道经营", "佔道經營", "Trading on the road or pavement", EVENT, "urban_management", 4, 2),
        _c("JM02", "店外经营/越门经营", "店外經營/越門經營", "Trading outside the shop front", EVENT,
           "urban_management", 4, 2),
        _c("JM03", "流动摊贩", "流動攤販", "Unlicensed street vendor", EVENT, "urban_management", 2, 1),
        _c("JM04", "马路市场", "馬路市場", "Street market on the roadway", EVENT, "urban_management", 24, 8),
        _c("JM05", "乱停乱放", "亂停亂放", "Illegal parking", EVENT, "traffic_police", 2, 1),
        _c("JM06", "占道洗车修车", "佔道洗車修車", "Car washing or repairs on the street", EVENT,
           "urban_management", 8, 4),
        _c("JM07", "露天烧烤", "露天燒烤", "Open-air barbecue", EVENT, "urban_management", 4, 2),
    )),
    Group("SG", "施工管理", "施工管理", "Construction", EVENT, "housing", 24, 8, (
        _c("SG01", "违章建筑/乱搭乱建", "違章建築/亂搭亂建", "Illegal building or structure", EVENT,
           "urban_management", 120, None),
        _c("SG02", "工地围挡/扬尘", "工地圍擋/揚塵", "Construction site hoarding or dust", EVENT, "housing", 24, 8),
        _c("SG03", "带泥上路", "帶泥上路", "Vehicles tracking mud onto roads", EVENT, "urban_management", 8, 4),
        _c("SG04", "渣土撒漏", "渣土撒漏", "Spilled construction spoil", EVENT, "urban_management", 4, 2),
    )),
    Group("SZ", "市政设施", "市政設施", "Municipal facilities", COMPONENT, "municipal", 24, 8, (
        _c("SZ01", "道路破损/坑槽", "道路破損/坑槽", "Damaged road surface or pothole", COMPONENT,
           "municipal", 24, 8),
        _c("SZ02", "井盖缺失/破损", "井蓋缺失/破損", "Missing or broken manhole cover", COMPONENT,
           "municipal", 8, 2),
        _c("SZ03", "路灯不亮", "路燈不亮", "Street lamp out", COMPONENT, "municipal", 24, 8),
        _c("SZ04", "积水", "積水", "Standing water or flooding", EVENT, "municipal", 8, 2),
        _c("SZ05", "空中线缆乱拉乱挂", "空中線纜亂拉亂掛", "Loose or tangled overhead cables", COMPONENT,
           "municipal", 72, 8),
        _c("SZ06", "公厕问题（脏/坏/异味）", "公廁問題（髒/壞/異味）", "Public toilet dirty, broken or smelly",
           COMPONENT, "sanitation", 4, 2),
        _c("SZ07", "垃圾桶/果皮箱破损", "垃圾桶/果皮箱破損", "Damaged rubbish or litter bin", COMPONENT,
           "sanitation", 24, 8),
    )),
    Group("YL", "园林绿化", "園林綠化", "Parks and greenery", COMPONENT, "landscaping", 40, 8, (
        _c("YL01", "绿地损毁", "綠地損毀", "Damaged green space", COMPONENT, "landscaping", 40, 8),
        _c("YL02", "树木死株缺株", "樹木死株缺株", "Dead or missing trees", COMPONENT, "landscaping", 120, 24),
        _c("YL03", "绿化带垃圾", "綠化帶垃圾", "Rubbish in a green belt", EVENT, "landscaping", 8, 4),
    )),
    Group("HJ", "环境与健康", "環境與健康", "Environment and health", EVENT, "environment", 24, 8, (
        _c("HJ01", "噪声扰民", "噪聲擾民", "Noise nuisance", EVENT, "environment", 24, 4),
        _c("HJ02", "污水外溢/直排", "污水外溢/直排", "Sewage overflow or direct discharge", EVENT,
           "environment", 8, 2),
        _c("HJ03", "焚烧秸秆/垃圾", "焚燒秸稈/垃圾", "Burning straw or rubbish", EVENT, "environment", 2, 1),
        _c("HJ04", "病媒生物（鼠蚊蝇蟑）", "病媒生物（鼠蚊蠅蟑）", "Pests: rats, mosquitoes, flies, cockroaches",
           EVENT, "health", 40, 8),
        _c("HJ05", "吸烟/控烟", "吸菸/控菸", "Smoking where it is banned", EVENT, "health", 24, None),
    )),
    Group("SC", "市场与行业", "市場與行業", "Markets and small businesses", EVENT, "market_regulation", 24, 8, (
        _c("SC01", "农贸市场脏乱差", "農貿市場髒亂差", "Dirty or disorderly farmers' market", EVENT,
           "market_regulation", 24, 8),
        _c("SC02", "五小/六小/九小行业卫生", "五小/六小/九小行業衛生",
           "Hygiene at small eateries, barbers, baths, hotels, internet cafés", EVENT, "health", 40, 8),
        _c("SC03", "无证经营", "無證經營", "Unlicensed business", EVENT, "market_regulation", 120, None),
    )),
    Group("WY", "物业与小区", "物業與小區", "Property management and estates", EVENT, "property", 24, 8, (
        _c("WY01", "物业不作为", "物業不作為", "Property manager not doing its job", EVENT, "housing", 40, None),
        _c("WY02", "楼道杂物/楼道牛皮癣", "樓道雜物/樓道牛皮癬", "Clutter or flyers in a stairwell", EVENT,
           "property", 24, 8),
        _c("WY03", "消防通道堵塞", "消防通道堵塞", "Blocked fire lane", EVENT, "property", 4, 1),
    )),
    Group("WM", "不文明行为", "不文明行為", "Uncivil behaviour", EVENT, "urban_management", 24, None, (
        _c("WM01", "随地吐痰", "隨地吐痰", "Spitting in public", EVENT, "urban_management", 24, None),
        _c("WM02", "乱穿马路/闯红灯", "亂穿馬路/闖紅燈", "Jaywalking or running a red light", EVENT,
           "traffic_police", 24, None),
        _c("WM03", "不文明养犬", "不文明養犬", "Irresponsible dog keeping", EVENT, "urban_management", 24, 8),
        _c("WM04", "其他不文明行为", "其他不文明行為", "Other uncivil behaviour", EVENT, "urban_management", 40, None),
    )),
    Group("QT", "其他", "其他", "Other", EVENT, "urban_management", 40, None, (
        _c("QT01", "其他问题", "其他問題", "Other problem", EVENT, "urban_management", 40, None),
    )),
)


def entries():
    """Every group followed by its categories, in display order."""
    for group in GROUPS:
        yield group
        yield from group.categories


# Extra questions asked when reporting some categories (Category.questions; labels in three languages).
QUESTIONS = {
    "SZ02": [{"key": "traffic", "type": "yesno", "required": True,
              "label": "是否位于机动车道上？", "label_zh_hant": "是否位於機動車道上？",
              "label_en": "Is it on a carriageway used by cars?"}],
    "SZ03": [{"key": "lamps", "type": "choice", "required": True,
              "label": "不亮的路灯有几盏？", "label_zh_hant": "不亮的路燈有幾盞？",
              "label_en": "How many lamps are out?",
              "choices": [{"value": "1", "label": "1盏", "label_zh_hant": "1盞", "label_en": "One"},
                          {"value": "2-5", "label": "2–5盏", "label_zh_hant": "2–5盞", "label_en": "Two to five"},
                          {"value": "more", "label": "整条路", "label_zh_hant": "整條路",
                           "label_en": "The whole street"}]},
             {"key": "lamp_number", "type": "text", "required": False,
              "label": "灯杆编号（灯杆上的牌子）", "label_zh_hant": "燈桿編號（燈桿上的牌子）",
              "label_en": "Lamp-post number (on its plate)"}],
    "HJ01": [{"key": "when", "type": "choice", "required": True,
              "label": "噪声主要在什么时候？", "label_zh_hant": "噪聲主要在什麼時候？",
              "label_en": "When is the noise?",
              "choices": [{"value": "day", "label": "白天", "label_zh_hant": "白天", "label_en": "Daytime"},
                          {"value": "night", "label": "夜间（22时至次日6时）", "label_zh_hant": "夜間（22時至次日6時）",
                           "label_en": "At night (22:00–06:00)"}]}],
}


# Words residents search with that the names do not contain (admins add more in the registry console).
SYNONYMS = {
    "SR01": "垃圾桶满了、垃圾没人收、rubbish、garbage、trash",
    "XC01": "贴广告、小卡片、flyer",
    "JM05": "停车、违停、parking",
    "SZ02": "下水道盖、窨井盖、manhole",
    "SZ03": "灯不亮、路灯坏了、黑灯、streetlight、light",
    "SZ06": "厕所、卫生间、洗手间、茅房、WC、toilet、restroom",
    "HJ01": "吵、噪音、扰民、noise",
    "HJ04": "老鼠、蚊子、苍蝇、蟑螂、rats",
}


def _data(entry, parent_id, sort_order):
    return {
        "code": entry.code, "name": entry.name, "name_zh_hant": entry.name_zh_hant, "name_en": entry.name_en,
        "kind": entry.kind, "parent_id": parent_id, "limit_hours": entry.limit_hours,
        "urgent_limit_hours": entry.urgent_hours, "sort_order": sort_order, "questions": QUESTIONS.get(entry.code),
        "synonyms": SYNONYMS.get(entry.code),
    }


def _upsert(existing, entry, parent_id, sort_order, actor):
    data = _data(entry, parent_id, sort_order)
    category = existing.get(entry.code)
    if category is None:
        category = save(Category(), data, actor)
    elif any(getattr(category, key) != value for key, value in data.items()):
        category = save(category, data, actor)
    return category


def install_taxonomy(actor=None):
    """Create or bring up to date (by code) every group and category; untouched rows get no audit entry.

    Returns the categories (groups first, then their children) keyed by code. The caller commits.
    """
    codes = [entry.code for entry in entries()]
    existing = {c.code: c for c in db.session.execute(db.select(Category).where(Category.code.in_(codes))).scalars()}
    installed = {}
    for group_order, group in enumerate(GROUPS, start=1):
        parent = _upsert(existing, group, None, group_order * 10, actor)
        installed[group.code] = parent
        for order, entry in enumerate(group.categories, start=1):
            installed[entry.code] = _upsert(existing, entry, parent.id, order * 10, actor)
    return installed
