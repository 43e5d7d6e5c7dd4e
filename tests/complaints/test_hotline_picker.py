"""The hotline console's category: nothing chosen until the operator chooses, a picker that finds 路灯不亮 by
"ldbl", and after an error the cursor on the first wrong field."""
import re

import pytest

from complaints.models import Case
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.services import save
from tests.factories import make_area, make_category, make_user


@pytest.fixture
def operator(app, client, login):
    group = make_category("市政设施", as_group=True)
    rubbish = make_category("暴露垃圾/垃圾未清运", parent=group)
    lamp = make_category("路灯不亮", parent=group)
    save(lamp, {"name_zh_hant": "路燈不亮", "name_en": "Street lamp out", "synonyms": "黑灯"}, actor=None)
    make_area("东城区")
    db.session.commit()
    client.set_cookie("lang", "en")
    login(make_user(Role.OPERATOR))
    return {"rubbish": rubbish, "lamp": lamp}


def select_html(page):
    start = page.rindex("<select", 0, page.index('id="category"'))
    return page[start:].split("</select>", 1)[0]


def test_no_category_is_chosen_until_the_operator_chooses_one(client, operator):
    html = select_html(client.get("/console/cases/intake").get_data(as_text=True))

    first = re.search(r"<option[^>]*>", html)[0]
    assert 'value=""' in first and "selected" in first
    assert html.count("selected") == 1  # the blank one only, not 暴露垃圾 at the top of the list


def test_each_category_carries_keys_for_the_picker_in_pinyin_initials_both_scripts_and_synonyms(client, operator):
    html = select_html(client.get("/console/cases/intake").get_data(as_text=True))

    lamp = re.search(rf'<option data-keys="([^"]*)" value="{operator["lamp"].id}"', html)[1]
    for typed in ("路灯", "路燈", "ldbl", "ludeng", "street lamp", "黑灯"):
        assert typed in lamp, typed


def test_a_call_without_a_category_is_refused_and_the_cursor_goes_to_the_category(client, operator):
    response = client.post("/console/cases/intake", data={
        "channel": "hotline", "reporter_phone": "13812345678", "area": "", "point_code": "",
        "description": "东华路路灯不亮", "idempotency_key": "call-1", "category": ""})

    page = response.get_data(as_text=True)
    assert "Category: This field is required" in page
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0
    focused = re.findall(r'<(?:input|select|textarea)[^>]*\bautofocus\b[^>]*>', page)
    assert len(focused) == 1 and 'id="area"' in focused[0]  # the first wrong field: the place, then the category
