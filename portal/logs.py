"""Log lines an operator can search: plain text in development, one JSON object per line with ``LOG_FORMAT=json``,
and a request id on every line written while a request is served (returned in the ``X-Request-ID`` header).

What is logged about a request is its method, path (never the query string: query codes travel there), status,
duration and the signed-in user's id: never a form body, password, phone number or code.
"""
import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone

from flask import g, has_request_context, request

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy may hand us as a request id: short, and only characters that cannot break a log line or a header.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_OURS = "_minsheng_handler"
# The request fields a JSON line carries when the record has them (the request line sets them all).
_REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "user_id")

QUIET_PROBES = ("/healthz", "/readyz")

request_log = logging.getLogger("portal.request")


def configure_logging(app):
    """One handler, on the root logger: Flask's own handler on the app's logger ("portal") would print every line
    of ``portal.*`` a second time. The handler is ours (made here) or the host's (pytest's, gunicorn's): only ours
    gets the configured format."""
    from flask.logging import default_handler

    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    app.logger.removeHandler(default_handler)
    app.logger.setLevel(level)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        setattr(handler, _OURS, True)
        root.addHandler(handler)
        root.setLevel(level)
    as_json = is_json(app.config)
    for handler in root.handlers:
        if getattr(handler, _OURS, False):
            handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(TEXT_FORMAT))
    app.before_request(start_request)
    app.after_request(_finishing(as_json))  # the format is the app's, decided once here


def is_json(config):
    return str(config.get("LOG_FORMAT") or "text").strip().lower() == "json"


def request_id_from(header_value):
    """The proxy's request id when it is a safe one, else a new random id."""
    if header_value and _SAFE_REQUEST_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def current_request_id():
    return g.get("request_id") if has_request_context() else None


def start_request():
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _finishing(as_json):
    """The after-request hook as a plain function (Flask's ``ensure_sync`` answers those from their code flags)."""

    def finish(response):
        return finish_request(response, as_json)

    return finish


def finish_request(response, as_json):
    """The after-request hook: the request id header, and with JSON logs (``as_json``) the request line."""
    request_id = g.get("request_id") or request_id_from(request.headers.get(REQUEST_ID_HEADER))  # refused early
    response.headers[REQUEST_ID_HEADER] = request_id
    if as_json and not _is_quiet_probe(response):
        # The dev server prints its own line; under gunicorn this is the access log.
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        request_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "request_id": request_id, "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": duration, "user_id": _signed_in_user_id()})
    return response


def log_replayed(config, environ, status, request_id, started):
    """The request line of an answer the board's replay layer gave before Flask ran (portal/page_replay.py): the
    same fields as ``finish_request``'s, nobody signed in."""
    if is_json(config):
        method, path, code = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", ""), int(status.split()[0])
        request_log.info("%s %s %s", method, path, code, extra={
            "request_id": request_id, "method": method, "path": path, "status": code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1), "user_id": None})


def _is_quiet_probe(response):
    """A load balancer's probe that found all well: every few seconds from every balancer, so not logged."""
    return request.path in QUIET_PROBES and response.status_code == 200


def _signed_in_user_id():
    """The user's id if this request already loaded them (never a database query just for the log)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, the request fields when
    the record has them, and the exception's traceback as one string."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for field in _REQUEST_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)
