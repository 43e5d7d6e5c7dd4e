"""``make loadtest-faults``: the faults, scripted.

    python -m tests.load.faults pg-restart       # PostgreSQL restarted in the middle of a load run
    python -m tests.load.faults scheduler-kill   # the scheduler SIGKILLed in the middle of its jobs, then restarted

pg-restart restarts the machine's PostgreSQL cluster (every database on it, other people's test runs included), so
it refuses to run unless LOADTEST_ALLOW_PG_RESTART=1. Afterwards every acknowledged submission must be stored once,
every answer during the outage a 503 with Retry-After in the reader's language (JSON for the JSON APIs), never
another 5xx, and the app must answer again by itself. scheduler-kill kills ``flask scheduler --run-job`` while it
sends notifications (to a local fake SMS gateway), while it writes the 旬通报 and while it runs the time-limit watch,
starts it again, and counts rows and gateway requests: no duplicate bulletin, notice or notification. Both print
``LOAD <fault> <name> <value>`` lines and exit 1 when a check fails. Sizes: LOAD_REPORTS / LOAD_RESPONSES (1000 each
for pg-restart), LOAD_CLIENTS, LOAD_READERS; FAULT_BACKEND=sqlite runs scheduler-kill on SQLite.
"""
import argparse
import asyncio
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.bench.harness import ROOT
from tests.load import __main__ as load

RESTART_AFTER_ACKS = 200  # submissions acknowledged before the restart
CLAIM_WAIT = 36  # seconds: the claim timeout with the outbound settings below (1 + 2 s per try, no retry) + 30 s


def pg_cluster(action):
    version = sorted(Path(p).name for p in glob.glob("/etc/postgresql/*"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]


async def restart_pg():
    """Restart the cluster; if pg_ctl gave up waiting for the shutdown (it waits 60 s, and a busy server may take
    minutes), start it again until it is up: the script must never leave the machine without PostgreSQL."""
    process = await asyncio.create_subprocess_exec(*pg_cluster("restart"))
    if await process.wait() == 0:
        return
    for _try in range(60):
        if " online" in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout:
            return
        process = await asyncio.create_subprocess_exec(*pg_cluster("start"))
        if await process.wait() == 0:
            return
        await asyncio.sleep(5)
    print("pg-restart: PostgreSQL did not start again; start it by hand: " + " ".join(pg_cluster("start")),
          file=sys.stderr, flush=True)


# ---------------------------------------------------------------- PostgreSQL restart during a load run

def run_pg_restart():
    if os.environ.get("LOADTEST_ALLOW_PG_RESTART") != "1":
        print("pg-restart restarts this machine's PostgreSQL (every database on it). "
              "Set LOADTEST_ALLOW_PG_RESTART=1 to run it.", file=sys.stderr)
        return 2
    os.environ.setdefault("LOAD_REPORTS", "1000")
    os.environ.setdefault("LOAD_RESPONSES", "1000")
    window = {}

    async def restart(_server, stats):
        while len(stats.report_acks) + len(stats.response_acks) < RESTART_AFTER_ACKS:
            await asyncio.sleep(0.2)
        window["start"] = time.monotonic()
        await restart_pg()
        window["end"] = time.monotonic()
        print(f"pg-restart: PostgreSQL restarted in {window['end'] - window['start']:.1f} s", file=sys.stderr)

    lines, stats, _failed = load.run_backend("pg", during=restart)
    during = [status for at, status in stats.log if window["start"] <= at <= window["end"] + 5]
    recovered = [at for at, status in stats.log if at > window["end"] and status < 500]
    results = {
        "restart_seconds": round(window["end"] - window["start"], 1),
        "answers_around_restart": len(during),
        "unavailable_503": stats.unavailable,
        "unavailable_503_bad": stats.unavailable_bad,
        "errors_500": stats.errors_5xx,
        "resent_after_503": stats.resent_after_503,
        "recovered_after_s": round(recovered[0] - window["end"], 1) if recovered else -1,
    }
    for name, value in results.items():
        load.load_line("pg-restart", name, value)
    if stats.unavailable_bad_paths:
        print(f"pg-restart: 503 answers without Retry-After, the reader's language or JSON: "
              f"{dict(stats.unavailable_bad_paths)}", file=sys.stderr)
    failed = [name for name in ("lost", "duplicated", "unexpected", "transport_errors", "cases_without_event",
                                "responses_without_answers", "tally_mismatches", "counter_mismatches") if lines[name]]
    failed += [name for name in ("unavailable_503_bad", "errors_500") if results[name]]
    if results["recovered_after_s"] < 0:
        failed.append("recovered")
    if lines["acknowledged"] != lines["reports"] + lines["responses"]:
        failed.append("acknowledged")
    return _verdict("pg-restart", failed)


def _verdict(name, failed):
    if failed:
        print(f"LOAD FAILED {name}: " + ", ".join(failed), file=sys.stderr)
        return 1
    print(f"LOAD ok {name}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- the scheduler killed mid-job

class Gateway:
    """A fake SMS gateway on loopback: records each request's serial, answers after ``delay`` seconds."""

    def __init__(self, delay=0.3):
        self.serials = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with gateway.lock:
                    gateway.serials.append((body.get("serial"), self.headers.get("Idempotency-Key")))
                time.sleep(delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"errcode": 0}')
                except BrokenPipeError:  # the sender was killed while waiting: it never heard the answer
                    pass

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.serials)


def _scheduler_env(url, gateway):
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": load.SECRET, "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": "http://127.0.0.1", "NOTIFY_SMS_URL": gateway.url, "OUTBOUND_RETRIES": "0",
            "OUTBOUND_CONNECT_TIMEOUT": "1", "OUTBOUND_READ_TIMEOUT": "2", "SCHEDULER_LEASE_SECONDS": "5",
            "SCHEDULER_HEARTBEAT_SECONDS": "1"}


def _run_job(env, job):
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "--run-job", job]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _rerun_until_done(env, job, seconds=90):
    """Start the job again until it is not skipped (the killed run's lease expires first); its output."""
    deadline = time.monotonic() + seconds
    while True:
        output = _run_job(env, job).communicate()[0]
        if "skipped" not in output or time.monotonic() > deadline:
            return output
        time.sleep(2)


def _kill_when(process, ready, seconds=120):
    """SIGKILL ``process`` as soon as ``ready()`` holds; True if it was still running then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.01)
    process.wait()
    return False


def _scalar(app, sql):
    from portal.extensions import db

    with app.app_context():
        value = db.session.execute(db.text(sql)).scalar()
        db.session.rollback()
        return value


def _queue_messages(app, count):
    from portal import notify
    from portal.extensions import db

    with app.app_context():
        for n in range(count):
            notify.queue(channel="sms", recipient=f"1380013{n:04d}", template="case_filed",
                         text=f"您反映的问题已受理（压测消息 {n}）", dedupe_key=f"loadtest-fault-{n}")
        db.session.commit()


def kill_notifications(app, env, gateway, messages=40, kill_at=10):
    _queue_messages(app, messages)
    before = gateway.count()
    killed = _kill_when(_run_job(env, "deliver_notifications"), lambda: gateway.count() - before >= kill_at)
    print(f"scheduler-kill: notifications killed after {gateway.count() - before} gateway calls; waiting "
          f"{CLAIM_WAIT} s for the claim to expire", file=sys.stderr, flush=True)
    time.sleep(CLAIM_WAIT)
    _rerun_until_done(env, "deliver_notifications")
    with gateway.lock:
        serials = Counter(serial for serial, _header in gateway.serials)
        mismatched = sum(1 for serial, header in gateway.serials if serial != header)
    sent = _scalar(app, "SELECT COUNT(*) FROM deliveries WHERE dedupe_key LIKE 'loadtest-fault-%' "
                        "AND status = 'sent'")
    rows = _scalar(app, "SELECT COUNT(*) FROM deliveries WHERE dedupe_key LIKE 'loadtest-fault-%'")
    return {
        "notifications_killed_mid_job": int(killed),
        "notifications_queued": messages,
        "notifications_rows": rows,
        "notifications_sent": sent,
        "gateway_requests": sum(serials.values()),
        "gateway_distinct_serials": len(serials),
        # at-least-once: the message in flight when the sender died goes again, with the same serial
        "gateway_resent_same_serial": sum(count - 1 for count in serials.values()),
        "serial_header_mismatches": mismatched,
    }


def _forget_xun_bulletins(app):
    """The demo city comes with its bulletins: forget them, so the job has one to write."""
    from portal.extensions import db

    with app.app_context():
        xun = "(SELECT id FROM snapshots WHERE kind = 'xun_bulletin')"
        db.session.execute(db.text(f"DELETE FROM snapshot_notes WHERE snapshot_id IN {xun}"))
        db.session.execute(db.text("DELETE FROM snapshots WHERE kind = 'xun_bulletin'"))
        db.session.execute(db.text("DELETE FROM job_runs WHERE job = 'xun_bulletin'"))
        db.session.commit()


def _make_cases_overdue(app):
    """Every case with a unit falls due an hour ago: the watch has a 督办单 to issue for each."""
    from datetime import timedelta

    from complaints.models import WITH_UNIT_STATES, Case
    from portal.clock import utcnow
    from portal.extensions import db

    with app.app_context():
        db.session.execute(db.update(Case).where(Case.state.in_(WITH_UNIT_STATES), Case.postponed.is_(False))
                           .values(due_at=utcnow() - timedelta(hours=1)))
        db.session.commit()


def kill_keyed_job(app, env, job, table_sql, duplicates_sql):
    """Kill ``job`` once its run is recorded as running, run it again; rows of ``table_sql`` before and after,
    keys stored twice (``duplicates_sql``) and the runs."""
    before = _scalar(app, table_sql)
    running = f"SELECT COUNT(*) FROM job_runs WHERE job = '{job}' AND outcome = 'running'"
    killed = _kill_when(_run_job(env, job), lambda: _scalar(app, running) > 0)
    _rerun_until_done(env, job)
    again = _run_job(env, job).communicate()[0]  # a third run: nothing new
    return {
        f"{job}_killed_mid_job": int(killed),
        f"{job}_rows_before": before,
        f"{job}_rows": _scalar(app, table_sql),
        f"{job}_duplicated": _scalar(app, duplicates_sql),
        f"{job}_successful_runs": _scalar(app, f"SELECT COUNT(*) FROM job_runs WHERE job = '{job}' "
                                               "AND outcome = 'success'"),
        f"{job}_third_run_skipped": int("skipped" in again),
    }


def run_scheduler_kill():
    backend = os.environ.get("FAULT_BACKEND", "pg")
    gateway = Gateway()
    with tempfile.TemporaryDirectory(prefix="loadtest-sched-") as tmp:
        url = os.environ.get("LOADTEST_DATABASE_URL", load.PG_URL) if backend == "pg" else f"sqlite:///{tmp}/s.db"
        if backend == "pg":
            load.recreate_pg(url)
        try:
            print("scheduler-kill: preparing the demo city", file=sys.stderr, flush=True)
            load.prepare_city(url)
            app = load.make_app(url)
            env = _scheduler_env(url, gateway)
            results = kill_notifications(app, env, gateway)
            _forget_xun_bulletins(app)
            results.update(kill_keyed_job(
                app, env, "xun_bulletin", "SELECT COUNT(*) FROM snapshots",
                "SELECT COUNT(*) FROM (SELECT kind, period_key FROM snapshots GROUP BY kind, period_key "
                "HAVING COUNT(*) > 1) AS twice"))
            notices = "SELECT COUNT(*) FROM supervision_notices"
            _make_cases_overdue(app)
            results["notices_before_watch"] = _scalar(app, notices)
            killed = _kill_when(_run_job(env, "time_limit_watch"), lambda: _scalar(
                app, "SELECT COUNT(*) FROM job_runs WHERE job = 'time_limit_watch' AND outcome = 'running'") > 0)
            _rerun_until_done(env, "time_limit_watch")
            after_first = _scalar(app, notices)
            _rerun_until_done(env, "time_limit_watch")
            results.update({
                "time_limit_watch_killed_mid_job": int(killed),
                "notices_after_watch": after_first,
                "notices_after_second_watch": _scalar(app, notices),
                "notices_duplicated": _scalar(app, "SELECT COUNT(*) FROM (SELECT case_id, kind, due_at FROM "
                                                   "supervision_notices GROUP BY case_id, kind, due_at "
                                                   "HAVING COUNT(*) > 1) AS twice"),
            })
            app = None
        finally:
            gateway.server.shutdown()
            if backend == "pg" and not os.environ.get("LOADTEST_KEEP"):
                load.drop_pg(url)
    for name, value in results.items():
        load.load_line("scheduler-kill", name, value)
    failed = []
    if results["notifications_rows"] != results["notifications_queued"]:
        failed.append("notifications_rows")
    if results["notifications_sent"] != results["notifications_queued"]:
        failed.append("notifications_sent")
    if results["gateway_distinct_serials"] != results["notifications_queued"]:
        failed.append("gateway_distinct_serials")
    if results["gateway_resent_same_serial"] > results["notifications_killed_mid_job"]:
        failed.append("gateway_resent_same_serial")
    if results["serial_header_mismatches"]:
        failed.append("serial_header_mismatches")
    if (results["xun_bulletin_rows"] != results["xun_bulletin_rows_before"] + 1
            or results["xun_bulletin_successful_runs"] != 1 or results["xun_bulletin_duplicated"]):
        failed.append("xun_bulletin")
    if (results["notices_after_watch"] <= results["notices_before_watch"] or results["notices_duplicated"]
            or results["notices_after_second_watch"] != results["notices_after_watch"]):
        failed.append("notices")
    return _verdict("scheduler-kill", failed)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.load.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("fault", choices=("pg-restart", "scheduler-kill", "all"))
    args = parser.parse_args(argv)
    codes = []
    if args.fault in ("scheduler-kill", "all"):
        codes.append(run_scheduler_kill())
    if args.fault in ("pg-restart", "all"):
        codes.append(run_pg_restart())
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
