"""The shell's application factory: ``build_app`` builds the app every layer stands on (configuration,
extensions, logging, errors, assets, the scheduler, the shell's own blueprints). The whole app is
``composition.create_app``, which plugs complaints, surveys and oversight into it."""
from functools import partial
from inspect import CO_COROUTINE
from types import FunctionType, MethodType

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import (
    assets,
    cache,
    cli,
    coords,
    errors,
    headers,
    i18n,
    input_guard,
    ratelimit,
    scheduler,
    templating,
    workcalendar,
)
from portal.accounts.views import bp as auth_bp
from portal.apidocs.views import bp as apidocs_bp
from portal.auth import models as auth_models
from portal.auth.services import load_user
from portal.city import city_setting, default_locale
from portal.config import DEFAULTS, ROOT, config_from_env, engine_options, normalise_database_url
from portal.console.views import bp as console_bp
from portal.extensions import SessionInterface, babel, compress, csrf, db, limiter, login_manager, migrate
from portal.health import bp as health_bp
from portal.home import bp as home_bp
from portal.logs import configure_logging
from portal.notify_models import Delivery
from portal.page_replay import ReplayMiddleware
from portal.registry import models as registry_models
from portal.registry.map_views import bp as areamap_bp
from portal.registry.qr_views import bp as qr_bp
from portal.registry.transfer_views import bp as transfer_bp
from portal.registry.views import bp as registry_bp
from portal.scheduler import models as scheduler_models
from portal.scheduler.views import bp as scheduler_bp
from portal.sqlite import QueuedWriterConnection
from portal.workcalendar import models as calendar_models
from portal.workcalendar.views import bp as work_calendar_bp

# Importing a model module registers its tables on the metadata (for migrations and create_all); the layers' models
# are imported by the composition root. (portal.city and portal.cache hold models too.)
SHELL_MODELS = (auth_models, registry_models, scheduler_models, calendar_models, Delivery)

# The shell's own blueprints; the layers' come from ``plug_in``.
SHELL_BLUEPRINTS = (health_bp, home_bp, auth_bp, console_bp, registry_bp, qr_bp, transfer_bp, scheduler_bp,
                    work_calendar_bp, apidocs_bp, areamap_bp)


class PortalFlask(Flask):
    """Flask, answering "is this a coroutine function?" from the function's code flags.

    Flask's ``ensure_sync`` runs ``inspect.iscoroutinefunction`` on every hook, view and teardown it calls, on every
    request (eleven a request here). For a plain function or a method of one the answer is in its code's flags (and,
    from Python 3.12, a marker ``inspect.markcoroutinefunction`` sets): read them directly. Anything else (a partial,
    a callable object) goes to Flask's own ``ensure_sync``."""

    def ensure_sync(self, func):
        plain = func.__func__ if type(func) is MethodType else func
        if type(plain) is FunctionType and not plain.__code__.co_flags & CO_COROUTINE \
                and "_is_coroutine_marker" not in plain.__dict__:
            return func
        return super().ensure_sync(func)


def build_app(config=None, plug_in=None):
    """Build the shell. ``config`` (a dict) replaces the environment entirely, which is what tests do;
    ``plug_in(app)`` adds the layers above the shell (``composition.plug_in``) after the shell's blueprints."""
    app = PortalFlask(
        "portal",  # the app's name (its logger, "portal") and root (portal/templates) as before portal/app.py
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.update(config_from_env(app.instance_path) if config is None else config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)  # the DB_* pool settings
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite") and ":memory:" not in url:  # writers queue for SQLite's one write lock
        connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"factory": QueuedWriterConnection,
                                                                    **connect_args}

    configure_logging(app)  # text or JSON lines, the request id on each
    input_guard.init_app(app)
    init_extensions(app)
    for bp in SHELL_BLUEPRINTS:
        app.register_blueprint(bp)
    if plug_in is not None:
        plug_in(app)

    cache.init_app(app)  # the board's shared page cache and its generation (raised by every public change)
    app.wsgi_app = ReplayMiddleware(app.wsgi_app, app)  # cached public pages answered before Flask
    assets.init_app(app)
    coords.init_app(app)  # the map's tile source: checked, and allowed by the CSP
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    scheduler.init_app(app)
    templating.init_app(app)
    workcalendar.init_app(app)  # the city's working calendar under every working-hour computation
    trust_proxy(app)
    return app


def trust_proxy(app):
    """Behind nginx (``PROXY_FIX_HOPS`` proxies): the client's address (rate limits), scheme (HSTS, secure
    redirects) and host come from the proxy's X-Forwarded-* headers. Never on a server reachable directly: anyone
    could then claim any address."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def init_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)  # HTML, JSON, CSS and JS as brotli or gzip
    ratelimit.warn_if_per_process(app)  # importing it registered the "database://" store of counters
    babel.init_app(
        app,
        locale_selector=partial(i18n.babel_locale_selector, default_locale),
        timezone_selector=lambda: city_setting("timezone"),
    )
    app.after_request(i18n.remember_locale)

    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.login_message = None  # the login page says why
    login_manager.user_loader(load_user)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)


def _tune_sqlite(app):
    """Each new SQLite connection gets the PRAGMAs below, once however many apps share the engine."""
    with app.app_context():
        engine = db.engine
    pragmas = _memory_pragmas if ":memory:" in str(engine.url) else _file_pragmas
    if not event.contains(engine, "connect", pragmas):
        event.listen(engine, "connect", pragmas)


def _memory_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _file_pragmas(dbapi_connection, record):
    _memory_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
