"""Public pages never disclose a case's free text without its query code: "me too" shows what helps a resident
recognise the problem (category, place, time, status, a redacted excerpt); guessing sequential case numbers
reveals nothing about closed, rejected or merged cases; phone and ID numbers typed into a description are masked
for staff without the reveal permission and in every export."""
import csv
import io

import pytest

from complaints import handling
from portal.auth.models import Role
from portal.extensions import db
from portal.masking import mask_contacts, redact_excerpt
from tests.factories import make_case, make_category, make_point, make_unit, make_user

PHONE, ID_NO = "13912345678", "11010119900307123X"
DESCRIPTION = (f"我是王小明，电话{PHONE}，身份证{ID_NO}。公厕门口垃圾堆了三天没人清理，"
               "味道很大，晚上还有老鼠出没，附近小学的孩子每天都从这里经过，希望尽快处理。末尾的秘密细节")


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def reported(app):
    category = make_category("暴露垃圾", name_en="Exposed rubbish")
    point = make_point(name="人民公园公厕", name_en="People's Park toilet")
    return make_case(category=category, point=point, description=DESCRIPTION, reporter_name="王小明",
                     reporter_phone="13711112222")


def test_the_me_too_page_shows_category_place_time_status_and_a_redacted_excerpt_only(client, reported):
    html = client.get(f"/report/{reported.number}/me-too").get_data(as_text=True)

    assert "Exposed rubbish" in html and "People&#39;s Park toilet" in html
    assert "公厕门口垃圾" in html  # the excerpt helps recognise the problem
    for private in (PHONE, ID_NO, "王小明", "13711112222", "末尾的秘密细节", reported.query_code):
        assert private not in html, private


@pytest.mark.parametrize("ending", ["reject", "merge"])
def test_a_guessed_number_of_a_rejected_or_merged_case_answers_like_an_unknown_one(client, reported, ending):
    dispatcher = make_user(Role.DISPATCHER)
    if ending == "reject":
        handling.reject_case(reported, dispatcher, "不属于受理范围")
    else:
        handling.merge_cases(reported, make_case(), dispatcher)
    db.session.commit()

    known = client.get(f"/report/{reported.number}/me-too")
    unknown = client.get("/report/20991231-9999/me-too")

    assert known.status_code == unknown.status_code == 404
    assert "公厕门口垃圾" not in known.get_data(as_text=True)


def test_a_closed_case_said_me_too_to_shows_nothing_of_it(client, reported):
    handling.reject_case(reported, make_user(Role.DISPATCHER), "不属于受理范围")
    db.session.commit()

    response = client.post(f"/report/{reported.number}/me-too", data={})

    html = response.get_data(as_text=True)
    assert "no longer open" in html and "公厕门口垃圾" not in html and "Exposed rubbish" not in html


def test_the_same_problem_list_leaves_out_the_reporters_name_and_numbers(client, reported):
    answer = client.get(f"/report/similar.json?category={reported.category_id}&point={reported.point_id}").get_json()

    excerpt = answer["cases"][0]["excerpt"]
    assert "王小明" not in excerpt and PHONE not in excerpt and ID_NO not in excerpt and "公厕门口" in excerpt


def test_numbers_in_a_text_are_masked_like_contact_fields():
    text = f"电话{PHONE}或0571-88886666，身份证{ID_NO}，门牌12号"

    # 139****5678: first three and last four; 0571****66: area code and last two; ID: region code and last four
    assert mask_contacts(text) == "电话139****5678或0571****66，身份证110101********123X，门牌12号"


def test_an_excerpt_removes_names_numbers_and_mail_and_is_short():
    text = "张三说 联系 zhang@example.com 或 139 1234 5678，" + "很长" * 40

    excerpt = redact_excerpt(text, names=("张三",))

    assert excerpt.startswith("**说 联系 *** 或 ***，") and len(excerpt) == 60 + 1  # 60 characters and "…"


@pytest.fixture
def dispatched(reported):
    unit = make_unit("市环卫处")
    handling.file_case(reported, None)
    handling.dispatch_case(reported, unit, None)
    db.session.commit()
    return reported, unit


@pytest.mark.parametrize("role", [Role.HANDLER, Role.LEADER, Role.MODERATOR, Role.ADMIN])
def test_staff_without_the_reveal_permission_see_numbers_in_a_description_masked(client, login, dispatched, role):
    case, unit = dispatched
    login(make_user(role, unit=unit if role == Role.HANDLER else None))

    for url in ("/console/cases/", f"/console/ledger/cases/{case.number}/record"):  # the record: leader, admin
        html = client.get(url).get_data(as_text=True)
        assert PHONE not in html and ID_NO not in html, url
    detail = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert PHONE not in detail and ID_NO not in detail
    assert "139****5678" in detail and "110101********123X" in detail


def test_a_dispatcher_sees_the_description_as_typed(client, login, dispatched):
    case, _unit = dispatched
    login(make_user(Role.DISPATCHER))

    assert PHONE in client.get(f"/console/cases/{case.number}").get_data(as_text=True)


def test_the_ledger_export_masks_numbers_in_descriptions_even_for_a_dispatcher(client, login, dispatched):
    login(make_user(Role.DISPATCHER))

    text = client.get("/console/ledger/cases.csv?lang=en").get_data(as_text=True)

    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert PHONE not in text and ID_NO not in text and "139****5678" in rows[0]["Description"]
