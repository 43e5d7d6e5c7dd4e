"""Choice questions: one answer (single) or several (multiple) from a list of options coded a, b, c…

Stored values are the options' positions; quizzes mark right answers on the options.
"""
from surveys.models import QuestionKind
from surveys.questions.base import QuestionType, clean_entries, register


class ChoiceType(QuestionType):
    is_choice = True
    can_be_condition = True

    def right_answers_fit(self, count):
        """Whether a quiz question may have ``count`` right answers."""
        raise NotImplementedError

    def clean_definition(self, data, *, is_quiz, problems):
        out = super().clean_definition(data, is_quiz=is_quiz, problems=problems)
        out["options"] = clean_entries(data.get("options"), is_quiz, problems, "options")
        correct = [o for o in out["options"] or () if o.get("correct")]
        if is_quiz and out["options"] is not None and not self.right_answers_fit(len(correct)):
            problems["options"] = "correct"
        return out

    def condition_codes(self, question, scale):
        return {o["value"] for o in question.get("options") or ()}

    def codes_of(self, question, values):
        codes = question.option_codes()
        return {codes[v] for v in values if v is not None and 0 <= v < len(codes)}

    def answer_label(self, question, code, level_labels):
        return next((question.label_of(o) for o in question.options or () if o["value"] == code), code)

    def value_labels(self, survey, question):
        return {index: question.label_of(o) for index, o in enumerate(question.options or ())}

    def export_cell(self, question, values, texts, labels):
        options = question.options or []
        return "；".join(question.label_of(options[v], labels.locale) for v in values if 0 <= v < len(options))


@register
class SingleChoice(ChoiceType):
    kind = QuestionKind.SINGLE
    widget = "single"

    def right_answers_fit(self, count):
        return count == 1

    def check_value(self, question, value, scale, chosen):
        codes = question.option_codes()
        if value not in codes:
            raise ValueError("choice")
        chosen[question.key] = {value}
        return [(question, "", codes.index(value), None, None)]


@register
class MultipleChoice(ChoiceType):
    kind = QuestionKind.MULTIPLE
    widget = "multiple"
    counts_answered = True

    def right_answers_fit(self, count):
        return count >= 1

    def check_values(self, question, values, scale, chosen):
        codes = question.option_codes()
        if len(set(values)) != len(values) or not set(values) <= set(codes):
            raise ValueError("choice")
        chosen[question.key] = set(values)
        return [(question, "", codes.index(v), None, None) for v in sorted(values, key=codes.index)]
