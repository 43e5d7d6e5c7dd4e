"""The scheduler (APScheduler 3): one active process per installation, guarded by a database lock.

``flask --app wsgi scheduler`` starts a process that competes for the lock and runs the jobs while it holds it
(portal.scheduler.runner); ``flask --app wsgi scheduler --run-job NAME`` runs one job once, recorded like a
scheduled run (for cron-based setups and by hand); ``--list`` shows the jobs.
"""
import click
from flask.cli import with_appcontext

from portal.city import get_city_settings
from portal.extensions import db
from portal.scheduler import jobs
from portal.scheduler.runner import SchedulerProcess


@click.command("scheduler")
@click.option("--run-job", "run_job_name", metavar="NAME", help="Run one job once now and exit.")
@click.option("--list", "list_jobs", is_flag=True, help="List the jobs and their schedules, then exit.")
@with_appcontext
def scheduler_command(run_job_name, list_jobs):
    """Run the scheduler: exactly one process runs the jobs; any others stand by and take over."""
    from flask import current_app


    tz_name = get_city_settings().timezone
    if list_jobs:
        for spec in jobs.job_specs():
            click.echo(f"{spec.name:24} {spec.trigger(tz_name)}  next: {jobs.next_due(spec, tz_name)}")
        return
    if run_job_name:
        spec = jobs.find_job(run_job_name)
        if spec is None:
            raise click.ClickException(f"no job named {run_job_name}; see --list")
        run = jobs.run_job(spec, tz_name, holder="cli")
        if run is None:
            click.echo(f"{spec.name}: already done for this date, or running in another process: skipped")
            return
        click.echo(f"{spec.name}: {run.outcome}" + (f" ({run.result})" if run.result else ""))
        if run.outcome != "success":
            raise click.ClickException(run.error.strip().splitlines()[-1] if run.error else "failed")
        return

    db.session.rollback()  # the process works in its own app contexts from here on
    SchedulerProcess(current_app._get_current_object()).run(install_signals=True)


def init_app(app):
    """Register the ``flask scheduler`` command."""
    app.cli.add_command(scheduler_command)
