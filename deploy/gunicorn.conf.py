"""gunicorn for 民声 Minsheng: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` (``make run-prod`` does it).

Every value comes from the environment (docs/deployment.md lists them). Sync workers: each request holds one
worker, photo decoding is bounded per process (PHOTO_CONCURRENCY), and the database pool is per worker
(DB_POOL_SIZE + DB_MAX_OVERFLOW). The scheduler never runs here: it is its own process (``flask scheduler``).
"""
import json
import logging
import os
from datetime import datetime, timezone

from gunicorn.glogging import Logger

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "4"))
worker_class = "sync"
# A report with photos may wait PHOTO_WAIT_SECONDS (20) for its turn and then decode: well under a minute.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))  # nginx keeps its upstream connections open
# A fresh worker now and then: slow leaks never grow a worker without bound; jitter keeps them from all restarting
# at once.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("WEB_MAX_REQUESTS_JITTER", "500"))
# The app answers its own access line (with the user and the request id) when LOG_FORMAT=json; gunicorn's own
# access log is off unless asked for (GUNICORN_ACCESS_LOG=- for stdout), then in the same JSON shape.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# X-Forwarded-* are believed only from the proxy (nginx on this machine by default); the app's ProxyFix
# (PROXY_FIX_HOPS) does the same for the client address and scheme.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "minsheng-web"


class JsonLogger(Logger):
    """gunicorn's own lines (starts, stops, worker timeouts) and, when on, its access lines as JSON objects of the
    same shape as the app's (portal/logs.py)."""

    def setup(self, cfg):
        super().setup(cfg)
        from portal.logs import JsonFormatter

        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp, req, environ, request_time):
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict or self.cfg.syslog):
            return
        request_id = dict(resp.headers).get("X-Request-ID") if resp.headers else None
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} {resp.status_code}",
            "request_id": request_id,
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),  # never the query string
            "status": resp.status_code,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
        }
        self.access_log.info(json.dumps(entry, ensure_ascii=False))


if os.environ.get("LOG_FORMAT", "").lower() == "json":
    logger_class = JsonLogger


def when_ready(server):
    """Say loudly what several workers without Redis mean."""
    log = server.log
    if server.cfg.workers > 1 and not os.environ.get("REDIS_URL"):
        log.warning("%d workers and no REDIS_URL: rate-limit counters are kept in the database (shared by every "
                    "worker and machine, one write per limited request). Set REDIS_URL to take that load off "
                    "the database.", server.cfg.workers)
