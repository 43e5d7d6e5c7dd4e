"""Staff console for results: rates with intervals per source, area and period (also per question or matrix item),
quality checks and recorded exclusions, the exports (responses and summary, CSV or XLSX, in a chosen language),
and rectification: a low-scoring item made into a case for the command centre to dispatch."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from complaints.services import CaseError
from portal import exports as portal_exports
from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.i18n import LOCALES, current_locale
from portal.registry.models import Area, Category
from surveys import rectification
from surveys.console_forms import FOLLOWUP_MESSAGES, RectificationForm
from surveys.definition import SurveyError
from surveys.forms import ExclusionForm, message
from surveys.models import Survey, SurveyState
from surveys.response_models import NO_AREA, Source, SurveyExclusion, SurveyResponse
from surveys.results import exports, quality
from surveys.results.aggregates import PERIODS, item_periods, survey_results
from surveys.results.charts import trend_svg

bp = Blueprint("survey_results", __name__, url_prefix="/console/surveys", template_folder="templates")

ID = "<int(max=2147483647):survey_id>"


@bp.app_template_global("survey_quality_rules")
def survey_quality_rules():
    """The survey quality rules in force, for the definitions page."""
    return quality.rules()


def _survey(survey_id):
    survey = db.get_or_404(Survey, survey_id)
    if survey.state == SurveyState.DRAFT:
        abort(404)
    return survey


def _stratum(survey, value):
    """A SurveyArea id of this survey or NO_AREA from a query value; None (all areas) for anything else."""
    try:
        stratum = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    if stratum is not None and stratum != NO_AREA and not any(link.id == stratum for link in survey.areas):
        return None
    return stratum


def _stratum_area_id(survey, stratum):
    return next((link.area_id for link in survey.areas if link.id == stratum), None)


def _tasks_shown(survey, stratum):
    """{(question id, item): [task]} for the lowest items: the tasks of the chosen area, or of every area."""
    area_id = _stratum_area_id(survey, stratum)
    return {key: [t for t in tasks if area_id is None or t.area_id == area_id]
            for key, tasks in rectification.tasks_by_item(survey).items()}


@bp.get(f"/{ID}/results")
@require(Permission.SURVEYS_RESULTS)
def results(survey_id):
    survey = _survey(survey_id)
    stratum = _stratum(survey, request.args.get("area"))
    figures = survey_results(survey, request.args.get("period", "day"), stratum)
    label = _("Pass rate (知晓率)") if survey.is_quiz else _("Satisfaction rate (满意率)")
    trends = {source: trend_svg(figures.periods, source, survey.target_percent, label) for source in figures.sources}
    items = [] if survey.is_quiz else rectification.rated_items(survey)
    chosen = rectification.find_item(survey, request.args.get("trend")) if items else None
    item_rows, item_trends = [], {}
    if chosen is not None:
        item_rows = item_periods(survey, chosen.question, chosen.item, figures.period, stratum)
        item_trends = {source: trend_svg(item_rows, source, survey.target_percent, chosen.label)
                       for source in figures.sources}
    return render_template("surveys/console/results.html", survey=survey, r=figures, trends=trends,
                           periods=PERIODS, export_locales=LOCALES, rate_label=label, no_area=NO_AREA,
                           items=items, chosen=chosen, item_rows=item_rows, item_trends=item_trends,
                           tasks=_tasks_shown(survey, stratum) if items else {})


def _item_rate(survey, entry, source, stratum):
    """The item's 满意率 for ``source`` as the results page shows it, or None."""
    for result in survey_results(survey, stratum=stratum).questions:
        if result.question.id != entry.question.id:
            continue
        by_source = dict(result.items).get(entry.item, {}) if entry.item else result.by_source
        distribution = by_source.get(source)
        return distribution.rate if distribution is not None else None
    return None


def _source(value):
    try:
        return Source(value)
    except ValueError:
        return None


@bp.route(f"/{ID}/rectify", methods=["GET", "POST"])
@require(Permission.SURVEYS_RESULTS)
def rectify(survey_id):
    """Make a 上级交办 case from a low-scoring item: category, area and the task, prefilled from the figures."""
    survey = _survey(survey_id)
    form = RectificationForm().fill_choices()
    if not form.is_submitted():
        form.item.data, form.source.data = request.args.get("item"), request.args.get("source")
        form.stratum.data = request.args.get("area")
    entry = rectification.find_item(survey, form.item.data)
    if entry is None:
        abort(404)
    stratum, source = _stratum(survey, form.stratum.data), _source(form.source.data)
    back = url_for(".results", survey_id=survey.id, area=stratum) + "#lowest"
    if not form.is_submitted():
        form.area.data = _stratum_area_id(survey, stratum)
        area = db.session.get(Area, form.area.data) if form.area.data else None
        rate = _item_rate(survey, entry, source, stratum) if source is not None else None
        form.description.data = rectification.describe(survey, entry, area, rate, source)
    elif form.validate():
        area = db.session.get(Area, form.area.data)
        try:
            task, created = rectification.create_task(survey, entry, area, db.session.get(Category, form.category.data),
                                                      form.description.data, current_user)
        except (SurveyError, CaseError) as error:
            db.session.rollback()
            target = {"area": form.area, "description": form.description}.get(error.field, form.category)
            target.errors = list(target.errors) + [FOLLOWUP_MESSAGES.get(error.code, message(error.code))]
        else:
            number, state = task.case.number, task.case.state.label
            db.session.commit()
            if created:
                flash(_("Rectification task created: case %(number)s, waiting to be filed and dispatched.",
                        number=number), "success")
            else:
                flash(_("This item already has a task in this area: case %(number)s (%(state)s).", number=number,
                        state=state), "info")
            return redirect(back)
    existing = rectification.tasks_by_item(survey).get((entry.question.id, entry.item), [])
    return render_template("surveys/console/rectify.html", survey=survey, form=form, entry=entry, back=back,
                           existing=existing, source=source)


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
                           flags=list(quality.FLAGS), fraction=quality.SPEEDER_FRACTION,
                           per_answer=quality.SECONDS_PER_ANSWER)


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
        change = {"exclude": quality.exclude_responses, "include": quality.include_responses,
                  "count": quality.count_flagged_in, "hold": quality.hold_flagged_back}[form.action.data]
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


def _download(rows, fmt, name, title, locale):
    """Rows written in ``locale`` (a CSV is written while it is sent, so the locale is entered again there)."""
    def in_locale():
        with force_locale(locale):
            yield from rows

    return portal_exports.send_table(fmt, in_locale(), name, title,
                                  encoding=portal_exports.csv_encoding(request.args.get("encoding")))


@bp.get(f"/{ID}/export/responses.<any(csv, xlsx):fmt>")
@require(Permission.SURVEYS_RESULTS)
def export_responses(survey_id, fmt):
    survey = _survey(survey_id)
    locale = _export_locale()

    return _download(exports.response_rows(survey, locale), fmt, f"survey-{survey.id}-responses-{locale}",
                     "responses", locale)


@bp.get(f"/{ID}/export/summary.<any(csv, xlsx):fmt>")
@require(Permission.SURVEYS_RESULTS)
def export_summary(survey_id, fmt):
    survey = _survey(survey_id)
    locale = _export_locale()
    with force_locale(locale):
        rows = list(exports.summary_rows(survey_results(survey), locale))
    return _download(rows, fmt, f"survey-{survey.id}-summary-{locale}", "summary", locale)
