"""The staff console: building a survey through the forms, distribution pages, results, exclusions, exports."""
import csv
import io
import json

from openpyxl import load_workbook

from portal.auth.models import Role
from portal.extensions import db
from surveys.answering import submit_response
from surveys.models import Survey, SurveyQuestion, SurveySection, SurveyState
from surveys.response_models import SurveyResponse, SurveyToken
from tests.factories import make_area, make_user
from tests.sqlcount import recorded_statements
from tests.surveys.factories import key, make_survey, matrix, satisfaction, single
from tests.surveys.test_results import bulk_responses


def test_an_admin_builds_opens_and_versions_a_survey(app, client, login):
    login(make_user(Role.ADMIN))
    response = client.post("/console/surveys/new", data={
        "title": "2026年卫生状况满意度调查", "kind": "questionnaire", "method": "door", "guarantee": "token",
        "scale_rule": "5:1,2", "target_percent": "90"})
    assert response.status_code == 302
    survey = db.session.execute(db.select(Survey)).scalar()
    assert survey.scale == 5 and survey.satisfied_levels == [1, 2]
    section = survey.sections[0]
    url = f"/console/surveys/{survey.id}/sections/{section.id}/questions/new"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"key": "overall", "kind": "satisfaction", "text": "总体满意度",
                                      "required": "y", "headline": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post(url, data={"key": "age", "kind": "single", "text": "年龄", "required": "y",
                                      "options": "18岁以下 | | under 18\n18岁及以上"})
    assert response.status_code == 302
    question = db.session.execute(db.select(SurveyQuestion).where(SurveyQuestion.key == "age")).scalar()
    assert question.options == [{"value": "a", "label": "18岁以下", "label_zh_hant": None, "label_en": "under 18"},
                                {"value": "b", "label": "18岁及以上", "label_zh_hant": None, "label_en": None}]
    page = client.get(f"/console/surveys/{survey.id}").get_data(as_text=True)
    assert "总体满意度" in page and "a = 18岁以下" in page
    assert client.post(f"/console/surveys/{survey.id}/state", data={"action": "open"}).status_code == 302
    assert db.session.get(Survey, survey.id).state == SurveyState.OPEN
    refused = client.post(f"/console/surveys/{survey.id}/questions/{question.id}", data={
        "key": "age", "kind": "single", "text": "年龄", "options": "18岁以下\n18-60岁\n60岁以上"})
    assert refused.status_code == 200 and 'is-invalid' in refused.get_data(as_text=True) or \
        "alert-danger" in refused.get_data(as_text=True)
    assert db.session.get(SurveyQuestion, question.id).options[1]["label"] == "18岁及以上"
    response = client.post(f"/console/surveys/{survey.id}/clone", data={"new_version": "1"})
    copy = db.session.execute(db.select(Survey).where(Survey.version == 2)).scalar()
    assert response.headers["Location"].endswith(f"/console/surveys/{copy.id}")


def test_a_bad_question_form_lists_its_problems(app, client, login):
    login(make_user(Role.ADMIN))
    survey = make_survey([satisfaction()], open_it=False)
    url = f"/console/surveys/{survey.id}/sections/{survey.sections[0].id}/questions/new"
    response = client.post(url, data={"key": "overall", "kind": "single", "text": "重复"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "is-invalid" in html


def test_export_and_import_a_definition_through_the_console(app, client, login):
    login(make_user(Role.ADMIN))
    survey = make_survey([satisfaction(), matrix()])
    exported = client.get(f"/console/surveys/{survey.id}/definition.json")
    payload = json.loads(exported.get_data(as_text=True))
    assert payload["format"] == "minsheng-survey"
    response = client.post("/console/surveys/import", data={
        "file": (io.BytesIO(exported.get_data()), "survey.json")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Survey)) == 2
    bad = client.post("/console/surveys/import", data={"file": (io.BytesIO(b"{not json"), "x.json")},
                      content_type="multipart/form-data")
    assert bad.status_code == 200 and db.session.scalar(db.select(db.func.count()).select_from(Survey)) == 2


def test_areas_posters_and_token_cards(app, client, login):
    login(make_user(Role.ADMIN))
    district = make_area("东城区")
    survey = make_survey()
    response = client.post(f"/console/surveys/{survey.id}/areas", data={
        "area_id": district.id, "quota": "300", "quota_action": "warn", "population": "120000"})
    assert response.status_code == 302
    page = client.get(f"/console/surveys/{survey.id}/areas").get_data(as_text=True)
    link = survey.areas[0]
    assert f"/surveys/{survey.slug}/a/{link.key}" in page and "120000" in page
    posters = client.get(f"/console/surveys/{survey.id}/posters").get_data(as_text=True)
    assert posters.count("<svg") == 2
    svg = client.get(f"/console/surveys/{survey.id}/qr.svg?area={link.id}")
    assert svg.mimetype == "image/svg+xml"
    response = client.post(f"/console/surveys/{survey.id}/tokens", data={"count": "3", "area_id": district.id})
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyToken)) == 3
    cards = client.get(f"/console/surveys/{survey.id}/tokens/1/cards").get_data(as_text=True)
    assert cards.count("<svg") == 3 and "/surveys/t/" in cards


def answered(survey, n=6):
    for i in range(n):
        submit_response(survey, {"overall": [str(1 + i % 3)], "age": ["a" if i % 2 else "b"]},
                        idempotency_key=key())
    db.session.commit()


def test_results_page_for_a_leader(app, client, login):
    survey = make_survey([satisfaction(), single()])
    answered(survey)
    login(make_user(Role.LEADER))
    page = client.get(f"/console/surveys/{survey.id}/results")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-source="self"' in html and "66.7%" in html and "<svg" in html
    assert client.get(f"/console/surveys/{survey.id}").status_code == 403  # leaders read, they do not build
    filtered = client.get(f"/console/surveys/{survey.id}/results?area=0").get_data(as_text=True)
    assert 'id="area-filter"' in filtered


def test_excluding_flagged_responses_is_recorded(app, client, login):
    survey = make_survey([satisfaction(), single()])
    answered(survey)
    user = login(make_user(Role.DISPATCHER))
    ids = db.session.execute(db.select(SurveyResponse.id).limit(2)).scalars().all()
    response = client.post(f"/console/surveys/{survey.id}/exclusions", data={
        "reason": "同一网络集中提交", "action": "exclude", "response": [str(i) for i in ids]})
    assert response.status_code == 302
    page = client.get(f"/console/surveys/{survey.id}/responses").get_data(as_text=True)
    assert "同一网络集中提交" in page and user.display_name in page
    results = client.get(f"/console/surveys/{survey.id}/results?lang=en").get_data(as_text=True)
    assert "Received 6 · excluded 2 · valid 4" in results
    assert client.post(f"/console/surveys/{survey.id}/quality").status_code == 302


def test_responses_export_in_a_chosen_language(app, client, login):
    survey = make_survey([satisfaction(), single(options=("年轻", "年长"))])
    survey.questions[1].options = [{"value": "a", "label": "年轻", "label_en": "Young"},
                                   {"value": "b", "label": "年长", "label_en": "Older"}]
    db.session.commit()
    answered(survey, 2)
    login(make_user(Role.ADMIN))
    text = client.get(f"/console/surveys/{survey.id}/export/responses.csv?lang=en").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3 and rows[0][0] == "Response" and {"Young", "Older"} == {rows[1][-1], rows[2][-1]}
    assert rows[1][-2] in ("Satisfied", "Basically satisfied", "Dissatisfied")
    xlsx = client.get(f"/console/surveys/{survey.id}/export/responses.xlsx?lang=zh_Hans")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert sheet.max_row == 3 and sheet.cell(2, 10).value in ("年轻", "年长")
    summary = client.get(f"/console/surveys/{survey.id}/export/summary.xlsx?lang=en")
    summary_sheet = load_workbook(io.BytesIO(summary.get_data())).active
    values = [row for row in summary_sheet.iter_rows(values_only=True)]
    assert any(row[1] == "Satisfaction rate (满意率)" and row[6] == 2 for row in values)


def test_the_results_page_of_5000_responses_issues_a_bounded_number_of_queries(app, client, login, monkeypatch):
    from portal import city

    # A page that takes over a second (a busy machine) would otherwise re-check the settings' copy (one more
    # statement) in one request and not another: count the page's own statements only.
    monkeypatch.setattr(city, "RECHECK_SECONDS", 3600)
    login(make_user(Role.LEADER))
    small = make_survey([satisfaction(), matrix()], areas=[(make_area("东城区"), None, 1000)])
    big = make_survey([satisfaction(), matrix()], areas=[(make_area("西城区"), None, 1000)])
    bulk_responses(small, 20)
    bulk_responses(big, 5000)
    counts = []
    for survey in (small, big, small):
        with recorded_statements() as statements:
            assert client.get(f"/console/surveys/{survey.id}/results").status_code == 200
        counts.append(len(statements))
    assert counts[1] == counts[2] and counts[1] <= 25, counts


def test_an_admin_reorders_and_deletes_questions_of_a_draft(app, client, login):
    login(make_user(Role.ADMIN))
    survey = make_survey([satisfaction(), single()], open_it=False)
    first, second = survey.questions
    base = f"/console/surveys/{survey.id}/questions"
    response = client.post(f"{base}/{second.id}/up")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/console/surveys/{survey.id}")
    db.session.expire_all()
    assert [q.id for q in db.session.get(Survey, survey.id).questions] == [second.id, first.id]
    response = client.post(f"{base}/{first.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/console/surveys/{survey.id}")
    db.session.expire_all()
    assert [q.id for q in db.session.get(Survey, survey.id).questions] == [second.id]


def test_an_admin_moves_a_draft_question_to_another_section_but_not_in_an_opened_survey(app, client, login):
    from surveys.services import save_section

    login(make_user(Role.ADMIN))
    survey = make_survey([satisfaction(), single()], open_it=False)
    save_section(survey, None, {"title": "基本信息"}, None)
    db.session.commit()
    first, second = survey.sections
    age = survey.questions[1]
    page = client.get(f"/console/surveys/{survey.id}?lang=en").get_data(as_text=True)
    assert f'action="/console/surveys/{survey.id}/questions/{age.id}/section"' in page and "Move to section" in page
    response = client.post(f"/console/surveys/{survey.id}/questions/{age.id}/section", data={"section": second.id})
    assert response.headers["Location"].endswith(f"/console/surveys/{survey.id}#section-{second.id}")
    db.session.expire_all()
    assert [q.key for q in db.session.get(SurveySection, second.id).questions] == ["age"]
    refused = client.post(f"/console/surveys/{survey.id}/questions/{age.id}/section?lang=en",
                          data={"section": "999999"}, follow_redirects=True)
    assert "Choose another section of this survey." in refused.get_data(as_text=True)
    assert client.post(f"/console/surveys/{survey.id}/state", data={"action": "open"}).status_code == 302
    locked = client.post(f"/console/surveys/{survey.id}/questions/{age.id}/section?lang=en",
                         data={"section": first.id}, follow_redirects=True)
    assert "This survey has been opened: only the wording may change." in locked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SurveyQuestion, age.id).section_id == second.id
    assert "Move to section" not in client.get(f"/console/surveys/{survey.id}?lang=en").get_data(as_text=True)


def test_the_results_page_draws_the_rate_over_time_of_a_chosen_matrix_item(app, client, login):
    from datetime import datetime, timezone

    survey = make_survey([satisfaction(), matrix(items=("道路", "公厕"))])
    for day, toilets in ((2, "1"), (2, "3"), (3, "2")):
        submit_response(survey, {"overall": ["1"], "aspects": {"i1": ["1"], "i2": [toilets]}},
                        idempotency_key=key(), now=datetime(2026, 3, day, 4, 0, tzinfo=timezone.utc))
    db.session.commit()
    login(make_user(Role.LEADER))
    url = f"/console/surveys/{survey.id}/results?lang=en"
    plain = client.get(url).get_data(as_text=True)
    toilets = f"{survey.questions[1].id}:i2"
    assert f'<option value="{toilets}">请评价以下方面 · 公厕</option>' in plain and 'id="item-periods"' not in plain
    html = client.get(f"{url}&trend={toilets}").get_data(as_text=True)
    chart = html[html.index('id="item-trend"'):html.index('id="item-periods"')]
    assert "<title>2026-03-02: 50.0% (n=2)</title>" in chart and "<title>2026-03-03: 100.0% (n=1)</title>" in chart
    assert f'<option value="{toilets}" selected>' in html
    assert client.get(f"{url}&trend=nonsense").status_code == 200
