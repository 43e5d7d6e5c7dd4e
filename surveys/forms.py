"""Input shapes: the builder forms, the respondent's answers as posted, and the messages for SurveyError codes."""
from datetime import timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.city import get_city_settings
from portal.forms import BaseForm
from portal.registry.models import AreaLevel
from surveys.definition import choice_codes
from surveys.models import CHOICE_KINDS, CONDITION_KINDS, Guarantee, QuestionKind, QuotaAction, SurveyKind, SurveyMethod

ERROR_MESSAGES = {
    # building
    "required": _l("This is required."),
    "too_long": _l("This text is too long."),
    "choice": _l("Choose one of the listed answers."),
    "one": _l("Choose only one answer."),
    "scale": _l("The scale has 3 or 5 levels."),
    "satisfied_levels": _l("Choose which levels count as satisfied, leaving at least one out."),
    "scale_labels": _l("Give one line per level, best first: 简体 | 繁體 | English."),
    "percent": _l("Give a percentage between 1 and 100."),
    "dates": _l("The end must come after the start."),
    "awareness_headline": _l("Choose which awareness rate is the quiz's headline."),
    "date": _l("Not a date and time with a timezone."),
    "key": _l("Use a lower-case letter, then letters, digits or _ (at most 40)."),
    "key_taken": _l("Another question already uses this key."),
    "kind": _l("Unknown question type."),
    "choices": _l("Give between 1 and 30 answers, one per line."),
    "correct": _l("Mark the right answer with * (exactly one for a single choice)."),
    "number": _l("Not a number."),
    "range": _l("This number is outside the allowed range."),
    "max_length": _l("Short texts allow at most 200 characters, long texts 2000."),
    "area_level": _l("Unknown area level."),
    "condition": _l("The display condition is not valid."),
    "condition_question": _l("A condition can only depend on an earlier choice, satisfaction or rating question."),
    "condition_values": _l("Name answers that the earlier question offers."),
    "condition_in_use": _l("Another question's display condition depends on this one."),
    "condition_order": _l("A question must come after the question its display condition depends on."),
    "locked": _l("This survey has been opened: only the wording may change. Make a new version to change "
                 "questions, answers, the scale or the guarantee."),
    "transition": _l("The survey cannot move to that state from where it is."),
    "no_questions": _l("Add at least one question before opening the survey."),
    "no_scored_questions": _l("A quiz needs at least one question with its right answer marked."),
    "ended": _l("The end time has passed: move it before opening the survey."),
    "last_section": _l("A survey keeps at least one section."),
    "import_format": _l("This is not a survey definition exported from Minsheng."),
    "import": _l("The definition has problems; nothing was imported."),
    "area": _l("Choose an active area."),
    "area_overlap": _l("Areas of one survey must not contain one another."),
    "area_in_use": _l("Responses or token cards belong to this area: it cannot be removed."),
    "area_outside": _l("Choose one of the survey's areas or an area inside one."),
    "token_count": _l("Generate between 1 and 2000 cards at a time."),
    "call_list_method": _l("Only a telephone survey has a call list."),
    "call_list_count": _l("Paste between 1 and 5000 numbers at a time, one per line."),
    "call_list_lines": _l("Some lines are not mainland mobile numbers (11 digits); nothing was added."),
    "reason_required": _l("Give the reason; it is recorded with the exclusion."),
    "flag": _l("Unknown quality flag."),
    "headline": _l("Only one question can carry the survey's 满意率."),
    # answering
    "answers": _l("Some answers need attention; they are marked below."),
    "unknown_question": _l("An answer was sent for a question that is not in this survey."),
    "closed": _l("This survey is not taking answers at the moment. Thank you for your interest."),
    "token_required": _l("This survey is answered with a printed token card. Enter the code on your card."),
    "token_unknown": _l("This card code is not valid. Please check it and try again."),
    "token_other_survey": _l("This card belongs to another survey."),
    "token_used": _l("This card has already been used. Each card is good for one response."),
    "already_answered": _l("You have already answered this survey. Thank you!"),
    "device_required": _l("Please allow cookies: this survey takes one response per device."),
    "phone_required": _l("Please confirm your phone number first: this survey takes one response per phone."),
    "quota_full": _l("Enough answers have been collected in your area. Thank you for your interest."),
    "form_expired": _l("This form has expired. Please reload the page; your answers are kept on this phone."),
    "phone": _l("Enter a mainland mobile number (11 digits)."),
    "too_many_codes": _l("Too many codes were sent to this number. Please try again in an hour."),
    "too_many_attempts": _l("Too many wrong codes. Please ask for a new code."),
    "code_expired": _l("The code has expired. Please ask for a new one."),
    "code_wrong": _l("The code is not right. Please check the message and try again."),
}


def message(code):
    return ERROR_MESSAGES.get(code, _l("The request could not be understood."))


# ---------------------------------------------------------------- what a respondent posts

ANSWER_PREFIX = "q-"
MAX_FIELDS = 1000


def answers_from_form(form):
    """{key: [values]} and {key: {item: [values]}} (matrix) from fields named ``q-<key>`` / ``q-<key>-<item>``."""
    raw = {}
    for name in list(form.keys())[:MAX_FIELDS]:
        if not name.startswith(ANSWER_PREFIX):
            continue
        key, _sep, item = name[len(ANSWER_PREFIX):].partition("-")
        values = form.getlist(name)
        if item:
            target = raw.setdefault(key, {})
            if isinstance(target, dict):
                target[item] = values
            else:
                raw[key] = {item: values}
        else:
            raw[key] = values
    return raw


# ---------------------------------------------------------------- the builder

SCALE_RULES = [
    ("3:1,2", _l("3 levels; satisfied = 满意 + 基本满意")),
    ("3:1", _l("3 levels; satisfied = 满意 only")),
    ("5:1,2,3", _l("5 levels; satisfied = 非常满意 + 满意 + 基本满意")),
    ("5:1,2", _l("5 levels; satisfied = top two (非常满意 + 满意)")),
    ("5:1", _l("5 levels; satisfied = 非常满意 only")),
]


def scale_rule(scale, levels):
    return f"{scale}:{','.join(str(v) for v in levels)}"


def parse_scale_rule(value):
    scale, _sep, levels = (value or "3:1,2").partition(":")
    return int(scale), [int(v) for v in levels.split(",") if v]


def lines_to_entries(text, prefix=""):
    """Options or items typed one per line as ``简体 | 繁體 | English`` (``*`` first marks a right answer)."""
    rows = [line.strip() for line in (text or "").splitlines() if line.strip()]
    entries = []
    for code, line in zip(choice_codes(len(rows), prefix), rows, strict=True):
        correct = line.startswith("*")
        parts = [p.strip() or None for p in line.lstrip("*").split("|")] + [None, None]
        entry = {"value": code, "label": parts[0], "label_zh_hant": parts[1], "label_en": parts[2]}
        if correct:
            entry["correct"] = True
        entries.append(entry)
    return entries or None


def entries_to_lines(entries):
    lines = []
    for entry in entries or ():
        parts = [entry.get("label") or "", entry.get("label_zh_hant") or "", entry.get("label_en") or ""]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(("*" if entry.get("correct") else "") + " | ".join(parts))
    return "\n".join(lines)


def scale_labels_from_text(text):
    rows = [line for line in (text or "").splitlines() if line.strip()]
    return [[p.strip() or None for p in line.split("|")][:3] for line in rows] or None


def local_to_utc(value):
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(get_city_settings().timezone)).astimezone(timezone.utc)


def utc_to_local(value):
    if value is None:
        return None
    return value.astimezone(ZoneInfo(get_city_settings().timezone)).replace(tzinfo=None)


class SurveyForm(BaseForm):
    title = StringField(_l("Title (简体)"), validators=[DataRequired(), Length(max=200)])
    title_zh_hant = StringField(_l("Title (繁體, optional)"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Title (English, optional)"), validators=[Optional(), Length(max=200)])
    intro = TextAreaField(_l("Introduction (简体)"), validators=[Optional(), Length(max=4000)])
    intro_zh_hant = TextAreaField(_l("Introduction (繁體, optional)"), validators=[Optional(), Length(max=4000)])
    intro_en = TextAreaField(_l("Introduction (English, optional)"), validators=[Optional(), Length(max=4000)])
    kind = SelectField(_l("Kind"), choices=SurveyKind.choices)
    method = SelectField(_l("Method"), choices=SurveyMethod.choices)
    guarantee = SelectField(_l("One response per person"), choices=Guarantee.choices)
    scale_rule = SelectField(_l("Satisfaction scale and what counts as satisfied"), choices=SCALE_RULES)
    scale_labels = TextAreaField(_l("Wording of the scale (optional; one line per level, best first: "
                                    "简体 | 繁體 | English)"), validators=[Optional(), Length(max=2000)])
    target_percent = FloatField(_l("Target rate (%)"), validators=[Optional(), NumberRange(0.1, 100)])
    pass_percent = IntegerField(_l("Pass mark for quizzes, percent of points"), validators=[Optional(),
                                                                                      NumberRange(1, 100)])
    awareness_headline = SelectField(_l("Quizzes: the headline awareness rate (知晓率)"), default="passed", choices=[
        ("passed", _l("Share of respondents who passed")),
        ("correct", _l("Share of correct answers (points scored ÷ points possible)"))])
    show_answers = BooleanField(_l("Quizzes: show the right answers after submitting"), default=True)
    starts_at = DateTimeLocalField(_l("Starts at (local time, optional)"), validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (local time, optional)"), validators=[Optional()])

    def to_data(self):
        scale, levels = parse_scale_rule(self.scale_rule.data)
        data = {name: self[name].data for name in ("title", "title_zh_hant", "title_en", "intro", "intro_zh_hant",
                                                    "intro_en", "kind", "method", "guarantee", "target_percent",
                                                    "pass_percent", "awareness_headline", "show_answers")}
        data.update(scale=scale, satisfied_levels=levels, scale_labels=scale_labels_from_text(self.scale_labels.data),
                    starts_at=local_to_utc(self.starts_at.data), ends_at=local_to_utc(self.ends_at.data))
        return data

    def fill_from(self, survey):
        for name in ("title", "title_zh_hant", "title_en", "intro", "intro_zh_hant", "intro_en", "target_percent",
                     "pass_percent", "awareness_headline", "show_answers"):
            self[name].data = getattr(survey, name)
        for name in ("kind", "method", "guarantee"):
            self[name].data = getattr(survey, name).value
        self.scale_rule.data = scale_rule(survey.scale, survey.satisfied_levels)
        self.scale_labels.data = "\n".join(" | ".join(p or "" for p in row) for row in survey.scale_labels or ())
        self.starts_at.data, self.ends_at.data = utc_to_local(survey.starts_at), utc_to_local(survey.ends_at)


class SectionForm(BaseForm):
    title = StringField(_l("Section title (简体)"), validators=[DataRequired(), Length(max=200)])
    title_zh_hant = StringField(_l("Section title (繁體, optional)"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Section title (English, optional)"), validators=[Optional(), Length(max=200)])


AREA_LEVELS = [("", _l("Any level"))] + AreaLevel.choices()


class QuestionForm(BaseForm):
    key = StringField(_l("Key (stable name in exports, e.g. q1)"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(_l("Type"), choices=QuestionKind.choices)
    text = StringField(_l("Question (简体)"), validators=[DataRequired(), Length(max=500)])
    text_zh_hant = StringField(_l("Question (繁體, optional)"), validators=[Optional(), Length(max=500)])
    text_en = StringField(_l("Question (English, optional)"), validators=[Optional(), Length(max=500)])
    help = StringField(_l("Help text (简体, optional)"), validators=[Optional(), Length(max=500)])
    help_zh_hant = StringField(_l("Help text (繁體, optional)"), validators=[Optional(), Length(max=500)])
    help_en = StringField(_l("Help text (English, optional)"), validators=[Optional(), Length(max=500)])
    required = BooleanField(_l("Required"), default=True)
    headline = BooleanField(_l("This question gives the survey's 满意率"))
    options = TextAreaField(_l("Answers for choice questions: one per line, 简体 | 繁體 | English; "
                               "start with * for a right answer (quizzes)"), validators=[Optional(),
                                                                                        Length(max=10000)])
    items = TextAreaField(_l("Matrix items: one per line, 简体 | 繁體 | English"),
                          validators=[Optional(), Length(max=10000)])
    min_value = FloatField(_l("Smallest number allowed"), validators=[Optional()])
    max_value = FloatField(_l("Largest number allowed"), validators=[Optional()])
    max_length = IntegerField(_l("Longest text allowed (characters)"), validators=[Optional()])
    area_level = SelectField(_l("Area picker: offer areas of this level"), choices=AREA_LEVELS,
                             validate_choice=False)
    condition_question = SelectField(_l("Show only when this earlier question…"), choices=[],
                                     validate_choice=False)
    condition_values = StringField(_l("…has one of these answers (codes, comma-separated: a,b or levels 1,2)"),
                                   validators=[Optional(), Length(max=200)])
    points = IntegerField(_l("Points (quizzes)"), default=1, validators=[Optional(), NumberRange(0, 100)])

    def to_data(self):
        data = {name: self[name].data for name in ("key", "kind", "text", "text_zh_hant", "text_en", "help",
                                                    "help_zh_hant", "help_en", "required", "headline",
                                                    "min_value", "max_value", "max_length", "area_level")}
        data["points"] = self.points.data if self.points.data is not None else 1
        data["area_level"] = self.area_level.data if self.area_level.data not in (None, "", "None") else None
        data["options"] = lines_to_entries(self.options.data)
        data["items"] = lines_to_entries(self.items.data, prefix="i")
        if self.condition_question.data not in (None, "", "None"):
            values = [v.strip() for v in (self.condition_values.data or "").split(",") if v.strip()]
            data["condition"] = {"question": self.condition_question.data, "values": values}
        return data

    def fill_from(self, question):
        for name in ("key", "text", "text_zh_hant", "text_en", "help", "help_zh_hant", "help_en", "required",
                     "headline", "min_value", "max_value", "max_length", "points"):
            self[name].data = getattr(question, name)
        self.kind.data = question.kind.value
        self.area_level.data = question.area_level or ""
        self.options.data = entries_to_lines(question.options)
        self.items.data = entries_to_lines(question.items)
        if question.condition:
            self.condition_question.data = question.condition["question"]
            self.condition_values.data = ",".join(question.condition["values"])


def condition_choices(questions):
    return [("", _l("(always show)"))] + [
        (q.key, f"{q.key} · {q.display_text}") for q in questions if q.kind in CONDITION_KINDS]


def answer_codes_help(question):
    """"a = 是, b = 否" for the builder's list, so staff can write conditions."""
    if question.kind in CHOICE_KINDS:
        return ", ".join(f"{o['value']} = {question.label_of(o)}" for o in question.options or ())
    return ""


class ImportForm(BaseForm):
    file = FileField(_l("Survey definition (.json)"))


class AreaLinkForm(BaseForm):
    area_id = SelectField(_l("Area"), coerce=int, validate_choice=False)
    quota = IntegerField(_l("Quota (responses; empty: none)"), validators=[Optional(), NumberRange(0, 10**9)])
    quota_action = SelectField(_l("When the quota is full"), choices=QuotaAction.choices)
    population = IntegerField(_l("Population (for the weighted rate)"), validators=[Optional(),
                                                                                   NumberRange(0, 10**9)])


class TokenForm(BaseForm):
    count = IntegerField(_l("Number of cards"), validators=[DataRequired(), NumberRange(1, 2000)])
    area_id = SelectField(_l("Area (optional)"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                          validate_choice=False)


class CallListForm(BaseForm):
    numbers = TextAreaField(_l("Numbers drawn for the survey, one per line"), validators=[DataRequired()])


class ExclusionForm(BaseForm):
    reason = StringField(_l("Reason (recorded)"), validators=[DataRequired(), Length(max=300)])
    flag = SelectField(_l("Responses"), choices=[
        ("", _l("The responses ticked below")), ("speeder", _l("Every speeder")),
        ("straightliner", _l("Every straight-liner")), ("burst", _l("Every response in a burst")),
        ("repeat", _l("Every repeat from one network and browser"))],
        validators=[Optional()])
    action = SelectField(choices=[("exclude", _l("Exclude")), ("include", _l("Take back in")),
                                  ("count", _l("Count in despite the flags")), ("hold", _l("Hold back for the flags"))])
