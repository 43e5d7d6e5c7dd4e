"""The running counts behind the results, of the responses counted in the figures (neither excluded nor held back
for quality flags): one upsert per submission, one shift per exclusion or flag change, and a rebuild
from the stored answers that proves (and repairs) them. Results read these instead of looping over responses.
"""
from collections import Counter

from portal.bulk import insert_many
from portal.extensions import db
from surveys.response_models import CORRECT_ITEM, NO_AREA, SurveyAnswer, SurveyResponse, SurveyTally
from surveys.sheets import sheet_of

ANSWERED_ITEM = "#n"  # respondents who answered a question whose type ``counts_answered`` (multiple choice, texts…)
KEY_COLUMNS = ("survey_id", "question_id", "item", "value", "source", "stratum")
BATCH = 2000


def response_counts(survey, rows):
    """Tally keys (question id, item, value) → count for one response's answer rows
    ((question, item, value, ...) tuples), including quiz right/wrong per question shown."""
    counts = Counter()
    answered = set()
    values = {}
    for question, item, value, *_rest in rows:
        kind_type = question.type
        if kind_type.counted and value is not None:
            counts[(question.id, item, value)] += 1
        if kind_type.counts_answered and question.id not in answered:
            answered.add(question.id)
            counts[(question.id, ANSWERED_ITEM, 1)] += 1
        values.setdefault(question.key, []).append(value)
    if survey.is_quiz:
        shown, chosen = set(), {}
        for question in sheet_of(survey).questions:
            if not question.is_shown(shown, chosen):
                continue
            shown.add(question.key)
            chosen[question.key] = question.codes_of(values.get(question.key, ()))
            if question.is_scored:
                right = chosen[question.key] == question.correct_codes()
                counts[(question.id, CORRECT_ITEM, 1 if right else 0)] += 1
    return counts


# Add to the count when the key exists: the same SQL on SQLite (≥ 3.24) and PostgreSQL.
_ON_CONFLICT = (f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) "
                f"DO UPDATE SET count = {SurveyTally.__tablename__}.count + excluded.count")


def _upsert(survey_id, rows):
    """Add ``rows`` ({key: count}) to the tallies with one executemany, in key order (concurrent submissions lock
    rows in the same order, so they cannot deadlock)."""
    values = sorted((survey_id, question_id, item, value, source.value, stratum, count)
                    for (question_id, item, value, source, stratum), count in rows.items())
    insert_many(SurveyTally.__table__, KEY_COLUMNS + ("count",), values, on_conflict=_ON_CONFLICT)


def _keyed(source, survey_area_id, counts, sign=1):
    stratum = survey_area_id or NO_AREA
    return {(qid, item, value, source, stratum): sign * n for (qid, item, value), n in counts.items()}


def add_to_tallies(survey, source, survey_area_id, checked):
    """Count a new response (called inside ``submit_response``) from its source, stratum and checked answers."""
    _upsert(survey.id, _keyed(source, survey_area_id, response_counts(survey, checked.rows)))


def _answer_rows(survey, response_ids):
    """{response id: [(question, item, value)]} for the given responses, in one query."""
    by_id = {q.id: q for q in survey.questions}
    rows = {}
    query = (db.select(SurveyAnswer.response_id, SurveyAnswer.question_id, SurveyAnswer.item, SurveyAnswer.value)
             .where(SurveyAnswer.response_id.in_(response_ids)).order_by(SurveyAnswer.id))
    for response_id, question_id, item, value in db.session.execute(query):
        rows.setdefault(response_id, []).append((by_id[question_id], item, value))
    return rows


def shift_tallies(survey, responses, sign):
    """Take responses out of the counts (sign −1, on exclusion) or put them back (+1)."""
    responses = list(responses)
    for start in range(0, len(responses), BATCH):
        batch = responses[start:start + BATCH]
        rows = _answer_rows(survey, [r.id for r in batch])
        total = Counter()
        for response in batch:
            total.update(_keyed(response.source, response.survey_area_id,
                                response_counts(survey, rows.get(response.id, [])), sign))
        _upsert(survey.id, total)


def rebuild_tallies(survey):
    """Recount every counted response of ``survey`` (``SurveyResponse.is_counted``: neither excluded nor held back
    for its flags) from its stored answers (a repair and a proof)."""
    db.session.execute(db.delete(SurveyTally).where(SurveyTally.survey_id == survey.id))
    query = (db.select(SurveyResponse).where(SurveyResponse.survey_id == survey.id,
                                             SurveyResponse.is_counted).order_by(SurveyResponse.id))
    last_id = 0
    while True:
        batch = db.session.execute(query.where(SurveyResponse.id > last_id).limit(BATCH)).scalars().all()
        if not batch:
            break
        shift_tallies(survey, batch, 1)
        last_id = batch[-1].id
    db.session.execute(db.delete(SurveyTally).where(SurveyTally.survey_id == survey.id, SurveyTally.count == 0))
    db.session.flush()


def tally_rows(survey, stratum=None):
    """Every non-zero tally of the survey (of one stratum if given, NO_AREA for responses outside the survey's
    areas): (question id, item, value, source, stratum, count). One query."""
    query = (db.select(SurveyTally.question_id, SurveyTally.item, SurveyTally.value, SurveyTally.source,
                       SurveyTally.stratum, SurveyTally.count)
             .where(SurveyTally.survey_id == survey.id, SurveyTally.count != 0))
    if stratum is not None:
        query = query.where(SurveyTally.stratum == stratum)
    return db.session.execute(query).all()
