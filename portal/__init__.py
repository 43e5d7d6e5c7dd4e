"""民声 Minsheng: the application factory. Nothing happens at import time; ``create_app`` builds the app."""
import logging

from flask import Flask

from portal.config import DEFAULTS, ROOT, config_from_env, normalise_database_url


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
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this machine does not drop connections the way a database server does: no "SELECT 1" before
        # every request's first statement.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            key: value for key, value in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if key != "pool_pre_ping"}
        if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
            from portal.sqlite import QueuedWriterConnection  # writers queue for SQLite's one write lock

            connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
            app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"factory": QueuedWriterConnection,
                                                                        **connect_args}

    configure_logging(app)
    from portal import input_guard

    input_guard.init_app(app)
    init_extensions(app)
    register_blueprints(app)

    from portal import assets, cache, cli, errors, headers, scheduler, templating

    cache.init_app(app)  # the board's shared page cache and its generation (raised by every public change)
    assets.init_app(app)
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    scheduler.init_app(app)
    templating.init_app(app)

    from complaints import notifications

    notifications.init_app(app)  # case events -> delivery queue; sending after requests and by command

    from portal import workcalendar

    workcalendar.init_app(app)  # the city's working calendar under every working-hour computation
    return app


def configure_logging(app):
    """One handler, on the root logger: Flask's own handler on the app's logger ("portal") would print every line
    of ``portal.*`` a second time."""
    from flask.logging import default_handler

    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    app.logger.removeHandler(default_handler)
    app.logger.setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


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
    import complaints.supervision_models  # noqa: F401
    import portal.auth.models  # noqa: F401
    import portal.board.models  # noqa: F401
    import portal.cache  # noqa: F401
    import portal.city  # noqa: F401
    import portal.notify_models  # noqa: F401
    import portal.registry.models  # noqa: F401
    import portal.scheduler.models  # noqa: F401
    import portal.scorecards.models  # noqa: F401
    import portal.scorecards.snapshot_models  # noqa: F401
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
    from complaints.console import bp as cases_bp
    from complaints.ledger_views import bp as ledger_bp
    from complaints.supervision_views import bp as supervision_bp
    from complaints.views import bp as complaints_bp
    from portal.auth.views import bp as auth_bp
    from portal.board.console import bp as board_console_bp
    from portal.board.views import bp as board_bp
    from portal.console.views import bp as console_bp
    from portal.home import bp as home_bp
    from portal.registry.qr_views import bp as qr_bp
    from portal.registry.transfer_views import bp as transfer_bp
    from portal.registry.views import bp as registry_bp
    from portal.scheduler.views import bp as scheduler_bp
    from portal.scorecards.bulletin_views import bp as bulletins_bp
    from portal.scorecards.public_views import bp as honours_bp
    from portal.scorecards.views import bp as scorecards_bp
    from portal.workcalendar.views import bp as work_calendar_bp
    from surveys.console import bp as survey_builder_bp
    from surveys.distribution_views import bp as survey_distribution_bp
    from surveys.results_views import bp as survey_results_bp
    from surveys.views import bp as surveys_bp

    for bp in (home_bp, auth_bp, console_bp, registry_bp, qr_bp, transfer_bp, complaints_bp, cases_bp,
               ledger_bp, surveys_bp, survey_builder_bp, survey_distribution_bp, survey_results_bp,
               supervision_bp, scheduler_bp, scorecards_bp, bulletins_bp, honours_bp, board_bp, board_console_bp,
               work_calendar_bp):
        app.register_blueprint(bp)


