"""Every text a resident or a unit receives reads well in each language: absolute links, one full stop at a time.

The templates are found, not listed: every message id starting with "[%(city)s]" is a notification text.
"""
import re

import pytest
from flask_babel import force_locale, gettext

from complaints import handling
from complaints.models import CaseState
from portal import notify
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.extensions import db
from portal.i18n import LOCALES
from portal.notify_models import Delivery
from tests.factories import make_case, make_unit, make_user

DOUBLED = re.compile(r"[。.！!？?][。.]|[，,]。")  # "。。", "。.", ".。", "，。" ...


@pytest.fixture(scope="module")
def templates(source_message_keys):
    return sorted(m for m in source_message_keys if m.startswith("[%(city)s]"))


def test_there_are_notification_texts_to_check(templates):
    assert len(templates) >= 15  # 8 case steps, robot, reminder, 5 supervision, survey, appeals ...


@pytest.mark.parametrize("locale", LOCALES)
def test_no_template_doubles_a_full_stop_or_carries_a_relative_link(app, locale, templates):
    for msgid in templates:
        with force_locale(locale):
            translated = gettext(msgid)
        filled = re.sub(r"%\(\w+\)[sd]", "X", translated)
        assert not DOUBLED.search(filled), (locale, msgid, translated)
        assert not re.search(r"[：:]\s*/", translated), (locale, msgid, translated)  # "查看进度：/track/..."


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处")
    return {"dispatcher": make_user(Role.DISPATCHER), "handler": make_user(Role.HANDLER, unit=unit), "unit": unit}


def texts():
    return [d.payload["text"] for d in db.session.execute(db.select(Delivery).order_by(Delivery.id)).scalars()]


def test_free_text_ending_in_a_full_stop_is_not_followed_by_another(staff):
    """The rejection reason and the outcome are typed as sentences; the template adds its own 。."""
    get_city_settings().default_locale = "zh_Hans"
    rejected = make_case(reporter_phone="13800138000")
    handling.reject_case(rejected, staff["dispatcher"], "不属于本市管辖。")
    closed = make_case(reporter_phone="13800138000")
    d, h = staff["dispatcher"], staff["handler"]
    handling.file_case(closed, d)
    handling.dispatch_case(closed, staff["unit"], d)
    handling.accept_case(closed, h)
    handling.handle_case(closed, h, "已清运")
    handling.verify_case(closed, d, True, "现场核查：已清理干净！")
    db.session.commit()
    assert closed.state == CaseState.CLOSED

    sent = texts()

    assert any("不属于本市管辖" in t for t in sent) and any("已清理干净" in t for t in sent)
    assert not [t for t in sent if DOUBLED.search(t)]


def test_links_are_absolute_even_when_queued_outside_a_request(app, staff):
    """The demo seed and the scheduler queue messages without a request: links must still work from a phone."""
    app.config["PUBLIC_BASE_URL"] = ""
    case = make_case(reporter_phone="13800138000")
    handling.file_case(case, staff["dispatcher"])
    db.session.commit()

    (text,) = texts()

    assert text.count("/track/") == len(re.findall(r"https?://[\w.:-]+/track/", text)) == 1, text
    assert notify.public_url("/track/1").startswith("http")


def test_links_use_the_public_base_url_when_set(app, staff):
    app.config["PUBLIC_BASE_URL"] = "https://minsheng.example.gov.cn/"
    case = make_case(reporter_phone="13800138000")
    handling.file_case(case, staff["dispatcher"])
    db.session.commit()

    assert f"https://minsheng.example.gov.cn/track/{case.number}" in texts()[0]
