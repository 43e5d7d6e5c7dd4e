"""The one outbound HTTP client: every call the platform makes to another server goes through here.

Each request has connect and read timeouts; connection errors, timeouts, 429 and 5xx are retried with exponential
backoff (a ``Retry-After`` is honoured up to a cap); a final failure raises ``OutboundError`` with a short reason.
Nothing else in the project imports ``requests``.
"""
import email.utils
import logging
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests
from flask import current_app

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class OutboundError(Exception):
    """An outbound call failed for good. ``reason`` is short and safe to store ("HTTP 500", "timeout")."""

    def __init__(self, reason, status=None, attempts=1):
        super().__init__(reason)
        self.reason, self.status, self.attempts = reason, status, attempts


class HttpClient:
    """A ``requests.Session`` with timeouts and retries. ``sleep`` is an attribute so tests need not wait."""

    def __init__(self, connect_timeout=3.05, read_timeout=10.0, retries=3, backoff=0.5, max_retry_after=30.0):
        self.timeout = (float(connect_timeout), float(read_timeout))
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_retry_after = float(max_retry_after)
        self.sleep = time.sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "Minsheng/1.0 (+notifications)"

    def request(self, method, url, *, retries=None, **kwargs):
        """Send one request, retrying what may succeed later; returns the (non-error) response or raises."""
        kwargs.setdefault("timeout", self.timeout)
        retries = self.retries if retries is None else retries
        for attempt in range(1, retries + 2):
            wait = None
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.Timeout:  # before ConnectionError: ConnectTimeout is both
                reason = "timeout"
            except requests.ConnectionError:
                reason = "connection failed"
            except requests.RequestException as exc:  # a bad URL or too many redirects: retrying cannot help
                raise OutboundError(f"request failed: {type(exc).__name__}", attempts=attempt) from exc
            else:
                if response.status_code < 400:
                    return response
                reason = f"HTTP {response.status_code}"
                response.close()
                if response.status_code not in RETRY_STATUSES:
                    raise OutboundError(reason, status=response.status_code, attempts=attempt)
                wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt > retries:
                status = int(reason[5:]) if reason.startswith("HTTP ") else None
                raise OutboundError(reason, status=status, attempts=attempt)
            delay = self.backoff * 2 ** (attempt - 1) if wait is None else min(wait, self.max_retry_after)
            # Only scheme, host and path: webhook URLs carry their secret key in the query string.
            log.warning("%s %s: %s; retry %d of %d in %.1fs", method, safe_url(url), reason, attempt, retries, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def post_json(self, url, payload, headers=None, retries=None):
        return self.request("POST", url, json=payload, headers=headers or {}, retries=retries)


def retry_after_seconds(value):
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def safe_url(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


def client_from_config(config):
    return HttpClient(
        connect_timeout=config["OUTBOUND_CONNECT_TIMEOUT"],
        read_timeout=config["OUTBOUND_READ_TIMEOUT"],
        retries=config["OUTBOUND_RETRIES"],
        backoff=config["OUTBOUND_BACKOFF"],
        max_retry_after=config["OUTBOUND_RETRY_AFTER_MAX"],
    )


def get_client():
    """The app's client, built from its config on first use and kept for connection reuse."""
    extensions = current_app.extensions
    if "http_client" not in extensions:
        extensions["http_client"] = client_from_config(current_app.config)
    return extensions["http_client"]
