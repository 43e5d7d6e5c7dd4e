"""Free answers: short and long texts, and numbers. Their answers are not counted per value: the tallies count
the respondents who answered; texts are read in the export, numbers summarised by count, mean, min and max.
"""
import math

from surveys.models import QuestionKind
from surveys.questions.base import QuestionType, clean_number, register

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000
NUL = "\x00"


class FreeType(QuestionType):
    counted = False
    counts_answered = True

    def export_cell(self, question, values, texts, labels):
        return texts[0] if texts else ""


class TextType(FreeType):
    limit: int  # the longest text a question of the kind may allow
    free_text = True

    def clean_definition(self, data, *, is_quiz, problems):
        out = super().clean_definition(data, is_quiz=is_quiz, problems=problems)
        length = data.get("max_length")
        if length in (None, ""):
            out["max_length"] = self.limit
        elif isinstance(length, int) and 1 <= length <= self.limit:
            out["max_length"] = length
        else:
            problems["max_length"] = "max_length"
        return out

    def check_value(self, question, value, scale, chosen):
        if NUL in value:  # no database stores it (requests carrying one are refused before any view)
            raise ValueError("nul")
        if len(value) > (question.max_length or SHORT_TEXT_MAX):
            raise ValueError("too_long")
        return [(question, "", None, None, value)]


@register
class ShortText(TextType):
    kind = QuestionKind.SHORT_TEXT
    widget = "short_text"
    limit = SHORT_TEXT_MAX


@register
class LongText(TextType):
    kind = QuestionKind.LONG_TEXT
    widget = "long_text"
    limit = LONG_TEXT_MAX


@register
class Number(FreeType):
    kind = QuestionKind.NUMBER
    widget = "number"
    summed = True

    def clean_definition(self, data, *, is_quiz, problems):
        out = super().clean_definition(data, is_quiz=is_quiz, problems=problems)
        try:
            low, high = clean_number(data.get("min_value")), clean_number(data.get("max_value"))
        except (TypeError, ValueError):
            problems["min_value"] = "number"
            return out
        if low is not None and high is not None and low > high:
            problems["max_value"] = "range"
        out["min_value"], out["max_value"] = low, high
        return out

    def check_value(self, question, value, scale, chosen):
        try:
            number = float(value)
        except ValueError:
            raise ValueError("number") from None
        if not math.isfinite(number) or (question.min_value is not None and number < question.min_value) or (
                question.max_value is not None and number > question.max_value):
            raise ValueError("range")
        return [(question, "", None, number, None)]
