"""Refusing text that no database can store, before any view sees it: a NUL byte in the address, a query
parameter, a form field or a JSON body. PostgreSQL refuses NUL in text ("cannot contain NUL characters") where
SQLite stores it; refusing it here, once, gives the same clear 400 on both and leaves nothing half-stored."""
from flask import request
from flask_babel import gettext as _

from portal.errors import render_error

NUL = "\x00"


def _has_nul(value):
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _multidict_has_nul(values):
    return any(NUL in key or any(NUL in v for v in values.getlist(key)) for key in values.keys())


def request_has_nul():
    """Whether any text of the current request carries a NUL byte (files are not text: their names are never
    stored, their bytes are checked as images)."""
    if NUL in request.path or _multidict_has_nul(request.args):
        return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return _multidict_has_nul(request.form)
        if request.is_json:
            return _has_nul(request.get_json(silent=True))
    return False


def refuse_nul():
    if request_has_nul():
        return render_error(400, _("The request contains a character that is not allowed (a NUL byte). "
                                   "Please remove it and try again."))
    return None


def strip_nul(value):
    """WTForms filter: a field never hands a NUL byte on (for forms built from data outside a request)."""
    return value.replace(NUL, "") if isinstance(value, str) else value


def init_app(app):
    # First of all before_request functions: CSRF and rate limits would otherwise read the form first.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
