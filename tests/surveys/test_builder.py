"""Building surveys: settings and question checks, the guarded lifecycle, frozen questions after opening,
new versions, clones and the JSON definition."""
import pytest

from portal.auth.models import AuditEntry
from portal.extensions import db
from surveys.definition import SurveyError, choice_codes
from surveys.models import Survey, SurveyState
from surveys.services import (
    close_survey,
    create_survey,
    delete_question,
    move_question,
    open_survey,
    save_question,
    save_section,
    update_survey,
)
from surveys.transfer import clone_survey, export_definition, import_definition
from tests.factories import make_area
from tests.surveys.factories import make_survey, matrix, satisfaction, settings, single, text


def survey_count():
    return db.session.scalar(db.select(db.func.count()).select_from(Survey))


def test_a_new_survey_is_a_draft_with_one_section(app):
    survey = create_survey(settings(), actor=None)
    assert survey.state == SurveyState.DRAFT and len(survey.sections) == 1 and len(survey.slug) >= 8


@pytest.mark.parametrize("change, problem", [
    ({"title": ""}, "title"),
    ({"scale": 4}, "scale"),
    ({"satisfied_levels": [1, 2, 3]}, "satisfied_levels"),  # every level satisfied: a rate of nothing
    ({"satisfied_levels": [4]}, "satisfied_levels"),
    ({"target_percent": 120}, "target_percent"),
    ({"kind": "quiz"}, "pass_percent"),
    ({"guarantee": "magic"}, "guarantee"),
    ({"scale_labels": [["满意"], ["一般"]]}, "scale_labels"),
])
def test_bad_settings_are_refused(app, change, problem):
    with pytest.raises(SurveyError) as caught:
        create_survey(settings(**change), actor=None)
    assert problem in caught.value.problems


def test_the_satisfied_set_can_include_or_exclude_basically_satisfied(app):
    three = create_survey(settings(satisfied_levels=[1]), actor=None)
    five = create_survey(settings(scale=5, satisfied_levels=[1, 2]), actor=None)
    assert three.is_satisfied(1) and not three.is_satisfied(2)
    assert five.is_satisfied(2) and not five.is_satisfied(3)


def test_scale_labels_per_language_with_automatic_traditional(app):
    survey = create_survey(settings(scale_labels=[["很好", None, "Good"], ["还行", None, "OK"], ["不好", None, None]]),
                           actor=None)
    assert survey.level_labels("zh_Hans") == ["很好", "还行", "不好"]
    assert survey.level_labels("zh_Hant") == ["很好", "還行", "不好"]
    assert survey.level_labels("en") == ["Good", "OK", "不好"]


@pytest.mark.parametrize("question, problem", [
    ({**single(), "key": "1bad"}, "key"),
    ({**single(), "options": []}, "options"),
    ({**single(), "options": [{"value": "a", "label": "x"}, {"value": "a", "label": "y"}]}, "options"),
    ({**matrix(), "items": None}, "items"),
    ({**text(), "text": ""}, "text"),
    ({**text(kind="short_text"), "max_length": 5000}, "max_length"),
    ({"key": "n", "kind": "number", "text": "几口人", "min_value": 10, "max_value": 1}, "max_value"),
    ({**text(), "condition": {"question": "nope", "values": ["1"]}}, "condition"),
    ({**text(), "condition": {"question": "overall", "values": ["9"]}}, "condition"),
    ({"key": "x", "kind": "nonsense", "text": "?"}, "kind"),
])
def test_bad_questions_are_refused(app, question, problem):
    survey = make_survey(open_it=False)
    with pytest.raises(SurveyError) as caught:
        save_question(survey, survey.sections[0], None, question, actor=None)
    assert problem in caught.value.problems


def test_question_keys_are_unique_in_a_survey(app):
    survey = make_survey([satisfaction(), text()], open_it=False)
    with pytest.raises(SurveyError) as caught:
        save_question(survey, survey.sections[0], None, text(), actor=None)
    assert caught.value.problems == {"key": "key_taken"}


def test_a_quiz_question_needs_its_right_answer(app):
    survey = make_survey([single("q1", correct="a")], kind="quiz", pass_percent=60, open_it=False)
    with pytest.raises(SurveyError) as caught:
        save_question(survey, survey.sections[0], None, single("q2"), actor=None)
    assert caught.value.problems == {"options": "correct"}


def test_one_headline_question_per_survey(app):
    survey = make_survey([satisfaction("a"), satisfaction("b")], open_it=False)
    assert [q.headline for q in survey.questions] == [False, True]
    assert survey.headline.key == "b"


def test_lifecycle_transitions_are_guarded(app):
    survey = make_survey(open_it=False)
    with pytest.raises(SurveyError):
        close_survey(survey, None)
    open_survey(survey, None)
    with pytest.raises(SurveyError):
        open_survey(survey, None)
    close_survey(survey, None)
    open_survey(survey, None)  # reopened
    assert survey.state == SurveyState.OPEN
    actions = db.session.execute(db.select(AuditEntry.action).where(AuditEntry.object_type == "surveys")).scalars()
    assert list(actions)[-3:] == ["open", "closed", "open"]


def test_a_survey_without_questions_cannot_open(app):
    survey = make_survey([], open_it=False)
    with pytest.raises(SurveyError) as caught:
        open_survey(survey, None)
    assert caught.value.code == "no_questions"


def test_after_opening_the_wording_may_change_but_not_the_meaning(app):
    survey = make_survey([satisfaction(), single()])
    question = survey.questions[1]
    reworded = {**single(), "text": "您的年龄段", "text_en": "Your age group"}
    reworded["options"][0]["label_en"] = "Under 18"
    save_question(survey, question.section, question, reworded, actor=None)
    assert question.text == "您的年龄段" and question.options[0]["label_en"] == "Under 18"
    for change in ({"required": False}, {"options": single()["options"][:2]}, {"kind": "multiple"}):
        with pytest.raises(SurveyError) as caught:
            save_question(survey, question.section, question, {**single(), **change}, actor=None)
        assert caught.value.code == "locked"
    for action in (lambda: save_question(survey, question.section, None, text(), None),
                   lambda: delete_question(question, None), lambda: move_question(question, -1, None),
                   lambda: save_section(survey, None, {"title": "第二部分"}, None)):
        with pytest.raises(SurveyError):
            action()
    db.session.rollback()


def test_after_opening_the_scale_and_guarantee_are_frozen_but_the_target_is_not(app):
    survey = make_survey()
    with pytest.raises(SurveyError) as caught:
        update_survey(survey, settings(scale=5, satisfied_levels=[1, 2]), actor=None)
    assert caught.value.code == "locked"
    update_survey(survey, settings(target_percent=85, satisfied_levels=[1]), actor=None)
    assert survey.target_percent == 85 and survey.satisfied_levels == [1]


def test_a_question_another_depends_on_cannot_be_deleted_or_moved_below_it(app):
    follow_up = text(key="why", condition={"question": "overall", "values": ["3"]})
    survey = make_survey([satisfaction(), follow_up], open_it=False)
    with pytest.raises(SurveyError) as caught:
        delete_question(survey.questions[0], None)
    assert caught.value.code == "condition_in_use"
    with pytest.raises(SurveyError) as moved:
        move_question(survey.questions[1], -1, None)
    assert moved.value.code == "condition_order"
    db.session.rollback()


def test_a_new_version_copies_the_definition_as_a_draft(app):
    district = make_area("东城区")
    survey = make_survey([satisfaction(), matrix()], areas=[(district, 100, 5000)])
    copy = clone_survey(survey, None, new_version=True)
    db.session.commit()
    assert copy.state == SurveyState.DRAFT and copy.version == 2 and copy.previous_id == survey.id
    assert copy.title == survey.title and copy.slug != survey.slug
    assert [q.key for q in copy.questions] == ["overall", "aspects"]
    assert [(a.area_id, a.quota, a.population) for a in copy.areas] == [(district.id, 100, 5000)]
    clone = clone_survey(survey, None)
    assert clone.version == 1 and clone.title.endswith("（副本）")


def test_export_and_import_give_the_same_definition(app):
    follow_up = text(key="why", condition={"question": "overall", "values": ["3"]}, text_en="Why?")
    survey = make_survey([satisfaction(), single(), matrix(), follow_up], title_en="Sanitation survey")
    payload = export_definition(survey)
    copy = import_definition(payload, actor=None)
    db.session.commit()
    again = export_definition(copy)
    assert again == payload
    assert payload["survey"]["title_en"] == "Sanitation survey"


def test_a_bad_import_names_every_problem_and_stores_nothing(app):
    payload = export_definition(make_survey([satisfaction(), single()]))
    before = survey_count()
    payload["survey"]["scale"] = 7
    payload["sections"][0]["questions"][1]["options"] = "abc"
    payload["areas"] = [{"area": "NO-SUCH-AREA"}]
    with pytest.raises(SurveyError) as caught:
        import_definition(payload, actor=None)
    assert caught.value.code == "import"
    assert "survey.scale" in caught.value.problems
    db.session.commit()
    assert survey_count() == before
    payload["survey"]["scale"] = 3
    with pytest.raises(SurveyError) as caught:
        import_definition(payload, actor=None)
    assert caught.value.problems == {"sections[0].questions[1].options": "choices", "areas[0]": "area"}
    db.session.commit()
    assert survey_count() == before


def test_an_import_that_is_not_a_definition_is_refused(app):
    with pytest.raises(SurveyError) as caught:
        import_definition({"hello": "world"}, actor=None)
    assert caught.value.code == "import_format"


def test_choice_codes_run_like_spreadsheet_columns():
    assert choice_codes(3) == ["a", "b", "c"]
    assert choice_codes(28)[-2:] == ["ab", "ac"][:0] + ["aa", "ab"]


def test_the_job_closes_surveys_past_their_end(app):
    from datetime import timedelta

    from portal.clock import utcnow
    from surveys.jobs import close_ended_surveys

    ending = make_survey(ends_at=utcnow() + timedelta(hours=1))
    running = make_survey()
    assert close_ended_surveys(now=utcnow() + timedelta(hours=2)) == 1
    assert close_ended_surveys(now=utcnow() + timedelta(hours=2)) == 0
    assert db.session.get(Survey, ending.id).state == SurveyState.CLOSED
    assert db.session.get(Survey, running.id).state == SurveyState.OPEN


# ---------------------------------------------------------------- moving a question to another section

def two_sections(questions, open_it=False):
    survey = make_survey(questions, open_it=False)
    save_section(survey, None, {"title": "第二部分"}, None)
    if open_it:
        open_survey(survey, None)
    db.session.commit()
    return survey


def test_a_draft_question_moves_to_the_end_of_another_section(app):
    from surveys.services import move_question_to_section

    survey = two_sections([satisfaction(), single(), text()])
    first, second = survey.sections
    save_question(survey, second, None, single(key="job", options=("学生", "在职")), None)
    overall = survey.questions[0]
    move_question_to_section(overall, second, actor=None)
    db.session.commit()
    db.session.expire_all()
    assert [q.key for q in first.questions] == ["age", "comment"]
    assert [q.key for q in second.questions] == ["job", "overall"]
    assert [q.key for q in db.session.get(Survey, survey.id).questions] == ["age", "comment", "job", "overall"]
    assert [(q.section_position, q.position) for q in second.questions] == [(1, 0), (1, 1)]
    entry = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "move")).scalar_one()
    assert entry.changes == {"section": ["卫生状况满意度调查", "第二部分"]}


def test_an_opened_survey_keeps_its_questions_where_they_are(app):
    from surveys.services import move_question_to_section

    survey = two_sections([satisfaction(), single()], open_it=True)
    with pytest.raises(SurveyError) as caught:
        move_question_to_section(survey.questions[0], survey.sections[1], actor=None)
    assert caught.value.code == "locked"


def test_a_move_that_would_put_a_question_before_its_condition_is_refused(app):
    from surveys.services import move_question_to_section

    follow_up = text(key="why", condition={"question": "overall", "values": ["3"]})
    survey = two_sections([satisfaction(), follow_up])
    overall, second = survey.questions[0], survey.sections[1]
    with pytest.raises(SurveyError) as caught:  # "overall" would come after "why", which depends on it
        move_question_to_section(overall, second, actor=None)
    assert caught.value.code == "condition_order"
    db.session.rollback()
    assert [q.key for q in db.session.get(Survey, survey.id).sections[0].questions] == ["overall", "why"]
    move_question_to_section(survey.questions[1], second, actor=None)  # "why" after "overall": fine
    db.session.commit()
    assert [q.key for q in db.session.get(Survey, survey.id).sections[1].questions] == ["why"]


def test_a_question_cannot_move_to_its_own_section_or_another_surveys(app):
    from surveys.services import move_question_to_section

    survey, other = two_sections([satisfaction()]), make_survey(open_it=False)
    for section in (survey.sections[0], other.sections[0], None):
        with pytest.raises(SurveyError) as caught:
            move_question_to_section(survey.questions[0], section, actor=None)
        assert caught.value.code == "section"
