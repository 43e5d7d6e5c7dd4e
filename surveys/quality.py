"""Quality checks and exclusions. Speeders (far faster than the median) and bursts (many responses from one
device or network in a few minutes) are flagged here in batch; straight-liners are flagged as they arrive.
Flags only point; a staff member decides to exclude, and every exclusion is recorded with who and why.
"""
from datetime import timedelta

from portal.auth import audit
from portal.clock import utcnow
from portal.extensions import db
from surveys.definition import SurveyError
from surveys.response_models import SurveyExclusion, SurveyResponse
from surveys.tallies import shift_tallies

SPEEDER_FRACTION = 1 / 3  # faster than a third of the median time
MIN_FOR_MEDIAN = 10  # fewer responses than this: no speeder check (the median means little)
BURST_WINDOW = timedelta(minutes=10)
BURST_DEVICE = 3  # responses from one device within the window
BURST_NETWORK = 20  # from one network (high: mobile carriers put many people behind one address)
FLAGS = {"speeder": SurveyResponse.is_speeder, "straightliner": SurveyResponse.is_straightliner,
         "burst": SurveyResponse.is_burst, "over_quota": SurveyResponse.over_quota}
BATCH = 500
MAX_REASON = 300


def median_duration(survey):
    """The median completion time in seconds of the survey's timed responses, in two small queries."""
    timed = (SurveyResponse.survey_id == survey.id, SurveyResponse.duration_seconds.is_not(None))
    n = db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse).where(*timed))
    if not n:
        return None, 0
    query = db.select(SurveyResponse.duration_seconds).where(*timed).order_by(SurveyResponse.duration_seconds)
    middle = db.session.execute(query.offset((n - 1) // 2).limit(2 - n % 2)).scalars().all()
    return sum(middle) / len(middle), n


def _burst_ids(survey, column, threshold):
    """Ids of responses in a run of ``threshold`` or more from one key within BURST_WINDOW."""
    query = (db.select(SurveyResponse.id, column, SurveyResponse.submitted_at)
             .where(SurveyResponse.survey_id == survey.id, column.is_not(None))
             .order_by(column, SurveyResponse.submitted_at))
    flagged, window = set(), []
    for response_id, key, at in db.session.execute(query).yield_per(5000):
        window = [(i, k, t) for i, k, t in window if k == key and at - t <= BURST_WINDOW] + [(response_id, key, at)]
        if len(window) >= threshold:
            flagged.update(i for i, _k, _t in window)
    return flagged


def _set_flag(survey, column, ids):
    table = SurveyResponse.__table__
    db.session.execute(table.update().where(table.c.survey_id == survey.id).values({column.key: False}))
    ids = sorted(ids)
    for start in range(0, len(ids), BATCH):
        db.session.execute(table.update().where(table.c.id.in_(ids[start:start + BATCH])).values({column.key: True}))


def flag_responses(survey):
    """Recompute the speeder and burst flags of every response; returns the counts flagged."""
    db.session.flush()
    median, timed = median_duration(survey)
    table = SurveyResponse.__table__
    speeders = 0
    if median and timed >= MIN_FOR_MEDIAN:
        threshold = median * SPEEDER_FRACTION
        db.session.execute(table.update().where(table.c.survey_id == survey.id).values(
            is_speeder=db.and_(table.c.duration_seconds.is_not(None), table.c.duration_seconds < threshold)))
        speeders = db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.is_speeder.is_(True)))
    else:
        db.session.execute(table.update().where(table.c.survey_id == survey.id).values(is_speeder=False))
    bursts = _burst_ids(survey, SurveyResponse.device_key, BURST_DEVICE) | _burst_ids(
        survey, SurveyResponse.network, BURST_NETWORK)
    _set_flag(survey, SurveyResponse.is_burst, bursts)
    db.session.expire_all()  # the flags were set in SQL: loaded responses must not keep the old values
    return {"median_seconds": median, "speeders": speeders, "bursts": len(bursts)}


def _change(survey, response_ids, excluded, reason, actor):
    reason = (reason or "").strip()
    if not reason:
        raise SurveyError("reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise SurveyError("too_long", field="reason")
    ids = sorted({int(i) for i in response_ids})
    changed = []
    for start in range(0, len(ids), BATCH):
        batch = db.session.execute(db.select(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.id.in_(ids[start:start + BATCH]),
            SurveyResponse.excluded.is_(not excluded))).scalars().all()
        if not batch:
            continue
        shift_tallies(survey, batch, -1 if excluded else 1)
        now = utcnow()
        for response in batch:
            response.excluded = excluded
        db.session.add_all([SurveyExclusion(response_id=r.id, excluded=excluded, reason=reason,
                                            actor_id=getattr(actor, "id", None), at=now) for r in batch])
        changed += batch
    if changed:
        audit.record(actor, "exclude" if excluded else "include", survey, summary=reason,
                     changes={"responses": len(changed)})
    db.session.flush()
    return len(changed)


def exclude_responses(survey, response_ids, reason, actor):
    """Leave responses out of every figure (their answers stay stored); returns how many changed."""
    return _change(survey, response_ids, True, reason, actor)


def include_responses(survey, response_ids, reason, actor):
    """Take excluded responses back into the figures; returns how many changed."""
    return _change(survey, response_ids, False, reason, actor)


def flagged_ids(survey, flag):
    """Ids of the valid responses carrying ``flag`` (one of FLAGS)."""
    if flag not in FLAGS:
        raise SurveyError("flag")
    return db.session.execute(db.select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.excluded.is_(False), FLAGS[flag].is_(True))
    ).scalars().all()


def exclude_flagged(survey, flag, reason, actor):
    return exclude_responses(survey, flagged_ids(survey, flag), reason, actor)
