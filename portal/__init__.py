"""民声 Minsheng: the application factory. Nothing happens at import time; ``create_app`` builds the app."""
from flask import Flask

from portal.config import DEFAULTS, ROOT, config_from_env, engine_options, normalise_database_url


def create_app(config=None):
    """Build the app. ``config`` (a dict) replaces the environment entirely, which is what tests do."""
    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.update(config_from_env(app.instance_path) if config is None else config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)  # the DB_* pool settings
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite") and ":memory:" not in url:
        from portal.sqlite import QueuedWriterConnection  # writers queue for SQLite's one write lock

        connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"factory": QueuedWriterConnection,
                                                                    **connect_args}

    from portal.logs import configure_logging

    configure_logging(app)  # text or JSON lines, the request id on each
    from portal import input_guard

    input_guard.init_app(app)
    init_extensions(app)
    register_blueprints(app)

    from portal import assets, cache, cli, coords, errors, headers, scheduler, templating

    cache.init_app(app)  # the board's shared page cache and its generation (raised by every public change)
    assets.init_app(app)
    coords.init_app(app)  # the map's tile source: checked, and allowed by the CSP
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    scheduler.init_app(app)
    templating.init_app(app)

    from complaints import notifications

    notifications.init_app(app)  # case events -> delivery queue; sending after requests and by command

    from portal import workcalendar

    workcalendar.init_app(app)  # the city's working calendar under every working-hour computation
    trust_proxy(app)
    return app


def trust_proxy(app):
    """Behind nginx (``PROXY_FIX_HOPS`` proxies): the client's address (rate limits), scheme (HSTS, secure
    redirects) and host come from the proxy's X-Forwarded-* headers. Never on a server reachable directly: anyone
    could then claim any address."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def init_extensions(app):
    from portal import i18n, ratelimit  # ratelimit registers the "database://" store of rate-limit counters
    from portal.auth.services import load_user
    from portal.city import city_setting
    from portal.extensions import SessionInterface, babel, compress, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)  # HTML, JSON, CSS and JS as brotli or gzip
    ratelimit.warn_if_per_process(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
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

    # Importing the models registers them on the metadata (for migrations and create_all).
    import complaints.models  # noqa: F401
    import complaints.supervision.models  # noqa: F401
    import oversight.board.models  # noqa: F401
    import oversight.open311.models  # noqa: F401
    import oversight.scorecards.models  # noqa: F401
    import oversight.scorecards.snapshot_models  # noqa: F401
    import portal.auth.models  # noqa: F401
    import portal.cache  # noqa: F401
    import portal.city  # noqa: F401
    import portal.notify_models  # noqa: F401
    import portal.registry.models  # noqa: F401
    import portal.scheduler.models  # noqa: F401
    import portal.workcalendar.models  # noqa: F401
    import surveys.models  # noqa: F401


def _tune_sqlite(app):
    from sqlalchemy import event

    from portal.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if ":memory:" not in str(engine.url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_blueprints(app):
    from complaints.console.views import bp as cases_bp
    from complaints.ledger.views import bp as ledger_bp
    from complaints.supervision.views import bp as supervision_bp
    from complaints.views import bp as complaints_bp
    from oversight.board.console import bp as board_console_bp
    from oversight.board.views import bp as board_bp
    from oversight.open311.console import bp as open311_console_bp
    from oversight.open311.views import bp as open311_bp
    from oversight.scorecards.bulletin_views import bp as bulletins_bp
    from oversight.scorecards.public_views import bp as honours_bp
    from oversight.scorecards.views import bp as scorecards_bp
    from portal.apidocs.views import bp as apidocs_bp
    from portal.auth.views import bp as auth_bp
    from portal.console.views import bp as console_bp
    from portal.health import bp as health_bp
    from portal.home import bp as home_bp
    from portal.registry.map_views import bp as areamap_bp
    from portal.registry.qr_views import bp as qr_bp
    from portal.registry.transfer_views import bp as transfer_bp
    from portal.registry.views import bp as registry_bp
    from portal.scheduler.views import bp as scheduler_bp
    from portal.workcalendar.views import bp as work_calendar_bp
    from surveys.console import bp as survey_builder_bp
    from surveys.distribution_views import bp as survey_distribution_bp
    from surveys.results.views import bp as survey_results_bp
    from surveys.views import bp as surveys_bp

    for bp in (health_bp, home_bp, auth_bp, console_bp, registry_bp, qr_bp, transfer_bp, complaints_bp, cases_bp,
               ledger_bp, surveys_bp, survey_builder_bp, survey_distribution_bp, survey_results_bp,
               supervision_bp, scheduler_bp, scorecards_bp, bulletins_bp, honours_bp, board_bp, board_console_bp,
               work_calendar_bp, open311_bp, open311_console_bp, apidocs_bp, areamap_bp):
        app.register_blueprint(bp)


