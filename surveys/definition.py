"""What a valid survey definition is: settings and questions are checked here, whether they come from the
builder forms or from an imported JSON file, so both paths refuse the same things with the same messages.
"""
from surveys.models import Guarantee, QuestionKind, SurveyKind, SurveyMethod
from surveys.questions import type_of
from surveys.questions.base import KEY_RULE, MAX_LABEL
from surveys.questions.base import clean_text as _text

MAX_TEXT = 500
TRANSLATED = ("", "_zh_hant", "_en")

# Fields whose change would alter what stored answers mean; frozen once a survey has been opened.
STRUCTURE_FIELDS = ("key", "kind", "required", "headline", "min_value", "max_value", "max_length", "area_level",
                    "condition", "points")
SURVEY_LOCKED_FIELDS = ("kind", "method", "guarantee", "scale", "pass_percent")
# A quiz's headline 知晓率: the share of respondents who passed, or the share of correct answers (points scored ÷
# points possible). Both are always shown; the headline is the one judged against the target.
AWARENESS_PASSED, AWARENESS_CORRECT = "passed", "correct"
AWARENESS_HEADLINES = (AWARENESS_PASSED, AWARENESS_CORRECT)


class SurveyError(Exception):
    """A request the surveys side refuses. ``code`` picks the message; ``field`` the form field, if any;
    ``problems`` lists every problem at once ({field or question key: code}) for forms and answers."""

    def __init__(self, code, field=None, problems=None):
        super().__init__(code)
        self.code, self.field, self.problems = code, field, problems or {}


def clean_translated(data, field, limit, required=False, problems=None):
    """Copy ``field`` in its three languages from ``data``; note problems under ``field``."""
    out = {}
    for suffix in TRANSLATED:
        try:
            out[field + suffix] = _text(data.get(field + suffix), limit)
        except ValueError:
            problems[field + suffix] = "too_long"
    if required and not out.get(field):
        problems[field] = "required"
    return out


def choice_codes(count, prefix=""):
    """Codes for options and items by position: a, b, c … z, aa, ab … (what quizzes call A/B/C/D)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    codes = []
    for index in range(count):
        code = ""
        index += 1
        while index:
            index, rest = divmod(index - 1, 26)
            code = letters[rest] + code
        codes.append(prefix + code)
    return codes


def answer_codes(question, scale):
    """The answer codes a display condition may name for ``question`` (a dict of cleaned data)."""
    return type_of(question["kind"]).condition_codes(question, scale)


def clean_question(data, *, survey_kind, scale, earlier, taken_keys=()):
    """Check one question's data. ``earlier`` maps the keys of the questions before it to their data (what a
    display condition may name); ``taken_keys`` are the keys of every other question of the survey.

    Returns the cleaned dict or raises SurveyError("question", problems=...) naming every problem at once.
    """
    problems = {}
    try:
        kind = QuestionKind(data.get("kind"))
    except ValueError:
        raise SurveyError("question", problems={"kind": "kind"}) from None
    key = data.get("key")
    if not isinstance(key, str) or not KEY_RULE.match(key):
        problems["key"] = "key"
    elif key in earlier or key in taken_keys:
        problems["key"] = "key_taken"
    kind_type = type_of(kind)
    out = {"key": key, "kind": kind, "required": bool(data.get("required")),
           "headline": bool(data.get("headline")) and kind_type.can_be_headline}
    out.update(clean_translated(data, "text", MAX_TEXT, required=True, problems=problems))
    out.update(clean_translated(data, "help", MAX_TEXT, problems=problems))
    out.update(kind_type.clean_definition(data, is_quiz=survey_kind == SurveyKind.QUIZ, problems=problems))
    points = data.get("points", 1)
    out["points"] = points if isinstance(points, int) and 0 <= points <= 100 else 1
    out["condition"] = _clean_condition(data.get("condition"), earlier, scale, problems)
    if problems:
        raise SurveyError("question", problems=problems)
    return out


def _clean_condition(condition, earlier, scale, problems):
    if not condition:
        return None
    if not isinstance(condition, dict):
        problems["condition"] = "condition"
        return None
    other = earlier.get(condition.get("question"))
    values = condition.get("values")
    if other is None or not type_of(other["kind"]).can_be_condition:
        problems["condition"] = "condition_question"
        return None
    if not isinstance(values, list) or not values or not set(map(str, values)) <= answer_codes(other, scale):
        problems["condition"] = "condition_values"
        return None
    return {"question": other["key"], "values": sorted(set(map(str, values)))}


def clean_settings(data):
    """Check a survey's settings (title, kind, method, guarantee, scale, satisfied set, target, dates)."""
    problems = {}
    out = {}
    out.update(clean_translated(data, "title", MAX_LABEL, required=True, problems=problems))
    out.update(clean_translated(data, "intro", 4000, problems=problems))
    for field, enum_cls in (("kind", SurveyKind), ("method", SurveyMethod), ("guarantee", Guarantee)):
        try:
            out[field] = enum_cls(data.get(field))
        except ValueError:
            problems[field] = "choice"
    scale = data.get("scale")
    if scale not in (3, 5):
        problems["scale"] = "scale"
        scale = 3
    out["scale"] = scale
    levels = data.get("satisfied_levels")
    if (not isinstance(levels, list) or not levels or not all(isinstance(v, int) for v in levels)
            or not set(levels) <= set(range(1, scale + 1)) or len(set(levels)) >= scale):
        problems["satisfied_levels"] = "satisfied_levels"
    else:
        out["satisfied_levels"] = sorted(set(levels))
    out["scale_labels"] = _clean_scale_labels(data.get("scale_labels"), scale, problems)
    target = data.get("target_percent")
    if target in (None, ""):
        out["target_percent"] = None
    elif isinstance(target, (int, float)) and 0 < target <= 100:
        out["target_percent"] = float(target)
    else:
        problems["target_percent"] = "percent"
    pass_percent = data.get("pass_percent")
    if out.get("kind") == SurveyKind.QUIZ:
        if not isinstance(pass_percent, int) or not 1 <= pass_percent <= 100:
            problems["pass_percent"] = "percent"
        out["pass_percent"] = pass_percent
    else:
        out["pass_percent"] = None
    headline = data.get("awareness_headline") or AWARENESS_PASSED
    if headline not in AWARENESS_HEADLINES:
        problems["awareness_headline"] = "awareness_headline"
    out["awareness_headline"] = headline
    out["show_answers"] = bool(data.get("show_answers", True))
    out["starts_at"], out["ends_at"] = data.get("starts_at"), data.get("ends_at")
    if out["starts_at"] and out["ends_at"] and out["starts_at"] >= out["ends_at"]:
        problems["ends_at"] = "dates"
    if problems:
        raise SurveyError("settings", problems=problems)
    return out


def _clean_scale_labels(rows, scale, problems):
    if not rows:
        return None
    if not isinstance(rows, list) or len(rows) != scale:
        problems["scale_labels"] = "scale_labels"
        return None
    cleaned = []
    for row in rows:
        if not isinstance(row, list) or not 1 <= len(row) <= 3:
            problems["scale_labels"] = "scale_labels"
            return None
        try:
            texts = [_text(value, MAX_LABEL) for value in row] + [None] * (3 - len(row))
        except ValueError:
            problems["scale_labels"] = "scale_labels"
            return None
        if not texts[0]:
            problems["scale_labels"] = "scale_labels"
            return None
        cleaned.append(texts)
    return cleaned
