"""The exposed unit's inbox (nested blueprint ``board_console.inbox``): the unit's handlers see every item about
their unit that is in review or public — before publication, that is their notice — and file an appeal (申诉)
with a statement and evidence photos; they see each decision and its reason."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from oversight.board import appeals, rules
from oversight.board.appeals import APPEALABLE
from oversight.board.console_auth import PhotoFiles, is_reader, require_any
from oversight.board.console_forms import AppealForm, error_message
from oversight.board.models import Appeal, ExposureItem, ItemPhoto
from oversight.board.redaction import delete_on_rollback
from oversight.board.rules import BoardError
from portal import photos as photo_files
from portal.auth.permissions import Permission, require
from portal.city import city_today
from portal.extensions import db

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

ITEM = "/<int(max=2147483647):item_id>"


def own_item_or_404(item_id):
    """An item about the reader's unit that the unit may see (in review or public); 404 for anything else."""
    item = db.session.get(ExposureItem, item_id)
    if item is None or current_user.unit_id is None or item.unit_id != current_user.unit_id \
            or item.state not in APPEALABLE:
        abort(404)
    return item


@bp.get("/")
@require(Permission.BOARD_APPEAL)
def index():
    return render_template("board/console/inbox.html", items=appeals.items_for_unit(current_user.unit_id),
                           today=city_today())


def render_inbox_item(item, form=None, status=200):
    return render_template("board/console/inbox_item.html", item=item, form=form or AppealForm(formdata=None),
                           can_appeal=appeals.can_appeal(item, current_user), today=city_today(),
                           notice_ends=rules.notice_ends_at(item)), status


@bp.get(ITEM)
@require(Permission.BOARD_APPEAL)
def item(item_id):
    return render_inbox_item(own_item_or_404(item_id))


@bp.post(f"{ITEM}/appeal")
@require(Permission.BOARD_APPEAL)
def appeal(item_id):
    record = own_item_or_404(item_id)
    form = AppealForm()
    if not form.validate_on_submit():
        return render_inbox_item(record, form, status=400)
    prepared, problems = photo_files.prepare_uploads(request.files.getlist(form.evidence.name))
    if problems:
        form.evidence.errors = [p.message for p in problems]
        return render_inbox_item(record, form, status=400)
    stored = photo_files.store_photos(prepared)
    try:
        appeals.file_appeal(record, current_user, form.statement.data, evidence=stored)
    except BoardError as error:
        db.session.rollback()
        photo_files.discard(stored)
        flash(error_message(error), "danger")
        return redirect(url_for(".item", item_id=record.id))
    delete_on_rollback([k for p in stored for k in (p.key, p.thumb_key)])
    db.session.commit()
    flash(_("Appeal filed. The board's editors will decide on it; you will see the decision here."), "success")
    return redirect(url_for(".item", item_id=record.id))


@bp.get("/photos/<int(max=2147483647):board_photo_id>")
@bp.get("/photos/<int(max=2147483647):board_photo_id>/thumb", defaults={"thumb": True})
@require(Permission.BOARD_APPEAL)
def photo(board_photo_id, thumb=False):
    """The published (redacted) version of a photo of an item about the reader's unit; never the original."""
    record = db.session.get(ItemPhoto, board_photo_id)
    if record is None or not record.published_key:
        abort(404)
    own_item_or_404(record.item_id)
    return photo_files.send_photo(PhotoFiles(record.published_key, record.published_thumb_key), thumb=thumb)


@bp.get("/appeals/<int(max=2147483647):appeal_id>/evidence/<int(max=50):evidence_no>")
@bp.get("/appeals/<int(max=2147483647):appeal_id>/evidence/<int(max=50):evidence_no>/thumb",
        defaults={"thumb": True})
@require_any(Permission.BOARD_APPEAL, Permission.BOARD_EDIT, Permission.BOARD_PUBLISH)
def evidence(appeal_id, evidence_no, thumb=False):
    """An evidence photo of an appeal: for the board's editors and publishers, and the appealing unit."""
    record = db.session.get(Appeal, appeal_id)
    if record is None or not (is_reader(current_user) or current_user.unit_id == record.unit_id):
        abort(404)
    keys = record.evidence_keys or []
    if not 1 <= evidence_no <= len(keys):
        abort(404)
    chosen = keys[evidence_no - 1]
    return photo_files.send_photo(PhotoFiles(chosen["key"], chosen["thumb_key"]), thumb=thumb)
