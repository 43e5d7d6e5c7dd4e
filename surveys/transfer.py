"""A survey definition as JSON: export, import (as a new draft), clone and "new version".

The file carries settings, sections with questions, and the areas it is distributed in (by area code, so a
definition moves between installations). Import checks everything through the same rules as the builder and
stores nothing when any part is wrong.
"""
from datetime import datetime

from portal.auth import audit
from portal.extensions import db
from portal.registry.models import Area
from surveys.definition import MAX_LABEL, SurveyError, clean_question, clean_translated
from surveys.models import QuotaAction, SurveyArea, SurveyQuestion, SurveySection
from surveys.services import SETTINGS_FIELDS, create_survey, new_key, question_data

FORMAT = "minsheng-survey"
FORMAT_VERSION = 1
MAX_SECTIONS = 50
MAX_QUESTIONS = 300


def _plain(value):
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def export_definition(survey):
    """The survey's definition as a JSON-ready dict (no responses, no tokens)."""
    settings = {field: _plain(getattr(survey, field)) for field in SETTINGS_FIELDS}
    sections = []
    for section in survey.sections:
        sections.append({
            "title": section.title, "title_zh_hant": section.title_zh_hant, "title_en": section.title_en,
            "questions": [{k: _plain(v) for k, v in question_data(q).items()} for q in section.questions],
        })
    areas = [{"area": link.area.code, "quota": link.quota, "quota_action": link.quota_action.value,
              "population": link.population} for link in survey.areas]
    return {"format": FORMAT, "version": FORMAT_VERSION, "survey": settings, "sections": sections, "areas": areas}


def _parse_time(value, field, problems):
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        problems[field] = "date"
        return None
    if parsed.tzinfo is None:
        problems[field] = "date"
        return None
    return parsed


def import_definition(payload, actor, previous=None):
    """Create a draft survey from an exported definition; every problem is reported at once, as
    {"where": code} with where like "survey.title", "sections[0].questions[2].options" or "areas[1]".
    Nothing is left in the session when it refuses."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or not isinstance(payload.get("survey"), dict):
        raise SurveyError("import_format")
    sections = payload.get("sections")
    if not isinstance(sections, list) or not sections or len(sections) > MAX_SECTIONS:
        raise SurveyError("import_format")
    problems = {}
    settings = dict(payload["survey"])
    for field in ("starts_at", "ends_at"):
        settings[field] = _parse_time(settings.get(field), f"survey.{field}", problems)
    savepoint = db.session.begin_nested()
    try:
        survey = _build(settings, sections, payload.get("areas") or [], actor, problems)
        if problems:
            raise SurveyError("import", problems=problems)
    except SurveyError:
        savepoint.rollback()
        raise
    savepoint.commit()
    survey.previous_id = previous.id if previous is not None else None
    survey.version = previous.version + 1 if previous is not None else 1
    db.session.flush()
    audit.record(actor, "import", survey, summary=survey.title)
    return survey


def _build(settings, sections, areas, actor, problems):
    try:
        survey = create_survey(settings, actor)
    except SurveyError as error:
        problems.update({f"survey.{k}": v for k, v in error.problems.items()})
        raise SurveyError("import", problems=problems) from None
    survey.sections.clear()
    earlier, count = {}, 0
    for s_index, raw_section in enumerate(sections):
        where = f"sections[{s_index}]"
        if not isinstance(raw_section, dict) or not isinstance(raw_section.get("questions", []), list):
            problems[where] = "import_format"
            continue
        section_problems = {}
        texts = clean_translated(raw_section, "title", MAX_LABEL, required=True, problems=section_problems)
        problems.update({f"{where}.{k}": v for k, v in section_problems.items()})
        section = SurveySection(position=s_index, **texts)
        survey.sections.append(section)
        for q_index, raw in enumerate(raw_section.get("questions", [])):
            count += 1
            if count > MAX_QUESTIONS or not isinstance(raw, dict):
                problems[f"{where}.questions[{q_index}]"] = "import_format"
                continue
            try:
                cleaned = clean_question(raw, survey_kind=survey.kind, scale=survey.scale, earlier=earlier)
            except SurveyError as error:
                problems.update({f"{where}.questions[{q_index}].{k}": v for k, v in error.problems.items()})
                continue
            earlier[cleaned["key"]] = cleaned
            question = SurveyQuestion(position=q_index, section_position=s_index, **cleaned)
            with db.session.no_autoflush:
                section.questions.append(question)
                survey.questions.append(question)
    if sum(1 for q in survey.questions if q.headline) > 1:
        problems["sections"] = "headline"
    _import_areas(survey, areas, problems)
    if not problems:
        db.session.flush()
    return survey


def _import_areas(survey, rows, problems):
    if not isinstance(rows, list):
        problems["areas"] = "import_format"
        return
    codes = [row.get("area") for row in rows if isinstance(row, dict)]
    areas = {a.code: a for a in db.session.execute(db.select(Area).where(Area.code.in_(codes))).scalars()}
    seen = set()
    for index, row in enumerate(rows):
        area = areas.get(row.get("area")) if isinstance(row, dict) else None
        quota, population = (row.get("quota"), row.get("population")) if isinstance(row, dict) else (None, None)
        if area is None or area.id in seen:
            problems[f"areas[{index}]"] = "area"
            continue
        if any(v is not None and (not isinstance(v, int) or v < 0) for v in (quota, population)):
            problems[f"areas[{index}]"] = "number"
            continue
        try:
            action = QuotaAction(row.get("quota_action") or "stop")
        except ValueError:
            problems[f"areas[{index}]"] = "choice"
            continue
        seen.add(area.id)
        survey.areas.append(SurveyArea(area_id=area.id, key=new_key(), quota=quota, quota_action=action,
                                       population=population))


def clone_survey(survey, actor, new_version=False):
    """A draft copy of ``survey`` (questions, settings and areas; never responses or tokens).

    ``new_version`` marks the copy as the next version of the same survey, which is how a published
    survey's questions are changed: the old one keeps its answers and meaning, the new one starts afresh.
    """
    payload = export_definition(survey)
    if not new_version:
        payload["survey"]["title"] = survey.title[:MAX_LABEL - 4] + "（副本）"
        payload["survey"]["title_en"] = (survey.title_en[:MAX_LABEL - 7] + " (copy)") if survey.title_en else None
        payload["survey"]["title_zh_hant"] = None
    payload["survey"]["starts_at"] = payload["survey"]["ends_at"] = None
    copy = import_definition(payload, actor, previous=survey if new_version else None)
    audit.record(actor, "new_version" if new_version else "clone", copy, summary=copy.title,
                 changes={"from": survey.id})
    return copy
