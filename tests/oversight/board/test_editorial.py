"""The editorial side of the board: making items, follow-ups, the steps draft → review → published → archived |
taken down with the roles allowed to take them, the rectification status, and due process before publication."""
from datetime import date, timedelta

import pytest

from oversight.board import appeals, items, publishing
from oversight.board.models import EditorialState, EntryMilestone, ExposureItem, ItemKind, RectificationStatus
from oversight.board.rules import BoardError
from portal.auth.models import AuditEntry, Role
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db
from portal.notify_models import Delivery
from portal.storage import get_storage
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user
from tests.oversight.board.factories import jpeg_bytes, make_item

S = EditorialState
NOTICE_HOURS = 48  # the unit's notice before publication, by default (config.DEFAULTS["BOARD_NOTICE_HOURS"])


@pytest.fixture
def moderator(app):
    return make_user(Role.MODERATOR)


@pytest.fixture
def leader(app):
    return make_user(Role.LEADER)


def ready_for_publication(item):
    """Every photo redacted and the notice period over."""
    for photo in item.photos:
        photo.published_key, photo.published_thumb_key = photo.original_key, photo.original_thumb_key
    item.unit_notified_at = utcnow() - timedelta(hours=NOTICE_HOURS + 1)
    db.session.commit()
    return item


def new_data(**kw):
    data = {"kind": ItemKind.PLACE, "title": "人民路菜市场门口垃圾堆积", "description": "连续三天无人清运",
            "unit": make_unit("市环卫处"), "area": make_area("东城区"), "found_on": city_today() - timedelta(days=2),
            "deadline": city_today() + timedelta(days=5)}
    data.update(kw)
    return data


# ---------------------------------------------------------------- making items

def test_a_moderator_makes_a_draft_from_scratch_with_a_trail_and_an_audit_entry(app, moderator):
    item = items.create_item(new_data(), moderator)
    db.session.commit()
    assert item.state == S.DRAFT and item.created_by_id == moderator.id
    assert [e.action for e in item.events] == ["create"]
    assert db.session.execute(db.select(AuditEntry).where(AuditEntry.object_type == "exposure_items")).scalar()


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.OPERATOR, Role.HANDLER, Role.INSPECTOR, Role.LEADER])
def test_roles_without_board_edit_cannot_make_items(app, role):
    with pytest.raises(BoardError) as refused:
        items.create_item(new_data(), make_user(role))
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("change, code", [
    ({"title": "  "}, "required"),
    ({"deadline": -5}, "deadline_before_found"),  # days from the city's today
    ({"found_on": 1}, "found_in_future"),
    ({"kind": ItemKind.UNIT, "unit": None}, "unit_required"),
    ({"unit": None, "area": None}, "place_required"),
])
def test_bad_items_are_refused_with_the_field_to_fix(app, moderator, change, code):
    change = {k: city_today() + timedelta(days=v) if k in ("deadline", "found_on") else v for k, v in change.items()}
    with pytest.raises(BoardError) as refused:
        items.create_item(new_data(**change), moderator)
    assert refused.value.code == code


def test_a_draft_from_cases_takes_place_and_unit_links_cases_and_copies_photos(app, moderator, uploads):
    unit = make_unit("市环卫处")
    point = make_point(make_area("东城区"), name="人民公园公厕", owner=unit)
    category = make_category("公厕问题")
    from portal.photos import prepare_photo, store_photos

    photo = store_photos([prepare_photo(jpeg_bytes())])[0]
    first = make_case(category=category, point=point, photos=[photo], reporter_name="王小明",
                      reporter_phone="13912345678")
    second = make_case(category=category, point=point, description="厕所很脏")
    first.unit = unit
    db.session.commit()
    item = items.create_item_from_cases([first, second], moderator, deadline=city_today() + timedelta(days=3))
    db.session.commit()
    assert (item.point, item.area, item.unit, item.category) == (point, point.area, unit, category)
    assert {link.case for link in item.case_links} == {first, second}
    assert len(item.photos) == 1
    copy = item.photos[0]
    assert copy.source_case_photo_id == first.photos[0].id
    assert copy.original_key != first.photos[0].key and copy.published_key is None
    storage = get_storage()
    with storage.open(copy.original_key) as a, storage.open(first.photos[0].key) as b:
        assert a.read() == b.read()
    assert "王小明" not in item.description and "13912345678" not in item.description
    assert "2" in item.description and item.title.startswith("人民公园公厕")


def test_a_photo_copy_failing_halfway_leaves_no_item_and_no_copied_file(app, moderator, uploads, monkeypatch):
    """Two case photos; the storage fails on the third file written (the second photo's full size): the draft is
    refused, and the first photo's copies are deleted rather than left behind with nothing pointing at them."""
    from portal.photos import prepare_photo, store_photos

    case = make_case(photos=store_photos([prepare_photo(jpeg_bytes()), prepare_photo(jpeg_bytes())]))
    db.session.commit()
    storage = get_storage()
    original_save, written = type(storage).save, []

    def failing_save(self, data, suffix=".jpg"):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(original_save(self, data, suffix))
        return written[-1]

    monkeypatch.setattr(type(storage), "save", failing_save)
    with pytest.raises(BoardError) as refused:
        items.create_item_from_cases([case], moderator)
    assert refused.value.code == "photo_copy"
    db.session.rollback()
    assert len(written) == 2 and not any(storage.exists(key) for key in written)
    assert all(storage.exists(photo.key) for photo in case.photos)  # the case's own files are untouched
    assert db.session.scalar(db.select(db.func.count()).select_from(ExposureItem)) == 0


def test_unknown_case_numbers_are_all_named(app):
    case = make_case()
    with pytest.raises(BoardError) as refused:
        items.cases_by_numbers([case.number, "20990101-0001", "nope"])
    assert refused.value.params["numbers"] == ["20990101-0001", "nope"]


# ---------------------------------------------------------------- follow-ups and status

def test_progress_and_rectified_dates_follow_the_entries(app, moderator):
    item = make_item("published", found_on=city_today() - timedelta(days=10), photos=0)
    items.add_entry(item, moderator, milestone=EntryMilestone.UPDATE, text="记者回访",
                       reported_on=city_today() - timedelta(days=8))
    assert (item.progress_on, item.rectified_on) == (None, None)
    items.add_entry(item, moderator, milestone=EntryMilestone.PROGRESS, text="已开始清理",
                       reported_on=city_today() - timedelta(days=5))
    items.add_entry(item, moderator, milestone=EntryMilestone.PROGRESS, text="清理过半",
                       reported_on=city_today() - timedelta(days=6))
    assert item.progress_on == city_today() - timedelta(days=6)
    items.add_entry(item, moderator, milestone=EntryMilestone.RECTIFIED, text="已整改完毕",
                       reported_on=city_today() - timedelta(days=1))
    db.session.commit()
    assert item.rectified_on == city_today() - timedelta(days=1)
    assert item.status(city_today()) == RectificationStatus.DONE


def test_entries_cannot_be_dated_in_the_future_or_before_the_finding(app, moderator):
    item = make_item("published", found_on=city_today() - timedelta(days=3), photos=0)
    for day, code in ((city_today() + timedelta(days=1), "entry_in_future"),
                      (city_today() - timedelta(days=4), "entry_before_found")):
        with pytest.raises(BoardError) as refused:
            items.add_entry(item, moderator, milestone="progress", text="x", reported_on=day)
        assert refused.value.code == code
    assert item.progress_on is None


@pytest.mark.parametrize("offset, status", [(0, RectificationStatus.PENDING), (1, RectificationStatus.OVERDUE)])
def test_the_deadline_day_itself_is_not_overdue_the_day_after_is(app, offset, status):
    deadline = date(2026, 11, 20)
    item = make_item(deadline=deadline, found_on=date(2026, 11, 1), photos=0)
    today = deadline + timedelta(days=offset)
    assert item.status(today) == status
    sql = db.session.scalar(db.select(ExposureItem.status_expression(today)).where(ExposureItem.id == item.id))
    assert sql == status.value


def test_status_derivation_from_entries_and_dates(app):
    deadline = date(2026, 11, 20)
    started = make_item(deadline=deadline, found_on=date(2026, 11, 1), photos=0,
                        entries=[(EntryMilestone.PROGRESS, date(2026, 11, 5), "开始")])
    done_late = make_item(deadline=deadline, found_on=date(2026, 11, 1), photos=0,
                          entries=[(EntryMilestone.RECTIFIED, date(2026, 11, 25), "完成")])
    assert started.status(deadline) == RectificationStatus.IN_PROGRESS
    assert started.status(deadline + timedelta(days=1)) == RectificationStatus.OVERDUE
    assert done_late.status(date(2026, 12, 1)) == RectificationStatus.DONE


def test_a_published_edit_needs_a_reason_and_is_in_the_trail(app, moderator):
    item = make_item("published", area=make_area(), photos=0)
    with pytest.raises(BoardError) as refused:
        items.edit_item(item, {"title": "新标题"}, moderator)
    assert refused.value.code == "required" and refused.value.field == "reason"
    db.session.rollback()
    items.edit_item(item, {"title": "新标题"}, moderator, reason="更正地点描述")
    db.session.commit()
    assert item.title == "新标题"
    assert (item.events[-1].action, item.events[-1].reason) == ("edit", "更正地点描述")


# ---------------------------------------------------------------- editorial steps and roles

def test_the_full_way_to_publication_and_archive(app, moderator, leader):
    unit = make_unit("市环卫处", contact_phone="0571-87001234")
    item = make_item("draft", unit=unit, area=make_area())
    publishing.submit_for_review(item, moderator)
    db.session.commit()
    assert item.state == S.REVIEW and item.unit_notified_at is not None
    ready_for_publication(item)
    publishing.publish(item, leader)
    db.session.commit()
    assert item.state == S.PUBLISHED and item.published_at is not None and item.is_public
    publishing.archive(item, moderator)
    db.session.commit()
    assert item.state == S.ARCHIVED and item.is_public
    assert [e.action for e in item.events][-3:] == ["submit", "publish", "archive"]
    assert all(e.actor_id for e in item.events[-3:])
    audited = db.session.execute(db.select(AuditEntry.action).where(AuditEntry.object_id == item.id,
                                 AuditEntry.object_type == "exposure_items")).scalars().all()
    assert {"submit", "publish", "archive"} <= set(audited)


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.ADMIN, Role.LEADER)])
def test_only_publishers_publish(app, role):
    item = ready_for_publication(make_item("review", unit=make_unit(), area=make_area()))
    with pytest.raises(BoardError) as refused:
        publishing.publish(item, make_user(role))
    assert refused.value.code == "forbidden" and item.state == S.REVIEW


@pytest.mark.parametrize("step, state, kwargs", [
    ("submit_for_review", "draft", {}),
    ("send_back", "review", {"reason": "x"}),
    ("archive", "published", {}),
])
@pytest.mark.parametrize("role", [Role.LEADER, Role.DISPATCHER, Role.HANDLER])
def test_editor_steps_are_refused_to_other_roles(app, step, state, kwargs, role):
    item = make_item(state, unit=make_unit(), area=make_area())
    with pytest.raises(BoardError) as refused:
        getattr(publishing, step)(item, make_user(role), **kwargs)
    assert refused.value.code == "forbidden" and item.state == EditorialState(state)


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.LEADER, Role.ADMIN])
def test_editors_and_publishers_may_take_down_with_a_reason(app, role):
    item = make_item("published")
    actor = make_user(role)
    with pytest.raises(BoardError) as refused:
        publishing.take_down(item, actor, "  ")
    assert refused.value.code == "required"
    publishing.take_down(item, actor, "当事单位已整改且信息有误")
    db.session.commit()
    assert item.state == S.TAKEN_DOWN and item.takedown_reason == "当事单位已整改且信息有误"
    assert not item.is_public


def test_send_back_needs_a_reason(app, moderator):
    item = make_item("review")
    with pytest.raises(BoardError):
        publishing.send_back(item, moderator, "")
    publishing.send_back(item, moderator, "照片未打码")
    assert item.state == S.DRAFT and item.events[-1].reason == "照片未打码"


@pytest.mark.parametrize("step, state", [("submit_for_review", "published"), ("publish", "draft"),
                                         ("archive", "draft"), ("take_down", "draft")])
def test_illegal_steps_are_refused(app, step, state):
    item = make_item(state)
    admin = make_user(Role.ADMIN)
    kwargs = {"reason": "x"} if step == "take_down" else {}
    with pytest.raises(BoardError) as refused:
        getattr(publishing, step)(item, admin, **kwargs)
    assert refused.value.code == "state" and item.state == EditorialState(state)


# ---------------------------------------------------------------- due process before publication

def test_submission_notifies_the_unit_once(app, moderator):
    unit = make_unit("市环卫处", contact_phone="13700001111")
    item = make_item("draft", unit=unit, area=make_area())
    event = publishing.submit_for_review(item, moderator)
    db.session.commit()
    from oversight.board.notices import queue_unit_notice

    assert queue_unit_notice(item, event) is None  # the same step queued again: nothing new
    db.session.commit()
    deliveries = db.session.execute(db.select(Delivery).where(Delivery.template == "board_notice")).scalars().all()
    assert len(deliveries) == 1 and deliveries[0].recipient == "13700001111"
    assert item.title[:10] in deliveries[0].payload["text"]


def test_a_unit_without_a_phone_is_still_notified_in_its_inbox(app, moderator):
    unit = make_unit("市环卫处")
    item = make_item("draft", unit=unit, area=make_area())
    publishing.submit_for_review(item, moderator)
    db.session.commit()
    assert item.unit_notified_at is not None
    assert appeals.items_for_unit(unit.id) == [item]
    assert db.session.scalar(db.select(db.func.count(Delivery.id))) == 0


def test_publication_waits_for_the_notice_period(app, moderator, leader):
    item = make_item("draft", unit=make_unit(), area=make_area(), photos=0)
    now = utcnow()
    publishing.submit_for_review(item, moderator, now=now)
    with pytest.raises(BoardError) as refused:
        publishing.publish(item, leader, now=now + timedelta(hours=NOTICE_HOURS - 1))
    assert refused.value.code == "notice_period"
    publishing.publish(item, leader, now=now + timedelta(hours=NOTICE_HOURS))
    assert item.state == S.PUBLISHED


def test_the_notice_period_is_configurable(app, moderator, leader):
    app.config["BOARD_NOTICE_HOURS"] = 2
    item = make_item("draft", unit=make_unit(), area=make_area(), photos=0)
    now = utcnow()
    publishing.submit_for_review(item, moderator, now=now)
    publishing.publish(item, leader, now=now + timedelta(hours=2))
    assert item.state == S.PUBLISHED


def test_publication_needs_every_photo_redacted(app, leader):
    item = make_item("review", unit=make_unit(), area=make_area(), photos=2)
    ready_for_publication(item)
    item.photos[1].published_key = None
    with pytest.raises(BoardError) as refused:
        publishing.publish(item, leader)
    assert refused.value.code == "photos_unredacted" and item.state == S.REVIEW


def test_publication_without_a_unit_needs_no_notice(app, leader):
    item = make_item("review", kind=ItemKind.PRAISE, area=make_area(), photos=0, unit_notified_at=None)
    item.unit_notified_at = None
    publishing.publish(item, leader)
    assert item.state == S.PUBLISHED
