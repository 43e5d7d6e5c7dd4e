"""The scheduler process: ``flask --app wsgi scheduler``.

Every process started this way competes for the database lease (portal.scheduler.lock) every ``heartbeat``
seconds. The holder runs the jobs (APScheduler's BackgroundScheduler, in the city's timezone); the others keep
their schedulers paused and wait. When the holder stops cleanly it releases the lease and a standby takes over at
its next heartbeat; when it dies, a standby takes over once the lease has expired. On taking over, a process marks
runs the dead one left "running" as failed and catches up dated jobs missed in the last few days.

Before each run the job checks that this process still holds the lease, so a process that lost it (a long pause,
a network cut) does not run a job the new holder may run too.
"""
import logging
import os
import secrets
import signal
import socket
import threading
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from portal.city import get_city_settings
from portal.clock import utcnow
from portal.scheduler import jobs as registry
from portal.scheduler import lock

log = logging.getLogger(__name__)

CATCH_UP = timedelta(days=3)


def new_holder_id():
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class SchedulerProcess:
    """One competitor for the lease; ``run()`` blocks until ``stop()`` (or SIGTERM/SIGINT in the CLI)."""

    def __init__(self, app, heartbeat=None, lease=None, holder=None):
        self.app = app
        self.heartbeat = float(heartbeat or app.config["SCHEDULER_HEARTBEAT_SECONDS"])
        self.lease = float(lease or app.config["SCHEDULER_LEASE_SECONDS"])
        if self.lease <= self.heartbeat:
            raise ValueError("the lease must be longer than the heartbeat")
        self.holder = holder or new_holder_id()
        self.active = False
        self._stop = threading.Event()
        self._job_locks = {}  # one run of a job at a time in this process (a catch-up and its regular run)
        with app.app_context():
            self.tz_name = get_city_settings().timezone
            self.specs = registry.job_specs(app)
        if not log.isEnabledFor(logging.DEBUG):  # APScheduler logs every job added and run at INFO; runs are recorded
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self.scheduler = BackgroundScheduler(
            timezone=self.tz_name,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
        for spec in self.specs:
            self.scheduler.add_job(self._run, trigger=spec.trigger(self.tz_name), args=[spec.name], id=spec.name,
                                   name=spec.name)

    # ------------------------------------------------------------ the loop

    def stop(self, *_args):
        self._stop.set()

    def run(self, install_signals=False):
        if install_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        self.scheduler.start(paused=True)
        log.info("scheduler %s started (standby until it holds the lock)", self.holder)
        try:
            while not self._stop.is_set():
                self.beat()
                self._stop.wait(self.heartbeat)
        finally:
            self.scheduler.shutdown(wait=True)
            with self.app.app_context():
                try:
                    lock.release(self.holder)
                except Exception:  # noqa: BLE001 - the lease simply expires then
                    log.exception("could not release the scheduler lock")
            log.info("scheduler %s stopped", self.holder)

    def beat(self):
        """Renew (or try to take) the lease and switch between active and standby accordingly."""
        with self.app.app_context():
            try:
                held = lock.acquire(self.holder, self.lease)
            except Exception:  # noqa: BLE001 - a database hiccup: act as if the lease was lost
                log.exception("could not renew the scheduler lock")
                held = False
            if held and not self.active:
                log.info("scheduler %s is now active", self.holder)
                self.active = True
                self._take_over()
                self.scheduler.resume()
            elif not held and self.active:
                log.warning("scheduler %s lost the lock: standing by", self.holder)
                self.active = False
                self.scheduler.pause()

    def _take_over(self):
        try:
            registry.mark_interrupted(self.holder)
            missed = registry.overdue_keyed_jobs(self.tz_name, CATCH_UP)
        except Exception:  # noqa: BLE001
            log.exception("could not check for missed jobs")
            return
        for spec, due in missed:
            log.info("catching up %s due at %s", spec.name, due)
            self.scheduler.add_job(self._run, args=[spec.name, due], id=f"catch-up:{spec.name}",
                                   replace_existing=True, next_run_time=utcnow())

    # ------------------------------------------------------------ one run

    def _run(self, name, due=None):
        spec = next(s for s in self.specs if s.name == name)
        with self._job_locks.setdefault(name, threading.Lock()), self.app.app_context():
            try:
                if not lock.is_holder(self.holder):
                    log.warning("skipping %s: this process no longer holds the scheduler lock", name)
                    return
                registry.run_job(spec, self.tz_name, holder=self.holder, due=due)
            except Exception:  # noqa: BLE001 - recording itself failed (database down): log, carry on
                log.exception("could not run job %s", name)
