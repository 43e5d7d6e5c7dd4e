"""Friendly error pages in the reader's language, and JSON errors for API clients."""
from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.city import settings_without_database
from portal.extensions import db, login_manager


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to open this page."),
        404: _("The page you are looking for does not exist or has moved."),
        405: _("This action is not allowed here."),
        413: _("What you sent is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. It has been logged; please try again later."),
        503: _("The service is temporarily unavailable. Please try again in a minute."),
    }


def wants_json():
    # Every JSON API: /api/..., a blueprint's own api/ (the board's /board/api/items), and the .json endpoints.
    if "/api/" in request.path or request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code, message):
    # An API with its own error format registers it for its path prefix (Open311's <errors><error> list).
    for prefix, render in current_app.extensions.get("error_formats", {}).items():
        if request.path.startswith(prefix):
            return render(code, message)
    if wants_json():
        return jsonify({"error": code, "message": message}), code
    return render_template("errors/error.html", code=code, message=message), code


def handle_http_error(error):
    if error.code is None or error.code < 400:
        return error
    message = _messages().get(error.code) or error.description
    return render_error(error.code, message)


def handle_csrf_error(_error):
    return render_error(400, _("This form has expired or was sent twice. Please reload the page and try again."))


def _is_outage(error):
    """A database that cannot be reached or dropped the connection (not a bad statement or a constraint)."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _forget_database():
    """Let the error page render without the database: drop the dead transaction (which may fail again), and give
    the templates the settings this process last read and an anonymous reader instead of asking the database."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; closing the session is all that is left
        pass
    try:
        db.session.close()
    except Exception:  # noqa: BLE001
        pass
    # Objects loaded earlier in the request were expired by the rollback and would ask the dead database again.
    g.city_settings = settings_without_database()
    g._login_user = login_manager.anonymous_user()


def render_bare_error(code, message):
    """The last resort when even the error page failed: no template, no database, still the reader's language."""
    if wants_json():
        return jsonify({"error": code, "message": message}), code
    return (f'<!doctype html><meta charset="utf-8"><title>{code}</title>'
            f"<h1>{code}</h1><p>{escape(message)}</p>"), code, {"Content-Type": "text/html; charset=utf-8"}


def database_unavailable(error):
    """503 with Retry-After while the database is away; the pool reconnects by itself once it is back."""
    from flask import current_app

    current_app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path,
                               str(error).splitlines()[0] if str(error) else type(error).__name__)
    _forget_database()
    message = _messages()[503]
    try:
        response = render_error(503, message)
    except Exception:  # noqa: BLE001 - never fail a second time: answer without a template
        current_app.logger.exception("The 503 page failed")
        response = render_bare_error(503, message)
    body, code = response[0], response[1]
    headers = dict(response[2]) if len(response) > 2 else {}
    headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    return body, code, headers


def end_session_quietly(_exc=None):
    """Close the request's session where a lost connection cannot fail the answer already made: Flask-SQLAlchemy's
    own teardown rolls back on it, and a connection the server closed (a restart) would raise out of the app to
    gunicorn's bare 500. Registered after Flask-SQLAlchemy's teardown, so it runs first and leaves it nothing."""
    try:
        db.session.remove()
    except Exception as error:  # noqa: BLE001 - the connection is gone; the pool discards it (or its reset does)
        from flask import current_app

        current_app.logger.warning("Closing the database session failed: %s", str(error).splitlines()[0])
        try:
            db.session.registry().invalidate()  # give its connection up without another round trip
        except Exception:  # noqa: BLE001
            pass
        db.session.registry.clear()


def init_app(app):
    app.teardown_appcontext(end_session_quietly)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)

    for kind in (OperationalError, InterfaceError, PoolTimeoutError):
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(InternalServerError)
    def internal(error):
        original = getattr(error, "original_exception", None)
        if original is not None and _is_outage(original):
            return database_unavailable(original)
        if original is not None:
            app.logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=original)
        try:
            db.session.rollback()
            return render_error(500, _messages()[500])
        except Exception:  # noqa: BLE001 - the page itself failed (e.g. the database went away meanwhile)
            app.logger.exception("The error page failed on %s %s", request.method, request.path)
            _forget_database()
            try:
                return render_error(500, _messages()[500])
            except Exception:  # noqa: BLE001
                return render_bare_error(500, _messages()[500])
