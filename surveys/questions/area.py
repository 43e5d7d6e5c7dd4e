"""The area picker: the respondent names their area (of one level, if the question says), which places the response
in it. Stored values are area ids.
"""
from portal.extensions import db
from portal.registry.models import Area, AreaLevel
from surveys.models import QuestionKind
from surveys.questions.base import QuestionType, int_in, register

AREA_LEVELS = frozenset(level.value for level in AreaLevel)


@register
class AreaPicker(QuestionType):
    kind = QuestionKind.AREA
    widget = "area"
    picks_area = True

    def clean_definition(self, data, *, is_quiz, problems):
        out = super().clean_definition(data, is_quiz=is_quiz, problems=problems)
        if data.get("area_level"):
            if data["area_level"] in AREA_LEVELS:
                out["area_level"] = data["area_level"]
            else:
                problems["area_level"] = "area_level"
        return out

    def check_value(self, question, value, scale, chosen):
        area = db.session.get(Area, int_in(value, range(1, 2**31)))
        if area is None or not area.active or (question.area_level and area.level.value != question.area_level):
            raise ValueError("choice")
        return [(question, "", area.id, None, None)]

    def export_cell(self, question, values, texts, labels):
        return labels.areas.get(values[0], "") if values else ""
