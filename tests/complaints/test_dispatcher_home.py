"""The dispatcher's home page shows their work for today, each number a link to the case list it counts."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from complaints import handling
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_case, make_category, make_point, make_unit, make_user

NOW = datetime.now(timezone.utc)
LONG_AGO = NOW - timedelta(days=20)


@pytest.fixture
def city(app):
    unit = make_unit("市环卫处")
    category = make_category("暴露垃圾", limit_hours=8, urgent_limit_hours=2)
    return {"unit": unit, "category": category, "point": make_point(),
            "dispatcher": make_user(Role.DISPATCHER, display_name="王芳"),
            "handler": make_user(Role.HANDLER, unit=unit)}


def case_at(city, state, **kw):
    """A case reported 20 days ago, moved along the main line to ``state`` (dispatched 20 days ago)."""
    case = make_case(category=city["category"], point=city["point"], now=LONG_AGO, **kw)
    d, h = city["dispatcher"], city["handler"]
    steps = {"filed": [lambda: handling.file_case(case, d)],
             "dispatched": [lambda: handling.dispatch_case(case, city["unit"], d, now=LONG_AGO)],
             "handled": [lambda: handling.accept_case(case, h), lambda: handling.handle_case(case, h, "已清运")],
             "closed": [lambda: handling.verify_case(case, d, True, "已清理干净")]}
    for name in ("filed", "dispatched", "handled", "closed"):
        for step in steps[name]:
            step()
        if name == state:
            break
    db.session.commit()
    return case


def test_the_dispatcher_sees_today_new_overdue_amber_to_verify_and_followups(city, client, login):
    new = make_case(category=city["category"], point=city["point"])  # reported today
    overdue = case_at(city, "dispatched")  # 8 working hours from 20 days ago: long past
    amber = case_at(city, "dispatched")
    amber.dispatched_at, amber.due_at = NOW - timedelta(days=10), NOW + timedelta(hours=1)  # >80% of it used
    handled = case_at(city, "handled")
    to_call = case_at(city, "closed", reporter_phone="13800138000")
    case_at(city, "closed", anonymous=True)  # nobody to call back
    db.session.commit()
    login(city["dispatcher"])
    client.set_cookie("lang", "en")

    page = client.get("/console/").get_data(as_text=True)

    def card(key):
        html = page[page.index(f'id="work-{key}"'):].split("</a>", 1)[0]
        link = html.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        return link, int(re.search(r"display-6\">(\d+)", html)[1])

    expected = {"new_today": [new], "overdue": [overdue], "amber": [amber], "to_verify": [handled],
                "followup_due": [to_call]}
    for key, cases in expected.items():
        link, count = card(key)
        assert count == len(cases) == 1, key
        listed = client.get(link).get_data(as_text=True)
        assert cases[0].number in listed, key
    assert overdue.number not in client.get(card("amber")[0]).get_data(as_text=True)
    assert page.count("display-6") == 5  # the registry's size is for administrators


def test_a_handler_home_page_shows_no_command_centre_work(city, client, login):
    login(city["handler"])
    page = client.get("/console/").get_data(as_text=True)
    assert 'id="work"' not in page
