"""Configuration: safe defaults, overridden by environment variables (read only inside ``create_app``)."""
import os
import secrets
from pathlib import Path

from portal.assets import CompressedStaticCache, compression_cache_key
from portal.headers import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
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
    # Report photos (complaints/photos.py): the most pixels one photo may decode to, in millions; how many photos a
    # process decodes at once, and how long a request waits for its turn before the form asks to try again.
    "PHOTO_MAX_MEGAPIXELS": 16.0,
    "PHOTO_CONCURRENCY": 2,
    "PHOTO_WAIT_SECONDS": 20.0,
    # Retry-After (seconds) on the 503 page shown while the database is unavailable.
    "RETRY_AFTER_SECONDS": 30,
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
}


def normalise_database_url(url):
    """Accept the usual ``postgres://`` forms and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


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
    if "SQLALCHEMY_DATABASE_URI" not in config:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(instance_path) / "minsheng.db")
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = secret_key_from_instance(instance_path)
    return config
