"""Appeals (申诉): the exposed unit's handler files one with evidence; the moderator withdraws, corrects or
rejects it, visibly, with the reason kept and shown to the unit."""
import pytest

from oversight.board import appeals, publishing
from oversight.board.models import AppealDecision, EditorialState
from oversight.board.rules import BoardError
from portal.auth.models import Role
from portal.clock import utcnow
from portal.extensions import db
from portal.notify_models import Delivery
from portal.photos import prepare_photo, store_photos
from tests.factories import make_area, make_unit, make_user
from tests.oversight.board.factories import jpeg_bytes, make_item


@pytest.fixture
def unit(app):
    return make_unit("市环卫处", contact_phone="13700001111")


@pytest.fixture
def handler(unit):
    return make_user(Role.HANDLER, unit=unit)


@pytest.fixture
def moderator(app):
    return make_user(Role.MODERATOR)


def test_the_units_handler_files_an_appeal_with_evidence(app, unit, handler):
    item = make_item("review", unit=unit, area=make_area())
    evidence = store_photos([prepare_photo(jpeg_bytes())])
    appeal = appeals.file_appeal(item, handler, "该点位已于上周移交街道管理", evidence=evidence)
    db.session.commit()
    assert item.open_appeal is appeal and appeal.unit_id == unit.id
    assert appeal.evidence_keys == [{"key": evidence[0].key, "thumb_key": evidence[0].thumb_key}]
    assert item.events[-1].action == "appeal"


def test_another_units_handler_cannot_appeal(app, unit):
    item = make_item("review", unit=unit, area=make_area())
    stranger = make_user(Role.HANDLER, unit=make_unit("市园林局"))
    with pytest.raises(BoardError) as refused:
        appeals.file_appeal(item, stranger, "不是我们的")
    assert refused.value.code == "not_your_unit" and not item.appeals


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.DISPATCHER, Role.ADMIN])
def test_only_unit_staff_file_appeals(app, unit, role):
    item = make_item("review", unit=unit, area=make_area())
    with pytest.raises(BoardError) as refused:
        appeals.file_appeal(item, make_user(role, unit=unit), "x")
    assert refused.value.code == "forbidden"


def test_one_open_appeal_at_a_time_and_none_on_drafts(app, unit, handler):
    draft = make_item("draft", unit=unit, area=make_area())
    with pytest.raises(BoardError) as refused:
        appeals.file_appeal(draft, handler, "x")
    assert refused.value.code == "state"
    item = make_item("published", unit=unit, area=make_area())
    appeals.file_appeal(item, handler, "第一次申诉")
    with pytest.raises(BoardError) as refused:
        appeals.file_appeal(item, handler, "第二次申诉")
    assert refused.value.code == "appeal_open" and len(item.appeals) == 1


def test_an_open_appeal_holds_publication_and_a_decided_one_ends_the_notice_period(app, unit, handler, moderator):
    item = make_item("review", unit=unit, area=make_area(), photos=0, unit_notified_at=utcnow())
    leader = make_user(Role.LEADER)
    appeal = appeals.file_appeal(item, handler, "请核实")
    with pytest.raises(BoardError) as refused:
        publishing.publish(item, leader)
    assert refused.value.code == "appeal_open"
    appeals.decide_appeal(appeal, moderator, AppealDecision.REJECTED, "现场照片与事实相符")
    publishing.publish(item, leader)  # well within the notice period
    assert item.state == EditorialState.PUBLISHED


def test_accepting_with_withdrawal_takes_the_item_down_visibly(app, unit, handler, moderator):
    item = make_item("published", unit=unit, area=make_area())
    appeal = appeals.file_appeal(item, handler, "该问题不属于本单位职责")
    appeals.decide_appeal(appeal, moderator, "withdrawn", "经核实责任主体有误")
    db.session.commit()
    assert item.state == EditorialState.TAKEN_DOWN and not item.is_public
    assert item.withdrawn_after_appeal and item.takedown_reason == "经核实责任主体有误"
    assert appeal.decision == AppealDecision.WITHDRAWN and appeal.decided_by_id == moderator.id
    assert [e.action for e in item.events][-2:] == ["take_down", "appeal_withdrawn"]


def test_accepting_with_correction_edits_and_shows_a_correction_note(app, unit, handler, moderator):
    item = make_item("published", unit=unit, area=make_area(), title="东门菜市场脏乱差")
    appeal = appeals.file_appeal(item, handler, "地点写错了，是西门")
    with pytest.raises(BoardError) as refused:
        appeals.decide_appeal(appeal, moderator, "corrected", "地点有误", correction={"title": "西门菜市场脏乱差"})
    assert refused.value.code == "required" and refused.value.field == "correction_note"
    db.session.rollback()
    appeals.decide_appeal(appeal, moderator, "corrected", "地点有误", correction={"title": "西门菜市场脏乱差"},
                           correction_note="原稿地点误写为东门，已更正为西门。")
    db.session.commit()
    assert item.state == EditorialState.PUBLISHED and item.title == "西门菜市场脏乱差"
    assert item.correction_note == "原稿地点误写为东门，已更正为西门。"
    assert item.events[-1].action == "appeal_corrected"


def test_rejection_keeps_the_reason_and_tells_the_unit_once(app, unit, handler, moderator):
    item = make_item("published", unit=unit, area=make_area())
    appeal = appeals.file_appeal(item, handler, "已经整改")
    with pytest.raises(BoardError):
        appeals.decide_appeal(appeal, moderator, "rejected", "")
    appeals.decide_appeal(appeal, moderator, "rejected", "复查时问题依旧存在")
    db.session.commit()
    assert item.state == EditorialState.PUBLISHED and appeal.decision_reason == "复查时问题依旧存在"
    with pytest.raises(BoardError) as refused:
        appeals.decide_appeal(appeal, moderator, "withdrawn", "改判")
    assert refused.value.code == "appeal_decided"
    texts = db.session.execute(db.select(Delivery.payload).where(Delivery.template == "board_appeal_decision")
                               ).scalars().all()
    assert len(texts) == 1 and "复查时问题依旧存在" in texts[0]["text"]


@pytest.mark.parametrize("role", [Role.HANDLER, Role.LEADER, Role.DISPATCHER])
def test_only_editors_decide_appeals(app, unit, handler, role):
    item = make_item("published", unit=unit, area=make_area())
    appeal = appeals.file_appeal(item, handler, "x")
    with pytest.raises(BoardError) as refused:
        appeals.decide_appeal(appeal, make_user(role, unit=unit), "rejected", "no")
    assert refused.value.code == "forbidden" and appeal.decision is None


def test_the_inbox_lists_items_in_review_and_public_about_the_unit_only(app, unit):
    mine = [make_item(s, unit=unit, area=make_area()) for s in ("review", "published", "archived")]
    make_item("draft", unit=unit, area=make_area())
    make_item("taken_down", unit=unit, area=make_area())
    make_item("published", unit=make_unit("别的单位"), area=make_area())
    assert {i.id for i in appeals.items_for_unit(unit.id)} == {i.id for i in mine}
    assert appeals.items_for_unit(None) == []
