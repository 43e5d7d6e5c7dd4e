"""Public complaint pages: report a problem (from a point's QR code or directly), "me too", the receipt, and
tracking and rating a case with its number and query code. Staff pages live in complaints.console.views."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from complaints import intake, services
from complaints.forms import (
    MeTooForm,
    RatingForm,
    ReportForm,
    TrackForm,
    new_idempotency_key,
    normalise_phone,
    optional_id,
    parse_coordinates,
    valid_idempotency_key,
)
from complaints.models import CasePhoto, EventKind, IllegalTransition
from complaints.services import CaseError
from portal import photos
from portal.city import SATISFACTION_SCALES, get_city_settings
from portal.errors import handle_http_error
from portal.extensions import db, limiter
from portal.registry import qr
from portal.registry.models import Area, Category, Point
from portal.templating import localtime

bp = Blueprint("complaints", __name__, template_folder="templates")

SESSION_CODES = "case_codes"  # {case number: query code} of the cases this browser reported or looked up
MAX_REMEMBERED = 20
LOOKUP_LIMIT = "20 per minute"
# Reports filed from one address (config REPORT_RATE_LIMIT): far above what residents at a busy placard send, even
# behind one carrier address, and low enough to stop a script. Only filed reports count (not a form sent back with
# problems to fix), and signed-in staff (an inspector on patrol) are not limited.
CHECK_SAME = "similar"  # the value of the report form's "has this already been reported here?" button
PHOTO_ID = f"<int(max={qr.MAX_DB_ID}):photo_id>"


def _remember(case):
    """Keep the case's query code in this browser's session: only the submitter (or who typed it) sees it.

    ``case`` is a Case or an ``intake.Filed`` (anything with ``number`` and ``query_code``).
    """
    codes = {k: v for k, v in session.get(SESSION_CODES, {}).items() if k != case.number}
    codes[case.number] = case.query_code
    session[SESSION_CODES] = dict(list(codes.items())[-MAX_REMEMBERED:])


def _case_in_session(number):
    code = session.get(SESSION_CODES, {}).get(number)
    return services.find_by_number(number, code) if code else None


def _code_in_session():
    return (request.view_args or {}).get("number") in session.get(SESSION_CODES, {})


def _to_receipt(case):
    _remember(case)
    return redirect(url_for(".receipt", number=case.number))


# ---------------------------------------------------------------- reporting

def _report_limit():
    return current_app.config["REPORT_RATE_LIMIT"]


def _filed(response):
    return response.status_code == 302


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"], deduct_when=_filed, exempt_when=lambda: current_user.is_authenticated)
def report():
    """The report form. ``?t=<QR token>`` binds it to that point; ``?p=<point id>`` to a place found by search."""
    place = intake.resolve_place(request.args.get("t"), request.args.get("p"))
    if place.token is not None and place.point is None:
        return qr.render_problem(qr.Resolution(problem=place.problem)), 404
    form = ReportForm()
    key = valid_idempotency_key(form.idempotency_key.data)
    if request.method == "POST" and request.form.get("check") == CHECK_SAME and place.point is None:
        return _same_problem_page(form, place, key)
    if request.method == "POST":
        earlier = intake.case_for_key(key)
        if earlier is not None:  # sent twice (double tap, retry after a lost answer): the same receipt
            return _to_receipt(earlier)
        user = current_user._get_current_object() if current_user.is_authenticated else None
        checked = intake.check_report(form, place, request.form, request.files.getlist(form.photos.name), user, key)
        if checked is not None:
            try:
                return _to_receipt(intake.file_report(checked))
            except CaseError as error:  # the category or the place was switched off meanwhile
                target = form.category_id if error.field == "category" else form.area_id
                target.errors = list(target.errors) + [_("This is no longer available. Please choose again.")]
    form.idempotency_key.data = key or new_idempotency_key()
    return render_template("complaints/report.html", **_report_context(form, place)), \
        422 if request.method == "POST" else 200


def _same_problem_page(form, place, key):
    """"Has this already been reported here?" without JavaScript: the form again, as typed, with the open cases of
    the chosen type in the chosen area (or near the shared location). Nothing is checked or stored."""
    form.idempotency_key.data = key or new_idempotency_key()
    check = intake.check_same_problem(form.category_id.data, form.area_id.data, form.latitude.data,
                                      form.longitude.data)
    return render_template("complaints/report.html", **_report_context(form, place), check=check)


def _report_context(form, place):
    inspector = intake.is_inspector(current_user)
    selected = db.session.get(Category, form.category_id.data) if form.category_id.data else None
    groups = intake.category_groups()
    questions = [(c, asked) for _group, cats in groups for c in cats if (asked := intake.questions_of(c))]
    place_query = (request.args.get("place") or "").strip()[:intake.MAX_QUERY]
    errors = [(f.id, e) for f in form for e in f.errors] + list(getattr(form, "question_errors", {}).items())
    return {
        "form": form, "place": place, "action": url_for(".report", **place.url_args()), "groups": groups,
        "questions": questions, "selected_category": selected, "inspector": inspector,
        "staff_not_inspector": current_user.is_authenticated and not inspector,
        "areas": intake.area_options(include_grid=inspector) if place.point is None else [],
        "place_query": place_query, "points_found": intake.search_points(place_query) if place_query else [],
        "similar": intake.find_similar(point=place.point) if place.point is not None else [],
        "errors": errors, "question_errors": getattr(form, "question_errors", {}),
        "photos_sent": any(f.filename for f in request.files.getlist(form.photos.name)),
        "max_photos": photos.MAX_PHOTOS, "max_photo_mb": photos.MAX_PHOTO_BYTES // (1024 * 1024),
        "max_description": services.MAX_DESCRIPTION,
    }


@bp.errorhandler(429)
def too_many(error):
    """Over a rate limit. On the report form: the form again with what was typed and a message, nothing stored."""
    if request.endpoint != "complaints.report":
        return handle_http_error(error)
    place = intake.resolve_place(request.args.get("t"), request.args.get("p"))
    if place.token is not None and place.point is None:
        return qr.render_problem(qr.Resolution(problem=place.problem)), 404
    form = ReportForm()
    form.idempotency_key.data = valid_idempotency_key(form.idempotency_key.data) or new_idempotency_key()
    return render_template("complaints/report.html", **_report_context(form, place), limited=True), 429


@bp.errorhandler(413)
def too_large(_error):
    """The whole upload was over MAX_CONTENT_LENGTH: nothing was read, so say what to do about it."""
    return render_template("complaints/too_large.html", back=request.full_path.rstrip("?"),
                           max_photos=photos.MAX_PHOTOS, max_photo_mb=photos.MAX_PHOTO_BYTES // (1024 * 1024)), 413


@bp.get("/report/receipt/<number>")
def receipt(number):
    """After a report (PRG): the number and the query code, shown only to the browser that sent it."""
    case = _case_in_session(number)
    if case is None:
        return render_template("complaints/track_lookup.html", form=TrackForm(), not_found=True), 404
    return render_template("complaints/receipt.html", case=case)


@bp.get("/report/categories.json")
def categories_json():
    """Categories matching ``q`` in 简体, 繁體 or English (by their own or their group's name)."""
    found = intake.search_categories(request.args.get("q"))
    return {"categories": [{"id": c.id, "name": c.display_name, "group": g.display_name, "group_id": g.id,
                            "urgent": c.allows_urgent} for g, c in found]}


@bp.get("/report/points.json")
def points_json():
    """Places (points) matching ``q``, each with the URL of the report page bound to it."""
    return {"points": [{"id": p.id, "code": p.code, "name": p.display_name, "area": p.area.short_path,
                        "address": p.address or "", "url": url_for(".report", p=p.id)}
                       for p in intake.search_points(request.args.get("q"))]}


@bp.get("/report/similar.json")
def similar_json():
    """Open cases of ``category`` at ``point``, within 50 m of ``lat``/``lng`` or in ``area``: "same problem already
    reported?"."""
    category_id, point_id = optional_id(request.args.get("category")), optional_id(request.args.get("point"))
    category = db.session.get(Category, category_id) if category_id else None
    point = db.session.get(Point, point_id) if point_id else None
    try:
        lat, lng = parse_coordinates(request.args.get("lat"), request.args.get("lng"))
    except ValueError:
        lat = lng = None
    area_id = optional_id(request.args.get("area"))
    area = db.session.get(Area, area_id) if area_id else None
    found = intake.find_similar(category=category, point=point if point and point.active else None,
                                latitude=lat, longitude=lng, area=area if area and area.active else None)
    return {"cases": [{"number": s.case.number, "state": s.case.state.label, "category": s.case.category.display_name,
                       "excerpt": s.excerpt, "reported_at": localtime(s.case.created_at),
                       "me_too_count": s.case.me_too_count,
                       "distance_m": round(s.distance_m) if s.distance_m is not None else None,
                       "me_too_url": url_for(".me_too", number=s.case.number)} for s in found]}


@bp.route("/report/<number>/me-too", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ME_TOO_RATE_LIMIT"], methods=["POST"])
def me_too(number):
    """"Me too": add one's voice (and optionally a phone for progress messages) to an open case."""
    case = intake.case_by_number(number)
    if not intake.is_public_for_me_too(case) and not (case is not None and request.method == "POST"):
        abort(404)  # closed, rejected or merged cases answer like unknown numbers
    form = MeTooForm()
    if case.is_open and form.validate_on_submit():
        try:
            services.add_me_too(case, normalise_phone(form.phone.data),
                                valid_idempotency_key(form.idempotency_key.data))
            db.session.commit()
        except IntegrityError:  # the same key raced in twice: the first one counted
            db.session.rollback()
        except (CaseError, IllegalTransition):  # closed meanwhile: the page says so
            db.session.rollback()
        if case.is_open:
            return redirect(url_for(".me_too_done", number=case.number))
    form.idempotency_key.data = valid_idempotency_key(form.idempotency_key.data) or new_idempotency_key()
    return render_template("complaints/me_too.html", case=case, form=form, excerpt=intake.public_excerpt(case)), \
        422 if form.errors else 200


@bp.get("/report/<number>/me-too/done")
def me_too_done(number):
    case = intake.case_by_number(number)
    if case is None:
        abort(404)
    return render_template("complaints/me_too_done.html", case=case)


# ---------------------------------------------------------------- tracking and rating

def _lookup_form(number="", code=""):
    """A fresh lookup form (with its CSRF token) showing what was already known, e.g. the number from an SMS link."""
    form = TrackForm(formdata=None, number=number)
    form.code.data = code
    return form


def _not_found(form=None):
    """The lookup page saying no case matches; the form keeps what was typed and can be sent again."""
    form = _lookup_form(form.number.data or "", form.code.data or "") if form is not None else _lookup_form()
    return render_template("complaints/track_lookup.html", form=form, not_found=True), 404


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(LOOKUP_LIMIT, exempt_when=lambda: request.method == "GET" and "code" not in request.args)
def track_lookup():
    """Find a case by its number and query code (from a form, or from a link carrying both)."""
    if request.method == "POST":
        form = TrackForm()
    elif "code" in request.args:
        form = TrackForm(formdata=request.args, meta={"csrf": False})
    else:
        return render_template("complaints/track_lookup.html", form=_lookup_form(request.args.get("number", "")),
                               not_found=False)
    if not form.validate():
        if request.method == "GET":  # a link's form carries no token: show one that can be sent again
            shown = _lookup_form(form.number.data or "", form.code.data or "")
            shown.number.errors, shown.code.errors = form.number.errors, form.code.errors
            form = shown
        return render_template("complaints/track_lookup.html", form=form, not_found=False), 422
    case = services.find_by_number(form.number.data, form.code.data)
    if case is None:
        return _not_found(form)
    return _to_track(case)


def _to_track(case):
    _remember(case)
    return redirect(url_for(".track", number=case.number))  # the code stays out of the address bar


@bp.get("/track/<number>")
@limiter.limit(LOOKUP_LIMIT, exempt_when=_code_in_session)
def track(number):
    """A case's public record: state, unit, due time, public timeline, outcome with photos, and the rating."""
    if request.args.get("code"):
        case = services.find_by_number(number, request.args["code"])
        return _to_track(case) if case is not None else _not_found()
    case = _case_in_session(number)
    if case is None:  # the link from the SMS, opened in another browser: ask for the code, nothing went wrong yet
        return render_template("complaints/track_lookup.html", form=_lookup_form(number), not_found=False)
    return render_template("complaints/track.html", **_track_context(case))


def _track_context(case, rating_form=None):
    scale = case.rating_scale or get_city_settings().satisfaction_scale
    labels = [str(label) for label in SATISFACTION_SCALES.get(scale, SATISFACTION_SCALES[3])]
    return {
        "case": case, "timeline": intake.public_timeline(case), "before": intake.photos_at(case, "before"),
        "after": intake.photos_at(case, "after"), "rating_form": rating_form or RatingForm(labels=labels),
        "rating_labels": labels, "dissatisfied": [i for i in range(1, scale + 1) if services.is_dissatisfied(i, scale)],
        "can_rate": case.can(EventKind.RATE) and case.rating is None,
    }


RATING_MESSAGES = {
    "already_rated": lambda: _("You have already rated this case."),
    "rating": lambda: _("Please choose how satisfied you are."),
    "reopen_needs_dissatisfied": lambda: _("You can ask for it to be handled again only if you are dissatisfied."),
}


@bp.post("/track/<number>/rate")
def rate(number):
    """回访 by the reporter: a rating once per closure, and when dissatisfied a request for 重办."""
    case = _case_in_session(number)
    if case is None:
        return _not_found(TrackForm(number=number))
    scale = get_city_settings().satisfaction_scale
    form = RatingForm(labels=[str(label) for label in SATISFACTION_SCALES.get(scale, SATISFACTION_SCALES[3])])
    if form.validate_on_submit():
        try:
            services.rate_case(case, form.rating.data, form.comment.data, ask_reopen=form.ask_reopen.data)
            db.session.commit()
        except (CaseError, IllegalTransition) as error:
            db.session.rollback()
            code = getattr(error, "code", "already_rated")
            target = form.ask_reopen if code == "reopen_needs_dissatisfied" else form.rating
            target.errors = list(target.errors) + [RATING_MESSAGES.get(code, RATING_MESSAGES["already_rated"])()]
        else:
            flash(_("Thank you: your rating has been recorded."), "success")
            return redirect(url_for(".track", number=case.number))
    return render_template("complaints/track.html", **_track_context(case, rating_form=form)), 422


@bp.get(f"/track/<number>/photos/{PHOTO_ID}", defaults={"thumb": False})
@bp.get(f"/track/<number>/photos/{PHOTO_ID}/thumb", defaults={"thumb": True})
def track_photo(number, photo_id, thumb):
    """A photo of the reporter's own case (before or after), only with the query code in the session."""
    case = _case_in_session(number)
    photo = db.session.get(CasePhoto, photo_id) if case is not None else None
    if photo is None or photo.case_id != case.id:
        abort(404)
    return photos.send_photo(photo, thumb=thumb)
