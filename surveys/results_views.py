"""Staff console for results: rates with intervals per source, area and period, quality checks and recorded
exclusions, and the exports (responses and summary, CSV or XLSX, in a chosen language)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.i18n import LOCALES, current_locale
from surveys import exports, quality
from surveys.charts import trend_svg
from surveys.definition import SurveyError
from surveys.forms import ExclusionForm, message
from surveys.models import Survey, SurveyState
from surveys.response_models import NO_AREA, SurveyExclusion, SurveyResponse
from surveys.results import PERIODS, survey_results

bp = Blueprint("survey_results", __name__, url_prefix="/console/surveys", template_folder="templates")

ID = "<int(max=2147483647):survey_id>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _survey(survey_id):
    survey = db.get_or_404(Survey, survey_id)
    if survey.state == SurveyState.DRAFT:
        abort(404)
    return survey


@bp.get(f"/{ID}/results")
@require(Permission.SURVEYS_RESULTS)
def results(survey_id):
    survey = _survey(survey_id)
    stratum = request.args.get("area", type=int)
    if stratum is not None and stratum != NO_AREA and not any(link.id == stratum for link in survey.areas):
        stratum = None
    figures = survey_results(survey, request.args.get("period", "day"), stratum)
    label = _("Pass rate (知晓率)") if survey.is_quiz else _("Satisfaction rate (满意率)")
    trends = {source: trend_svg(figures.periods, source, survey.target_percent, label) for source in figures.sources}
    return render_template("surveys/console/results.html", survey=survey, r=figures, trends=trends,
                           periods=PERIODS, export_locales=LOCALES, rate_label=label,
                           no_area=NO_AREA)


@bp.post(f"/{ID}/quality")
@require(Permission.SURVEYS_RESULTS)
def check_quality(survey_id):
    survey = _survey(survey_id)
    found = quality.flag_responses(survey)
    db.session.commit()
    flash(_("Quality check done: %(speeders)d speeders, %(bursts)d in bursts.", speeders=found["speeders"],
            bursts=found["bursts"]), "success")
    return redirect(url_for(".responses", survey_id=survey_id))


@bp.get(f"/{ID}/responses")
@require(Permission.SURVEYS_RESULTS)
def responses(survey_id):
    survey = _survey(survey_id)
    query = db.select(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    flag = request.args.get("flag")
    if flag in quality.FLAGS:
        query = query.where(quality.FLAGS[flag].is_(True))
    if request.args.get("excluded") == "1":
        query = query.where(SurveyResponse.excluded.is_(True))
    page = db.paginate(query.order_by(SurveyResponse.id.desc()), per_page=100, error_out=False)
    history = db.session.execute(
        db.select(SurveyExclusion).join(SurveyResponse, SurveyResponse.id == SurveyExclusion.response_id)
        .where(SurveyResponse.survey_id == survey.id).order_by(SurveyExclusion.id.desc()).limit(50)).scalars().all()
    median, timed = quality.median_duration(survey)
    return render_template("surveys/console/responses.html", survey=survey, page=page, flag=flag,
                           form=ExclusionForm(), history=history, median=median, timed=timed,
                           flags=list(quality.FLAGS), fraction=quality.SPEEDER_FRACTION)


@bp.post(f"/{ID}/exclusions")
@require(Permission.SURVEYS_RESULTS)
def exclusions(survey_id):
    survey = _survey(survey_id)
    form = ExclusionForm()
    if not form.validate_on_submit():
        flash(message("reason_required"), "danger")
        return redirect(url_for(".responses", survey_id=survey_id))
    ids = [int(v) for v in request.form.getlist("response") if v.isdigit()][:quality.BATCH * 20]
    try:
        if form.flag.data:
            ids = quality.flagged_ids(survey, form.flag.data)
        change = quality.exclude_responses if form.action.data == "exclude" else quality.include_responses
        count = change(survey, ids, form.reason.data, current_user)
    except SurveyError as error:
        db.session.rollback()
        flash(message(error.code), "danger")
    else:
        db.session.commit()
        flash(_("%(count)d responses changed.", count=count), "success")
    return redirect(url_for(".responses", survey_id=survey_id))


def _export_locale():
    chosen = request.args.get("lang")
    return chosen if chosen in LOCALES else current_locale()


def _download(rows, fmt, name, title):
    if fmt == "csv":
        return send_file(exports.csv_file(rows), mimetype="text/csv", as_attachment=True,
                         download_name=f"{name}.csv")
    return send_file(exports.xlsx_file(rows, title), mimetype=XLSX, as_attachment=True,
                     download_name=f"{name}.xlsx")


@bp.get(f"/{ID}/export/responses.<any(csv, xlsx):fmt>")
@require(Permission.SURVEYS_RESULTS)
def export_responses(survey_id, fmt):
    survey = _survey(survey_id)
    locale = _export_locale()

    with force_locale(locale):
        return _download(exports.response_rows(survey, locale), fmt, f"survey-{survey.id}-responses-{locale}",
                         "responses")


@bp.get(f"/{ID}/export/summary.<any(csv, xlsx):fmt>")
@require(Permission.SURVEYS_RESULTS)
def export_summary(survey_id, fmt):
    survey = _survey(survey_id)
    locale = _export_locale()
    with force_locale(locale):
        rows = list(exports.summary_rows(survey_results(survey), locale))
    return _download(rows, fmt, f"survey-{survey.id}-summary-{locale}", "summary")
