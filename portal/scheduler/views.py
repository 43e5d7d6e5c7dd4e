"""Staff page: the scheduler's jobs, last runs and lock holder."""
from flask import Blueprint, render_template

from portal.auth.permissions import Permission, require
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.scheduler import jobs, lock

bp = Blueprint("scheduler", __name__, url_prefix="/console/scheduler", template_folder="templates")


@bp.get("/")
@require(Permission.SCHEDULER_VIEW)
def status():
    now = utcnow()
    tz_name = get_city_settings().timezone
    specs = jobs.job_specs()
    current = lock.current_lock()
    return render_template(
        "scheduler/status.html", specs=specs, tz_name=tz_name, now=now, lock=current,
        lock_live=current is not None and current.expires_at > now, last=jobs.last_runs(),
        next_due={spec.name: jobs.next_due(spec, tz_name, now) for spec in specs}, runs=jobs.recent_runs())
