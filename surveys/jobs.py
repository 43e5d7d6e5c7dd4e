"""The scheduler's entry points for surveys: thin wrappers that call the services (the rules live there).

They do not commit: ``portal.scheduler.jobs.run_job`` commits a successful run, or rolls a failed one back.
"""
from portal.clock import utcnow
from surveys import distribution, services
from surveys.results import quality


def close_ended_surveys(now=None):
    """Close every open survey whose end time has passed; returns how many."""
    return len(services.close_ended_surveys(now or utcnow()))


def check_quality_of_open_surveys(now=None):
    """Recompute the speeder and burst flags of every open survey (nightly); returns {survey id: counts}."""
    return quality.flag_open_surveys()


def remind_surveys_closing(now=None):
    """A day before an open survey ends, tell the staff group robot (see ``distribution.remind_surveys_closing``)."""
    return distribution.remind_surveys_closing(now or utcnow())
