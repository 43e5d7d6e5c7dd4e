"""The report page beyond filing: the limit on reports from one address, and "has this already been reported
here?" for a resident without JavaScript or location who chose an area and a type of problem."""
import io
import uuid

import pytest

from complaints import handling
from complaints.models import Case
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.complaints.test_intake import case_count, image_bytes, post_report, report_data, stored_files
from tests.factories import make_area, make_case, make_category, make_user

LIMITED = "Many reports have been sent from your network in a short time"


@pytest.fixture
def street(app):
    return make_area("人民街道", level=AreaLevel.STREET, parent=make_area("示范区"))


@pytest.fixture
def category(app):
    return make_category("暴露垃圾", name_en="Exposed rubbish")


def limited_client(make_app, tmp_path, limit):
    client = make_app(RATELIMIT_ENABLED=True, REPORT_RATE_LIMIT=limit,
                      UPLOAD_FOLDER=str(tmp_path / "limited")).test_client()
    client.set_cookie("lang", "en")
    return client


# The limit on reports from one address -----------------------------------------------------------------------

def test_a_report_over_the_limit_comes_back_with_what_was_typed_and_nothing_is_stored(make_app, tmp_path, street,
                                                                                     category):
    client = limited_client(make_app, tmp_path, "2 per minute")
    for _ in range(2):
        assert post_report(client, report_data(category, area_id=str(street.id))).status_code == 302

    response = post_report(client, report_data(category, area_id=str(street.id), description="东门垃圾桶满了三天",
                                               reporter_name="王阿姨", reporter_phone="13800138000"))

    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert LIMITED in page and "call 12345" in page
    assert "东门垃圾桶满了三天" in page and "王阿姨" in page and "13800138000" in page
    assert f'<option value="{street.id}" selected>' in page
    assert 'id="report-form"' in page and case_count() == 2


def test_the_default_limit_lets_a_resident_send_five_reports_in_a_minute(make_app, tmp_path, street, category):
    client = make_app(RATELIMIT_ENABLED=True, UPLOAD_FOLDER=str(tmp_path / "default")).test_client()

    codes = [post_report(client, report_data(category, area_id=str(street.id))).status_code for _ in range(6)]

    assert codes == [302] * 5 + [429] and case_count() == 5


def test_a_form_sent_back_with_problems_does_not_count_against_the_limit(make_app, tmp_path, street, category):
    client = limited_client(make_app, tmp_path, "1 per minute")
    for _ in range(3):
        assert post_report(client, report_data(category, area_id=str(street.id), description=" ")).status_code == 422

    assert post_report(client, report_data(category, area_id=str(street.id))).status_code == 302
    assert case_count() == 1


def test_signed_in_staff_on_patrol_are_not_limited(make_app, tmp_path, street, category):
    client = limited_client(make_app, tmp_path, "1 per minute")
    inspector = make_user(Role.INSPECTOR, areas=[street])
    client.post("/login", data={"username": inspector.username, "password": "password123"})

    codes = [post_report(client, report_data(category, area_id=str(street.id))).status_code for _ in range(3)]

    assert codes == [302] * 3 and case_count() == 3


def test_other_limited_pages_keep_the_plain_message(make_app, tmp_path, street, category):
    client = limited_client(make_app, tmp_path, "1 per minute")
    case = make_case(category=category, area=street)
    for _ in range(10):
        client.post(f"/report/{case.number}/me-too", data={})

    response = client.post(f"/report/{case.number}/me-too", data={})

    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)


@pytest.mark.parametrize("limit, answers, counted", [
    ("2 per minute", [302, 302, 429, 429], 2),
    (None, [302, 302, 302, 302], 4),  # the default (10 per minute) lets all four through
])
def test_the_me_too_limit_is_the_one_the_config_names(make_app, tmp_path, street, category, limit, answers,
                                                      counted):
    config = {"ME_TOO_RATE_LIMIT": limit} if limit else {}
    client = make_app(RATELIMIT_ENABLED=True, UPLOAD_FOLDER=str(tmp_path / "limited"), **config).test_client()
    case = make_case(category=category, area=street)
    db.session.commit()

    sent = [client.post(f"/report/{case.number}/me-too", data={"idempotency_key": uuid.uuid4().hex}).status_code
            for _ in range(4)]

    assert sent == answers
    db.session.expire_all()
    assert db.session.get(Case, case.id).me_too_count == counted


# "Has this already been reported here?" without JavaScript --------------------------------------------------------

def check(client, category=None, area=None, **fields):
    """Press "has this already been reported here?" on the form, with what was typed so far."""
    data = {"category_id": str(category.id) if category else "", "area_id": str(area.id) if area else "",
            "idempotency_key": uuid.uuid4().hex, "check": "similar", **fields}
    return post_report(client, data)


def test_checking_an_area_and_a_type_lists_open_cases_there_and_below_and_keeps_what_was_typed(
        english_client, street, category):
    grid = make_area("第3网格", level=AreaLevel.GRID, parent=street)
    in_grid = make_case(category=category, area=grid, description="菜场门口垃圾没人收")
    in_street = make_case(category=category, area=street, description="路口垃圾堆")
    other_type = make_case(category=make_category("乱贴乱画"), area=street, description="墙上小广告")
    elsewhere = make_case(category=category, area=make_area("别的街道", level=AreaLevel.STREET),
                          description="别处的垃圾")
    closed = make_case(category=category, area=street, description="早就处理了")
    handling.reject_case(closed, make_user(Role.DISPATCHER), "重复")
    db.session.commit()

    response = check(english_client, category, street, description="垃圾桶旁边又堆满了", reporter_name="李先生")

    page = response.get_data(as_text=True)
    found = page.split('id="similar-check"')[1].split("</section>")[0]
    assert response.status_code == 200
    assert in_grid.number in found and in_street.number in found
    assert f'href="/report/{in_grid.number}/me-too"' in found
    for case in (other_type, elsewhere, closed):
        assert case.number not in found
    assert "垃圾桶旁边又堆满了" in page and "李先生" in page
    assert 'id="form-errors"' not in page  # nothing was checked as a report
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 5


def test_checking_without_a_type_of_problem_asks_for_it_first(english_client, street):
    page = check(english_client, area=street, description="垃圾").get_data(as_text=True)

    assert "Choose the area and the type of problem first" in page and "垃圾" in page


def test_checking_where_nothing_is_open_says_to_go_on_and_keeps_no_photo(english_client, street, category, uploads):
    page = check(english_client, category, street, photos=[(io.BytesIO(image_bytes()), "a.jpg")]).get_data(as_text=True)

    assert "No open report of this type in this area yet" in page
    assert "please choose your photos again" in page
    assert case_count() == 0 and stored_files(uploads) == []


def test_a_page_bound_to_a_point_lists_its_cases_without_the_check_button(app, english_client, category):
    from tests.factories import make_point

    point = make_point(name="人民公园公厕")
    case = make_case(category=category, point=point)

    page = english_client.get(f"/report?p={point.id}").get_data(as_text=True)

    assert case.number in page.split('id="similar-here"')[1] and 'id="check-similar"' not in page
