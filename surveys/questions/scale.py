"""Questions answered on a scale: the survey's satisfaction scale (one level, or one per matrix item) and the
0–10 rating. Stored values are the levels (1 = best) or the rating.
"""
from surveys import rates
from surveys.models import QuestionKind
from surveys.questions.base import QuestionType, clean_entries, int_in, one, register

RATING_RANGE = range(0, 11)


class LevelsType(QuestionType):
    """Answers are levels of the survey's satisfaction scale: a 满意率 per distribution, the scale's wording."""

    on_scale = True

    def summarise(self, survey, dist):
        super().summarise(survey, dist)
        dist.rate = rates.rate(*rates.satisfied_share(dist.counts, survey.satisfied_levels))

    def value_labels(self, survey, question):
        return {level: label for level, label in enumerate(survey.level_labels(), start=1)}


@register
class Satisfaction(LevelsType):
    kind = QuestionKind.SATISFACTION
    widget = "satisfaction"
    can_be_headline = True
    can_be_condition = True

    def check_value(self, question, value, scale, chosen):
        number = int_in(value, range(1, scale + 1))
        chosen[question.key] = {str(number)}
        return [(question, "", number, None, None)]

    def condition_codes(self, question, scale):
        return {str(level) for level in range(1, scale + 1)}

    def answer_label(self, question, code, level_labels):
        if str(code).isdigit() and 1 <= int(code) <= len(level_labels):
            return level_labels[int(code) - 1]
        return str(code)

    def export_cell(self, question, values, texts, labels):
        return labels.levels[values[0] - 1] if values else ""


@register
class Matrix(LevelsType):
    """Several items, each answered on the survey's satisfaction scale; posted as {item: [level]}."""

    kind = QuestionKind.MATRIX
    widget = "matrix"
    per_item = True

    def clean_definition(self, data, *, is_quiz, problems):
        out = super().clean_definition(data, is_quiz=is_quiz, problems=problems)
        out["items"] = clean_entries(data.get("items"), False, problems, "items")
        return out

    def check(self, question, raw, scale, chosen):
        raw = raw or {}
        if not isinstance(raw, dict) or set(raw) - set(question.item_codes()):
            raise ValueError("choice")
        levels = {item: one(raw.get(item, [])) for item in question.item_codes()}
        answered = {item: int_in(v, range(1, scale + 1)) for item, v in levels.items() if v is not None}
        if question.required and len(answered) < len(levels):
            raise ValueError("required")
        return [(question, item, level, None, None) for item, level in answered.items()]

    def rated_items(self, question):
        return [(entry["value"], f"{question.display_text} · {question.label_of(entry)}")
                for entry in question.items or ()]

    def export_header(self, question, locale):
        text = question.text_in(locale)
        return [f"{text} · {question.label_of(item, locale)}" for item in question.items or ()]

    def export_cells(self, question, values, texts, labels):
        cells = []
        for item in question.item_codes():
            chosen = values.get((question.id, item))
            cells.append(labels.levels[chosen[0] - 1] if chosen else "")
        return cells


@register
class Rating(QuestionType):
    kind = QuestionKind.RATING
    widget = "rating"
    can_be_condition = True

    def check_value(self, question, value, scale, chosen):
        number = int_in(value, RATING_RANGE)
        chosen[question.key] = {str(number)}
        return [(question, "", number, None, None)]

    def condition_codes(self, question, scale):
        return {str(n) for n in RATING_RANGE}

    def summarise(self, survey, dist):
        super().summarise(survey, dist)
        dist.mean = rates.mean_from_counts(dist.counts)

    def value_labels(self, survey, question):
        return {n: str(n) for n in RATING_RANGE}
