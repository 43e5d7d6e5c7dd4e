"""Public survey pages: the list of open surveys, answering (one section per screen with JavaScript, one long
page without), area and token-card links, phone verification, and the thank-you page with a quiz's score."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from itsdangerous import BadSignature

from portal import signing
from portal.auth.permissions import Permission, can
from portal.clock import utcnow
from portal.extensions import db, limiter
from portal.i18n import current_locale
from portal.registry.models import Area
from surveys import form_page, guards
from surveys.answering import submit_response
from surveys.definition import SurveyError
from surveys.forms import answers_from_form, message
from surveys.models import Guarantee, Survey, SurveyArea, SurveyState
from surveys.response_models import SurveyResponse, SurveyToken
from surveys.sheets import survey_and_link

bp = Blueprint("surveys", __name__, url_prefix="/surveys", template_folder="templates")

STATUS = {"closed": 410, "token_unknown": 404, "token_used": 409, "already_answered": 409, "quota_full": 409}
TOKEN_PROBLEMS = {"token_required", "token_unknown", "token_other_survey"}
PHONE_SESSION = "survey_phones"
# Submissions from one address (config SURVEY_RATE_LIMIT): a household behind one carrier address answers far less.
SUBMIT_LIMIT = "30 per minute"


@bp.context_processor
def _helpers():
    return {"message": message}


def _secret():
    return current_app.config["SECRET_KEY"]


# Built once: building a statement costs about as much as running it.
_SURVEY_BY_SLUG = db.select(Survey).where(Survey.slug == db.bindparam("slug"))
_LINK_BY_KEY = db.select(SurveyArea).where(SurveyArea.survey_id == db.bindparam("survey_id"),
                                           SurveyArea.key == db.bindparam("key"))


def _survey(slug):
    survey = db.session.execute(_SURVEY_BY_SLUG, {"slug": slug}).scalar()
    if survey is None or (survey.state == SurveyState.DRAFT and not can(current_user, Permission.SURVEYS_MANAGE)):
        abort(404)
    return survey


def _link(survey, key):
    if not key:
        return None
    return db.session.execute(_LINK_BY_KEY, {"survey_id": survey.id, "key": key}).scalar()


def _phone_hash(survey):
    return (session.get(PHONE_SESSION) or {}).get(str(survey.id))


def _message(code, survey=None, status=None):
    return render_template("surveys/message.html", survey=survey, code=code, text=message(code)), \
        status or STATUS.get(code, 400)


def _area_choices(survey):
    levels = {q.area_level for q in survey.questions if q.type.picks_area}
    if not levels:
        return {}
    areas = db.session.execute(db.select(Area).where(Area.active.is_(True)).order_by(Area.path)).scalars().all()
    return {level: [a for a in areas if not level or a.level.value == level] for level in levels}


def _render_page(survey, link=None, token="", raw=None, problems=None, code=None, form_token=None):
    return render_template(
        "surveys/answer.html", survey=survey, link=link, token=token, raw=raw or {}, problems=problems or {},
        error=message(code) if code else None, error_code=code, areas=_area_choices(survey), form_token=form_token,
        labels=survey.level_labels(), preview=survey.state == SurveyState.DRAFT)


def _form_response(html, status=200):
    """The form page, with a device cookie for a browser that has none (or a tampered one)."""
    response = current_app.make_response((html, status))
    if guards.read_device_cookie(_secret(), request.cookies.get(guards.DEVICE_COOKIE)) is None:
        response.set_cookie(guards.DEVICE_COOKIE, guards.new_device_cookie(_secret()), max_age=guards.DEVICE_MAX_AGE,
                            httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _render_form(survey, link=None, token="", raw=None, problems=None, code=None, form_token=None, status=200):
    fresh = form_token or guards.new_form_token(_secret(), survey)
    return _form_response(_render_page(survey, link, token, raw, problems, code, fresh), status)


def _refusal(survey, link=None, token=None):
    """Why the respondent cannot answer now (a message code, or "phone": verify a phone first), or None.
    ``survey`` is the model or its SurveyRow."""
    if not survey.is_accepting() and survey.state != SurveyState.DRAFT:
        return "closed"
    if link is not None and link.is_full and link.quota_action.value == "stop":
        return "quota_full"
    if token is None and survey.guarantee == Guarantee.PHONE and not _phone_hash(survey):
        return "phone"
    hashed = _phone_hash(survey)
    if token is None and hashed and survey.guarantee == Guarantee.PHONE and guards.has_answered(
            survey, guards.phone_guard(hashed)):
        return "already_answered"
    device = guards.read_device_cookie(_secret(), request.cookies.get(guards.DEVICE_COOKIE))
    if token is None and device and survey.guarantee == Guarantee.DEVICE and guards.has_answered(
            survey, f"device:{device}"):
        return "already_answered"
    return None


def _before_answering(survey, link=None, token=None):
    """The message page instead of the form when the respondent cannot answer anyway; None to go on."""
    refusal = _refusal(survey, link, token)
    if refusal == "phone":
        return redirect(url_for(".phone", slug=survey.slug, a=link.key if link else None))
    return _message(refusal, survey) if refusal else None


@bp.get("/")
def index():
    surveys = [s for s in db.session.execute(db.select(Survey).where(Survey.state == SurveyState.OPEN)
                                             .order_by(Survey.id.desc())).scalars() if s.is_accepting()
               and s.guarantee != Guarantee.TOKEN]
    return render_template("surveys/index.html", surveys=surveys)


@bp.get("/<slug>")
def start(slug):
    blank = form_page.look_up(slug) if form_page.is_plain_visit() else None
    if blank is not None and blank.key is not None and blank.survey.state != SurveyState.DRAFT \
            and _refusal(blank.survey) is None:
        # The plain visit of an answerable survey: the kept page with this visitor's tokens, no model loaded.
        fresh = guards.new_form_token(_secret(), blank.survey)
        if blank.page is not None:
            return _form_response(form_page.fill(blank.page, fresh))
        return _form_response(form_page.keep(blank.key, _render_page(_survey(slug), form_token=fresh), fresh))
    survey = _survey(slug)
    return _before_answering(survey) or _render_form(survey)


@bp.get("/<slug>/a/<key>")
def area_link(slug, key):
    survey = _survey(slug)
    link = _link(survey, key) or abort(404)
    return _before_answering(survey, link) or _render_form(survey, link=link)


@bp.get("/t/<code>")
@limiter.limit("60 per minute")
def token_link(code):
    normalised = guards.normalise_token(code)
    token = db.session.execute(db.select(SurveyToken).where(SurveyToken.code == normalised)).scalar() \
        if normalised else None
    if token is None:
        return _message("token_unknown")
    survey = db.session.get(Survey, token.survey_id)
    if survey.state == SurveyState.DRAFT:
        return _message("closed", survey)
    if token.used_at is not None:
        return _message("token_used", survey)
    return _before_answering(survey, token=token) or _render_form(survey, token=guards.format_token(token.code))


def _submit_limit():
    return current_app.config.get("SURVEY_RATE_LIMIT") or SUBMIT_LIMIT


@bp.post("/<slug>")
@limiter.limit(_submit_limit)
def submit(slug):
    # An opened survey's settings as a plain row (the model is loaded only to show a page again); a draft's model.
    survey, link = survey_and_link(slug, request.form.get("area"))
    if survey is None:
        abort(404)
    if survey.state == SurveyState.DRAFT:
        survey = _survey(slug)
    raw = answers_from_form(request.form)
    token = (request.form.get("token") or "").strip()
    form_token = request.form.get("form")
    network, fingerprint = guards.network_and_fingerprint(request.remote_addr, request.user_agent.string)
    try:
        key, started_at = guards.read_form_token(_secret(), survey, form_token)
        response, _created = submit_response(
            survey, raw, idempotency_key=key, started_at=started_at, token_code=token or None, survey_area=link,
            device_key=guards.read_device_cookie(_secret(), request.cookies.get(guards.DEVICE_COOKIE)),
            network=network, fingerprint=fingerprint,
            phone_hash=_phone_hash(survey),
            locale=current_locale())
    except SurveyError as error:
        db.session.rollback()
        survey, link = _survey(slug), link and _link(survey, link.key)
        if error.code == "phone_required":
            return redirect(url_for(".phone", slug=survey.slug))
        if error.code in {"answers", "form_expired"} | TOKEN_PROBLEMS:
            fresh = None if error.code == "form_expired" else form_token
            return _render_form(survey, link=link, token=token, raw=raw, problems=error.problems, code=error.code,
                                form_token=fresh, status=400)
        return _message(error.code, survey)
    response_id, slug = response.id, survey.slug  # read before the commit expires them
    db.session.commit()
    receipt = signing.serializer(_secret(), "survey-receipt").dumps(response_id)
    return redirect(url_for(".done", slug=slug, receipt=receipt), code=303)


@bp.get("/<slug>/done/<receipt>")
def done(slug, receipt):
    survey = _survey(slug)
    try:
        response_id = signing.serializer(_secret(), "survey-receipt").loads(receipt)
    except BadSignature:
        abort(404)
    response = db.session.get(SurveyResponse, response_id) if isinstance(response_id, int) else None
    if response is None or response.survey_id != survey.id:
        abort(404)
    chosen = {}
    for answer in response.answers:
        chosen.setdefault(answer.question_id, []).append(answer.value)
    return render_template("surveys/done.html", survey=survey, response=response, chosen=chosen)


@bp.route("/<slug>/phone", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def phone(slug):
    survey = _survey(slug)
    if survey.guarantee != Guarantee.PHONE:
        return redirect(url_for(".start", slug=slug))
    if not survey.is_accepting():
        return _message("closed", survey)
    area = request.values.get("a") or None
    step, problem, number = "send", None, (request.form.get("phone") or "").strip()
    if request.method == "POST":
        try:
            if request.form.get("code"):
                hashed = guards.verify_phone_code(survey, number, request.form["code"], now=utcnow())
                phones = dict(session.get(PHONE_SESSION) or {})
                phones[str(survey.id)] = hashed
                session[PHONE_SESSION] = phones
                db.session.commit()
                target = url_for(".area_link", slug=slug, key=area) if area else url_for(".start", slug=slug)
                return redirect(target)
            guards.send_phone_code(survey, number, locale=current_locale())
            db.session.commit()
            step = "verify"
        except SurveyError as error:
            db.session.rollback()  # a wrong code was already counted, in its own transaction (guards)
            problem = error.code
            step = "verify" if error.code in {"code_wrong", "code_expired", "too_many_attempts"} else "send"
            if error.code == "already_answered":
                return _message("already_answered", survey)
    return render_template("surveys/phone.html", survey=survey, step=step, number=number, area=area,
                           error=message(problem) if problem else None), 400 if problem else 200
