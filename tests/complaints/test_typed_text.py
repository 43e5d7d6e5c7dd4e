"""Text typed by residents and staff: direction controls never reach a page, and a long description is refused
with a clear message, never cut."""
import uuid

import pytest

from complaints import handling
from complaints.models import Case
from complaints.services import MAX_DESCRIPTION
from portal.auth.models import Role
from portal.extensions import db
from portal.textclean import clean_text
from tests.factories import make_area, make_case, make_category, make_unit, make_user

RLO, PDF, RLI, PDI, RLM = "\u202e", "\u202c", "\u2067", "\u2069", "\u200f"


def test_the_cleaner_removes_overrides_isolates_and_marks_but_keeps_text():
    assert clean_text(f"东门{RLO}圾垃{PDF}满了{RLI}x{PDI}{RLM}") == "东门圾垃满了x"
    assert clean_text("路灯不亮 (3 盏) — 急！\n第二行") == "路灯不亮 (3 盏) — 急！\n第二行"
    assert clean_text(None) is None and clean_text("") == ""


def test_a_report_and_staff_notes_are_stored_without_direction_controls(app):
    case = make_case(description=f"东门{RLO}桶圾垃", location_text=f"{RLO}公交站旁", reporter_name=f"张{RLO}三")
    dispatcher = make_user(Role.DISPATCHER)
    handling.reject_case(case, dispatcher, f"不属于{RLO}本市管辖")
    db.session.commit()

    assert (case.description, case.location_text, case.reporter_name) == ("东门桶圾垃", "公交站旁", "张三")
    assert case.reject_reason == "不属于本市管辖" and case.events[-1].note == "不属于本市管辖"


def test_the_staff_case_page_isolates_typed_text(client, login):
    case = make_case(description="东门垃圾桶满了")
    login(make_user(Role.DISPATCHER))

    page = client.get(f"/console/cases/{case.number}").get_data(as_text=True)

    assert "<bdi>东门垃圾桶满了</bdi>" in page


@pytest.fixture
def report_form(app):
    area, category = make_area("示范区"), make_category(limit_hours=8)
    make_unit()
    return {"category_id": str(category.id), "area_id": str(area.id), "idempotency_key": uuid.uuid4().hex}


def test_a_pasted_description_over_the_limit_is_refused_with_a_message_and_kept_whole(english_client, report_form):
    typed = "垃" * (MAX_DESCRIPTION + 500)  # 2500 characters pasted

    response = english_client.post("/report", data={**report_form, "description": typed})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Please keep the description under {MAX_DESCRIPTION} characters." in page
    assert typed in page  # every character is still in the box to shorten
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_the_description_box_does_not_cut_a_paste_and_counts_against_the_limit(english_client, report_form):
    page = english_client.get("/report").get_data(as_text=True)

    box = page[page.index('<textarea class="weui-textarea" id="description"'):].split(">", 1)[0]
    assert "maxlength" not in box and f'data-max="{MAX_DESCRIPTION}"' in box
    assert 'id="description-over" aria-live="polite"' in page
