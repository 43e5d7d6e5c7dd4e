"""Staff pages of the exposure board (blueprint ``board_console`` at /console/board): the list of items, new items
(from scratch or from cases), an item's page with its editorial steps, follow-ups, photos and redaction, trail
and appeals. The candidates queue and the exposed unit's inbox are nested blueprints (``console_candidates``,
``console_inbox``); the item page's rendering and the table of editorial steps are in ``console_item``.

Every POST validates a form, calls one service, commits, flashes and redirects; a refused step rolls back and
says why in the reader's language.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from oversight.board import appeals, checks, console_candidates, console_inbox, items, redaction
from oversight.board.console_auth import READERS, PhotoFiles, require_any
from oversight.board.console_forms import (
    REDACTION_ERRORS,
    ConfirmForm,
    DecideAppealForm,
    EditItemForm,
    EntryForm,
    FromCasesForm,
    ItemFilterForm,
    ItemForm,
    RedactForm,
    area_choices,
    error_message,
    unit_choices,
)
from oversight.board.console_item import STEP_RUNS, STEPS, edit_form, render_item
from oversight.board.models import Appeal, EditorialState, ExposureItem, ItemPhoto, RectificationStatus
from oversight.board.rules import BoardError
from portal import photos as photo_files
from portal.auth.permissions import Permission, require
from portal.city import city_today
from portal.extensions import db
from portal.registry.models import Area, Category, Point, Unit

bp = Blueprint("board_console", __name__, url_prefix="/console/board", template_folder="templates")
bp.register_blueprint(console_candidates.bp)
bp.register_blueprint(console_inbox.bp)

PER_PAGE = 50
ITEM = "/items/<int(max=2147483647):item_id>"
PHOTO = "/photos/<int(max=2147483647):board_photo_id>"


def item_or_404(item_id):
    return db.get_or_404(ExposureItem, item_id)


# ---------------------------------------------------------------- the list

@bp.get("/")
@require_any(*READERS)
def index():
    form = ItemFilterForm(request.args)
    form.unit.choices = [("", _("Any unit"))] + unit_choices()[1:]
    form.area.choices = [("", _("Any area"))] + area_choices()[1:]
    form.validate()
    today = city_today()
    query = db.select(ExposureItem)

    def ok(field):
        return None if field.errors else field.data

    if ok(form.q):
        query = query.where(ExposureItem.title.contains(ok(form.q).strip()))
    if ok(form.state) in {s.value for s in EditorialState}:
        query = query.where(ExposureItem.state == EditorialState(form.state.data))
    if ok(form.status) in {s.value for s in RectificationStatus}:
        query = query.where(ExposureItem.status_expression(today) == form.status.data)
    if ok(form.kind):
        query = query.where(ExposureItem.kind == form.kind.data)
    if ok(form.unit):
        query = query.where(ExposureItem.unit_id == form.unit.data)
    if ok(form.area):
        query = query.where(ExposureItem.area_id == form.area.data)
    # what each row shows (its appeals for the badge, unit, point or area), loaded for the page at once
    query = query.options(selectinload(ExposureItem.appeals), selectinload(ExposureItem.unit),
                          selectinload(ExposureItem.point), selectinload(ExposureItem.area))
    page = db.paginate(query.order_by(ExposureItem.updated_at.desc(), ExposureItem.id.desc()), per_page=PER_PAGE,
                       error_out=False)
    counts = dict(db.session.execute(
        db.select(ExposureItem.state, db.func.count()).group_by(ExposureItem.state)).all())
    open_appeals = db.session.scalar(db.select(db.func.count(Appeal.id)).where(Appeal.decision.is_(None)))
    return render_template("board/console/index.html", form=form, page=page, counts=counts,
                           open_appeals=open_appeals, states=list(EditorialState), today=today)


# ---------------------------------------------------------------- new items

def _point_by_code(code):
    code = (code or "").strip()
    if not code:
        return None, None
    point = db.session.execute(db.select(Point).where(Point.code == code, Point.active.is_(True))).scalar()
    return point, (None if point else _("No active point has this code."))


def _item_data(form):
    def get(model, value):
        return db.session.get(model, value) if value else None

    return {"kind": form.kind.data, "title": form.title.data, "title_en": form.title_en.data,
            "description": form.description.data, "description_en": form.description_en.data,
            "unit": get(Unit, form.unit.data), "area": get(Area, form.area.data),
            "category": get(Category, form.category.data), "location_text": form.location_text.data,
            "found_on": form.found_on.data, "deadline": form.deadline.data}


def _save_item_form(form, run):
    """Validate ``form``, resolve its point and call ``run(data)``; returns the item or None (errors on form)."""
    if not form.validate_on_submit():
        return None
    point, problem = _point_by_code(form.point_code.data)
    if problem:
        form.point_code.errors = list(form.point_code.errors) + [problem]
        return None
    data = _item_data(form)
    data["point"] = point
    try:
        return run(data)
    except BoardError as error:
        db.session.rollback()
        _field_error(form, error)
        return None


def _field_error(form, error):
    field = error.field if error.field in form else None
    if error.field == "point" and "point_code" in form:
        field = "point_code"
    if field:
        form[field].errors = list(form[field].errors or []) + [error_message(error)]
    else:
        flash(error_message(error), "danger")


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.BOARD_EDIT)
def new_item():
    form = ItemForm().fill_choices()
    if request.method == "GET":
        form.found_on.data = city_today()
    item = _save_item_form(form, lambda data: items.create_item(data, current_user))
    if item is not None:
        db.session.commit()
        flash(_("Draft saved."), "success")
        return redirect(url_for(".item", item_id=item.id))
    return render_template("board/console/item_form.html", form=form, item=None)


@bp.route("/new-from-cases", methods=["GET", "POST"])
@require(Permission.BOARD_EDIT)
def new_from_cases():
    form = FromCasesForm()
    if request.method == "GET" and request.args.get("cases"):
        form.cases.data = request.args.get("cases", "")[:2000]
    if form.validate_on_submit():
        try:
            cases = items.cases_by_numbers(form.cases.data.replace("，", ",").split(","))
            item = items.create_item_from_cases(cases, current_user, kind=form.kind.data,
                                                   title=form.title.data or None, deadline=form.deadline.data)
        except BoardError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("Draft made from %(count)d cases.", count=len(cases)), "success")
            return redirect(url_for(".item", item_id=item.id))
    return render_template("board/console/from_cases.html", form=form)


# ---------------------------------------------------------------- one item

@bp.get(ITEM)
@require_any(*READERS)
def item(item_id):
    return render_item(item_or_404(item_id))


@bp.route(f"{ITEM}/edit", methods=["GET", "POST"])
@require(Permission.BOARD_EDIT)
def edit_item(item_id):
    record = item_or_404(item_id)
    form = EditItemForm().fill_choices() if request.method == "POST" else edit_form(record)
    if record.is_taken_down:
        flash(error_message(BoardError("taken_down")), "danger")
        return redirect(url_for(".item", item_id=record.id))
    if request.method == "POST":
        saved = _save_item_form(form, lambda data: items.edit_item(record, data, current_user,
                                                                      reason=form.reason.data))
        if saved is not None:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for(".item", item_id=record.id))
    return render_template("board/console/item_form.html", form=form, item=record,
                           findings=[f for f in checks.check_item(record)])


@bp.post(f"{ITEM}/entries")
@require(Permission.BOARD_EDIT)
def add_entry(item_id):
    record = item_or_404(item_id)
    form = EntryForm()
    if not form.validate_on_submit():
        return render_item(record, failed=("entry", form), status=400)
    prepared, problems = photo_files.prepare_uploads(request.files.getlist(form.photos.name))
    if problems:
        form.photos.errors = [p.message for p in problems]
        return render_item(record, failed=("entry", form), status=400)
    stored = photo_files.store_photos(prepared)
    try:
        items.add_entry(record, current_user, milestone=form.milestone.data, text=form.text.data,
                           text_en=form.text_en.data, reported_on=form.reported_on.data, photos=stored)
    except BoardError as error:
        db.session.rollback()
        photo_files.discard(stored)
        if error.field in form:
            form[error.field].errors = list(form[error.field].errors) + [error_message(error)]
            return render_item(record, failed=("entry", form), status=400)
        flash(error_message(error), "danger")
        return redirect(url_for(".item", item_id=record.id))
    redaction.delete_on_rollback([k for p in stored for k in (p.key, p.thumb_key)])
    db.session.commit()
    flash(_("Follow-up added. Redact its photos before they can be shown."), "success")
    return redirect(url_for(".item", item_id=record.id, _anchor="entries"))


# ---------------------------------------------------------------- editorial steps

def _step_view(name):
    def view(item_id):
        record = item_or_404(item_id)
        make_form, run, done = STEP_RUNS[name]
        form = make_form()
        if not form.validate_on_submit():
            return render_item(record, failed=(name, form), status=400)
        try:
            run(record, form, current_user)
        except BoardError as error:
            db.session.rollback()
            flash(error_message(error), "danger")
            return redirect(url_for(".item", item_id=record.id))
        db.session.commit()
        flash(str(done), "success")
        return redirect(url_for(".item", item_id=record.id))

    view.__name__ = name
    view.__doc__ = f"POST step: {name}"
    return require_any(*STEPS[name])(view)


for _name in STEPS:
    bp.add_url_rule(f"{ITEM}/{_name.replace('_', '-')}", endpoint=_name, view_func=_step_view(_name),
                    methods=["POST"])


# ---------------------------------------------------------------- photos and redaction

def photo_or_404(board_photo_id):
    return db.get_or_404(ItemPhoto, board_photo_id)


@bp.get(f"{PHOTO}/<any(original, published):version>")
@bp.get(f"{PHOTO}/<any(original, published):version>/thumb", defaults={"thumb": True})
@require_any(*READERS)
def photo(board_photo_id, version, thumb=False):
    record = photo_or_404(board_photo_id)
    if version == "original":
        keys = PhotoFiles(record.original_key, record.original_thumb_key)
    elif record.published_key:
        keys = PhotoFiles(record.published_key, record.published_thumb_key)
    else:
        abort(404)
    return photo_files.send_photo(keys, thumb=thumb)


@bp.post(f"{PHOTO}/redact")
@require(Permission.BOARD_EDIT)
def redact(board_photo_id):
    record = photo_or_404(board_photo_id)
    form = RedactForm()
    if not form.validate_on_submit():
        return render_item(record.item, failed=("redact", form), status=400)
    try:
        boxes = redaction.parse_boxes(form.boxes.data or "", record.width, record.height)
    except redaction.RedactionError as error:
        message = str(REDACTION_ERRORS[error.code]) % {"count": redaction.MAX_BOXES}
        if error.number:
            message = _("Box %(number)d: %(problem)s", number=error.number, problem=message)
        form.boxes.errors = [message]
        return render_item(record.item, failed=("redact", form), status=400)
    try:
        redaction.redact_photo(record, boxes, current_user, confirm_nothing=form.confirm_nothing.data)
    except BoardError as error:
        db.session.rollback()
        if error.field in form:
            form[error.field].errors = [error_message(error)]
            return render_item(record.item, failed=("redact", form), status=400)
        flash(error_message(error), "danger")
        return redirect(url_for(".item", item_id=record.item_id))
    db.session.commit()
    flash(_("Published version saved: %(count)d boxes blurred.", count=len(boxes)), "success")
    return redirect(url_for(".item", item_id=record.item_id, _anchor=f"photo-{record.id}"))


@bp.post(f"{PHOTO}/delete")
@require(Permission.BOARD_EDIT)
def delete_photo(board_photo_id):
    record = photo_or_404(board_photo_id)
    item_id = record.item_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        items.remove_photo(record, current_user)
    except BoardError as error:
        db.session.rollback()
        flash(error_message(error), "danger")
        return redirect(url_for(".item", item_id=item_id))
    db.session.commit()
    flash(_("Photo removed."), "success")
    return redirect(url_for(".item", item_id=item_id, _anchor="photos"))


# ---------------------------------------------------------------- deciding appeals

@bp.post("/appeals/<int(max=2147483647):appeal_id>/decide")
@require(Permission.BOARD_EDIT)
def decide_appeal(appeal_id):
    appeal = db.get_or_404(Appeal, appeal_id)
    form = DecideAppealForm()
    if not form.validate_on_submit():
        return render_item(appeal.item, failed=("decide", form), status=400)
    correction = {k: v for k, v in (("title", form.title.data), ("description", form.description.data)) if v}
    try:
        appeals.decide_appeal(appeal, current_user, form.decision.data, form.reason.data, correction=correction,
                               correction_note=form.correction_note.data)
    except BoardError as error:
        db.session.rollback()
        if error.field in form:
            form[error.field].errors = [error_message(error)]
            return render_item(appeal.item, failed=("decide", form), status=400)
        flash(error_message(error), "danger")
        return redirect(url_for(".item", item_id=appeal.item_id))
    db.session.commit()
    flash(_("Appeal decided."), "success")
    return redirect(url_for(".item", item_id=appeal.item_id, _anchor="appeals"))

