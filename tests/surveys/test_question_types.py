"""The question types (surveys/questions): one registered type per kind, and what each one's checks refuse, with
cases written out by hand rather than read back from the types."""
import importlib

import pytest

import surveys.questions
from portal.models import LabelledEnum
from portal.registry.models import AreaLevel
from surveys.definition import SurveyError, clean_question
from surveys.models import QuestionKind, SurveyKind, SurveyQuestion
from surveys.questions import REGISTRY, ExportLabels, missing_types, type_of
from surveys.questions.base import QuestionType, register
from surveys.sheets import QuestionSpec
from surveys.tallies import ANSWERED_ITEM, response_counts
from tests.factories import make_area

OPTIONS = ({"value": "a", "label": "是"}, {"value": "b", "label": "否"}, {"value": "c", "label": "不清楚"})
ITEMS = ({"value": "i1", "label": "道路"}, {"value": "i2", "label": "公厕"}, {"value": "i3", "label": "市场"})


def spec(kind, key="q", required=True, **kw):
    fields = {"id": 7, "key": key, "kind": QuestionKind(kind), "required": required, "headline": False,
              "section_position": 0, "position": 0, "options": None, "items": None, "condition": None,
              "min_value": None, "max_value": None, "max_length": None, "area_level": None, "points": 1,
              "in_quiz": False}
    fields.update(kw)
    return QuestionSpec(**fields)


def check(question, raw, scale=3):
    """(rows without the question, chosen codes) or the refusal's code."""
    chosen = {}
    try:
        rows = question.type.check(question, raw, scale, chosen)
    except ValueError as error:
        return str(error)
    return [tuple(row[1:]) for row in rows], chosen


# ---------------------------------------------------------------- the registry

def test_every_kind_has_one_type_that_says_it_is_of_that_kind():
    assert missing_types() == []
    for kind in QuestionKind:
        assert isinstance(REGISTRY[kind], QuestionType) and REGISTRY[kind].kind is kind
        assert type_of(kind.value) is REGISTRY[kind]
    assert len({id(t) for t in REGISTRY.values()}) == len(QuestionKind) == 9


def test_a_question_and_its_read_once_copy_share_the_one_instance_of_their_kind(app):
    model = SurveyQuestion(kind=QuestionKind.MATRIX)
    assert model.type is spec("matrix").type is REGISTRY[QuestionKind.MATRIX]


def test_a_new_kind_without_a_type_is_found_and_stops_the_package_from_loading(monkeypatch):
    grown = LabelledEnum("Grown", [(k.name, k.value) for k in QuestionKind] + [("RANKING", "ranking")])
    assert missing_types(grown) == [grown.RANKING]
    monkeypatch.delitem(REGISTRY, QuestionKind.RATING)
    with pytest.raises(LookupError, match="no question type for"):
        spec("rating").type  # noqa: B018 - the lookup is the test
    with pytest.raises(RuntimeError, match="RATING"):
        importlib.reload(surveys.questions)
    monkeypatch.undo()
    importlib.reload(surveys.questions)  # whole again
    assert missing_types() == []


def test_a_second_type_for_a_kind_is_refused():
    with pytest.raises(ValueError, match="two question types"):
        @register
        class AnotherRating(QuestionType):
            kind = QuestionKind.RATING
    assert type(REGISTRY[QuestionKind.RATING]).__name__ == "Rating"


# ---------------------------------------------------------------- answer checks

def test_what_every_kind_refuses_when_nothing_or_the_wrong_shape_is_sent():
    for kind in QuestionKind:
        question = spec(kind, options=OPTIONS, items=ITEMS)
        assert check(question, None) == "required", kind
        assert check(spec(kind, required=False, options=OPTIONS, items=ITEMS), None) == ([], {}), kind
    for kind in set(QuestionKind) - {QuestionKind.MATRIX}:
        assert check(spec(kind, options=OPTIONS), {"i1": ["1"]}) == "choice", kind  # a mapping for a plain question
        assert check(spec(kind, options=OPTIONS), ["  ", ""]) == "required", kind  # blanks are no answer
    assert check(spec("matrix", items=ITEMS), ["1"]) == "choice"  # a list for a matrix


def test_a_single_choice_takes_one_listed_code():
    question = spec("single", options=OPTIONS)
    assert check(question, ["z"]) == "choice"
    assert check(question, ["A"]) == "choice"  # codes are lower case
    assert check(question, ["a", "b"]) == "one"
    assert check(question, [" c "]) == ([("", 2, None, None)], {"q": {"c"}})


def test_a_multiple_choice_takes_listed_codes_once_each_in_the_options_order():
    question = spec("multiple", options=OPTIONS)
    assert check(question, ["a", "z"]) == "choice"
    assert check(question, ["b", "b"]) == "choice"
    assert check(question, ["c", "a"]) == ([("", 0, None, None), ("", 2, None, None)], {"q": {"a", "c"}})


def test_a_satisfaction_level_must_be_on_the_surveys_scale():
    question = spec("satisfaction")
    assert check(question, ["4"], scale=3) == "choice"
    assert check(question, ["0"], scale=3) == "choice"
    assert check(question, ["1.0"], scale=3) == "choice"
    assert check(question, ["5"], scale=5) == ([("", 5, None, None)], {"q": {"5"}})


def test_a_rating_is_a_whole_number_from_0_to_10():
    question = spec("rating")
    for wrong in ("11", "-1", "ten", "7.5"):
        assert check(question, [wrong]) == "choice", wrong
    assert check(question, ["0"]) == ([("", 0, None, None)], {"q": {"0"}})
    assert check(question, ["10"], scale=3) == ([("", 10, None, None)], {"q": {"10"}})  # not the 3-level scale


def test_a_matrix_needs_every_item_on_the_scale_when_required():
    question = spec("matrix", items=ITEMS)
    assert check(question, {"i1": ["1"], "i2": ["2"]}) == "required"  # i3 missing
    assert check(question, {"i1": ["1"], "i2": ["2"], "i3": ["2"], "i9": ["1"]}) == "choice"  # no such item
    assert check(question, {"i1": ["1"], "i2": ["2"], "i3": ["4"]}) == "choice"  # off the 3-level scale
    assert check(question, {"i1": ["1"], "i2": ["2", "3"], "i3": ["2"]}) == "one"
    assert check(question, {"i1": ["1"], "i2": ["3"], "i3": ["2"]}) == (
        [("i1", 1, None, None), ("i2", 3, None, None), ("i3", 2, None, None)], {})
    optional = spec("matrix", items=ITEMS, required=False)
    assert check(optional, {"i2": ["3"]}) == ([("i2", 3, None, None)], {})


def test_a_text_is_kept_within_its_length_and_without_nul_bytes():
    question = spec("short_text", max_length=5)
    assert check(question, ["abcdef"]) == "too_long"
    assert check(question, ["ab\x00c"]) == "nul"
    assert check(question, ["  公厕要打扫 "]) == ([("", None, None, "公厕要打扫")], {})
    assert check(spec("long_text", max_length=2000), ["长" * 2001]) == "too_long"
    assert check(spec("long_text", max_length=2000), ["x\x00"]) == "nul"


def test_a_number_must_be_finite_and_within_its_bounds():
    question = spec("number", min_value=0.0, max_value=120.0)
    assert check(question, ["abc"]) == "number"
    assert check(question, ["1,5"]) == "number"
    for wrong in ("nan", "inf", "-0.5", "1e3"):
        assert check(question, [wrong]) == "range", wrong
    assert check(question, ["12.5"]) == ([("", None, 12.5, None)], {})


def test_an_area_must_be_an_active_area_of_the_questions_level(app):
    district = make_area("东城区", level=AreaLevel.DISTRICT)
    street = make_area("东华门街道", level=AreaLevel.STREET, parent=district)
    closed = make_area("旧街道", level=AreaLevel.STREET, parent=district, active=False)
    question = spec("area", area_level="street")
    assert check(question, [str(district.id)]) == "choice"  # another level
    assert check(question, [str(closed.id)]) == "choice"
    assert check(question, ["999999"]) == "choice"
    assert check(question, ["0"]) == "choice"
    assert check(question, ["东华门"]) == "choice"
    assert check(question, [str(street.id)]) == ([("", street.id, None, None)], {})
    assert check(spec("area"), [str(district.id)]) == ([("", district.id, None, None)], {})  # any level


# ---------------------------------------------------------------- definition checks

def clean(data, survey_kind=SurveyKind.QUESTIONNAIRE, earlier=None):
    try:
        return clean_question({"key": "q", "text": "问题", **data}, survey_kind=survey_kind, scale=3,
                              earlier=earlier or {})
    except SurveyError as error:
        return error.problems


def test_each_kind_checks_and_keeps_only_its_own_fields():
    entries = [{"value": "a", "label": "是", "correct": True}, {"value": "b", "label": "否", "correct": True}]
    assert clean({"kind": "single", "options": entries}, SurveyKind.QUIZ) == {"options": "correct"}
    assert clean({"kind": "multiple", "options": entries}, SurveyKind.QUIZ)["options"][1]["correct"] is True
    assert clean({"kind": "single", "options": entries})["options"][0] == {
        "value": "a", "label": "是", "label_zh_hant": None, "label_en": None}  # no right answers outside quizzes
    assert clean({"kind": "matrix"}) == {"items": "choices"}
    assert clean({"kind": "number", "min_value": 10, "max_value": 1}) == {"max_value": "range"}
    assert clean({"kind": "number", "min_value": "x"}) == {"min_value": "number"}
    assert clean({"kind": "short_text", "max_length": 201}) == {"max_length": "max_length"}
    assert clean({"kind": "long_text", "max_length": 2000})["max_length"] == 2000
    assert clean({"kind": "short_text"})["max_length"] == 200
    assert clean({"kind": "area", "area_level": "planet"}) == {"area_level": "area_level"}
    kept = clean({"kind": "rating", "headline": True, "options": entries, "items": entries, "min_value": 1,
                  "max_length": 5, "area_level": "street"})
    assert (kept["headline"], kept["options"], kept["items"], kept["min_value"], kept["max_length"],
            kept["area_level"]) == (False, None, None, None, None, None)
    assert clean({"kind": "satisfaction", "headline": True})["headline"] is True


def test_a_condition_names_an_earlier_choice_level_or_rating_and_answers_it_offers():
    earlier = {"t": {"key": "t", "kind": QuestionKind.SHORT_TEXT},
               "r": {"key": "r", "kind": QuestionKind.RATING},
               "s": {"key": "s", "kind": QuestionKind.SATISFACTION},
               "m": {"key": "m", "kind": QuestionKind.MATRIX},
               "c": {"key": "c", "kind": "multiple", "options": list(OPTIONS)}}  # as question_data gives it

    def condition(on, values):
        return clean({"kind": "long_text", "condition": {"question": on, "values": values}}, earlier=earlier)

    assert condition("t", ["x"]) == {"condition": "condition_question"}
    assert condition("m", ["1"]) == {"condition": "condition_question"}
    assert condition("r", ["11"]) == {"condition": "condition_values"}
    assert condition("s", ["4"]) == {"condition": "condition_values"}  # a 3-level scale
    assert condition("c", ["d"]) == {"condition": "condition_values"}
    assert condition("r", [10, "0"])["condition"] == {"question": "r", "values": ["0", "10"]}
    assert condition("c", ["b"])["condition"] == {"question": "c", "values": ["b"]}


# ---------------------------------------------------------------- counting and exporting

def test_choices_and_levels_are_counted_per_value_texts_and_numbers_only_as_answered(app):
    rows = [(spec("multiple", key="m"), "", 0), (spec("multiple", key="m"), "", 2),
            (spec("rating", key="r", id=8), "", 9), (spec("long_text", key="t", id=9), "", None),
            (spec("number", key="n", id=10), "", None), (spec("matrix", key="x", id=11), "i2", 3)]
    survey = type("Survey", (), {"is_quiz": False})()
    assert response_counts(survey, rows) == {
        (7, "", 0): 1, (7, "", 2): 1, (7, ANSWERED_ITEM, 1): 1, (8, "", 9): 1, (9, ANSWERED_ITEM, 1): 1,
        (10, ANSWERED_ITEM, 1): 1, (11, "i2", 3): 1}


def test_each_kind_exports_its_answers_as_a_person_reads_them(app):
    labels = ExportLabels(levels=["满意", "基本满意", "不满意"], areas={5: "东城区"}, locale="zh_Hans")

    def cells(kind, values=(), texts=(), **kw):
        question = SurveyQuestion(id=3, key="q", kind=QuestionKind(kind), text="问题", **kw)
        return question.type.export_cells(question, {(3, ""): list(values)}, {(3, ""): list(texts)}, labels)

    assert cells("multiple", [0, 2], options=list(OPTIONS)) == ["是；不清楚"]
    assert cells("single", [9], options=list(OPTIONS)) == [""]  # an option that is gone
    assert cells("satisfaction", [3]) == ["不满意"]
    assert cells("rating", [0]) == [0]
    assert cells("area", [5]) == ["东城区"]
    assert cells("area", [6]) == [""]
    assert cells("short_text", texts=["=1+1"]) == ["=1+1"]  # escaping is the writer's job (portal.exports)
    assert cells("number", texts=[12]) == [12]
    assert cells("satisfaction") == cells("rating") == cells("long_text") == [""]
    matrix = SurveyQuestion(id=3, key="q", kind=QuestionKind.MATRIX, text="请评价", items=list(ITEMS))
    assert matrix.type.export_header(matrix, "zh_Hans") == ["请评价 · 道路", "请评价 · 公厕", "请评价 · 市场"]
    assert matrix.type.export_cells(matrix, {(3, "i1"): [2], (3, "i3"): [1]}, {}, labels) == [
        "基本满意", "", "满意"]
