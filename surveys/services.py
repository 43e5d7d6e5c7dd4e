"""Building surveys: settings, sections, questions, the draft → open ⇄ closed lifecycle, and new versions.

Every function takes domain objects, checked data and an explicit ``actor``, records an audit entry, raises
SurveyError for anything it refuses and ends with a flush; the caller commits once.
"""
import secrets

from portal.auth import audit
from portal.clock import utcnow
from portal.extensions import db
from surveys.definition import (
    MAX_LABEL,
    STRUCTURE_FIELDS,
    SURVEY_LOCKED_FIELDS,
    SurveyError,
    clean_question,
    clean_settings,
    clean_translated,
)
from surveys.models import Survey, SurveyQuestion, SurveySection, SurveyState

SETTINGS_FIELDS = ("title", "title_zh_hant", "title_en", "intro", "intro_zh_hant", "intro_en", "kind", "method",
                   "guarantee", "scale", "scale_labels", "satisfied_levels", "target_percent", "pass_percent",
                   "awareness_headline", "show_answers", "starts_at", "ends_at")
QUESTION_FIELDS = STRUCTURE_FIELDS + ("text", "text_zh_hant", "text_en", "help", "help_zh_hant", "help_en",
                                      "options", "items")


def new_key(nbytes=6):
    """A short random key for public links (8 url-safe characters for 6 bytes)."""
    return secrets.token_urlsafe(nbytes)


def default_settings(city_scale=3):
    """Settings for a new survey: the city's scale, 满意 + 基本满意 counted as satisfied, a 90% target."""
    return {"scale": city_scale, "satisfied_levels": [1, 2] if city_scale == 3 else [1, 2, 3],
            "target_percent": 90.0, "show_answers": True}


# ---------------------------------------------------------------- the survey

def create_survey(data, actor):
    """A new draft survey from raw settings (checked here), with one empty section to put questions in."""
    settings = clean_settings(data)
    survey = Survey(slug=new_key(), state=SurveyState.DRAFT, created_by_id=getattr(actor, "id", None), **settings)
    survey.sections.append(SurveySection(position=0, title=settings["title"]))
    db.session.add(survey)
    db.session.flush()
    audit.record(actor, "create", survey, summary=survey.title, changes=audit.snapshot(survey, SETTINGS_FIELDS))
    return survey


def update_survey(survey, data, actor):
    """Change settings; once opened, what decides the meaning of answers (kind, method, guarantee, scale,
    pass mark) is frozen. Changing the satisfied set stays possible and is audited: it reinterprets, it
    does not corrupt."""
    settings = clean_settings(data)
    if survey.is_locked:
        changed = [f for f in SURVEY_LOCKED_FIELDS if getattr(survey, f) != settings[f]]
        if changed:
            raise SurveyError("locked", field=changed[0])
    before = audit.snapshot(survey, SETTINGS_FIELDS)
    for field, value in settings.items():
        setattr(survey, field, value)
    db.session.flush()
    audit.record(actor, "update", survey, summary=survey.title,
                 changes=audit.diff(before, audit.snapshot(survey, SETTINGS_FIELDS)))
    return survey


def _move(survey, state, actor):
    if not survey.can_move_to(state):
        raise SurveyError("transition")
    before = survey.state
    survey.state = state
    audit.record(actor, state.value, survey, summary=survey.title, changes={"state": [before.value, state.value]})


def open_survey(survey, actor, now=None):
    """draft/closed → open. A survey needs questions, and a quiz needs questions with right answers."""
    if not survey.questions:
        raise SurveyError("no_questions")
    if survey.is_quiz and not any(q.is_scored for q in survey.questions):
        raise SurveyError("no_scored_questions")
    now = now or utcnow()
    if survey.ends_at is not None and survey.ends_at <= now:
        raise SurveyError("ended", field="ends_at")
    _move(survey, SurveyState.OPEN, actor)
    survey.opened_at = survey.opened_at or now
    survey.closed_at = None
    db.session.flush()
    return survey


def close_survey(survey, actor, now=None):
    _move(survey, SurveyState.CLOSED, actor)
    survey.closed_at = now or utcnow()
    db.session.flush()
    return survey


def close_ended_surveys(now=None):
    """Close every open survey whose end time has passed (they take no answers already); returns those closed."""
    now = now or utcnow()
    ended = db.session.execute(db.select(Survey).where(Survey.state == SurveyState.OPEN,
                                                       Survey.ends_at.is_not(None), Survey.ends_at <= now)).scalars()
    return [close_survey(survey, actor=None, now=now) for survey in ended.all()]


# ---------------------------------------------------------------- sections

def _renumber(survey):
    """Positions 0..n in display order, and each question's copy of its section's position."""
    for index, section in enumerate(sorted(survey.sections, key=lambda s: (s.position, s.id or 0))):
        section.position = index
        for q_index, question in enumerate(sorted(section.questions, key=lambda q: (q.position, q.id or 0))):
            question.position = q_index
            question.section_position = index


def _refuse_if_locked(survey):
    if survey.is_locked:
        raise SurveyError("locked")


def save_section(survey, section, data, actor):
    """Create (``section`` None) or rename a section. New sections only while the survey is a draft."""
    problems = {}
    texts = clean_translated(data, "title", MAX_LABEL, required=True, problems=problems)
    if problems:
        raise SurveyError("section", problems=problems)
    if section is None:
        _refuse_if_locked(survey)
        section = SurveySection(position=len(survey.sections))
        survey.sections.append(section)
    for field, value in texts.items():
        setattr(section, field, value)
    db.session.flush()
    audit.record(actor, "update", section, summary=section.title, changes=texts)
    return section


def delete_section(section, actor):
    survey = section.survey
    _refuse_if_locked(survey)
    if len(survey.sections) == 1:
        raise SurveyError("last_section")
    keys = {q.key for q in section.questions}
    if any(q.condition and q.condition["question"] in keys for q in survey.questions if q.key not in keys):
        raise SurveyError("condition_in_use")
    for question in list(section.questions):
        survey.questions.remove(question)
    survey.sections.remove(section)
    _renumber(survey)
    audit.record(actor, "delete", section, summary=section.title)
    db.session.flush()


def move_section(section, delta, actor):
    survey = section.survey
    _refuse_if_locked(survey)
    ordered = sorted(survey.sections, key=lambda s: s.position)
    index = ordered.index(section)
    target = min(max(index + delta, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered):
        item.position = position
    _renumber(survey)
    _check_condition_order(survey)
    db.session.flush()
    audit.record(actor, "move", section, summary=section.title)


# ---------------------------------------------------------------- questions

def question_data(question):
    """A question as the plain dict the definition checks use (and the JSON export writes)."""
    return {field: (getattr(question, field).value if field == "kind" else getattr(question, field))
            for field in QUESTION_FIELDS}


def _ordered(survey):
    return sorted(survey.questions, key=lambda q: (q.section_position, q.position, q.id or 0))


def _check_condition_order(survey):
    """Every display condition must name a question shown before it."""
    seen = set()
    for question in _ordered(survey):
        if question.condition and question.condition["question"] not in seen:
            raise SurveyError("condition_order")
        seen.add(question.key)


def _structure(data):
    """What must not change after opening: the structural fields, option/item codes and right answers."""
    return ({f: data[f] for f in STRUCTURE_FIELDS},
            [(o["value"], bool(o.get("correct"))) for o in data["options"] or ()],
            [i["value"] for i in data["items"] or ()])


def save_question(survey, section, question, data, actor):
    """Create (``question`` None, appended to ``section``) or change a question.

    After opening only the wording may change (texts, help, labels of options and items): anything else
    would change the meaning of answers already given, so it is refused (make a new version instead).
    """
    ordered = _ordered(survey)
    if question is None:
        _refuse_if_locked(survey)
        before_it = [q for q in ordered if q.section_position <= section.position]
    else:
        before_it = ordered[:ordered.index(question)]
    others = {q.key for q in survey.questions if q is not question}
    cleaned = clean_question(data, survey_kind=survey.kind, scale=survey.scale,
                             earlier={q.key: question_data(q) for q in before_it}, taken_keys=others)
    if question is not None and survey.is_locked and _structure(cleaned) != _structure(question_data(question)):
        raise SurveyError("locked")
    if question is not None and cleaned["key"] != question.key and any(
            q.condition and q.condition["question"] == question.key for q in survey.questions):
        raise SurveyError("condition_in_use", field="key")
    is_new = question is None
    if is_new:
        question = SurveyQuestion(position=len(section.questions), section_position=section.position)
        with db.session.no_autoflush:
            section.questions.append(question)
            survey.questions.append(question)
    before = {} if is_new else audit.snapshot(question, QUESTION_FIELDS)
    for field, value in cleaned.items():
        setattr(question, field, value)
    if question.headline:
        for other in survey.questions:
            if other is not question:
                other.headline = False
    db.session.flush()
    after = audit.snapshot(question, QUESTION_FIELDS)
    audit.record(actor, "create" if is_new else "update", question, summary=question.key,
                 changes=after if is_new else audit.diff(before, after))
    return question


def delete_question(question, actor):
    survey = question.survey
    _refuse_if_locked(survey)
    if any(q.condition and q.condition["question"] == question.key for q in survey.questions):
        raise SurveyError("condition_in_use")
    question.section.questions.remove(question)
    survey.questions.remove(question)
    _renumber(survey)
    audit.record(actor, "delete", question, summary=question.key)
    db.session.flush()


def move_question(question, delta, actor):
    """Up or down within its section (across sections: move it by editing in a draft)."""
    survey = question.survey
    _refuse_if_locked(survey)
    ordered = sorted(question.section.questions, key=lambda q: q.position)
    index = ordered.index(question)
    target = min(max(index + delta, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered):
        item.position = position
    _check_condition_order(survey)
    db.session.flush()
    audit.record(actor, "move", question, summary=question.key)


def move_question_to_section(question, section, actor):
    """Put ``question`` last in ``section`` (another section of its survey). Raises SurveyError ("locked",
    "section", "condition_order"); the caller rolls back on error and commits otherwise. Ends with a flush."""
    survey = question.survey
    _refuse_if_locked(survey)
    if section is None or section.survey_id != survey.id or section.id == question.section_id:
        raise SurveyError("section")
    origin = question.section
    with db.session.no_autoflush:
        origin.questions.remove(question)
        question.position = len(section.questions)
        section.questions.append(question)
    _renumber(survey)
    _check_condition_order(survey)
    db.session.flush()
    audit.record(actor, "move", question, summary=question.key,
                 changes={"section": [origin.title, section.title]})
    return question
