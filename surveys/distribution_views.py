"""Staff console for distributing a survey: areas with their links, QR posters, quotas and populations, printed
token cards, and a telephone survey's call list."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.registry.models import Area
from portal.registry.qr import render_svg
from portal.registry.services import area_choices
from surveys import distribution
from surveys.definition import SurveyError
from surveys.forms import AreaLinkForm, CallListForm, TokenForm, message
from surveys.models import QuotaAction, Survey, SurveyArea, SurveyMethod

bp = Blueprint("survey_distribution", __name__, url_prefix="/console/surveys", template_folder="templates")

ID = "<int(max=2147483647):survey_id>"
LINK = "<int(max=2147483647):link_id>"


def _survey(survey_id):
    return db.get_or_404(Survey, survey_id)


def _link(survey, link_id):
    link = db.get_or_404(SurveyArea, link_id)
    if link.survey_id != survey.id:
        abort(404)
    return link


def _flash(error):
    db.session.rollback()
    flash(message(error.code), "danger")


@bp.route(f"/{ID}/areas", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def areas(survey_id):
    survey = _survey(survey_id)
    form = AreaLinkForm()
    form.area_id.choices = area_choices()
    if form.validate_on_submit():
        try:
            distribution.add_survey_area(survey, db.session.get(Area, form.area_id.data), current_user,
                                         quota=form.quota.data, quota_action=QuotaAction(form.quota_action.data),
                                         population=form.population.data)
        except SurveyError as error:
            _flash(error)
        else:
            db.session.commit()
            flash(_("Area added."), "success")
            return redirect(url_for(".areas", survey_id=survey_id))
    links = [(link, distribution.survey_url(survey, link)) for link in survey.areas]
    return render_template("surveys/console/areas.html", survey=survey, form=form, links=links,
                           survey_link=distribution.survey_url(survey))


@bp.route(f"/{ID}/areas/{LINK}", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def edit_area(survey_id, link_id):
    survey = _survey(survey_id)
    link = _link(survey, link_id)
    form = AreaLinkForm(obj=link)
    form.area_id.choices = [(link.area_id, link.area.display_name)]
    if request.method == "GET":
        form.quota_action.data = link.quota_action.value
    if form.validate_on_submit():
        try:
            distribution.update_survey_area(link, current_user, quota=form.quota.data,
                                            quota_action=QuotaAction(form.quota_action.data),
                                            population=form.population.data)
        except SurveyError as error:
            _flash(error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".areas", survey_id=survey_id))
    return render_template("surveys/console/area_form.html", survey=survey, link=link, form=form)


@bp.post(f"/{ID}/areas/{LINK}/delete")
@require(Permission.SURVEYS_MANAGE)
def remove_area(survey_id, link_id):
    survey = _survey(survey_id)
    try:
        distribution.remove_survey_area(_link(survey, link_id), current_user)
    except SurveyError as error:
        _flash(error)
    else:
        db.session.commit()
        flash(_("Area removed."), "success")
    return redirect(url_for(".areas", survey_id=survey_id))


@bp.get(f"/{ID}/posters")
@require(Permission.SURVEYS_MANAGE)
def posters(survey_id):
    """Printable posters: one for the survey and one per area (answers are attributed without asking)."""
    survey = _survey(survey_id)
    chosen = request.args.get("area", type=int)
    items = []
    if not chosen:
        items.append((None,) + distribution.poster(survey))
    items += [(link,) + distribution.poster(survey, link) for link in survey.areas if not chosen or link.id == chosen]
    return render_template("surveys/console/posters.html", survey=survey, items=items)


@bp.get(f"/{ID}/qr.svg")
@require(Permission.SURVEYS_MANAGE)
def qr_svg(survey_id):
    survey = _survey(survey_id)
    link = _link(survey, request.args.get("area", type=int)) if request.args.get("area") else None
    url, _svg = distribution.poster(survey, link)
    name = f"survey-{survey.id}" + (f"-{link.area.code}" if link else "")
    return Response(render_svg(url), mimetype="image/svg+xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}.svg"'})


@bp.route(f"/{ID}/tokens", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def tokens(survey_id):
    survey = _survey(survey_id)
    form = TokenForm()
    form.area_id.choices = [("", "—")] + area_choices()
    if form.validate_on_submit():
        area = db.session.get(Area, form.area_id.data) if form.area_id.data else None
        try:
            batch = distribution.generate_tokens(survey, form.count.data, current_user, area=area)
        except SurveyError as error:
            _flash(error)
        else:
            db.session.commit()
            flash(_("%(count)d cards generated (batch %(batch)d).", count=form.count.data, batch=batch), "success")
            return redirect(url_for(".tokens", survey_id=survey_id))
    batches = distribution.token_batches(survey)
    area_ids = {row.area_id for row in batches if row.area_id}
    names = {a.id: a.display_name for a in db.session.execute(db.select(Area).where(Area.id.in_(area_ids))).scalars()}
    return render_template("surveys/console/tokens.html", survey=survey, form=form, names=names, batches=batches)


@bp.route(f"/{ID}/calls", methods=["GET", "POST"])
@require(Permission.SURVEYS_MANAGE)
def calls(survey_id):
    survey = _survey(survey_id)
    if survey.method != SurveyMethod.PHONE:
        abort(404)
    form = CallListForm()
    if form.validate_on_submit():
        try:
            added, already = distribution.add_call_numbers(survey, form.numbers.data, current_user)
        except SurveyError as error:
            db.session.rollback()
            problem = str(message(error.code))
            lines = ", ".join(str(n) for n in error.problems.get("lines", ())[:50])
            if lines:
                problem += " " + _("Lines: %(lines)s", lines=lines)
            form.numbers.errors = list(form.numbers.errors) + [problem]
        else:
            db.session.commit()
            flash(_("%(added)d numbers added to the call list (%(already)d were on it already).", added=added,
                    already=already), "success")
            return redirect(url_for(".calls", survey_id=survey_id))
    return render_template("surveys/console/calls.html", survey=survey, form=form,
                           size=distribution.call_list_size(survey))


@bp.get(f"/{ID}/tokens/<int(max=100000):batch>/cards")
@require(Permission.SURVEYS_MANAGE)
def cards(survey_id, batch):
    survey = _survey(survey_id)
    printed = distribution.token_cards(survey, batch, unused_only=request.args.get("all") != "1")
    return render_template("surveys/console/cards.html", survey=survey, cards=printed, batch=batch,
                           limit=distribution.MAX_CARDS)
