"""The replay layer in front of Flask: a repeated anonymous GET of a board page gets the exact answer Flask gave
for it (every header, the validators, the compressed body), or a 304, before Flask runs at all (see
docs/boardcache.md)."""
import hashlib
import time
from urllib.parse import urlencode

from portal import cache, logs
from portal.extensions import db
from portal.i18n import locale_from_tag, normalise_locale
from portal.page_cache import ENCODINGS, MAX_BODY, MAX_QUERY, QUERY_PARAMS, REPLAY_FLAG
from portal.sqlite import has_plain_reader, plain_read

REPLAY_PREFIXES = ("/board/",)
# Per-request headers that must never be replayed to another reader.
NOT_REPLAYED = ("set-cookie", "date", "x-request-id", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining",
                "x-ratelimit-reset")
NOT_ON_304 = ("content-length", "content-type", "content-encoding")
MAX_HEADER = 512


class ReplayMiddleware:
    """Answers a repeated anonymous GET of a board page with the exact response Flask produced for it (headers,
    validators and compressed body), before Flask runs at all: under a media spike a board page then costs one
    generation read and one cache read. Only requests without any cookie of ours and without ``?lang=`` (which
    sets one), whose answer ``cached_public_page`` marked shareable; the key has everything the answer depends on
    that the request carries (generation, scheme and host, path, the pages' query parameters, the language inputs,
    the accepted encoding)."""

    def __init__(self, wsgi_app, app):
        self.wsgi_app = wsgi_app
        self.app = app
        self.session_cookie = app.config["SESSION_COOKIE_NAME"]

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self._pass(environ, start_response)
        try:
            entry = cache_store(self.app).get(key)
        except Exception:  # noqa: BLE001 - a cache that cannot answer is a miss
            entry = None
        if entry is not None:
            return self._replay(entry, environ, start_response)
        return self._record(key, environ, start_response)

    def _pass(self, environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [(k, v) for k, v in headers if k != REPLAY_FLAG], exc_info)

        return self.wsgi_app(environ, start)

    def _key(self, environ):
        from urllib.parse import parse_qsl

        from werkzeug.http import parse_cookie

        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not path.startswith(REPLAY_PREFIXES):
            return None
        raw_query = environ.get("QUERY_STRING", "")
        if "%00" in raw_query or "\x00" in path or len(raw_query) > 4 * MAX_QUERY:
            return None  # the input guard answers those
        cookies = parse_cookie(environ.get("HTTP_COOKIE", "")) if environ.get("HTTP_COOKIE") else {}
        if self.session_cookie in cookies or "remember_token" in cookies:
            return None
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        if any(name == "lang" for name, _value in pairs):
            return None
        kept = sorted(((n, v) for n, v in pairs if n in QUERY_PARAMS), key=lambda pair: pair[0])
        language = _language_of(cookies.get("lang"), environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        if language is None:
            return None
        try:
            generation = _generation(self.app)
        except Exception:  # noqa: BLE001 - the database is down: Flask answers (its 503 page, in the reader's language)
            return None
        if generation is None:
            return None
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        raw = "\x00".join((str(generation.value), environ.get("wsgi.url_scheme", "http"), host,
                           environ.get("SCRIPT_NAME", ""), path, urlencode(kept), language,
                           _encoding_of(environ.get("HTTP_ACCEPT_ENCODING", "")) or ""))
        return "replay:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()

    def _record(self, key, environ, start_response):
        captured = {}

        def start(status, headers, exc_info=None):
            flag = next((v for k, v in headers if k == REPLAY_FLAG), None)
            headers = [(k, v) for k, v in headers if k != REPLAY_FLAG]
            if flag and status.startswith("200") and not any(k.lower() == "set-cookie" for k, _v in headers):
                captured.update(status=status, headers=headers, ttl=int(flag))
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, start)
        if not captured:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if environ.get("REQUEST_METHOD") == "GET" and len(body) <= MAX_BODY:
            kept = [(k, v) for k, v in captured["headers"] if k.lower() not in NOT_REPLAYED]
            try:
                cache_store(self.app).set(key, (captured["status"], kept, body), captured["ttl"])
            except Exception:  # noqa: BLE001
                pass
        return [body]

    def _replay(self, entry, environ, start_response):
        started = time.perf_counter()
        status, headers, body = entry
        # Each answer its own request id (the proxy's when safe), and its line in the request log, as from Flask.
        request_id = logs.request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        if _replay_not_modified(environ, headers):
            status, headers, body = "304 NOT MODIFIED", [(k, v) for k, v in headers if k.lower() not in NOT_ON_304], b""
        start_response(status, [*headers, (logs.REQUEST_ID_HEADER, request_id)])
        logs.log_replayed(self.app.config, environ, status, request_id, started)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def cache_store(app):
    return app.extensions[cache.EXTENSION]


def _generation(app):
    found = cache_store(app)
    if isinstance(found, cache.RedisStore):
        return found.generation(cache.BOARD)
    engine = app.extensions.get("public_cache_engine")
    if engine is None:
        with app.app_context():
            engine = app.extensions["public_cache_engine"] = db.engine
    if has_plain_reader(engine):
        return _sqlite_generation(app, engine)
    with engine.connect() as connection:  # plain SQL, no compilation: this runs on every board request
        row = connection.exec_driver_sql(cache.BOARD_GENERATION_SQL).first()
    return cache.Generation(row[0], row[1]) if row else cache.Generation(0, 0.0)


def _sqlite_generation(app, engine):
    """On SQLite each thread keeps its own plain connection for this read (a fifth of a pool checkout, reset and
    check-in): outside a transaction, each SELECT sees the latest commit (WAL) and holds no lock afterwards."""
    row = plain_read(app, engine, lambda connection: connection.execute(cache.BOARD_GENERATION_SQL).fetchone())
    return cache.Generation(row[0], row[1]) if row else cache.Generation(0, 0.0)


def _language_of(cookie, accept_language):
    """The language ``portal.i18n.select_locale`` will choose from the cookie and Accept-Language ("" for the city's
    default, which is part of the generation), so that each language has one copy whatever the header's spelling;
    None for a header too long to be a browser's."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header


    chosen = normalise_locale(cookie)
    if chosen:
        return chosen
    if len(accept_language) > MAX_HEADER:
        return None
    for tag, _quality in parse_accept_header(accept_language, LanguageAccept):
        chosen = locale_from_tag(tag)
        if chosen:
            return chosen
    return ""


def _encoding_of(accept_encoding):
    from werkzeug.http import parse_accept_header

    accepted = parse_accept_header(accept_encoding)
    return next((name for name in ENCODINGS if accepted[name]), None)


def _replay_not_modified(environ, headers):
    from werkzeug.http import parse_date, parse_etags, unquote_etag

    values = {k.lower(): v for k, v in headers}
    if "etag" not in values:
        return False
    if environ.get("HTTP_IF_NONE_MATCH"):
        tag = unquote_etag(values["etag"])[0]
        base = tag.split(":")[0]
        matches = parse_etags(environ["HTTP_IF_NONE_MATCH"])
        return any(matches.contains(t) for t in [base] + [f"{base}:{name}" for name in ENCODINGS])
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    modified = parse_date(values.get("last-modified"))
    return since is not None and modified is not None and since >= modified
