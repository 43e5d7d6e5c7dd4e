"""Staff console: the Open311 API keys of integrating systems (issue, shown once; list; revoke)."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from complaints.forms import new_idempotency_key, valid_idempotency_key
from oversight.open311 import keys
from oversight.open311.models import ApiKey
from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.forms import BaseForm

bp = Blueprint("open311_console", __name__, url_prefix="/console/api-keys", template_folder="templates")


class ApiKeyForm(BaseForm):
    system = StringField(_l("Integrating system"), validators=[
        DataRequired(message=_l("Name the system that will use the key.")),
        Length(max=keys.MAX_SYSTEM, message=_l("Please keep the name under %(max)d characters."))])
    # One-time token of this form: sent again (a reload of the page that showed the key, a double click), it
    # issues no second key.
    issue_token = HiddenField("")


def _blank_form():
    form = ApiKeyForm(formdata=None)
    form.issue_token.data = new_idempotency_key()
    return form


def _page(form, issued=None, resent=None, status=200):
    return render_template("open311/keys.html", form=form, keys=keys.all_keys(), issued=issued, resent=resent), status


@bp.get("/")
@require(Permission.API_KEYS_MANAGE)
def keys_page():
    return _page(_blank_form())


@bp.post("/")
@require(Permission.API_KEYS_MANAGE)
def issue():
    """Issue a key and show it this once (it is kept only as a hash): the page is answered, not redirected."""
    form = ApiKeyForm()
    token = valid_idempotency_key(form.issue_token.data)
    if not form.validate_on_submit() or token is None:
        if form.is_submitted() and token is None and not form.errors:
            form.system.errors = [_("This form has expired or was sent twice. Please reload the page and try again.")]
        form.issue_token.data = token or new_idempotency_key()
        return _page(form, status=422)
    record, key = keys.issue_key(form.system.data, current_user, issue_token=token)
    db.session.commit()
    if key is None:  # the same form again: its key was shown once, when it was issued
        return _page(_blank_form(), resent=record)
    return _page(_blank_form(), issued=(record, key))


@bp.post("/<int:key_id>/revoke")
@require(Permission.API_KEYS_MANAGE)
def revoke(key_id):
    record = db.session.get(ApiKey, key_id)
    if record is None:
        abort(404)
    keys.revoke_key(record, current_user)
    db.session.commit()
    flash(_("The key of %(system)s is revoked: it no longer works.", system=record.system), "success")
    return redirect(url_for(".keys_page"))

