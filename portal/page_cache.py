"""HTTP caching of the public board's pages, feeds and JSON: strong ETags, Last-Modified, 304 answers without
rendering, ``Cache-Control: public`` for anonymous readers, ``private, no-store`` for signed-in staff, and the
shared cache of rendered responses (``portal.cache``) in front of the views.

A response is shared only when nothing in it can belong to one reader: an anonymous GET whose session holds no
flashed message, answered 200 by the view without touching the session. Everything else renders as before.
"""
import gzip
import hashlib
from functools import wraps
from urllib.parse import urlencode

from flask import current_app, g, request, session

from portal import cache
from portal.city import city_today, get_city_settings
from portal.i18n import current_locale

MAX_QUERY = 512  # longer (kept) query strings are never real filters: rendered, never stored
# The query parameters the public pages read (the board's filters and the language). Others, such as the
# ``from=singlemessage&isappinstalled=0`` WeChat appends to shared links, change nothing and share one copy.
QUERY_PARAMS = frozenset(("area", "unit", "status", "category", "kind", "month", "page", "lang"))
MAX_BODY = 2 * 1024 * 1024
VARY = "Accept-Language, Cookie"
# Headers a view sets that the cached copy must carry again (the rest is added by after_request hooks each time).
KEPT_HEADERS = ("Access-Control-Allow-Origin", "Content-Disposition", "X-Content-Type-Options")
ENCODINGS = ("br", "gzip")
VALIDATOR_SECONDS = 24 * 3600  # how long the time a body was first seen is remembered (its Last-Modified)


def cached_public_page(view):
    """Serve the view through the shared cache with HTTP validators; see the module docstring."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        reader = _reader()
        if reader == "private":
            return _private(current_app.make_response(view(*args, **kwargs)))
        seconds = current_app.config["BOARD_CACHE_SECONDS"]
        key = _key() if request.method in ("GET", "HEAD") else None
        entry = _lookup(key) if key and seconds > 0 else None
        if entry is None:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200 or key is None or session.modified or response.is_streamed:
                return _headers(response, reader) if response.status_code == 200 else response
            entry = _entry(response, key)
            if entry is None:
                return _headers(response, reader)
            if seconds > 0:
                _save(key, entry, seconds)
        return _answer(entry, reader)

    return wrapper


def _reader():
    """"public" (no cookie of ours), "anonymous" (a session, nobody signed in), or "private" (signed-in staff, or
    a message flashed for this reader)."""
    from flask_login import current_user

    cookies = request.cookies
    if current_app.config["SESSION_COOKIE_NAME"] not in cookies and "remember_token" not in cookies:
        return "public"
    if current_user.is_authenticated or session.get("_flashes"):
        return "private"
    return "anonymous"


def _key():
    """What a rendered response depends on: the generation, the site's address (absolute links), the path and
    query, the language, and the city's date (rectification statuses turn overdue at midnight)."""
    # sorted by name only (a stable sort): the first of repeated values, the one a view reads, stays first
    kept = sorted(((name, value) for name, value in request.args.items(multi=True) if name in QUERY_PARAMS),
                  key=lambda pair: pair[0])
    query = urlencode(kept)
    if len(query) > MAX_QUERY:
        return None
    generation = cache.current_generation()
    if generation is None:
        return None
    g.page_cache_generation = generation
    raw = "\x00".join((str(generation.value), request.host_url, request.path, query, current_locale(),
                       _city_today().isoformat()))
    return "page:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def _city_today():
    return city_today()


def _lookup(key):
    try:
        return cache.store().get(key)
    except Exception:  # noqa: BLE001 - a cache that cannot answer is a miss, never an error page
        current_app.logger.warning("Page cache unavailable; rendering", exc_info=True)
        return None


def _save(key, entry, seconds):
    try:
        cache.store().set(key, entry, seconds)
    except Exception:  # noqa: BLE001
        current_app.logger.warning("Page cache unavailable; not stored", exc_info=True)


def _entry(response, key):
    """The cache entry of a rendered 200: a strong ETag from the body's bytes, Last-Modified from when the board
    last changed or this body was first seen, and compressed copies made once."""
    body = response.get_data()
    if len(body) > MAX_BODY or "Set-Cookie" in response.headers:
        return None
    etag = hashlib.sha256(body).hexdigest()[:32]
    generation = g.get("page_cache_generation") or cache.Generation(0, 0.0)
    first_seen = _first_seen(f"seen:{etag}")  # when these very bytes were first served, under any URL
    last_modified = max(int(generation.changed_at), int(first_seen))
    headers = [(name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers]
    encoded = {"gzip": gzip.compress(body, compresslevel=6, mtime=0)}
    try:
        import brotli

        encoded["br"] = brotli.compress(body, quality=current_app.config.get("COMPRESS_BR_LEVEL", 5))
    except ImportError:  # pragma: no cover - Flask-Compress brings brotli
        pass
    return cache.Entry(body=body, mimetype=response.mimetype, headers=headers, etag=etag,
                       last_modified=last_modified, encoded=encoded)


def _first_seen(key):
    import time

    now = time.time()
    try:
        return cache.store().add(key, now, VALIDATOR_SECONDS)
    except Exception:  # noqa: BLE001
        return now


def _chosen_encoding():
    accepted = request.accept_encodings
    for name in ENCODINGS:
        if accepted[name]:
            return name
    return None


def _not_modified(entry):
    """The conditional request matches: If-None-Match when given (any compressed variant of the same body
    counts), else If-Modified-Since."""
    if request.if_none_match:
        tags = [entry.etag] + [f"{entry.etag}:{name}" for name in ENCODINGS]
        return any(request.if_none_match.contains(tag) for tag in tags)
    since = request.if_modified_since
    return since is not None and since.timestamp() >= entry.last_modified


def _answer(entry, reader):
    encoding = _chosen_encoding()
    tag = f"{entry.etag}:{encoding}" if encoding in entry.encoded else entry.etag
    if _not_modified(entry):
        response = current_app.response_class(status=304)
    else:
        body = entry.encoded.get(encoding) if encoding else None
        response = current_app.response_class(body if body is not None else entry.body, mimetype=entry.mimetype)
        if body is not None:
            response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves an encoded body alone
        for name, value in entry.headers:
            response.headers[name] = value
    response.set_etag(tag)
    response.last_modified = cache.utc_timestamp(entry.last_modified)
    response.headers["Vary"] = f"{VARY}, Accept-Encoding"
    _cache_control(response, reader)
    if response.headers["Cache-Control"].startswith("public, max-age"):
        _replay_ttl(response)
    return response


def _headers(response, reader):
    """Headers for a 200 that is not stored (too big, a cookie was set): revalidate every time."""
    response.headers["Vary"] = VARY
    response.headers["Cache-Control"] = "private, no-cache" if reader == "public" else "private, no-store"
    return response


def _cache_control(response, reader):
    seconds = current_app.config["BOARD_CACHE_SECONDS"]
    if reader != "public" or g.get("lang_to_remember"):
        # A cookie came with the request, or the response sets one (?lang=): this reader's browser only.
        response.headers["Cache-Control"] = "private, no-cache"
    elif seconds > 0:
        response.headers["Cache-Control"] = (f"public, max-age={seconds}, "
                                             f"stale-while-revalidate={max(1, seconds // 2)}")
    else:
        response.headers["Cache-Control"] = "public, no-cache"
    return response


def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = VARY
    response.headers.pop("ETag", None)
    return response


REPLAY_FLAG = "X-Minsheng-Page-Cache"  # a shareable answer, for portal.page_replay; never leaves the server


def _replay_ttl(response):
    """Mark a shareable answer for the replay layer with how long it may be replayed: the cache's seconds, never
    past the city's midnight (rectification statuses are matters of the local date)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo(get_city_settings().timezone))
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    seconds = min(current_app.config["BOARD_CACHE_SECONDS"], (midnight - now).total_seconds())
    if seconds >= 1:
        response.headers[REPLAY_FLAG] = str(int(seconds))
    return response
