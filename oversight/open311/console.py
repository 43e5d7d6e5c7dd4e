"""Staff console: the Open311 API keys of integrating systems (issue, shown once; list; revoke)."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

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


def _page(form, issued=None, status=200):
    return render_template("open311/keys.html", form=form, keys=keys.all_keys(), issued=issued), status


@bp.get("/")
@require(Permission.API_KEYS_MANAGE)
def keys_page():
    return _page(ApiKeyForm())


@bp.post("/")
@require(Permission.API_KEYS_MANAGE)
def issue():
    """Issue a key and show it this once (it is kept only as a hash): the page is answered, not redirected."""
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    record, key = keys.issue_key(form.system.data, current_user)
    db.session.commit()
    return _page(ApiKeyForm(formdata=None), issued=(record, key))


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

