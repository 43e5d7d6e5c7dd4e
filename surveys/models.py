"""Surveys (满意率 questionnaires and 知识问答 quizzes), their questions, responses, answers and the counts behind
the rates. The state machine lives on ``Survey``: draft → open ⇄ closed, nothing else.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.city import SATISFACTION_SCALES
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.i18n import localized
from portal.models import LabelledEnum, TimestampMixin, enum_column
from surveys.response_models import (  # noqa: F401 - importing the models registers every survey table
    Source,
    SurveyAnswer,
    SurveyCallNumber,
    SurveyExclusion,
    SurveyPhoneCode,
    SurveyResponse,
    SurveyTally,
    SurveyToken,
)


class SurveyState(LabelledEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


SurveyState._labels = {
    SurveyState.DRAFT: _l("Draft"),
    SurveyState.OPEN: _l("Open"),
    SurveyState.CLOSED: _l("Closed"),
}

# (from, to) pairs the lifecycle allows; a closed survey may be reopened (e.g. the end date was extended).
TRANSITIONS = {
    (SurveyState.DRAFT, SurveyState.OPEN),
    (SurveyState.OPEN, SurveyState.CLOSED),
    (SurveyState.CLOSED, SurveyState.OPEN),
}


class SurveyKind(LabelledEnum):
    QUESTIONNAIRE = "questionnaire"  # 满意率 and other opinion surveys
    QUIZ = "quiz"  # 知识问答: correct answers, a pass mark, 知晓率


SurveyKind._labels = {
    SurveyKind.QUESTIONNAIRE: _l("Questionnaire"),
    SurveyKind.QUIZ: _l("Knowledge quiz"),
}


class SurveyMethod(LabelledEnum):
    QR_OPEN = "qr_open"  # QR codes on notice boards: self-selected
    DOOR_TO_DOOR = "door"  # 入户问卷 with printed token cards
    PHONE = "phone"  # 电话调查
    ONLINE = "online"  # 网上问卷
    REHEARSAL = "rehearsal"  # 模拟测评: never reported as the real thing


SurveyMethod._labels = {
    SurveyMethod.QR_OPEN: _l("Open QR survey"),
    SurveyMethod.DOOR_TO_DOOR: _l("Door-to-door survey with token cards"),
    SurveyMethod.PHONE: _l("Telephone survey"),
    SurveyMethod.ONLINE: _l("Online questionnaire"),
    SurveyMethod.REHEARSAL: _l("Rehearsal (模拟测评)"),
}


class Guarantee(LabelledEnum):
    """How the survey's public link keeps to one response per person. Token cards work on every survey."""

    OPEN = "open"
    DEVICE = "device"  # weak: a signed cookie, and the network and browser the server sees
    PHONE = "phone"  # strong-ish: a code sent to the phone
    TOKEN = "token"  # strong: one printed card, one response; the open link is closed

    @property
    def plain_words(self):
        """What the guarantee means, said to the respondent on the survey page."""
        return str(_GUARANTEE_WORDS[self])


Guarantee._labels = {
    Guarantee.OPEN: _l("Open: anyone may answer, any number of times"),
    Guarantee.DEVICE: _l("Once per device (weak)"),
    Guarantee.PHONE: _l("Once per phone number, verified by a code"),
    Guarantee.TOKEN: _l("Token cards only: one card, one response"),
}

_GUARANTEE_WORDS = {
    Guarantee.OPEN: _l("Anyone may answer this survey, more than once: its results show the views of those who "
                       "chose to take part, not of a random sample."),
    Guarantee.DEVICE: _l("One answer per phone or computer. To tell devices apart we keep a cookie on this device "
                         "and a coded summary of your network and browser, never your IP address. A second answer "
                         "from the same device is kept but not counted."),
    Guarantee.PHONE: _l("One answer per mobile number: we first send a code to your phone. We keep only a coded "
                        "form of your number, never the number itself."),
    Guarantee.TOKEN: _l("Only households that received a survey card can answer: one card, one answer."),
}


class QuestionKind(LabelledEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SATISFACTION = "satisfaction"
    RATING = "rating"  # 0–10
    MATRIX = "matrix"  # several items on the survey's satisfaction scale
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    AREA = "area"


QuestionKind._labels = {
    QuestionKind.SINGLE: _l("Single choice"),
    QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.SATISFACTION: _l("Satisfaction scale"),
    QuestionKind.RATING: _l("Rating 0–10"),
    QuestionKind.MATRIX: _l("Matrix (items on the satisfaction scale)"),
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.AREA: _l("Area picker"),
}

class _QuestionTypes(dict):
    """The behaviour of each kind of question, one QuestionType per kind: filled by ``surveys.questions`` (its
    registry, ``surveys.questions.base``) when the types are imported. Read through ``QuestionRules.type``; the models
    never import the types (the types import the models)."""

    def __missing__(self, kind):
        raise LookupError(f"no question type for {kind!r}: surveys.questions registers them when imported")


QUESTION_TYPES = _QuestionTypes()


class QuotaAction(LabelledEnum):
    STOP = "stop"
    WARN = "warn"


QuotaAction._labels = {
    QuotaAction.STOP: _l("Stop accepting responses"),
    QuotaAction.WARN: _l("Accept and mark as over quota"),
}


def _pick(obj, field, locale=None):
    return localized(getattr(obj, field), getattr(obj, f"{field}_zh_hant"), getattr(obj, f"{field}_en"), locale)


class SurveyRules:
    """What answering asks of a survey's settings, shared by the model and its row read for a submission
    (``surveys.sheets.SurveyRow``). Needs ``kind``, ``state``, ``starts_at`` and ``ends_at``."""

    @property
    def is_quiz(self):
        return self.kind == SurveyKind.QUIZ

    @property
    def is_locked(self):
        """Opened at least once: the questions may be reworded, but nothing that changes what answers mean."""
        return self.state != SurveyState.DRAFT

    def is_accepting(self, now=None):
        now = now or utcnow()
        return (self.state == SurveyState.OPEN and (self.starts_at is None or now >= self.starts_at)
                and (self.ends_at is None or now < self.ends_at))


class Survey(SurveyRules, TimestampMixin, db.Model):
    """A questionnaire or quiz with its settings; its questions are frozen once it has been opened."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(db.String(16), unique=True, nullable=False)  # the public short link
    title: Mapped[str] = mapped_column(db.String(200), nullable=False)
    title_zh_hant: Mapped[str | None] = mapped_column(db.String(200))
    title_en: Mapped[str | None] = mapped_column(db.String(200))
    intro: Mapped[str | None] = mapped_column(db.Text)
    intro_zh_hant: Mapped[str | None] = mapped_column(db.Text)
    intro_en: Mapped[str | None] = mapped_column(db.Text)
    kind: Mapped[SurveyKind] = mapped_column(enum_column(SurveyKind), nullable=False,
                                             default=SurveyKind.QUESTIONNAIRE)
    state: Mapped[SurveyState] = mapped_column(enum_column(SurveyState), nullable=False, default=SurveyState.DRAFT,
                                               index=True)
    method: Mapped[SurveyMethod] = mapped_column(enum_column(SurveyMethod), nullable=False)
    guarantee: Mapped[Guarantee] = mapped_column(enum_column(Guarantee), nullable=False)
    scale: Mapped[int] = mapped_column(nullable=False, default=3)  # satisfaction scale: 3 or 5 levels
    # Optional wording of the scale, best first: [[简体, 繁體 or null, English or null], ...].
    scale_labels: Mapped[list | None] = mapped_column(db.JSON)
    # Levels (1 = best) that count as satisfied for 满意率; e.g. [1, 2] = 满意 + 基本满意 on the 3-level scale.
    satisfied_levels: Mapped[list] = mapped_column(db.JSON, nullable=False)
    target_percent: Mapped[float | None] = mapped_column(db.Float)
    pass_percent: Mapped[int | None] = mapped_column()  # quizzes: share of points needed to pass
    # quizzes: the headline 知晓率, "passed" (share of respondents who passed) or "correct" (share of points scored)
    awareness_headline: Mapped[str] = mapped_column(db.String(20), nullable=False, default="passed",
                                                    server_default="passed")
    show_answers: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    previous_id: Mapped[int | None] = mapped_column(db.ForeignKey("surveys.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))

    previous = relationship("Survey", remote_side=[id])
    sections = relationship("SurveySection", back_populates="survey", order_by="SurveySection.position",
                            cascade="all, delete-orphan")
    questions = relationship("SurveyQuestion", back_populates="survey",
                             order_by="[SurveyQuestion.section_position, SurveyQuestion.position]",
                             cascade="all, delete-orphan", overlaps="section,questions")
    areas = relationship("SurveyArea", back_populates="survey", cascade="all, delete-orphan",
                         order_by="SurveyArea.id")

    @property
    def display_title(self):
        return _pick(self, "title")

    @property
    def display_intro(self):
        return _pick(self, "intro") or ""

    def title_in(self, locale):
        return _pick(self, "title", locale)

    def can_move_to(self, state):
        return (self.state, state) in TRANSITIONS

    def level_labels(self, locale=None):
        """The scale's wording, best first, in ``locale``: the survey's own, else the city's standard labels."""
        if self.scale_labels and len(self.scale_labels) == self.scale:
            return [localized(row[0], row[1] if len(row) > 1 else None, row[2] if len(row) > 2 else None, locale)
                    for row in self.scale_labels]
        return [str(label) for label in SATISFACTION_SCALES[self.scale]]

    def is_satisfied(self, level):
        return level in set(self.satisfied_levels or ())

    @property
    def headline(self):
        return headline_of(self.questions)


def headline_of(questions):
    """The question behind a survey's 满意率: the one marked, else the first satisfaction question."""
    scale_questions = [q for q in questions if q.type.can_be_headline]
    marked = [q for q in scale_questions if q.headline]
    return (marked or scale_questions or [None])[0]


class SurveySection(db.Model):
    """A screen of the survey (one section per screen on a phone)."""

    __tablename__ = "survey_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    title: Mapped[str] = mapped_column(db.String(200), nullable=False)
    title_zh_hant: Mapped[str | None] = mapped_column(db.String(200))
    title_en: Mapped[str | None] = mapped_column(db.String(200))

    survey = relationship("Survey", back_populates="sections")
    questions = relationship("SurveyQuestion", back_populates="section", order_by="SurveyQuestion.position",
                             overlaps="questions,survey")

    @property
    def display_title(self):
        return _pick(self, "title")


class QuestionRules:
    """What checking and counting answers needs of a question, shared by the model and its read-once copy
    (``surveys.sheets.QuestionSpec``). Needs ``kind``, ``options``, ``items``, ``condition`` and ``in_quiz``."""

    @property
    def type(self):
        """The question's QuestionType (``surveys.questions``): what its kind checks, draws, counts and exports."""
        return QUESTION_TYPES[self.kind]

    def option_codes(self):
        return [o["value"] for o in self.options or ()]

    def item_codes(self):
        return [i["value"] for i in self.items or ()]

    def correct_codes(self):
        return {o["value"] for o in self.options or () if o.get("correct")}

    def is_shown(self, shown_keys, chosen):
        """Whether the display condition lets this question show, given the keys of the questions shown before
        it and the answer codes chosen so far ({key: set of codes})."""
        condition = self.condition
        return not condition or (condition["question"] in shown_keys
                                 and bool(chosen.get(condition["question"], set()) & set(condition["values"])))

    def codes_of(self, values):
        """The answer codes (as conditions name them) for stored values of this question."""
        return self.type.codes_of(self, values)

    @property
    def is_scored(self):
        """A quiz question with right answers (choice questions only)."""
        return self.in_quiz and self.type.is_choice and bool(self.correct_codes())


class SurveyQuestion(QuestionRules, db.Model):
    """One question. ``options`` and ``items`` are lists of {value, label, label_zh_hant, label_en[, correct]}."""

    __tablename__ = "survey_questions"
    __table_args__ = (db.UniqueConstraint("survey_id", "key", name="uq_survey_questions_survey_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    section_id: Mapped[int] = mapped_column(db.ForeignKey("survey_sections.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    section_position: Mapped[int] = mapped_column(nullable=False, default=0)  # the section's, for ordering
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    key: Mapped[str] = mapped_column(db.String(40), nullable=False)  # stable within the survey: q1, q2 ...
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind), nullable=False)
    text: Mapped[str] = mapped_column(db.String(500), nullable=False)
    text_zh_hant: Mapped[str | None] = mapped_column(db.String(500))
    text_en: Mapped[str | None] = mapped_column(db.String(500))
    help: Mapped[str | None] = mapped_column(db.String(500))
    help_zh_hant: Mapped[str | None] = mapped_column(db.String(500))
    help_en: Mapped[str | None] = mapped_column(db.String(500))
    required: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=True)
    headline: Mapped[bool] = mapped_column(db.Boolean, nullable=False, default=False)  # the survey's 满意率
    options: Mapped[list | None] = mapped_column(db.JSON)
    items: Mapped[list | None] = mapped_column(db.JSON)
    min_value: Mapped[float | None] = mapped_column(db.Float)
    max_value: Mapped[float | None] = mapped_column(db.Float)
    max_length: Mapped[int | None] = mapped_column()
    area_level: Mapped[str | None] = mapped_column(db.String(20))  # area picker: offer areas of this level
    # Show only when another (earlier) question's answer is one of ``values``: {"question": key, "values": [...]}.
    condition: Mapped[dict | None] = mapped_column(db.JSON)
    points: Mapped[int] = mapped_column(nullable=False, default=1)  # quizzes

    survey = relationship("Survey", back_populates="questions", overlaps="questions,section")
    section = relationship("SurveySection", back_populates="questions", overlaps="questions,survey")

    @property
    def display_text(self):
        return _pick(self, "text")

    @property
    def display_help(self):
        return _pick(self, "help") or ""

    def text_in(self, locale):
        return _pick(self, "text", locale)

    @staticmethod
    def label_of(entry, locale=None):
        return localized(entry.get("label"), entry.get("label_zh_hant"), entry.get("label_en"), locale)

    def answer_label(self, code, level_labels):
        """How an answer code reads to a person: an option's label, a level's wording, or the rating."""
        return self.type.answer_label(self, code, level_labels)

    @property
    def in_quiz(self):
        return self.survey.is_quiz


class SurveyArea(db.Model):
    """An area the survey is distributed in: its link and QR, quota, and population for weighting."""

    __tablename__ = "survey_areas"
    __table_args__ = (db.UniqueConstraint("survey_id", "area_id", name="uq_survey_areas_survey_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(db.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    area_id: Mapped[int] = mapped_column(db.ForeignKey("areas.id"), nullable=False, index=True)
    key: Mapped[str] = mapped_column(db.String(16), unique=True, nullable=False)  # in the area's short link
    quota: Mapped[int | None] = mapped_column()
    quota_action: Mapped[QuotaAction] = mapped_column(enum_column(QuotaAction), nullable=False,
                                                      default=QuotaAction.STOP)
    population: Mapped[int | None] = mapped_column()
    received: Mapped[int] = mapped_column(nullable=False, default=0)  # responses counted against the quota

    survey = relationship("Survey", back_populates="areas")
    area = relationship("Area")

    @property
    def is_full(self):
        return self.quota is not None and self.received >= self.quota

