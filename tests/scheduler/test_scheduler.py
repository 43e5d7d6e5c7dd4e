"""The scheduler: one active process per installation (database lease), every run recorded, keyed runs once,
failing jobs recorded without stopping anything, and the status page."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from composition import create_app
from portal.auth.models import Role
from portal.extensions import db
from portal.scheduler import jobs, lock
from portal.scheduler.jobs import JobSpec
from portal.scheduler.models import JobRun
from tests.factories import make_user
from tests.scheduler import jobs_for_tests

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)


# ---------------------------------------------------------------- the lease

def test_one_holder_at_a_time_and_a_standby_takes_over_when_the_lease_expires(app):
    assert lock.acquire("a", 60, now=T0)
    assert not lock.acquire("b", 60, now=T0 + timedelta(seconds=1))
    assert lock.acquire("a", 60, now=T0 + timedelta(seconds=30))  # renewed: valid until T0 + 90 s
    assert not lock.acquire("b", 60, now=T0 + timedelta(seconds=89))
    assert lock.acquire("b", 60, now=T0 + timedelta(seconds=91))
    assert not lock.acquire("a", 60, now=T0 + timedelta(seconds=92))
    assert lock.is_holder("b", now=T0 + timedelta(seconds=92)) and not lock.is_holder("a", now=T0)
    row = lock.current_lock()
    assert row.holder == "b" and row.acquired_at == T0 + timedelta(seconds=91)


def test_a_clean_stop_hands_over_at_once(app):
    assert lock.acquire("a", 60, now=T0)
    lock.release("a", now=T0 + timedelta(seconds=5))
    assert lock.acquire("b", 60, now=T0 + timedelta(seconds=6))


def test_two_scheduler_processes_run_jobs_in_one_and_the_other_takes_over(tmp_path):
    url = "sqlite:///" + str(tmp_path / "scheduler.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    logs = [tmp_path / f"scheduler-{index}.log" for index in range(2)]
    procs = []
    for log_path in logs:
        with open(log_path, "wb") as log_file:
            procs.append(subprocess.Popen([sys.executable, "-m", "tests.scheduler.jobs_for_tests", url], cwd=ROOT,
                                          env=env, stdout=subprocess.DEVNULL, stderr=log_file))
    try:
        with app.app_context():
            runs = wait_for(lambda: [r for r in all_runs() if r.outcome == "success"], at_least=8)
            holders = {run.holder for run in runs}
            assert len(holders) == 1  # both processes were up, but one of them ran every job
            [holder] = holders
            pid = int(holder.split(":")[1])
            assert pid in {p.pid for p in procs}
            first = next(p for p in procs if p.pid == pid)
            second = next(p for p in procs if p.pid != pid)
            assert second.poll() is None  # the other one is alive and standing by
            first.send_signal(signal.SIGKILL)  # dies without releasing: the lease must expire
            first.wait(timeout=10)
            last_id = max(run.id for run in runs)
            taken = wait_for(lambda: [r for r in all_runs() if r.id > last_id and r.holder != holder], at_least=3)
            assert {int(run.holder.split(":")[1]) for run in taken} == {second.pid}
            assert lock.current_lock().holder.split(":")[1] == str(second.pid)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        with app.app_context():
            db.engine.dispose()
    assert second.returncode == 0, logs[procs.index(second)].read_text()[-2000:]


def all_runs():
    db.session.rollback()
    return db.session.execute(db.select(JobRun).order_by(JobRun.id)).scalars().all()


def wait_for(probe, at_least, timeout=60):
    """Poll ``probe`` until it returns ``at_least`` items (a deadline against a hung test, not a timing check)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if len(found) >= at_least:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"only {len(found)} of {at_least} after {timeout} s")
        time.sleep(0.2)


# ---------------------------------------------------------------- runs

def spec(name, target, keyed=False, schedule=None):
    return JobSpec(name, f"tests.scheduler.jobs_for_tests:{target}", schedule or {"interval": {"minutes": 5}},
                   keyed=keyed)


def test_every_run_is_recorded_with_its_outcome(app):
    run = jobs.run_job(spec("tick", "tick"), "Asia/Shanghai", holder="h1")
    assert (run.job, run.outcome, run.result, run.holder, run.run_key) == ("tick", "success", "tick", "h1", None)
    assert run.finished_at >= run.started_at
    assert jobs.run_job(spec("tick", "tick"), "Asia/Shanghai").outcome == "success"  # unkeyed: every call runs


def test_a_failing_job_is_recorded_with_its_error_and_the_next_job_still_runs(app, caplog):
    failed = jobs.run_job(spec("xun_bulletin", "explode"), "Asia/Shanghai")
    assert failed.outcome == "failed" and "the bulletin generator broke" in failed.error
    assert jobs.run_job(spec("tick", "tick"), "Asia/Shanghai").outcome == "success"
    assert "job xun_bulletin failed" in caplog.text


def test_a_job_whose_module_is_missing_fails_that_run_only(app):
    missing = JobSpec("honours", "portal.no_such_module:publish", {"cron": {"day": 1, "hour": 1}}, keyed=True)
    run = jobs.run_job(missing, "Asia/Shanghai")
    assert run.outcome == "failed" and "No module named 'portal.no_such_module'" in run.error


def test_a_dated_job_runs_once_per_due_date_and_gets_its_due_time(app):
    jobs_for_tests.CALLS.clear()
    xun = spec("xun_bulletin", "remember", keyed=True, schedule={"cron": {"day": "1,11,21", "hour": 0, "minute": 30}})
    now = datetime(2026, 11, 12, 15, 0, tzinfo=SH)  # a day after the 11th's run was due
    run = jobs.run_job(xun, "Asia/Shanghai", now=now)
    due = datetime(2026, 11, 11, 0, 30, tzinfo=SH)
    assert run.run_key == "xun_bulletin:2026-11-11" and jobs_for_tests.CALLS == [due]
    assert jobs.run_job(xun, "Asia/Shanghai", now=now + timedelta(hours=1)) is None  # done: skipped
    assert jobs.run_job(xun, "Asia/Shanghai", now=datetime(2026, 11, 21, 0, 31, tzinfo=SH)).run_key == \
        "xun_bulletin:2026-11-21"
    assert len(jobs_for_tests.CALLS) == 2


def test_a_failed_dated_run_is_tried_again(app):
    broken = spec("month_ranking", "explode", keyed=True, schedule={"cron": {"day": 1, "hour": 1}})
    now = datetime(2026, 12, 1, 2, 0, tzinfo=SH)
    assert jobs.run_job(broken, "Asia/Shanghai", now=now).outcome == "failed"
    fixed = spec("month_ranking", "remember", keyed=True, schedule={"cron": {"day": 1, "hour": 1}})
    run = jobs.run_job(fixed, "Asia/Shanghai", now=now)
    assert run.outcome == "success" and run.run_key == "month_ranking:2026-12-1"
    app.extensions["scheduler_jobs"] = [fixed]
    assert jobs.overdue_keyed_jobs("Asia/Shanghai", timedelta(days=3), now=now) == []


def test_taking_over_marks_the_dead_holders_runs_and_finds_missed_dated_jobs(app):
    db.session.add(JobRun(job="xun_bulletin", run_key="xun_bulletin:2026-11-11", holder="dead", outcome="running"))
    db.session.commit()
    xun = spec("xun_bulletin", "remember", keyed=True, schedule={"cron": {"day": "1,11,21", "hour": 0, "minute": 30}})
    app.extensions["scheduler_jobs"] = [xun, spec("tick", "tick")]
    assert jobs.mark_interrupted("me") == 1
    assert all_runs()[0].outcome == "failed" and "interrupted" in all_runs()[0].error
    now = datetime(2026, 11, 12, 15, 0, tzinfo=SH)
    assert jobs.overdue_keyed_jobs("Asia/Shanghai", timedelta(days=3), now=now) == [
        (xun, datetime(2026, 11, 11, 0, 30, tzinfo=SH))]
    assert jobs.overdue_keyed_jobs("Asia/Shanghai", timedelta(hours=12), now=now) == []


def test_the_platform_schedule(app):
    found = {s.name: s for s in jobs.default_jobs(app.config)}
    assert {"time_limit_watch", "escalation_ladder", "deliver_notifications", "rating_reminders",
            "close_ended_surveys", "survey_quality", "xun_bulletin", "month_ranking", "honours"} <= set(found)
    after = datetime(2026, 11, 30, 12, 0, tzinfo=SH)
    assert jobs.next_due(found["xun_bulletin"], "Asia/Shanghai", after) == datetime(2026, 12, 1, 0, 30, tzinfo=SH)
    assert jobs.next_due(found["month_ranking"], "Asia/Shanghai", after) == datetime(2026, 12, 1, 1, 0, tzinfo=SH)
    assert jobs.next_due(found["honours"], "Asia/Shanghai", after) == datetime(2026, 12, 1, 1, 0, tzinfo=SH)
    assert found["xun_bulletin"].target == "oversight.scorecards.jobs:publish_xun_bulletin"


def test_pruning_keeps_dated_runs(app):
    old = datetime(2026, 1, 1, tzinfo=SH)
    db.session.add_all([JobRun(job="tick", started_at=old, outcome="success"),
                        JobRun(job="xun_bulletin", run_key="xun_bulletin:2026-1-1", started_at=old,
                               outcome="success")])
    db.session.commit()
    assert jobs.prune_job_runs(now=datetime(2026, 2, 1, tzinfo=SH)) == {"deleted": 1}
    assert [r.job for r in all_runs()] == ["xun_bulletin"]


def test_the_cli_runs_one_job_by_name(app):
    app.extensions["scheduler_jobs"] = [spec("tick", "tick"), spec("boom", "explode")]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "--run-job", "tick"])
    assert result.exit_code == 0 and "tick: success" in result.output
    result = runner.invoke(args=["scheduler", "--run-job", "boom"])
    assert result.exit_code != 0 and "the bulletin generator broke" in result.output
    assert runner.invoke(args=["scheduler", "--run-job", "nope"]).exit_code != 0


# ---------------------------------------------------------------- the status page

def test_the_status_page_shows_the_lock_holder_jobs_and_runs(app, client, login):
    lock.acquire("host-a:4242:abc", 600)
    jobs.run_job(spec("xun_bulletin", "explode"), "Asia/Shanghai", holder="host-a:4242:abc")
    login(make_user(Role.ADMIN))
    page = client.get("/console/scheduler/?lang=en").get_data(as_text=True)
    assert "host-a:4242:abc" in page and "Active" in page
    assert "time_limit_watch" in page and "xun_bulletin" in page
    assert "Failed" in page and "the bulletin generator broke" in page


def test_the_status_page_says_when_no_scheduler_runs(app, client, login):
    login(make_user(Role.ADMIN))
    page = client.get("/console/scheduler/?lang=en").get_data(as_text=True)
    assert "No scheduler has run yet" in page


def test_only_admins_see_the_scheduler(app, client, login):
    login(make_user(Role.DISPATCHER))
    assert client.get("/console/scheduler/").status_code == 403
