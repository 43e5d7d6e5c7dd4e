"""Friendly error pages in the reader's language, and JSON errors for API clients."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db


def _messages():
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to open this page."),
        404: _("The page you are looking for does not exist or has moved."),
        405: _("This action is not allowed here."),
        413: _("What you sent is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. It has been logged; please try again later."),
    }


def wants_json():
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code, message):
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


def init_app(app):
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)

    @app.errorhandler(InternalServerError)
    def internal(error):
        original = getattr(error, "original_exception", None)
        if original is not None:
            app.logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=original)
        db.session.rollback()
        return render_error(500, _messages()[500])
