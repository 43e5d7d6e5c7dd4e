"""Job functions the scheduler tests point at by dotted path, and a scheduler process for the two-process test.

Run as ``python -m tests.scheduler.jobs_for_tests <database url>``: a scheduler competing for the lock with a
fast heartbeat and a short lease, running one job (``tick``) every 0.2 s.
"""
import sys
import threading

CALLS = []


def tick(now=None):
    return "tick"


def remember(now=None):
    CALLS.append(now)
    return {"now": now.isoformat() if now else None}


HELD = threading.Event()  # set while ``hold`` runs
RELEASE = threading.Event()


def hold(now=None):
    """A job that takes a while: it runs until the test sets RELEASE."""
    CALLS.append(now)
    HELD.set()
    RELEASE.wait(10)
    return "held"


def explode(now=None):
    raise RuntimeError("the bulletin generator broke")


def main(url):
    import logging

    from composition import create_app
    from portal.scheduler.jobs import JobSpec
    from portal.scheduler.runner import SchedulerProcess

    logging.basicConfig(level=logging.WARNING)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    app.extensions["scheduler_jobs"] = [
        JobSpec("tick", "tests.scheduler.jobs_for_tests:tick", {"interval": {"seconds": 0.2}})]
    SchedulerProcess(app, heartbeat=0.2, lease=1.5).run(install_signals=True)


if __name__ == "__main__":
    main(sys.argv[1])
