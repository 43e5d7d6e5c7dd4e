"""The hotline console: an operator types in a call, letter, box note, media or superior case, fast.

Keyboard first: the phone field has the focus, the fields follow the order of the call, Enter submits. A hidden
idempotency key makes a double submit (or a reload after a slow answer) return the case already made. The chosen
category's extra questions are asked as on the resident's form (same checks, answers stored in ``Case.answers``).
"""
import secrets

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from complaints import handling, services, steps
from complaints import intake as resident_intake
from complaints.console.forms import BLANK, CASE_ERRORS, IntakeForm, grouped_category_choices
from complaints.forms import normalise_phone
from complaints.models import Channel, LocationSource
from portal.auth.permissions import Permission, can, require
from portal.extensions import db
from portal.registry import services as registry
from portal.registry.models import Area, Category, Point

bp = Blueprint("intake", __name__)

POINT_SUGGESTIONS = 20


def _form():
    form = IntakeForm()
    form.area.choices = BLANK + registry.area_choices()
    form.category.choices = grouped_category_choices(with_keys=True)
    form.category.render_kw = {"data-filter-placeholder": _("Type to find: name, pinyin initials (e.g. ldbl), 简/繁")}
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_hex(16)
    return form


def resolve_point(text):
    """The active point for what was typed: its code (as the datalist fills it in), else the one point whose
    name matches. None if nothing or several match."""
    text = (text or "").strip()
    if not text:
        return None
    point = registry.find_by_code(Point, text.split()[0])
    if point is not None and point.active:
        return point
    matches = db.session.execute(registry.active_points_query(text).limit(2)).scalars().all()
    return matches[0] if len(matches) == 1 else None


def _add_error(field, message):
    field.errors = list(field.errors or []) + [message]


def _place(form):
    """The point typed in (or None), adding the place problems to the form after its own checks."""
    point = resolve_point(form.point_code.data)
    if form.point_code.data and point is None:
        _add_error(form.point_code, CASE_ERRORS["point_unknown"])
    elif not form.point_code.data and not form.area.data:
        _add_error(form.area, CASE_ERRORS["place"])
    return point


def _category(form):
    """The chosen category if it can take a report (the service refuses the rest with its own message)."""
    category = db.session.get(Category, form.category.data) if form.category.data else None
    return category if category is not None and category.active and not category.is_group else None


def _questions():
    """(category, its extra questions) for every active category that has some: one fieldset each, the chosen
    one shown (the page's script switches them as the category changes)."""
    return [(category, asked) for _group, categories in resident_intake.category_groups()
            for category in categories if (asked := resident_intake.questions_of(category))]


def _focus_first_error(form):
    """After an error the cursor goes to the first wrong field in the order of the page, not back to the phone."""
    wrong = [field for field in form if field.errors]
    if wrong:
        form.reporter_phone.render_kw = {k: v for k, v in form.reporter_phone.render_kw.items() if k != "autofocus"}
        wrong[0].render_kw = {**(wrong[0].render_kw or {}), "autofocus": True}


def _page(form, question_errors=None):
    _focus_first_error(form)
    return render_template("complaints/console/intake.html", form=form, questions=_questions(),
                           question_errors=question_errors or {}, chosen=form.category.data)


def _submit(form, point, answers):
    case, created = services.submit_report(
        category=db.session.get(Category, form.category.data), description=form.description.data,
        channel=Channel(form.channel.data), point=point,
        area=db.session.get(Area, form.area.data) if form.area.data else None, location_source=LocationSource.LIST,
        location_text=form.location_text.data or None, urgent=form.urgent.data, anonymous=form.anonymous.data,
        reporter_name=form.reporter_name.data or None, reporter_phone=normalise_phone(form.reporter_phone.data),
        answers=answers, actor=current_user, idempotency_key=form.idempotency_key.data)
    if created and form.file_now.data and can(current_user, Permission.CASES_DISPATCH):
        handling.file_case(case, current_user)
    return case, created


@bp.route("/intake", methods=["GET", "POST"])
@require(Permission.CASES_INTAKE)
def intake():
    form = _form()
    if not form.is_submitted():
        return _page(form)
    valid = form.validate()
    point = _place(form)  # checked with the rest: every problem is told at once (一次性告知)
    category = _category(form)
    answers, question_errors = resident_intake.read_answers(category, request.form) if category else ({}, {})
    if not valid or form.point_code.errors or form.area.errors or question_errors:
        return _page(form, question_errors)
    try:
        case, created = _submit(form, point, answers)
    except steps.CaseError as error:
        db.session.rollback()
        target = {"area": form.area, "point": form.point_code, "category": form.category}.get(error.field)
        _add_error(target or form.description, CASE_ERRORS.get(error.code, _("This report was refused.")))
        return _page(form)
    db.session.commit()
    if created:
        flash(_("Case %(number)s saved. Read out to the caller: case number %(number)s, query code %(code)s.",
                number=case.number, code=case.query_code), "success")
    else:
        flash(_("This call was saved already as case %(number)s.", number=case.number), "info")
    return redirect(url_for("cases.case.detail", number=case.number))


@bp.get("/points.json")
@require(Permission.CASES_INTAKE)
def points():
    """Active points matching ``q`` (code or name, 简/繁 alike) for the intake form's datalist."""
    text = request.args.get("q", "").strip()[:100]
    if not text:
        return jsonify([])
    found = db.session.execute(registry.active_points_query(text).limit(POINT_SUGGESTIONS)).scalars()
    return jsonify([{"code": p.code, "name": p.display_name, "area": p.area.short_path} for p in found])
