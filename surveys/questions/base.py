"""What every kind of question has to say for itself (``QuestionType``), the registry of one type per
``QuestionKind``, and the building blocks the types' definition checks share with ``surveys.definition``.

A type is a stateless singleton: the same instance serves every question of its kind, so nothing here may keep
per-question or per-request state. ``question.type`` (``surveys.models.QuestionRules``) finds it.
"""
import math
import re

from surveys.models import QUESTION_TYPES, QuestionKind

KEY_RULE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_CHOICES = 30
MAX_LABEL = 200


class QuestionType:
    """The behaviour of one kind of question. Subclasses set ``kind`` and override what differs.

    Answers are stored as rows ``(question, item, value, number, text)``: ``value`` is an integer (an option's
    index, a level, a rating, an area id), ``number`` a float, ``text`` a string; ``item`` names a matrix item.
    """

    kind: QuestionKind
    widget: str  # the macro of surveys/_question.html that draws the answer field
    is_choice = False  # answers are listed options (codes a, b, c…); the only kind a quiz scores
    on_scale = False  # answers are levels of the survey's satisfaction scale, with a 满意率
    per_item = False  # answered per item (a matrix), each item with its own figures
    can_be_headline = False  # may carry the survey's 满意率
    can_be_condition = False  # another question's display condition may depend on it
    counted = True  # the tallies count its answers per value
    counts_answered = False  # the tallies count the respondents who answered it (its n is not the sum of counts)
    picks_area = False  # the answer places the response in an area
    summed = False  # summarised by count, mean, min and max (numbers), not by counts per value
    free_text = False  # answered in the resident's own words: read in the responses export, not counted

    @property
    def rated_whole(self):
        """The question as a whole has a 满意率 (a matrix's items have theirs)."""
        return self.on_scale and not self.per_item

    # ------------------------------------------------------------ definition (builder and import)

    def clean_definition(self, data, *, is_quiz, problems):
        """The fields specific to the kind, from a question's submitted ``data``; problems go into ``problems``
        ({field: code}). Every field is returned (None when the kind has no use for it)."""
        return {"options": None, "items": None, "min_value": None, "max_value": None, "max_length": None,
                "area_level": None}

    def condition_codes(self, question, scale):
        """The answer codes a display condition may name for ``question`` (a dict of cleaned data)."""
        return set()

    # ------------------------------------------------------------ answering

    def check(self, question, raw, scale, chosen):
        """Rows for the raw values posted for ``question`` ([strings], or {item: [strings]} for a matrix); raises
        ValueError(code) on the first problem. Records the answer codes chosen (for conditions and scoring) in
        ``chosen`` ({key: set of codes})."""
        if isinstance(raw, dict):
            raise ValueError("choice")
        values = [v.strip() for v in raw or [] if isinstance(v, str) and v.strip() != ""]
        if not values:
            if question.required:
                raise ValueError("required")
            return []
        return self.check_values(question, values, scale, chosen)

    def check_values(self, question, values, scale, chosen):
        """Rows for the non-blank values given; by default exactly one is allowed."""
        return self.check_value(question, one(values), scale, chosen)

    def check_value(self, question, value, scale, chosen):
        raise ValueError("choice")

    def codes_of(self, question, values):
        """The answer codes (as conditions name them) for stored values of ``question``."""
        return {str(v) for v in values if v is not None}

    def answer_label(self, question, code, level_labels):
        """How an answer code reads to a person."""
        return str(code)

    # ------------------------------------------------------------ results

    def summarise(self, survey, dist):
        """Fill a Distribution's figures (n, rate, mean) from its counts (``surveys.results.aggregates``)."""
        if not self.counts_answered:
            dist.n = sum(dist.counts.values())

    def value_labels(self, survey, question):
        """{stored value: label} for the results and the summary export."""
        return {}

    def rated_items(self, question):
        """(item, label) of what has its own 满意率, for rectification: the question itself, or its items."""
        return [("", question.display_text)] if self.rated_whole else []

    # ------------------------------------------------------------ export

    def export_header(self, question, locale):
        """The column headings of ``question`` in the responses export."""
        return [question.text_in(locale)]

    def export_cells(self, question, values, texts, labels):
        """The cells of one response: ``values`` and ``texts`` map (question id, item) to the stored values and
        texts (numbers already formatted); ``labels`` is an ``ExportLabels``."""
        key = (question.id, "")
        return [self.export_cell(question, values.get(key, []), texts.get(key, []), labels)]

    def export_cell(self, question, values, texts, labels):
        return values[0] if values else ""


class ExportLabels:
    """What the responses export reads answers with: the scale's wording, area names, the language."""

    __slots__ = ("levels", "areas", "locale")

    def __init__(self, levels, areas, locale):
        self.levels, self.areas, self.locale = levels, areas, locale


REGISTRY = QUESTION_TYPES  # QuestionKind -> its QuestionType; the models read it, the types fill it


def register(cls):
    """Class decorator: make the one instance of ``cls`` the type of ``cls.kind``."""
    if cls.kind in REGISTRY:
        raise ValueError(f"two question types for {cls.kind!r}")
    REGISTRY[cls.kind] = cls()
    return cls


def type_of(kind):
    """The QuestionType of ``kind`` (a QuestionKind or its value)."""
    return REGISTRY[QuestionKind(kind)]


def missing_types(kinds=QuestionKind):
    """The kinds without a registered type (an empty list when every kind has one)."""
    return [kind for kind in kinds if kind not in REGISTRY]


# ---------------------------------------------------------------- shared by the checks

def one(values):
    """The single value of ``values`` (blanks ignored), None if there is none; ValueError("one") if several."""
    values = [v for v in values if v != ""]
    if len(values) > 1:
        raise ValueError("one")
    return values[0] if values else None


def int_in(text, allowed):
    """``text`` as an integer in ``allowed``, else ValueError("choice")."""
    try:
        number = int(text)
    except (TypeError, ValueError):
        raise ValueError("choice") from None
    if number not in allowed:
        raise ValueError("choice")
    return number


def clean_text(value, limit):
    """A stripped text of at most ``limit`` characters, None when blank; ValueError when too long or not text."""
    value = (value or "").strip() if isinstance(value, str) else value
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError
    return value


def clean_number(value):
    """A finite float, None when blank; ValueError (or TypeError) otherwise."""
    if value in (None, ""):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


def clean_entries(entries, with_correct, problems, field):
    """Options or matrix items: a list of {value, label[, label_zh_hant, label_en, correct]}."""
    if not isinstance(entries, list) or not entries or len(entries) > MAX_CHOICES:
        problems[field] = "choices"
        return None
    cleaned, seen = [], set()
    for entry in entries:
        if not isinstance(entry, dict):
            problems[field] = "choices"
            return None
        value = entry.get("value")
        try:
            row = {"value": value, "label": clean_text(entry.get("label"), MAX_LABEL),
                   "label_zh_hant": clean_text(entry.get("label_zh_hant"), MAX_LABEL),
                   "label_en": clean_text(entry.get("label_en"), MAX_LABEL)}
        except ValueError:
            problems[field] = "choices"
            return None
        if not isinstance(value, str) or not KEY_RULE.match(value) or value in seen or not row["label"]:
            problems[field] = "choices"
            return None
        seen.add(value)
        if with_correct and entry.get("correct"):
            row["correct"] = True
        cleaned.append(row)
    return cleaned
