"""The jobs the scheduler runs, and running one of them with its record.

Each job is named and points by dotted path (``module:function``) to a thin wrapper in the package that owns the
work (complaints/jobs.py, surveys/jobs.py, portal/notify.py, oversight/scorecards/jobs.py). The function is imported
only when the job runs, so a missing or broken module fails that run (recorded with its error), not the scheduler.

Jobs that happen on calendar dates (bulletins, rankings, nightly checks) are *keyed*: the run key names the job and
the local date it was due, e.g. ``xun_bulletin:2026-11-1``; a key that already succeeded is not run again, and the
function gets the due time as ``now`` so a late run still covers the right period.
"""
import importlib
import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.scheduler import lock
from portal.scheduler.models import JobRun

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=40)  # far enough back to find the last due time of a monthly job
KEEP_UNKEYED_RUNS = timedelta(days=7)  # frequent jobs' records are pruned after this; keyed ones are kept


@dataclass(frozen=True)
class JobSpec:
    name: str
    target: str  # "package.module:function"; the function takes ``now`` (aware UTC)
    schedule: dict  # {"interval": {...}} or {"cron": {...}} in the city's timezone
    keyed: bool = False
    description: object = ""

    def trigger(self, tz_name):
        (kind, args), = self.schedule.items()
        if kind == "interval":
            return IntervalTrigger(timezone=tz_name, **args)
        return CronTrigger(timezone=tz_name, **args)

    def run_key(self, due, tz_name):
        local = to_local(due, tz_name)
        return f"{self.name}:{local.year}-{local.month}-{local.day}"


def default_jobs(config):
    """Every job of the platform, with intervals from the app config (``SCHEDULER_*``)."""
    watch = int(config["SCHEDULER_WATCH_MINUTES"])
    deliver = int(config["SCHEDULER_DELIVER_SECONDS"])
    return [
        JobSpec("time_limit_watch", "complaints.jobs:watch_time_limits", {"interval": {"minutes": watch}},
                description=_l("Time-limit watch: reminders (黄灯) and numbered supervision notices (红灯)")),
        JobSpec("escalation_ladder", "complaints.jobs:advance_escalation_ladder", {"interval": {"minutes": 15}},
                description=_l("Escalation ladder: strikes for units that collect supervision notices")),
        JobSpec("deliver_notifications", "portal.notify:deliver_notifications_job",
                {"interval": {"seconds": deliver}}, description=_l("Send queued notifications")),
        JobSpec("rating_reminders", "complaints.jobs:send_rating_reminders",
                {"cron": {"hour": "9-20", "minute": 15}},
                description=_l("Remind reporters to rate closed cases (daytime only)")),
        JobSpec("close_ended_surveys", "surveys.jobs:close_ended_surveys", {"interval": {"minutes": 5}},
                description=_l("Close surveys at their end time")),
        JobSpec("survey_closing_reminders", "surveys.jobs:remind_surveys_closing", {"interval": {"minutes": 30}},
                description=_l("Tell the staff group a day before a survey closes (responses, areas short of quota)")),
        JobSpec("survey_quality", "surveys.jobs:check_quality_of_open_surveys", {"cron": {"hour": 2, "minute": 0}},
                keyed=True, description=_l("Nightly quality check of open surveys")),
        JobSpec("xun_bulletin", "oversight.scorecards.jobs:publish_xun_bulletin",
                {"cron": {"day": "1,11,21", "hour": 0, "minute": 30}}, keyed=True,
                description=_l("Ten-day bulletin (旬通报) for the previous ten days")),
        JobSpec("month_ranking", "oversight.scorecards.jobs:publish_month_ranking",
                {"cron": {"day": 1, "hour": 1, "minute": 0}}, keyed=True,
                description=_l("Monthly ranking (月评比) for the previous month")),
        JobSpec("honours", "oversight.scorecards.jobs:publish_honours", {"cron": {"day": 1, "hour": 1, "minute": 0}},
                keyed=True, description=_l("Red and black lists (红黑榜) for the previous month")),
        JobSpec("scorecard_rollups", "oversight.scorecards.rollups:refresh_rollups", {"interval": {"minutes": 5}},
                description=_l("Bring the daily scorecard rollups up to date")),
        JobSpec("board_candidates", "oversight.board.candidates:propose_candidates", {"interval": {"minutes": 30}},
                description=_l("Propose exposure-board candidates (units at strike 2, clusters of reports)")),
        JobSpec("prune_job_runs", "portal.scheduler.jobs:prune_job_runs", {"cron": {"hour": 3, "minute": 30}},
                keyed=True, description=_l("Forget old records of frequent jobs")),
    ]


def job_specs(app=None):
    app = app or current_app
    return app.extensions.get("scheduler_jobs") or default_jobs(app.config)


def find_job(name, app=None):
    return next((spec for spec in job_specs(app) if spec.name == name), None)


def last_due(spec, tz_name, now=None):
    """The latest time at or before ``now`` the job was due (cron jobs), or None."""
    now = now or utcnow()
    trigger = spec.trigger(tz_name)
    due, latest = trigger.get_next_fire_time(None, now - LOOKBACK), None
    while due is not None and due <= now:
        latest = due
        due = trigger.get_next_fire_time(due, due + timedelta(microseconds=1))
    return latest


def next_due(spec, tz_name, now=None):
    return spec.trigger(tz_name).get_next_fire_time(None, now or utcnow())


def succeeded(run_key):
    return db.session.execute(db.select(JobRun.id).where(JobRun.run_key == run_key,
                                                         JobRun.outcome == "success")).first() is not None


def resolve(target):
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _summary(result):
    if result is None:
        return None
    return str(result)[:500]


def run_job(spec, tz_name, holder=None, due=None, now=None):
    """Run one job once, in the current app context, and record it; never raises. Returns the JobRun, or None
    when a keyed job's run key already succeeded, or another process is running the same job right now (nothing
    is recorded then).

    Every runner (the scheduler process, ``scheduler --run-job`` from cron or by hand) first takes the job's own
    lease (``job:<name>`` in the scheduler lock table), so two of them never run one job at once; the run key is
    checked again once the lease is held."""
    now = now or utcnow()
    with lock.job_lease(f"job:{spec.name}", holder,
                        current_app.config["SCHEDULER_LEASE_SECONDS"]) as held:
        if not held:
            log.warning("skipping %s: another process is running it", spec.name)
            db.session.rollback()
            return None
        return _run_leased(spec, tz_name, holder, due, now)


def _run_leased(spec, tz_name, holder, due, now):
    key = None
    if spec.keyed:
        due = due or last_due(spec, tz_name, now) or now
        key = spec.run_key(due, tz_name)
        if succeeded(key):
            db.session.rollback()
            return None
    run = JobRun(job=spec.name, run_key=key, holder=holder, started_at=utcnow(), outcome="running")
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        result = resolve(spec.target)(now=due if spec.keyed else now)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded; the scheduler carries on
        db.session.rollback()
        log.exception("job %s failed", spec.name)
        run = db.session.get(JobRun, run_id)
        run.outcome, run.error = "failed", "".join(traceback.format_exception(exc))[-4000:]
    else:
        run = db.session.get(JobRun, run_id)
        run.outcome, run.result = "success", _summary(result)
    run.finished_at = utcnow()
    db.session.commit()
    return run


def mark_interrupted(holder, now=None):
    """Runs left "running" by another process (which died) are marked failed; called when taking over."""
    rows = db.session.execute(db.select(JobRun).where(JobRun.outcome == "running",
                                                      db.or_(JobRun.holder.is_(None), JobRun.holder != holder)))
    count = 0
    for run in rows.scalars().all():
        run.outcome, run.finished_at = "failed", now or utcnow()
        run.error = "interrupted: the scheduler process running it stopped"
        count += 1
    db.session.commit()
    return count


def overdue_keyed_jobs(tz_name, window, now=None):
    """(spec, due) for keyed jobs due within ``window`` before ``now`` whose run has not succeeded (catch-up)."""
    now = now or utcnow()
    found = []
    for spec in job_specs():
        if not spec.keyed:
            continue
        due = last_due(spec, tz_name, now)
        if due is not None and now - due <= window and not succeeded(spec.run_key(due, tz_name)):
            found.append((spec, due))
    db.session.rollback()
    return found


def prune_job_runs(now=None):
    """Delete records of frequent (unkeyed) runs older than a week; keyed runs stay (they prevent repeats)."""
    now = now or utcnow()
    result = db.session.execute(db.delete(JobRun).where(JobRun.run_key.is_(None),
                                                        JobRun.started_at < now - KEEP_UNKEYED_RUNS))
    db.session.commit()
    return {"deleted": result.rowcount}


def recent_runs(limit=50):
    return db.session.execute(db.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
                              .limit(limit)).scalars().all()


def last_runs():
    """{job name: its latest JobRun} (one query per job; there are about ten)."""
    found = {}
    for spec in job_specs():
        run = db.session.execute(db.select(JobRun).where(JobRun.job == spec.name)
                                 .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)).scalar()
        if run is not None:
            found[spec.name] = run
    return found
