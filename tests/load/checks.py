"""What the load test checks in the database afterwards: every acknowledged submission stored exactly once, no case
without its intake event, no response without answers, survey tallies equal to the counted answers, and each case's
counters equal to the rows they count. Run inside an app context; each check returns a number that must be 0."""
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func

from complaints.case_records import MeToo
from complaints.models import Case, CaseEvent, EventKind
from portal.extensions import db
from surveys.models import SurveyQuestion
from surveys.questions import COUNTED_KINDS
from surveys.response_models import NO_AREA, SurveyAnswer, SurveyResponse, SurveyTally

BATCH = 500
# Case counters and the event rows each one counts (the me-too counter counts its own table).
EVENT_COUNTERS = {"reopen_count": EventKind.REOPEN, "rebound_count": EventKind.REBOUND,
                  "rework_count": EventKind.VERIFY_FAIL}


@dataclass
class Acknowledged:
    """What the server acknowledged to the clients: idempotency key → the receipts (case numbers, response ids)
    it answered for that key. More than one receipt for one key is a duplicate the client saw."""

    reports: dict = field(default_factory=dict)
    responses: dict = field(default_factory=dict)

    def add_report(self, key, number):
        self.reports.setdefault(key, set()).add(number)

    def add_response(self, key, response_id):
        self.responses.setdefault(key, set()).add(response_id)


def _stored(column_key, column_receipt, keys):
    """{key: [receipts stored under it]} for ``keys``, read in batches."""
    stored = {}
    keys = sorted(keys)
    for start in range(0, len(keys), BATCH):
        rows = db.session.execute(db.select(column_key, column_receipt)
                                  .where(column_key.in_(keys[start:start + BATCH]))).all()
        for key, receipt in rows:
            stored.setdefault(key, []).append(receipt)
    return stored


def _lost_and_duplicated(acknowledged, column_key, column_receipt):
    stored = _stored(column_key, column_receipt, acknowledged)
    lost = sum(1 for key in acknowledged if key not in stored)
    duplicated = 0
    for key, receipts in acknowledged.items():
        rows = stored.get(key, [])
        # two rows for one key, two receipts for one key, or a receipt that is not the stored row
        if len(rows) > 1 or len(receipts) > 1 or (rows and set(receipts) != set(rows)):
            duplicated += 1
    return lost, duplicated


def _keys_stored_twice(column):
    return db.session.execute(db.select(func.count()).select_from(
        db.select(column).where(column.is_not(None)).group_by(column).having(func.count() > 1).subquery())).scalar()


def cases_without_intake_event():
    has_event = db.select(CaseEvent.id).where(CaseEvent.case_id == Case.id, CaseEvent.kind == EventKind.RECEIVE)
    return db.session.execute(db.select(func.count(Case.id)).where(~has_event.exists())).scalar()


def responses_without_answers():
    has_answer = db.select(SurveyAnswer.id).where(SurveyAnswer.response_id == SurveyResponse.id)
    return db.session.execute(db.select(func.count(SurveyResponse.id)).where(~has_answer.exists())).scalar()


def tally_mismatches():
    """Tally keys whose count differs from the counted responses' answers (of the kinds the tallies count by value:
    choices, levels, ratings, matrix items), counted straight from the answer rows."""
    kinds = [kind.value for kind in COUNTED_KINDS]
    recount = Counter()
    stratum = func.coalesce(SurveyResponse.survey_area_id, db.literal_column(str(NO_AREA)))
    rows = db.session.execute(
        db.select(SurveyResponse.survey_id, SurveyAnswer.question_id, SurveyAnswer.item, SurveyAnswer.value,
                  SurveyResponse.source, stratum, func.count())
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyResponse.is_counted, SurveyAnswer.value.is_not(None), SurveyQuestion.kind.in_(kinds))
        .group_by(SurveyResponse.survey_id, SurveyAnswer.question_id, SurveyAnswer.item, SurveyAnswer.value,
                  SurveyResponse.source, stratum)).all()
    for *key, count in rows:
        recount[tuple(key)] = count
    tallied = Counter()
    rows = db.session.execute(
        db.select(SurveyTally.survey_id, SurveyTally.question_id, SurveyTally.item, SurveyTally.value,
                  SurveyTally.source, SurveyTally.stratum, SurveyTally.count)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyTally.question_id)
        .where(SurveyTally.count != 0, SurveyQuestion.kind.in_(kinds), ~SurveyTally.item.startswith("#"))).all()
    for *key, count in rows:
        tallied[tuple(key)] = count
    return sum(1 for key in recount.keys() | tallied.keys() if recount[key] != tallied[key])


def counter_mismatches():
    """Cases whose me-too, reopen, rebound or rework counter differs from the rows it counts."""
    me_toos = db.select(func.count(MeToo.id)).where(MeToo.case_id == Case.id).scalar_subquery()
    wrong = db.or_(Case.me_too_count != me_toos, *(
        getattr(Case, name) != db.select(func.count(CaseEvent.id))
        .where(CaseEvent.case_id == Case.id, CaseEvent.kind == kind).scalar_subquery()
        for name, kind in EVENT_COUNTERS.items()))
    return db.session.execute(db.select(func.count(Case.id)).where(wrong)).scalar()


def check_database(acknowledged):
    """Every check by name → the number of faults it found (all 0 on a sound database)."""
    lost_reports, duplicated_reports = _lost_and_duplicated(acknowledged.reports, Case.idempotency_key, Case.number)
    lost_responses, duplicated_responses = _lost_and_duplicated(
        acknowledged.responses, SurveyResponse.idempotency_key, SurveyResponse.id)
    return {
        "lost": lost_reports + lost_responses,
        "duplicated": (duplicated_reports + duplicated_responses + _keys_stored_twice(Case.idempotency_key)
                       + _keys_stored_twice(SurveyResponse.idempotency_key)),
        "cases_without_event": cases_without_intake_event(),
        "responses_without_answers": responses_without_answers(),
        "tally_mismatches": tally_mismatches(),
        "counter_mismatches": counter_mismatches(),
    }
