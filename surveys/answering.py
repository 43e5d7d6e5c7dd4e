"""Taking a response: check every answer against the survey (all problems at once), keep to the survey's
one-response guarantee, quotas and token cards, score quizzes, and store the response with its tallies.

Answers arrive as ``{question key: [values]}`` or, for a matrix, ``{key: {item: [values]}}`` (see
``surveys.forms.answers_from_form``); values are strings as a form sends them.
"""
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from portal.bulk import insert_many
from portal.city import city_setting
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.prepared import Prepared
from portal.registry.models import Area
from portal.sqlite import lock_for_write
from surveys.definition import SurveyError
from surveys.guards import has_answered, has_answered_from, is_on_call_list, normalise_token, phone_guard
from surveys.models import Guarantee, QuotaAction, Source, SurveyArea, SurveyMethod
from surveys.response_models import QUALITY_FLAGS, SurveyAnswer, SurveyResponse, SurveyToken
from surveys.results.quality import REPEAT_WINDOW, STRAIGHT_LINE_ITEMS, is_below_floor
from surveys.sheets import sheet_of
from surveys.tallies import add_to_tallies

MAX_DURATION = 24 * 3600
ANSWER_COLUMNS = ("response_id", "question_id", "item", "value", "number", "text")


@dataclass
class Checked:
    """Answers that passed the checks: rows to store, and the questions the respondent was shown."""

    rows: list = field(default_factory=list)  # (question, item, value, number, text)
    visible: list = field(default_factory=list)
    chosen: dict = field(default_factory=dict)  # key -> set of answer codes (for conditions and scoring)
    quiz: dict = field(default_factory=dict)  # key -> answered right (quizzes)


def check_answers(survey, raw):
    """Check raw answers against the survey; returns Checked or raises SurveyError("answers", problems=...)
    naming every problem at once: unknown questions, missing required answers, choices outside the list,
    oversized texts, numbers out of range. Answers to questions hidden by their display condition are
    dropped, whatever they say."""
    questions = sheet_of(survey).questions
    by_key = {q.key: q for q in questions}
    problems = {key: "unknown_question" for key in raw if key not in by_key}
    checked = Checked()
    shown = set()
    for question in questions:
        if not question.is_shown(shown, checked.chosen):
            continue
        shown.add(question.key)
        checked.visible.append(question)
        try:
            checked.rows += question.type.check(question, raw.get(question.key), survey.scale, checked.chosen)
        except ValueError as error:
            problems[question.key] = str(error)
    if problems:
        raise SurveyError("answers", problems=problems)
    return checked


def score(survey, checked):
    """(score, max score, passed) for a quiz: a choice question scores its points when exactly the right
    options were chosen. Questions the respondent was not shown do not count."""
    total = points = 0
    results = {}
    for question in checked.visible:
        if not question.is_scored:
            continue
        right = checked.chosen.get(question.key, set()) == question.correct_codes()
        results[question.key] = right
        total += question.points
        points += question.points if right else 0
    passed = total > 0 and points * 100 >= (survey.pass_percent or 100) * total
    return points, total, passed, results


def _stratum(survey, area_id, survey_area=None):
    """The survey area the response counts under: the nearest one at or above its area. That is the area link the
    respondent came through when the response is counted in its area (a survey's areas never contain one another).
    """
    if area_id is None:
        return None
    if survey_area is not None and survey_area.area_id == area_id:
        return survey_area
    links = db.session.execute(db.select(SurveyArea, Area.path).join(Area, Area.id == SurveyArea.area_id)
                               .where(SurveyArea.survey_id == survey.id)).all()
    path = db.session.execute(db.select(Area.path).where(Area.id == area_id)).scalar() if links else None
    candidates = [(len(link_path), link) for link, link_path in links if path and path.startswith(link_path)]
    return max(candidates, key=lambda candidate: candidate[0], default=(0, None))[1]


_areas = SurveyArea.__table__
_COUNT_IN_AREA = _areas.update().where(_areas.c.id == db.bindparam("stratum")) \
    .values(received=_areas.c.received + 1)
_COUNT_WITHIN_QUOTA = _COUNT_IN_AREA.where(_areas.c.received < _areas.c.quota)
_COUNT_RETURNING = Prepared(_COUNT_IN_AREA.returning(_areas.c.received))


def _take_quota(stratum):
    """Count the response against its area's quota atomically; True when it goes over a warn-only quota."""
    if stratum.quota is not None and stratum.quota_action == QuotaAction.STOP:
        if db.session.execute(_COUNT_WITHIN_QUOTA, {"stratum": stratum.id}).rowcount == 0:
            raise SurveyError("quota_full")
        _forget_count(stratum)
        return False
    received = _COUNT_RETURNING.execute({"stratum": stratum.id}).scalar()
    _forget_count(stratum)
    return stratum.quota is not None and received > stratum.quota


def _forget_count(stratum):
    if isinstance(stratum, SurveyArea):  # the model (not a LinkRow): read the new count if asked
        db.session.expire(stratum, ["received"])


def _find_token(survey, token_code):
    code = normalise_token(token_code)
    token = db.session.execute(db.select(SurveyToken).where(SurveyToken.code == code)).scalar() if code else None
    if token is None:
        raise SurveyError("token_unknown", field="token")
    if token.survey_id != survey.id:
        raise SurveyError("token_other_survey", field="token")
    if token.used_at is not None:
        raise SurveyError("token_used", field="token")
    return token


# Only the id, with plain table columns, built once: the common answer (no such response) stays cheap.
_RESPONSE_ID_BY_KEY = Prepared(db.select(SurveyResponse.__table__.c.id).where(
    SurveyResponse.__table__.c.idempotency_key == db.bindparam("key")))


def _existing(idempotency_key):
    response_id = _RESPONSE_ID_BY_KEY.execute({"key": idempotency_key}).scalar()
    return db.session.get(SurveyResponse, response_id) if response_id is not None else None


def submit_response(survey, raw, *, idempotency_key, started_at=None, token_code=None, survey_area=None,
                    device_key=None, network=None, fingerprint=None, phone_hash=None, locale="zh_Hans", now=None):
    """Store one response, or return the one already stored for ``idempotency_key`` (a retried submit).

    Returns ``(response, created)``. Refuses, storing nothing: a survey not accepting answers ("closed"),
    token problems ("token_required", "token_unknown", "token_other_survey", "token_used"), a second
    response from the same device/phone ("already_answered", "device_required", "phone_required"), bad
    answers ("answers", with problems) and a full quota ("quota_full").

    Flags what it can tell at once (``surveys.results.quality``): a straight-liner, a speeder under the questionnaire's
    floor, and on a once-per-device survey a repeat from the same network and browser (``fingerprint``) with a new
    cookie. A flagged response is stored but held back from the tallies and the headline.
    Only a sampling frame makes an answer sampled: a token card, or a phone on a telephone survey's call list.
    """
    existing = _existing(idempotency_key)
    if existing is not None:
        if existing.survey_id != survey.id:
            raise SurveyError("form_expired")
        return existing, False
    now = now or utcnow()
    if not survey.is_accepting(now):
        raise SurveyError("closed")
    if survey_area is not None and survey_area.survey_id != survey.id:
        survey_area = None
    token = _find_token(survey, token_code) if token_code else None
    guard_key = _guard_key(survey, token, device_key, phone_hash)
    if guard_key and not token and has_answered(survey, guard_key):
        raise SurveyError("already_answered")
    checked = check_answers(survey, raw)
    area_id = token.area_id if token is not None and token.area_id else (
        survey_area.area_id if survey_area is not None else _picked_area(checked))
    sampled = token is not None or (phone_hash is not None and survey.method == SurveyMethod.PHONE
                                    and is_on_call_list(survey, phone_hash))
    stratum = _stratum(survey, area_id, survey_area)
    duration = _duration(started_at, now)
    answered = len({(question.id, item) for question, item, *_rest in checked.rows})
    repeat = (token is None and survey.guarantee == Guarantee.DEVICE and fingerprint is not None
              and has_answered_from(survey, fingerprint, now - REPEAT_WINDOW))
    values = {
        "survey_id": survey.id, "source": Source.SAMPLED if sampled else Source.SELF_SELECTED,
        "idempotency_key": idempotency_key, "guard_key": guard_key, "token_id": token.id if token else None,
        "area_id": area_id, "survey_area_id": stratum.id if stratum is not None else None, "device_key": device_key,
        "network": network, "fingerprint": fingerprint, "locale": locale, "started_at": started_at,
        "submitted_at": now, "day": to_local(now, city_setting("timezone")).date().isoformat(),
        "duration_seconds": duration, "answered": answered, "is_speeder": is_below_floor(duration, answered),
        "is_repeat": repeat, **_describe(survey, checked),
    }
    held_back = any(values.get(name) for name in QUALITY_FLAGS)  # a new response: no decision counts it in yet
    # On SQLite, the write lock first: what follows only writes, then the view commits. A refused write undoes only
    # what follows: with a savepoint, or (cheaper) a rollback when the transaction began here.
    began = lock_for_write()
    try:
        with nullcontext() if began else db.session.begin_nested():
            values["over_quota"] = _take_quota(stratum) if stratum is not None else False
            if token is not None and _use_token(token, now) == 0:
                raise SurveyError("token_used", field="token")
            if db.session.new or db.session.dirty or db.session.deleted:
                db.session.flush()
            # Plain INSERTs (the table's defaults fill the rest), without the unit of work's per-object cost.
            response_id = _INSERT_RESPONSE.execute(values).scalar_one()
            insert_many(SurveyAnswer.__table__, ANSWER_COLUMNS, [
                (response_id, q.id, item, value, number, text) for q, item, value, number, text in checked.rows])
            if not held_back:
                add_to_tallies(survey, values["source"], values["survey_area_id"], checked)
    except (IntegrityError, SurveyError) as error:
        if began:
            db.session.rollback()
        if isinstance(error, SurveyError):
            raise
        again = _existing(idempotency_key)
        if again is not None:  # the same submission won a race in another request
            return again, False
        raise SurveyError("already_answered") from None
    # As if just loaded: the other columns load from the row on first use (the thank-you redirect needs none).
    response = SurveyResponse(id=response_id)
    make_transient_to_detached(response)
    db.session.add(response)
    return response, True


_INSERT_RESPONSE = Prepared(SurveyResponse.__table__.insert().returning(SurveyResponse.__table__.c.id))


def _guard_key(survey, token, device_key, phone_hash):
    if token is not None:
        return f"token:{token.id}"  # a volunteer's tablet collects many households' cards
    if survey.guarantee == Guarantee.TOKEN:
        raise SurveyError("token_required", field="token")
    if survey.guarantee == Guarantee.DEVICE:
        if not device_key:
            raise SurveyError("device_required")
        return f"device:{device_key}"
    if survey.guarantee == Guarantee.PHONE:
        if not phone_hash:
            raise SurveyError("phone_required")
        return phone_guard(phone_hash)
    return None


def _use_token(token, now):
    table = SurveyToken.__table__
    result = db.session.execute(table.update().where(table.c.id == token.id, table.c.used_at.is_(None))
                                .values(used_at=now))
    db.session.expire(token, ["used_at"])
    return result.rowcount


def _picked_area(checked):
    for question, _item, value, _number, _text in checked.rows:
        if question.type.picks_area:
            return value
    return None


def _duration(started_at, now):
    if not isinstance(started_at, datetime):
        return None
    started = started_at if started_at.tzinfo else started_at.replace(tzinfo=timezone.utc)
    seconds = int((now - started).total_seconds())
    return seconds if 0 <= seconds <= MAX_DURATION else None


def _describe(survey, checked):
    """What the results read from the response itself: the headline level, the quiz score, straight-lining."""
    headline = sheet_of(survey).headline
    described = {}
    for question, _item, value, _number, _text in checked.rows:
        if headline is not None and question.id == headline.id:
            described["headline_level"] = value
    if survey.is_quiz:
        described["score"], described["max_score"], described["passed"], checked.quiz = score(survey, checked)
    matrices = {}
    for question, _item, value, _n, _t in checked.rows:
        if question.type.per_item:
            matrices.setdefault(question.id, []).append(value)
    described["is_straightliner"] = any(len(levels) >= STRAIGHT_LINE_ITEMS and len(set(levels)) == 1
                                        for levels in matrices.values())
    return described
