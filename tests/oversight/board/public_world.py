"""A small city with items in every editorial state and rectification status, for the public board's tests."""
from dataclasses import dataclass
from datetime import timedelta

from complaints.services import add_me_too
from oversight.board.models import EditorialState, EntryMilestone, ItemKind
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_case, make_category, make_point, make_unit
from tests.oversight.board.factories import make_item, make_photo

REPORTER_NAME = "张三丰"
REPORTER_PHONE = "13912345678"
REPORTER_PHONE_MASKED = "139****5678"
ME_TOO_PHONE = "13788889999"


@dataclass
class World:
    today: object
    district: object
    street: object
    community: object
    other_district: object
    sanitation: object
    market_bureau: object
    garbage: object
    stalls: object
    pending: object
    progress: object
    done: object
    overdue: object
    praise: object
    archived: object
    other_area: object
    taken_down: object
    draft: object
    review: object
    cases: list


def build_world():
    today = city_today()
    district = make_area("东城区", level=AreaLevel.DISTRICT)
    street = make_area("东华街道", level=AreaLevel.STREET, parent=district)
    community = make_area("柳荫社区", level=AreaLevel.COMMUNITY, parent=street)
    other_district = make_area("南湖区", level=AreaLevel.DISTRICT)
    sanitation = make_unit("市环卫处", name_en="Sanitation Department")
    market_bureau = make_unit("市市场监管局")
    garbage = make_category("暴露垃圾")
    stalls = make_category("占道经营")
    point = make_point(area=community, name="柳荫农贸市场")

    cases = [make_case(category=garbage, point=point, reporter_name=REPORTER_NAME, reporter_phone=REPORTER_PHONE,
                       description=f"{REPORTER_NAME}反映：市场门口垃圾堆积"),
             make_case(category=garbage, point=point, reporter_name=REPORTER_NAME, reporter_phone=REPORTER_PHONE)]
    add_me_too(cases[0], phone=ME_TOO_PHONE)
    add_me_too(cases[0], phone="13600001111")
    add_me_too(cases[1], phone=ME_TOO_PHONE)
    db.session.commit()

    common = {"unit": sanitation, "category": garbage}
    pending = make_item(title="柳荫农贸市场门口垃圾堆积", area=community, point=point, cases=cases,
                        deadline=today + timedelta(days=5), **common)
    progress = make_item(title="东华路绿化带垃圾", area=street, deadline=today + timedelta(days=2),
                         entries=[(EntryMilestone.PROGRESS, today - timedelta(days=1), "已安排人员清理")], **common)
    done = make_item(title="槐树巷陈年垃圾", area=community, deadline=today - timedelta(days=3),
                     entries=[(EntryMilestone.PROGRESS, today - timedelta(days=6), "开始清理"),
                              {"milestone": EntryMilestone.RECTIFIED, "reported_on": today - timedelta(days=4),
                               "text": "已清理完毕", "photos": 1}], **common)
    overdue = make_item(title="解放路流动摊贩占道", kind=ItemKind.UNIT, area=district, unit=market_bureau,
                        category=stalls, deadline=today - timedelta(days=1))
    praise = make_item(title="环卫工人拾金不昧", kind=ItemKind.PRAISE, area=street, unit=sanitation)
    archived = make_item(EditorialState.ARCHIVED, title="去年的占道经营", area=district, unit=market_bureau,
                         category=stalls, deadline=today - timedelta(days=300),
                         found_on=today - timedelta(days=320), published_at=utcnow() - timedelta(days=310),
                         entries=[(EntryMilestone.RECTIFIED, today - timedelta(days=290), "已取缔")])
    other_area = make_item(title="南湖区公厕脏乱", area=other_district, unit=sanitation,
                           deadline=today + timedelta(days=1))
    taken_down = make_item(EditorialState.TAKEN_DOWN, title="已撤下的条目", area=community, **common)
    draft = make_item(EditorialState.DRAFT, title="草稿条目", area=community, **common)
    review = make_item(EditorialState.REVIEW, title="审核中条目", area=community, **common)
    make_photo(pending, published=False)  # not redacted yet: never shown
    db.session.commit()
    return World(today, district, street, community, other_district, sanitation, market_bureau, garbage, stalls,
                 pending, progress, done, overdue, praise, archived, other_area, taken_down, draft, review, cases)
