"""What answering needs of a survey, as plain read-only copies: its settings read for each submission without
building the model, and its questions read from the database once per process for a survey that has been opened.

Once a survey is opened, nothing that decides how answers are checked or counted may change (keys, kinds, required
flags, option and item codes, right answers, conditions, the headline: ``surveys.services.save_question``), and no
question can be added or removed. Only wording changes, which answering does not read. So a submission reads the
survey's row, not its questions: a draft's questions (still being built) are read every time.
"""
from collections import OrderedDict
from dataclasses import dataclass, fields
from datetime import datetime
from threading import Lock

from portal.extensions import db
from portal.prepared import Prepared
from surveys.models import (
    Guarantee,
    QuestionKind,
    QuestionRules,
    QuotaAction,
    Survey,
    SurveyArea,
    SurveyKind,
    SurveyMethod,
    SurveyQuestion,
    SurveyRules,
    SurveyState,
    headline_of,
)

CACHED_SURVEYS = 64


@dataclass(frozen=True, eq=False)
class SurveyRow(SurveyRules):
    """An opened survey's settings as a submission needs them (see ``SurveyRules``), read as one plain row."""

    id: int
    slug: str
    kind: SurveyKind
    state: SurveyState
    method: SurveyMethod
    guarantee: Guarantee
    scale: int
    pass_percent: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    opened_at: datetime | None


_ROW_BY_SLUG = db.select(*(Survey.__table__.c[f.name] for f in fields(SurveyRow))).where(
    Survey.__table__.c.slug == db.bindparam("slug"))


def survey_row(slug):
    """The survey with this slug as a SurveyRow, or None if there is none. A draft is a SurveyRow too: callers
    that need its questions (which change until it opens) load the model."""
    row = db.session.execute(_ROW_BY_SLUG, {"slug": slug}).first()
    return SurveyRow(*row) if row is not None else None


@dataclass(frozen=True, eq=False)
class LinkRow:
    """A survey area's link as a submission needs it (its quota is counted in SQL, never read here)."""

    id: int
    survey_id: int
    area_id: int
    key: str
    quota: int | None
    quota_action: QuotaAction


_surveys, _links = Survey.__table__, SurveyArea.__table__
_SURVEY_COLUMNS = len(fields(SurveyRow))
# A submission's first statement: the survey's row and, in the same row, its area link with the key sent (or NULLs).
_ROW_AND_LINK = Prepared(db.select(*(_surveys.c[f.name] for f in fields(SurveyRow)),
                           *(_links.c[f.name] for f in fields(LinkRow)))
                 .select_from(_surveys.outerjoin(_links, db.and_(_links.c.survey_id == _surveys.c.id,
                                                                 _links.c.key == db.bindparam("key"))))
                 .where(_surveys.c.slug == db.bindparam("slug")))


def survey_and_link(slug, key):
    """(SurveyRow, LinkRow or None) for the survey with this slug and its area link with this key, in one statement;
    (None, None) if there is no such survey. A draft is a SurveyRow too (see ``survey_row``)."""
    key = key if isinstance(key, str) and key else None
    row = _ROW_AND_LINK.execute({"slug": slug, "key": key}).first()
    if row is None:
        return None, None
    link = row[_SURVEY_COLUMNS:]
    return SurveyRow(*row[:_SURVEY_COLUMNS]), (LinkRow(*link) if link[0] is not None else None)


@dataclass(frozen=True, eq=False)
class QuestionSpec(QuestionRules):
    """A question as checking and counting answers see it (see ``QuestionRules``)."""

    id: int
    key: str
    kind: QuestionKind
    required: bool
    headline: bool
    section_position: int
    position: int
    options: tuple | None
    items: tuple | None
    condition: dict | None
    min_value: float | None
    max_value: float | None
    max_length: int | None
    area_level: str | None
    points: int
    in_quiz: bool

    @classmethod
    def of(cls, question, in_quiz):
        copied = {f.name: getattr(question, f.name) for f in fields(cls) if f.name != "in_quiz"}
        return cls(**dict(copied, options=_frozen(question.options), items=_frozen(question.items)),
                   in_quiz=in_quiz)


@dataclass(frozen=True, eq=False)
class Sheet:
    """A survey's questions in display order, and its headline question."""

    questions: tuple
    headline: QuestionSpec | None


def _frozen(entries):
    return None if entries is None else tuple(dict(entry) for entry in entries)


def _read(survey):
    found = survey.questions if isinstance(survey, Survey) else db.session.execute(
        db.select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id)).scalars()
    questions = tuple(QuestionSpec.of(q, survey.is_quiz) for q in sorted(
        found, key=lambda q: (q.section_position, q.position)))
    return Sheet(questions=questions, headline=headline_of(questions))


_sheets = OrderedDict()  # (id, slug, opened_at) -> Sheet, most recently used last
_lock = Lock()


def sheet_of(survey):
    """The survey's Sheet: this process's copy for a survey that has been opened, read afresh for a draft."""
    if not survey.is_locked:
        return _read(survey)
    key = (survey.id, survey.slug, survey.opened_at)  # a new survey never matches, even one that reuses an id
    with _lock:
        sheet = _sheets.get(key)
        if sheet is not None:
            _sheets.move_to_end(key)
            return sheet
    sheet = _read(survey)
    with _lock:
        _sheets[key] = sheet
        while len(_sheets) > CACHED_SURVEYS:
            _sheets.popitem(last=False)
    return sheet
