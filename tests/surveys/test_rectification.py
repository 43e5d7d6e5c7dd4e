"""Rectification from survey results: a leader turns a low-scoring item into a 上级交办 case that goes through the
normal dispatch queue to a unit, and the results page shows the case and its state next to the item."""
from types import SimpleNamespace

import pytest

from complaints import handling as cases
from complaints.models import Case, CaseState, Channel
from portal.auth.models import AuditEntry, Role
from portal.extensions import db
from surveys.answering import submit_response
from surveys.rectification_models import RectificationTask
from tests.factories import make_area, make_category, make_unit, make_user
from tests.surveys.factories import key, make_survey, matrix, satisfaction


def answer(survey, overall, aspects, link=None):
    submit_response(survey, {"overall": [str(overall)], "aspects": {k: [str(v)] for k, v in aspects.items()}},
                    idempotency_key=key(), survey_area=link)


@pytest.fixture
def city(app):
    """East: 公厕 satisfied 1 of 3 (levels 1, 3, 3); 道路 3 of 3. West: one response, everything satisfied."""
    east, west = make_area("东城区"), make_area("西城区")
    survey = make_survey([satisfaction(), matrix(items=("道路", "公厕"))],
                         areas=[(east, None, 30000), (west, None, 10000)])
    link_east, link_west = survey.areas
    for toilets in (1, 3, 3):
        answer(survey, 1, {"i1": 1, "i2": toilets}, link_east)
    answer(survey, 1, {"i1": 1, "i2": 1}, link_west)
    db.session.commit()
    unit = make_unit("市环卫处")
    return SimpleNamespace(survey=survey, east=east, west=west, link_east=link_east, link_west=link_west,
                           toilets=f"{survey.questions[1].id}:i2", category=make_category("公厕问题"), unit=unit,
                           leader=make_user(Role.LEADER), dispatcher=make_user(Role.DISPATCHER),
                           handler=make_user(Role.HANDLER, unit=unit))


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.post("/logout")
        assert client.post("/login", data={"username": user.username, "password": "password123"}).status_code == 302
        return user

    return sign_in


def url(city, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/console/surveys/{city.survey.id}/rectify?lang=en&{query}"


def create(client, city, **overrides):
    data = {"item": city.toilets, "source": "self", "stratum": str(city.link_east.id),
            "category": str(city.category.id), "area": str(city.east.id), "description": "东城区公厕满意率低，请整改"}
    data.update(overrides)
    return client.post(f"/console/surveys/{city.survey.id}/rectify?lang=en", data=data)


def test_the_form_is_prefilled_from_the_item_the_area_and_the_figures(client, city, as_user):
    as_user(city.leader)
    page = client.get(url(city, item=city.toilets, source="self", area=city.link_east.id)).get_data(as_text=True)
    # 1 of 3 satisfied: p = 33.3%, Wilson 95% interval [6.1%, 79.2%] (worked out in test_rates' formula)
    for text in ("Rectification from the survey “卫生状况满意度调查”.", "Item: 请评价以下方面 · 公厕", "Area: 东城区",
                 "满意率 33.3% (1 of 3 satisfied; 95% interval 6.1%–79.2%)", "Target: 90.0%",
                 "Responses: Self-selected (open link / QR); method: Open QR survey"):
        assert text in page, text
    assert f'<option selected value="{city.east.id}">' in page


def test_a_leader_creates_a_superior_case_that_waits_in_the_dispatch_queue(client, city, as_user):
    as_user(city.leader)
    response = create(client, city)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/console/surveys/{city.survey.id}/results?area={city.link_east.id}#lowest")
    case = db.session.execute(db.select(Case)).scalar_one()
    assert (case.channel, case.category, case.area, case.state) == (
        Channel.SUPERIOR, city.category, city.east, CaseState.RECEIVED)
    assert case.description == "东城区公厕满意率低，请整改" and case.created_by_id == city.leader.id
    task = db.session.execute(db.select(RectificationTask)).scalar_one()
    assert (task.survey_id, task.question_id, task.item, task.area_id, task.case_id, task.created_by_id) == (
        city.survey.id, city.survey.questions[1].id, "i2", city.east.id, case.id, city.leader.id)
    assert db.session.execute(db.select(AuditEntry).where(
        AuditEntry.object_type == "survey_rectification_tasks")).scalar_one().summary == case.number
    results = client.get(response.headers["Location"].replace("#lowest", "") + "&lang=en").get_data(as_text=True)
    assert f"task created: <a href=\"/console/cases/{case.number}\">case {case.number}</a> (Received)" in results


def test_a_double_click_makes_one_task_and_one_case(client, city, as_user):
    as_user(city.leader)
    create(client, city)
    again = create(client, city, description="再点一次")
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(RectificationTask)) == 1
    number = db.session.execute(db.select(Case.number)).scalar_one()
    assert f"This item already has a task in this area: case {number} (Received)." in client.get(
        again.headers["Location"].replace("#lowest", "") + "&lang=en").get_data(as_text=True)


def test_the_same_item_in_another_area_is_a_task_of_its_own(client, city, as_user):
    as_user(city.leader)
    create(client, city)
    create(client, city, stratum=str(city.link_west.id), area=str(city.west.id))
    tasks = db.session.execute(db.select(RectificationTask).order_by(RectificationTask.id)).scalars().all()
    assert [t.area_id for t in tasks] == [city.east.id, city.west.id] and tasks[0].case_id != tasks[1].case_id


def test_the_unit_sees_the_case_in_its_queue_once_dispatched_and_the_results_show_the_state(
        client, city, as_user):
    as_user(city.leader)
    create(client, city)
    case = db.session.execute(db.select(Case)).scalar_one()
    cases.file_case(case, city.dispatcher)
    cases.dispatch_case(case, city.unit, city.dispatcher)
    db.session.commit()
    as_user(city.handler)
    assert case.number in client.get("/console/cases/queue").get_data(as_text=True)
    as_user(city.leader)
    east = client.get(f"/console/surveys/{city.survey.id}/results?lang=en&area={city.link_east.id}")
    assert f"case {case.number}</a> (Dispatched)" in east.get_data(as_text=True)
    west = client.get(f"/console/surveys/{city.survey.id}/results?lang=en&area={city.link_west.id}")
    assert case.number not in west.get_data(as_text=True)  # the task belongs to the east


def test_bad_input_is_told_at_once_and_nothing_is_stored(client, city, as_user):
    as_user(city.dispatcher)
    response = create(client, city, category="", area="", description="")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for problem in ("Category: This field is required", "Area: This field is required",
                    "Task for the unit: This field is required"):
        assert problem in html, problem
    group = city.category.parent
    html = create(client, city, category=str(group.id)).get_data(as_text=True)
    assert "Choose a category (not a group)." in html
    assert db.session.execute(db.select(Case)).first() is None
    assert db.session.execute(db.select(RectificationTask)).first() is None


def test_only_items_of_an_opened_survey_can_be_turned_into_tasks(client, city, as_user):
    as_user(city.leader)
    assert client.get(url(city, item=f"{city.survey.questions[1].id}:i9", source="self")).status_code == 404
    assert client.get(url(city, item="nonsense")).status_code == 404
    draft = make_survey(open_it=False)
    assert client.get(f"/console/surveys/{draft.id}/rectify?item={draft.questions[0].id}:").status_code == 404
    as_user(make_user(Role.OPERATOR))
    assert client.get(url(city, item=city.toilets)).status_code == 403


@pytest.mark.parametrize("lang,tag", [("zh_Hans", "zh-Hans"), ("zh_Hant", "zh-Hant"), ("en", "en")])
def test_the_rectification_page_and_the_lowest_items_render_in_three_languages(client, city, as_user, lang, tag):
    as_user(city.leader)
    create(client, city)
    page = client.get(url(city, item=city.toilets, source="self").replace("lang=en", f"lang={lang}"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'<html lang="{tag}">' in html and f'value="{city.category.id}"' in html
    results = client.get(f"/console/surveys/{city.survey.id}/results?lang={lang}&trend={city.toilets}")
    html = results.get_data(as_text=True)
    assert results.status_code == 200 and f'<html lang="{tag}">' in html
    assert 'class="small text-success task-link"' in html and 'id="item-periods"' in html
