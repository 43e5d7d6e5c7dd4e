"""The scheduler's entry points for cases: thin wrappers that call the services (the rules live there).

Each takes ``now`` (an aware UTC datetime; the scheduler passes the run's time) and returns a short summary. They
do not commit: ``portal.scheduler.jobs.run_job`` commits a successful run, or rolls a failed one back.
"""
from complaints import followups
from complaints.supervision import escalation
from complaints.supervision import services as supervision
from portal.clock import utcnow


def watch_time_limits(now=None):
    """黄灯 → 催办, 红灯 → numbered 督办单, each once per case and due time."""
    return supervision.watch_time_limits(now or utcnow())


def advance_escalation_ladder(now=None):
    """Step units up the three-strike ladder when they have collected enough 督办单."""
    return {"strikes": len(escalation.advance_ladder(now or utcnow()))}


def send_rating_reminders(now=None):
    """回访: one reminder to each reporter owed one (see complaints/followups.py)."""
    return {"reminders": followups.send_rating_reminders(now or utcnow())}


def seed_demo_supervision(now=None):
    """For the demo city: run the watch and the ladder once so that 黄灯/红灯 notices (and any strikes) show."""
    now = now or utcnow()
    counts = watch_time_limits(now)
    counts.update(advance_escalation_ladder(now))
    return counts
