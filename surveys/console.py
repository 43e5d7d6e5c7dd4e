"""Staff console for building surveys: the list, settings, sections and questions, open/close, clone and new
version, and the JSON definition (export and import)."""
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.permissions import Permission, require
from portal.city import get_city_settings
from portal.extensions import db
from portal.i18n import colon, list_separator
from surveys import services, transfer
from surveys.console_forms import FOLLOWUP_MESSAGES, MoveQuestionForm
from surveys.definition import SurveyError
from surveys.forms import (
    ImportForm,
    QuestionForm,
    SectionForm,
    SurveyForm,
    answer_codes_help,
    condition_choices,
    message,
)
from surveys.models import Survey, SurveyQuestion, SurveySection

bp = Blueprint("survey_builder", __name__, url_prefix="/console/surveys", template_folder="templates")

ID = "<int(max=2147483647):survey_id>"
MAX_IMPORT_BYTES = 1024 * 1024
# Where a problem found by the definition checks shows on the builder forms.
FIELD_ALIASES = {"scale": "scale_rule", "satisfied_levels": "scale_rule", "condition": "condition_question"}


@bp.context_processor
def _helpers():
    return {"message": message, "answer_codes_help": answer_codes_help}


def _message(code):
    return FOLLOWUP_MESSAGES[code] if code == "section" else message(code)


def _refused(error, form=None):
    """Put a SurveyError on the form's fields (every problem at once), or flash it."""
    db.session.rollback()
    problems = error.problems or ({error.field: error.code} if error.field else {})
    placed = False
    for field, code in problems.items():
        field = FIELD_ALIASES.get(field, field)
        name = field if form is not None and field in form else None
        if name:
            form[name].errors = list(form[name].errors) + [message(code)]
            placed = True
    if not placed:
        flash(_message(error.code) if not problems else list_separator().join(
            f"{k}{colon()}{message(v)}" for k, v in problems.items()), "danger")


def _survey(survey_id):
    return db.get_or_404(Survey, survey_id)


@bp.get("/")
@require(Permission.SURVEYS_RESULTS)
def surveys():
    rows = db.session.execute(db.select(Survey).order_by(Survey.id.desc())).scalars().all()
    return render_template("surveys/console/list.html", surveys=rows)


def _settings_form(survey):
    form = SurveyForm()
    if request.method == "GET":
        if survey is not None:
            form.fill_from(survey)
        else:
            defaults = services.default_settings(get_city_settings().satisfaction_scale)
            form.scale_rule.data = f"{defaults['scale']}:{','.join(map(str, defaults['satisfied_levels']))}"
            form.target_percent.data = defaults["target_percent"]
    return form


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def new_survey():
    form = _settings_form(None)
    if form.validate_on_submit():
        try:
            survey = services.create_survey(form.to_data(), current_user)
        except SurveyError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Survey created: add its questions."), "success")
            return redirect(url_for(".show", survey_id=survey.id))
    return render_template("surveys/console/settings.html", form=form, survey=None)


@bp.route(f"/{ID}/settings", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def edit_survey(survey_id):
    survey = _survey(survey_id)
    form = _settings_form(survey)
    if form.validate_on_submit():
        try:
            services.update_survey(survey, form.to_data(), current_user)
        except SurveyError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".show", survey_id=survey.id))
    return render_template("surveys/console/settings.html", form=form, survey=survey)


@bp.get(f"/{ID}")
@require(Permission.SURVEYS_MANAGE)
def show(survey_id):
    survey = _survey(survey_id)
    return render_template("surveys/console/show.html", survey=survey, section_form=SectionForm(),
                           move_form=MoveQuestionForm())


@bp.post(f"/{ID}/state")
@require(Permission.SURVEYS_MANAGE)
def change_state(survey_id):
    survey = _survey(survey_id)
    action = request.form.get("action")
    try:
        if action == "open":
            services.open_survey(survey, current_user)
        elif action == "close":
            services.close_survey(survey, current_user)
        else:
            raise SurveyError("transition")
    except SurveyError as error:
        _refused(error)
    else:
        db.session.commit()
        flash(_("The survey is now: %(state)s", state=survey.state.label), "success")
    return redirect(url_for(".show", survey_id=survey_id))


@bp.post(f"/{ID}/clone")
@require(Permission.SURVEYS_MANAGE)
def clone(survey_id):
    survey = _survey(survey_id)
    new_version = request.form.get("new_version") == "1"
    try:
        copy = transfer.clone_survey(survey, current_user, new_version=new_version)
    except SurveyError as error:
        _refused(error)
        return redirect(url_for(".show", survey_id=survey_id))
    db.session.commit()
    flash(_("New version created as a draft.") if new_version else _("Copy created as a draft."), "success")
    return redirect(url_for(".show", survey_id=copy.id))


@bp.get(f"/{ID}/definition.json")
@require(Permission.SURVEYS_MANAGE)
def export_json(survey_id):
    survey = _survey(survey_id)
    body = json.dumps(transfer.export_definition(survey), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="survey-{survey.id}-v{survey.version}.json"'})


@bp.route("/import", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def import_survey():
    form = ImportForm()
    problems = {}
    if form.validate_on_submit():
        upload = form.file.data
        raw = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        try:
            if len(raw) > MAX_IMPORT_BYTES:
                raise SurveyError("import_format")
            try:
                payload = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError):
                raise SurveyError("import_format") from None
            survey = transfer.import_definition(payload, current_user)
        except SurveyError as error:
            db.session.rollback()
            problems = error.problems
            flash(message(error.code), "danger")
        else:
            db.session.commit()
            flash(_("Survey imported as a draft."), "success")
            return redirect(url_for(".show", survey_id=survey.id))
    return render_template("surveys/console/import.html", form=form, problems=problems)


# ---------------------------------------------------------------- sections

def _section(survey, section_id):
    section = db.get_or_404(SurveySection, section_id)
    if section.survey_id != survey.id:
        abort(404)
    return section


@bp.post(f"/{ID}/sections")
@require(Permission.SURVEYS_MANAGE)
def add_section(survey_id):
    survey = _survey(survey_id)
    form = SectionForm()
    try:
        if not form.validate_on_submit():
            raise SurveyError("section", problems={"title": "required"})
        services.save_section(survey, None, form.data, current_user)
    except SurveyError as error:
        _refused(error)
    else:
        db.session.commit()
    return redirect(url_for(".show", survey_id=survey_id))


@bp.route(f"/{ID}/sections/<int(max=2147483647):section_id>", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def edit_section(survey_id, section_id):
    survey = _survey(survey_id)
    section = _section(survey, section_id)
    form = SectionForm(obj=section)
    if form.validate_on_submit():
        try:
            services.save_section(survey, section, form.data, current_user)
        except SurveyError as error:
            _refused(error, form)
        else:
            db.session.commit()
            return redirect(url_for(".show", survey_id=survey_id))
    return render_template("surveys/console/section_form.html", form=form, survey=survey, section=section)


@bp.post(f"/{ID}/sections/<int(max=2147483647):section_id>/<any(delete, up, down):action>")
@require(Permission.SURVEYS_MANAGE)
def section_action(survey_id, section_id, action):
    survey = _survey(survey_id)
    return _delete_or_move(_section(survey, section_id), action, services.delete_section, services.move_section)


def _delete_or_move(thing, action, delete, move):
    """Delete a section or question, or move it one place up or down; back to the survey either way."""
    survey_id = thing.survey_id  # read before a delete commits
    try:
        if action == "delete":
            delete(thing, current_user)
        else:
            move(thing, -1 if action == "up" else 1, current_user)
    except SurveyError as error:
        _refused(error)
    else:
        db.session.commit()
    return redirect(url_for(".show", survey_id=survey_id))


# ---------------------------------------------------------------- questions

def _question_form(survey, question, section):
    form = QuestionForm()
    ordered = [q for q in survey.questions if q is not question]
    if question is not None:
        ordered = ordered[:survey.questions.index(question)]
    else:
        ordered = [q for q in ordered if q.section_position <= section.position]
    form.condition_question.choices = condition_choices(ordered)
    if request.method == "GET":
        if question is not None:
            form.fill_from(question)
        else:
            form.key.data = f"q{len(survey.questions) + 1}"
            form.kind.data = "satisfaction"
    return form


def _save_question(survey, section, question):
    form = _question_form(survey, question, section)
    if form.validate_on_submit():
        try:
            services.save_question(survey, section, question, form.to_data(), current_user)
        except SurveyError as error:
            _refused(error, form)
        else:
            db.session.commit()
            flash(_("Question saved."), "success")
            return redirect(url_for(".show", survey_id=survey.id) + f"#section-{section.id}")
    return render_template("surveys/console/question_form.html", form=form, survey=survey, section=section,
                           question=question)


@bp.route(f"/{ID}/sections/<int(max=2147483647):section_id>/questions/new", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def new_question(survey_id, section_id):
    survey = _survey(survey_id)
    return _save_question(survey, _section(survey, section_id), None)


def _question(survey, question_id):
    question = db.get_or_404(SurveyQuestion, question_id)
    if question.survey_id != survey.id:
        abort(404)
    return question


@bp.route(f"/{ID}/questions/<int(max=2147483647):question_id>", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def edit_question(survey_id, question_id):
    survey = _survey(survey_id)
    question = _question(survey, question_id)
    return _save_question(survey, question.section, question)


@bp.post(f"/{ID}/questions/<int(max=2147483647):question_id>/<any(delete, up, down):action>")
@require(Permission.SURVEYS_MANAGE)
def question_action(survey_id, question_id, action):
    survey = _survey(survey_id)
    return _delete_or_move(_question(survey, question_id), action, services.delete_question,
                           services.move_question)



@bp.post(f"/{ID}/questions/<int(max=2147483647):question_id>/section")
@require(Permission.SURVEYS_MANAGE)
def move_to_section(survey_id, question_id):
    """Move a question of a draft to the end of another section; refused once the survey has been opened."""
    survey = _survey(survey_id)
    question = _question(survey, question_id)
    form = MoveQuestionForm()
    section = db.session.get(SurveySection, form.section.data) if form.validate_on_submit() else None
    try:
        services.move_question_to_section(question, section, current_user)
    except SurveyError as error:
        _refused(error)
        return redirect(url_for(".show", survey_id=survey.id) + f"#question-{question.key}")
    db.session.commit()
    flash(_("Question moved to “%(section)s”.", section=section.display_title), "success")
    return redirect(url_for(".show", survey_id=survey.id) + f"#section-{section.id}")
