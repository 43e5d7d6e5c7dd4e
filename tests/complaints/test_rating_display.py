"""How a 回访 rating reads: the resident's thanks look like success, staff read the rating's words (满意)."""
import pytest

from complaints import handling, services
from complaints.views import SESSION_CODES
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_case, make_unit, make_user


@pytest.fixture
def closed_case(app):
    unit = make_unit("市环卫处")
    dispatcher = make_user(Role.DISPATCHER, display_name="指挥中心王五")
    handler = make_user(Role.HANDLER, unit=unit)
    case = make_case()
    handling.file_case(case, dispatcher)
    handling.dispatch_case(case, unit, dispatcher)
    handling.accept_case(case, handler)
    handling.handle_case(case, handler, "已清运")
    handling.verify_case(case, dispatcher, True, "已清理干净")
    db.session.commit()
    return case, dispatcher


def test_the_thanks_for_a_rating_is_a_success_message_not_the_red_warning(english_client, closed_case):
    case, _dispatcher = closed_case
    with english_client.session_transaction() as session:  # the reporter's browser knows the code
        session[SESSION_CODES] = {case.number: case.query_code}

    response = english_client.post(f"/track/{case.number}/rate", data={"rating": "1"}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Thank you: your rating has been recorded." in page
    start = page.rindex("<", 0, page.index("ms-flash"))
    banner = page[start:].split(">", 1)[0]  # the banner's whole opening tag
    assert "ms-flash-success" in banner and "weui-toptips_warn" not in banner


def test_staff_see_the_rating_as_words_on_the_case_page(client, login, closed_case):
    case, dispatcher = closed_case
    services.rate_case(case, 1)  # 1 on the city's 3-level scale = Satisfied (满意)
    db.session.commit()
    login(dispatcher)

    client.set_cookie("lang", "en")
    page = client.get(f"/console/cases/{case.number}").get_data(as_text=True)

    rating = page[page.index('id="rating"'):].split("</dd>", 1)[0]
    assert "Satisfied" in rating and "1 / 3" not in page
