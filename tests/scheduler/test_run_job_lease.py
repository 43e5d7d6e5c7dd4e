"""Two runners of one job at the same time (two ``scheduler --run-job NAME`` from cron, or one beside the scheduler
process): only one runs it and records the run; the other skips, and the job can run again afterwards."""
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from portal.extensions import db
from portal.scheduler import jobs
from portal.scheduler.jobs import JobSpec
from portal.scheduler.models import JobRun
from tests.scheduler import jobs_for_tests

SH = ZoneInfo("Asia/Shanghai")
XUN = JobSpec("xun_bulletin", "tests.scheduler.jobs_for_tests:hold",
              {"cron": {"day": "1,11,21", "hour": 0, "minute": 30}}, keyed=True)


def test_two_simultaneous_runs_of_a_dated_job_record_one_success(app):
    jobs_for_tests.CALLS.clear()
    jobs_for_tests.HELD.clear()
    jobs_for_tests.RELEASE.clear()
    now = datetime(2026, 11, 12, 15, 0, tzinfo=SH)
    results = {}

    def first():
        with app.app_context():
            run = jobs.run_job(XUN, "Asia/Shanghai", holder="cli", now=now)
            results["first"] = (run.outcome, run.run_key) if run else None

    runner = threading.Thread(target=first)
    runner.start()
    assert jobs_for_tests.HELD.wait(10)  # the first run is inside the job

    second = jobs.run_job(XUN, "Asia/Shanghai", holder="cli", now=now)  # the second, meanwhile
    jobs_for_tests.RELEASE.set()
    runner.join(10)

    assert second is None
    assert results["first"] == ("success", "xun_bulletin:2026-11-11")
    assert len(jobs_for_tests.CALLS) == 1  # the job itself ran once
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(JobRun.id))) == 1


def test_the_command_line_says_when_a_run_was_skipped(app):
    jobs_for_tests.RELEASE.set()  # "hold" returns at once
    app.extensions["scheduler_jobs"] = [XUN]

    first = app.test_cli_runner().invoke(args=["scheduler", "--run-job", "xun_bulletin"])
    again = app.test_cli_runner().invoke(args=["scheduler", "--run-job", "xun_bulletin"])

    assert first.exit_code == 0 and "xun_bulletin: success" in first.output
    assert again.exit_code == 0 and "skipped" in again.output


def test_an_unkeyed_job_runs_again_once_the_first_run_ended(app):
    jobs_for_tests.RELEASE.set()
    tick = JobSpec("tick", "tests.scheduler.jobs_for_tests:tick", {"interval": {"minutes": 5}})

    assert jobs.run_job(tick, "Asia/Shanghai", holder="cli").outcome == "success"
    assert jobs.run_job(tick, "Asia/Shanghai", holder="cli").outcome == "success"  # the lease was given back
