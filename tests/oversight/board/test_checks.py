"""Text checks: reporter names and phones block publication; phone and ID numbers warn and need confirming."""
from datetime import timedelta

import pytest

from complaints.services import add_me_too
from oversight.board import checks, items, publishing
from oversight.board.models import EditorialState
from oversight.board.rules import BoardError
from portal.auth.models import Role
from portal.clock import utcnow
from portal.extensions import db
from tests.factories import make_area, make_case, make_unit, make_user
from tests.oversight.board.factories import make_item


def kinds(item):
    return sorted((f.kind, f.blocking) for f in checks.check_item(item))


@pytest.fixture
def case(app):
    return make_case(reporter_name="王小明", reporter_phone="13912345678")


def reviewed(case, **kw):
    item = make_item("review", unit=make_unit(), area=make_area(), photos=0, cases=[case],
                     unit_notified_at=utcnow() - timedelta(days=5), **kw)
    return item


@pytest.mark.parametrize("text", ["据市民王小明反映，此处长期堆放垃圾", "據市民王小明反映", "联系人电话139-1234-5678",
                                  "反映人：+86 139 1234 5678"])
def test_the_reporters_identity_blocks_publication(app, case, text):
    item = reviewed(case, description=text)
    assert any(f.blocking for f in checks.check_item(item))
    with pytest.raises(BoardError) as refused:
        publishing.publish(item, make_user(Role.LEADER), confirm_warnings=True)
    assert refused.value.code == "reporter_identity" and item.state == EditorialState.REVIEW


def test_findings_never_show_the_reporter_in_full(app, case):
    item = reviewed(case, description="王小明 13912345678")
    shown = " ".join(f.shown for f in checks.check_item(item))
    assert "王小明" not in shown and "13912345678" not in shown and "139****5678" in shown


def test_a_me_too_residents_phone_blocks_too(app, case):
    add_me_too(case, phone="13600002222")
    db.session.commit()
    item = reviewed(case, description="另有市民13600002222反映")
    assert ("reporter_phone", True) in kinds(item)


def test_a_reporters_name_in_a_follow_up_blocks_the_edit_of_a_public_item(app, case):
    item = make_item("published", area=make_area(), photos=0, cases=[case])
    with pytest.raises(BoardError) as refused:
        items.add_entry(item, make_user(Role.MODERATOR), milestone="update", text="回访王小明，他表示满意",
                           reported_on=item.found_on)
    assert refused.value.code == "reporter_identity"


def test_phone_and_id_numbers_warn_and_need_confirming(app, case):
    item = reviewed(case, description="单位热线 0571-87654321，负责人手机 13800001111，身份证 11010519491231002X")
    assert kinds(item) == [("id_number", False), ("landline", False), ("mobile", False)]
    leader = make_user(Role.LEADER)
    with pytest.raises(BoardError) as refused:
        publishing.publish(item, leader)
    assert refused.value.code == "confirm_warnings"
    publishing.publish(item, leader, confirm_warnings=True)
    assert item.state == EditorialState.PUBLISHED


@pytest.mark.parametrize("text", ["请拨打12345热线", "整改期限为2026-11-30", "共收到 15 件投诉", "编号20261122-0042"])
def test_ordinary_numbers_are_not_flagged(app, case, text):
    assert checks.check_item(reviewed(case, description=text)) == []


def test_submission_is_refused_while_a_reporter_is_named(app, case):
    item = make_item("draft", area=make_area(), photos=0, cases=[case], description="王小明说很脏")
    with pytest.raises(BoardError) as refused:
        publishing.submit_for_review(item, make_user(Role.MODERATOR))
    assert refused.value.code == "reporter_identity" and item.state == EditorialState.DRAFT
