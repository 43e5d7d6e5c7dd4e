"""Liveness and readiness for the load balancer and the process supervisor.

``/healthz``: the process answers (touches nothing else, so a database outage never gets healthy workers killed).
``/readyz``: this process can serve: the database answers within a short timeout and its schema is at the
migrations' head, Redis answers when ``REDIS_URL`` is set, the S3 bucket when photos live there. A 503 names
what failed. Neither is rate-limited, sets a cookie or may be cached.
"""
import concurrent.futures
import time

from flask import Blueprint, current_app, jsonify

from portal.config import ROOT
from portal.extensions import db, limiter
from portal.storage import get_storage

bp = Blueprint("health", __name__)

_ONCE = {}  # the code's migration heads, and the threads that run the checks: made once per process


def _no_store(response, code=200):
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = readiness(current_app._get_current_object())
    failed = sorted(name for name, result in checks.items() if result != "ok")
    body = {"status": "ok" if not failed else "unavailable", "checks": checks}
    if failed:
        body["failed"] = failed
    return _no_store(jsonify(body), 503 if failed else 200)


def readiness(app):
    """{check name: "ok" or a short reason}, every check bounded by ``READY_TIMEOUT`` seconds. The answer is
    public: it names what failed, never a host name or an error text (those go to the log)."""
    timeout = float(app.config.get("READY_TIMEOUT", 2.0))
    checks = {"database": _check_database, "migrations": None}
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://", "redis+")):
        checks["redis"] = _check_redis
    if str(app.config.get("UPLOAD_STORE") or "local").lower() == "s3":
        checks["uploads"] = _check_bucket
    pool = _check_threads()
    futures = {name: pool.submit(_in_app, app, check) for name, check in checks.items() if check}
    deadline = time.monotonic() + timeout
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            app.logger.warning("readiness: %s gave no answer within %g s", name, timeout)
            results[name] = f"no answer within {timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure is "not ready"; the details go to the log only
            app.logger.warning("readiness: %s failed: %s", name, _reason(error))
            results[name] = "unreachable"
    database = results["database"]
    if isinstance(database, tuple):
        current, heads = database
        results["database"] = "ok"
        results["migrations"] = "ok" if current == heads else (
            f"database at {', '.join(sorted(current)) or 'nothing'}, code at {', '.join(sorted(heads))}")
    else:
        results["migrations"] = "not checked: no database"
    return results


def _check_threads():
    """A few threads for the checks, so a hung database costs the probe ``READY_TIMEOUT``, not a worker."""
    if "threads" not in _ONCE:
        _ONCE["threads"] = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")
    return _ONCE["threads"]


def _in_app(app, check):
    with app.app_context():
        return check(app)


def _reason(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


def migration_heads():
    """The head revisions of the code's migrations (read once per process)."""
    if "heads" not in _ONCE:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(ROOT / "migrations"))
        _ONCE["heads"] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return _ONCE["heads"]


def _check_database(_app):
    """(revisions the database is at, revisions the code has) once ``SELECT 1`` answered on a pooled connection."""
    from sqlalchemy import inspect

    with db.engine.connect() as connection:
        connection.execute(db.text("SELECT 1"))
        current = frozenset()
        if inspect(connection).has_table("alembic_version"):
            current = frozenset(connection.execute(db.text("SELECT version_num FROM alembic_version")).scalars())
    return current, migration_heads()


def _check_redis(app):
    import redis

    client = redis.Redis.from_url(app.config["RATELIMIT_STORAGE_URI"], socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _check_bucket(_app):
    storage = get_storage()
    storage.client.head_bucket(Bucket=storage.bucket)
    return "ok"
