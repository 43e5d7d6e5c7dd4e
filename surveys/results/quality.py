"""Quality checks and exclusions. Straight-liners, speeders under the questionnaire's own floor and repeats (a
once-per-device survey answered again from the same network and browser within the repeat window: a cleared
cookie) are flagged as they arrive; speeders against the crowd's median and bursts (many responses from one device
or network in a few minutes) in batch.

A flagged response is held back from the headline by default (``SurveyResponse.is_counted``): the results show how
many were held back and the figure with them beside it. A recorded staff decision counts them in after all
(``count_flagged_in``), and another excludes any response altogether; each names who, when and why.
"""
from datetime import timedelta

from portal.auth import audit
from portal.clock import utcnow
from portal.extensions import db
from surveys.definition import SurveyError
from surveys.models import Survey, SurveyState
from surveys.response_models import EXCLUSION, SurveyExclusion, SurveyResponse
from surveys.response_models import FLAGS as FLAG_DECISION
from surveys.tallies import shift_tallies

SPEEDER_FRACTION = 1 / 3  # faster than a third of the median time
# The questionnaire's own floor: nobody reads a question and answers it in less. It holds when bots are the
# majority and the median itself is near 0 s (each matrix item counts as an answer).
SECONDS_PER_ANSWER = 2
STRAIGHT_LINE_ITEMS = 3  # a matrix needs this many items before one answer to all of them means anything
REPEAT_WINDOW = timedelta(hours=24)  # once-per-device: the same network and browser again within this is a repeat
MIN_FOR_MEDIAN = 10  # fewer responses than this: no speeder check (the median means little)
BURST_WINDOW = timedelta(minutes=10)
BURST_DEVICE = 3  # responses from one device within the window
BURST_NETWORK = 20  # from one network (high: mobile carriers put many people behind one address)
FLAGS = {"speeder": SurveyResponse.is_speeder, "straightliner": SurveyResponse.is_straightliner,
         "burst": SurveyResponse.is_burst, "repeat": SurveyResponse.is_repeat, "over_quota": SurveyResponse.over_quota}
BATCH = 500
MAX_REASON = 300


def rules():
    """The quality rules as they are applied, for the definitions page (指标计算口径)."""
    return {"seconds_per_answer": SECONDS_PER_ANSWER, "fraction": SPEEDER_FRACTION, "min_for_median": MIN_FOR_MEDIAN,
            "burst_minutes": int(BURST_WINDOW.total_seconds() // 60), "burst_device": BURST_DEVICE,
            "burst_network": BURST_NETWORK, "repeat_hours": int(REPEAT_WINDOW.total_seconds() // 3600),
            "straight_items": STRAIGHT_LINE_ITEMS}


def speeder_floor(answered):
    """The fewest seconds a response with ``answered`` answers can honestly take."""
    return (answered or 0) * SECONDS_PER_ANSWER


def is_below_floor(duration_seconds, answered):
    """A speeder by the questionnaire's floor alone (no crowd needed): checked as a response arrives."""
    return duration_seconds is not None and duration_seconds < speeder_floor(answered)


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


def _held_back(survey):
    """{id: (id, source, survey_area_id)} of the valid responses held back for their flags now (few, unlike the
    counted ones: comparing these before and after a check says which responses move in or out of the tallies)."""
    query = db.select(SurveyResponse.id, SurveyResponse.source, SurveyResponse.survey_area_id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.excluded.is_(False), SurveyResponse.is_held_back)
    return {row.id: row for row in db.session.execute(query)}


def flag_responses(survey):
    """Recompute the speeder and burst flags of every response, and move responses whose flags changed into or
    out of the tallies; returns the counts flagged. A speeder is faster than the questionnaire's floor for its
    answers, or (with MIN_FOR_MEDIAN timed responses) than SPEEDER_FRACTION of the median time."""
    db.session.flush()
    before = _held_back(survey)
    median, timed = median_duration(survey)
    table = SurveyResponse.__table__
    duration = table.c.duration_seconds
    too_fast = duration < table.c.answered * SECONDS_PER_ANSWER
    if median and timed >= MIN_FOR_MEDIAN:
        too_fast = db.or_(too_fast, duration < median * SPEEDER_FRACTION)
    db.session.execute(table.update().where(table.c.survey_id == survey.id).values(
        is_speeder=db.case((db.and_(duration.is_not(None), too_fast), True), else_=False)))
    speeders = db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.is_speeder.is_(True)))
    bursts = _burst_ids(survey, SurveyResponse.device_key, BURST_DEVICE) | _burst_ids(
        survey, SurveyResponse.network, BURST_NETWORK)
    _set_flag(survey, SurveyResponse.is_burst, bursts)
    db.session.expire_all()  # the flags were set in SQL: loaded responses must not keep the old values
    after = _held_back(survey)
    shift_tallies(survey, [row for key, row in after.items() if key not in before], -1)
    shift_tallies(survey, [row for key, row in before.items() if key not in after], 1)
    return {"median_seconds": median, "speeders": speeders, "bursts": len(bursts)}


def _decide(survey, response_ids, reason, actor, *, which, in_tallies, shift, apply, decision, excluded, action):
    """One recorded staff decision over responses, in batches: ``which`` picks the responses it changes,
    ``in_tallies`` those of them whose answers move in the tallies (by ``shift``), ``apply`` changes each one. Every
    change gets its ``SurveyExclusion`` row, the whole decision one audit entry. Returns how many changed."""
    reason = _reason(reason)
    ids = sorted({int(i) for i in response_ids})
    changed = 0
    for start in range(0, len(ids), BATCH):
        batch = db.session.execute(db.select(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.id.in_(ids[start:start + BATCH]),
            which)).scalars().all()
        if not batch:
            continue
        shift_tallies(survey, [r for r in batch if in_tallies(r)], shift)
        now = utcnow()
        for response in batch:
            apply(response)
        db.session.add_all([SurveyExclusion(response_id=r.id, decision=decision, excluded=excluded, reason=reason,
                                            actor_id=getattr(actor, "id", None), at=now) for r in batch])
        changed += len(batch)
    if changed:
        audit.record(actor, action, survey, summary=reason, changes={"responses": changed})
    db.session.flush()
    return changed


def _change(survey, response_ids, excluded, reason, actor):
    # A held-back response is not in the tallies: excluding it or taking it back in leaves them alone.
    return _decide(survey, response_ids, reason, actor, which=SurveyResponse.excluded.is_(not excluded),
                   in_tallies=lambda r: not r.is_held_back, shift=-1 if excluded else 1,
                   apply=lambda r: setattr(r, "excluded", excluded), decision=EXCLUSION, excluded=excluded,
                   action="exclude" if excluded else "include")


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise SurveyError("reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise SurveyError("too_long", field="reason")
    return reason


def _decide_flags(survey, response_ids, accepted, reason, actor):
    # An excluded response stays out of the tallies whatever is decided about its flags.
    return _decide(survey, response_ids, reason, actor,
                   which=db.and_(SurveyResponse.is_flagged, SurveyResponse.flags_accepted.is_(not accepted)),
                   in_tallies=lambda r: not r.excluded, shift=1 if accepted else -1,
                   apply=lambda r: setattr(r, "flags_accepted", accepted), decision=FLAG_DECISION,
                   excluded=not accepted, action="count_flagged" if accepted else "hold_flagged")


def count_flagged_in(survey, response_ids, reason, actor):
    """Count flagged responses in the headline after all (a recorded decision); returns how many changed."""
    return _decide_flags(survey, response_ids, True, reason, actor)


def hold_flagged_back(survey, response_ids, reason, actor):
    """Undo ``count_flagged_in``: the flagged responses are held back from the headline again."""
    return _decide_flags(survey, response_ids, False, reason, actor)


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


def flag_open_surveys():
    """Recompute the speeder and burst flags of every open survey; returns {survey id: counts}."""
    return {survey.id: flag_responses(survey) for survey in db.session.execute(
        db.select(Survey).where(Survey.state == SurveyState.OPEN)).scalars().all()}
