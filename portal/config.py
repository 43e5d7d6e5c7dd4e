"""Configuration: safe defaults, overridden by environment variables (read only inside ``create_app``)."""
import os
import secrets
from pathlib import Path

from portal.assets import CompressedStaticCache, compression_cache_key
from portal.headers import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},  # extra engine options; the pool's come from the DB_* keys (engine_options)
    # PostgreSQL's connection pool, per process: a gunicorn worker holds at most DB_POOL_SIZE + DB_MAX_OVERFLOW
    # connections, so web machines x workers x that must stay under the server's max_connections. Seconds for the
    # rest: how long a request waits for a free connection, the age after which a connection is replaced (before a
    # firewall or PgBouncer drops it), and how long opening one may take.
    "DB_POOL_SIZE": 5,
    "DB_MAX_OVERFLOW": 5,
    "DB_POOL_TIMEOUT": 10,
    "DB_POOL_RECYCLE": 1800,
    "DB_CONNECT_TIMEOUT": 5,
    # Photo storage (portal/storage.py): "local" (UPLOAD_FOLDER, default instance/uploads) or "s3".
    "UPLOAD_STORE": "local",
    "S3_ENDPOINT_URL": "",
    "S3_BUCKET": "",
    "S3_ACCESS_KEY_ID": "",
    "S3_SECRET_ACCESS_KEY": "",
    "S3_REGION": "",
    "S3_PREFIX": "",
    # Logs: "text" (one readable line) or "json" (one JSON object per line, with the request id).
    "LOG_FORMAT": "text",
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0 = trust none of them).
    "PROXY_FIX_HOPS": 0,
    # /readyz: seconds each check may take.
    "READY_TIMEOUT": 2.0,
    "BABEL_DEFAULT_LOCALE": "zh_Hans",
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    "BABEL_DOMAIN": "messages",
    "WTF_CSRF_TIME_LIMIT": None,  # forms on a phone may stay open for a long time
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "PUBLIC_BASE_URL": "",
    "RATELIMIT_STORAGE_URI": "database://",  # portal/ratelimit.py: shared by every process; REDIS_URL for Redis
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute",
    # How staff passwords are hashed (werkzeug.security): the default's cost is the point in production; the test
    # suite sets a cheap method (tests/conftest.py), or hashing alone takes a tenth of a second per user and login.
    "PASSWORD_HASH_METHOD": "scrypt",
    "LOG_LEVEL": "INFO",
    # Outbound HTTP (portal/http.py): seconds, retries after the first try, backoff base, longest Retry-After.
    "OUTBOUND_CONNECT_TIMEOUT": 3.05,
    "OUTBOUND_READ_TIMEOUT": 10.0,
    "OUTBOUND_RETRIES": 3,
    "OUTBOUND_BACKOFF": 0.5,
    "OUTBOUND_RETRY_AFTER_MAX": 30.0,
    # Notifications (portal/notify.py): an empty URL writes that channel's messages to the log instead.
    "NOTIFY_SMS_URL": "",
    "NOTIFY_WECHAT_URL": "",
    "NOTIFY_ROBOT_URL": "",
    "NOTIFY_TOKEN": "",
    "NOTIFY_MAX_ATTEMPTS": 5,
    # Responses (portal/headers.py, portal/assets.py): HSTS on every response when the site is served over HTTPS.
    "PREFER_HTTPS": False,
    "CONTENT_SECURITY_POLICY": CONTENT_SECURITY_POLICY,
    # Flask-Compress: brotli where the browser takes it, else gzip (WeChat's browser takes both); streamed
    # responses (static files) too.
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                           "application/atom+xml", "application/xml", "text/xml", "text/plain", "text/csv",
                           "image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon", "font/ttf"],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_CACHE_BACKEND": CompressedStaticCache,  # static files compressed once, not per visitor
    "COMPRESS_CACHE_KEY": compression_cache_key,
    # Report photos (portal/photos.py): the most pixels one photo may decode to, in millions; how many photos a
    # process decodes at once, and how long a request waits for its turn before the form asks to try again.
    "PHOTO_MAX_MEGAPIXELS": 16.0,
    "PHOTO_CONCURRENCY": 2,
    "PHOTO_WAIT_SECONDS": 20.0,
    # The public board's shared page cache (portal/cache.py, portal/page_cache.py): seconds a rendered page is kept
    # and may be kept by browsers and proxies (0: revalidate every time), entries per process without Redis, and the
    # Redis that holds pages and the board's generation for every worker (empty: this process + the database).
    "BOARD_CACHE_SECONDS": 60,
    "BOARD_CACHE_ENTRIES": 512,
    "REDIS_URL": "",
    # Retry-After (seconds) on the 503 page shown while the database is unavailable.
    "RETRY_AFTER_SECONDS": 30,
    # Open311 (oversight/open311): this deployment's jurisdiction_id (empty: one city, any or none accepted), whether
    # clients must send it (a deployment serving several cities), and the POSTs allowed per API key.
    "OPEN311_JURISDICTION_ID": "",
    "OPEN311_JURISDICTION_REQUIRED": False,
    "OPEN311_KEY_RATE_LIMIT": "60 per minute;2000 per day",
    # Maps (portal/coords.py): no tile URL = the city's own boundaries on a plain background, nothing fetched from
    # elsewhere. A tile URL template ({z}/{x}/{y}, {s} for subdomains), its coordinate system (wgs84: 天地图, OSM;
    # gcj02: 高德, 腾讯) and the attribution its licence asks for.
    "MAP_TILE_URL": "",
    "MAP_TILE_CRS": "wgs84",
    "MAP_TILE_ATTRIBUTION": "",
    # Reports filed from one address (complaints/views.py), in flask-limiter's notation.
    "REPORT_RATE_LIMIT": "5 per minute;30 per hour",
    # "Me too"s one address may add (complaints/views.py), in flask-limiter's notation.
    "ME_TOO_RATE_LIMIT": "10 per minute",
    # The scheduler (portal/scheduler): time-limit watch and delivery intervals, the one-runner lease and heartbeat.
    "SCHEDULER_WATCH_MINUTES": 5,
    "SCHEDULER_DELIVER_SECONDS": 30,
    "SCHEDULER_HEARTBEAT_SECONDS": 10.0,
    "SCHEDULER_LEASE_SECONDS": 60.0,
    # The exposure board (oversight/board): the unit's notice before publication, and when a cluster of reports
    # becomes a candidate (reports plus "me too"s within the window).
    "BOARD_NOTICE_HOURS": 48.0,
    "BOARD_CLUSTER_DAYS": 30,
    "BOARD_CLUSTER_THRESHOLD": 5,
}

# Environment variable -> (config key, converter). Every one is documented in the README.
ENV_SETTINGS = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "PUBLIC_BASE_URL": ("PUBLIC_BASE_URL", str),
    "UPLOAD_FOLDER": ("UPLOAD_FOLDER", str),
    "REDIS_URL": ("RATELIMIT_STORAGE_URI", str),
    "LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", str),
    "LOG_LEVEL": ("LOG_LEVEL", str),
    "RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", lambda v: v.lower() not in ("0", "false", "no")),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in ("1", "true", "yes")),
    "PREFER_HTTPS": ("PREFER_HTTPS", lambda v: v.lower() in ("1", "true", "yes")),
    "CONTENT_SECURITY_POLICY": ("CONTENT_SECURITY_POLICY", str),
    "OUTBOUND_CONNECT_TIMEOUT": ("OUTBOUND_CONNECT_TIMEOUT", float),
    "OUTBOUND_READ_TIMEOUT": ("OUTBOUND_READ_TIMEOUT", float),
    "OUTBOUND_RETRIES": ("OUTBOUND_RETRIES", int),
    "OUTBOUND_BACKOFF": ("OUTBOUND_BACKOFF", float),
    "OUTBOUND_RETRY_AFTER_MAX": ("OUTBOUND_RETRY_AFTER_MAX", float),
    "NOTIFY_SMS_URL": ("NOTIFY_SMS_URL", str),
    "NOTIFY_WECHAT_URL": ("NOTIFY_WECHAT_URL", str),
    "NOTIFY_ROBOT_URL": ("NOTIFY_ROBOT_URL", str),
    "NOTIFY_TOKEN": ("NOTIFY_TOKEN", str),
    "NOTIFY_MAX_ATTEMPTS": ("NOTIFY_MAX_ATTEMPTS", int),
    "REPORT_RATE_LIMIT": ("REPORT_RATE_LIMIT", str),
    "SURVEY_RATE_LIMIT": ("SURVEY_RATE_LIMIT", str),
    "ME_TOO_RATE_LIMIT": ("ME_TOO_RATE_LIMIT", str),
    "SCHEDULER_WATCH_MINUTES": ("SCHEDULER_WATCH_MINUTES", int),
    "SCHEDULER_DELIVER_SECONDS": ("SCHEDULER_DELIVER_SECONDS", int),
    "SCHEDULER_HEARTBEAT_SECONDS": ("SCHEDULER_HEARTBEAT_SECONDS", float),
    "SCHEDULER_LEASE_SECONDS": ("SCHEDULER_LEASE_SECONDS", float),
    "BOARD_NOTICE_HOURS": ("BOARD_NOTICE_HOURS", float),
    "BOARD_CLUSTER_DAYS": ("BOARD_CLUSTER_DAYS", int),
    "BOARD_CLUSTER_THRESHOLD": ("BOARD_CLUSTER_THRESHOLD", int),
    "PHOTO_MAX_MEGAPIXELS": ("PHOTO_MAX_MEGAPIXELS", float),
    "PHOTO_CONCURRENCY": ("PHOTO_CONCURRENCY", int),
    "PHOTO_WAIT_SECONDS": ("PHOTO_WAIT_SECONDS", float),
    "RETRY_AFTER_SECONDS": ("RETRY_AFTER_SECONDS", int),
    "DB_POOL_SIZE": ("DB_POOL_SIZE", int),
    "DB_MAX_OVERFLOW": ("DB_MAX_OVERFLOW", int),
    "DB_POOL_TIMEOUT": ("DB_POOL_TIMEOUT", int),
    "DB_POOL_RECYCLE": ("DB_POOL_RECYCLE", int),
    "DB_CONNECT_TIMEOUT": ("DB_CONNECT_TIMEOUT", int),
    "UPLOAD_STORE": ("UPLOAD_STORE", str),
    "S3_ENDPOINT_URL": ("S3_ENDPOINT_URL", str),
    "S3_BUCKET": ("S3_BUCKET", str),
    "S3_ACCESS_KEY_ID": ("S3_ACCESS_KEY_ID", str),
    "S3_SECRET_ACCESS_KEY": ("S3_SECRET_ACCESS_KEY", str),
    "S3_REGION": ("S3_REGION", str),
    "S3_PREFIX": ("S3_PREFIX", str),
    "LOG_FORMAT": ("LOG_FORMAT", str),
    "PROXY_FIX_HOPS": ("PROXY_FIX_HOPS", int),
    "READY_TIMEOUT": ("READY_TIMEOUT", float),
    "OPEN311_JURISDICTION_ID": ("OPEN311_JURISDICTION_ID", str),
    "OPEN311_JURISDICTION_REQUIRED": ("OPEN311_JURISDICTION_REQUIRED", lambda v: v.lower() in ("1", "true", "yes")),
    "OPEN311_KEY_RATE_LIMIT": ("OPEN311_KEY_RATE_LIMIT", str),
    "MAP_TILE_URL": ("MAP_TILE_URL", str),
    "MAP_TILE_CRS": ("MAP_TILE_CRS", lambda v: v.strip().lower()),
    "MAP_TILE_ATTRIBUTION": ("MAP_TILE_ATTRIBUTION", str),
    "BOARD_CACHE_SECONDS": ("BOARD_CACHE_SECONDS", int),
    "BOARD_CACHE_ENTRIES": ("BOARD_CACHE_ENTRIES", int),
}


def normalise_database_url(url):
    """Accept the usual ``postgres://`` forms and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(config):
    """SQLAlchemy engine options for the configured database: the DB_* pool settings and a "SELECT 1" before a
    pooled connection is reused (pre-ping) on a database server; SQLite (a file, no server to drop a connection)
    keeps SQLAlchemy's own pool. ``SQLALCHEMY_ENGINE_OPTIONS`` given in the config win."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    options = {}
    if not url.startswith("sqlite"):
        options = {
            "pool_size": int(config["DB_POOL_SIZE"]),
            "max_overflow": int(config["DB_MAX_OVERFLOW"]),
            "pool_timeout": int(config["DB_POOL_TIMEOUT"]),
            "pool_recycle": int(config["DB_POOL_RECYCLE"]),
            "pool_pre_ping": True,
        }
        if url.startswith("postgresql"):
            options["connect_args"] = {"connect_timeout": int(config["DB_CONNECT_TIMEOUT"])}
    given = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if "connect_args" in given and "connect_args" in options:
        given["connect_args"] = {**options["connect_args"], **given["connect_args"]}
    return {**options, **given}


def secret_key_from_instance(instance_path):
    """Read the secret key kept in ``instance/``, generating it once on first start."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def config_from_env(instance_path, environ=None):
    environ = os.environ if environ is None else environ
    config = {}
    for name, (key, convert) in ENV_SETTINGS.items():
        if environ.get(name):
            config[key] = convert(environ[name])
    if environ.get("REDIS_URL"):  # also the rate limits' store (RATELIMIT_STORAGE_URI above)
        config["REDIS_URL"] = environ["REDIS_URL"]
    if "SQLALCHEMY_DATABASE_URI" not in config:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(instance_path) / "minsheng.db")
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = secret_key_from_instance(instance_path)
    return config
