"""Staff pages: leader dashboard, unit/area/category scorecards, comparisons, the composite-index rules, the
definitions, and CSV/XLSX exports of every table."""
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from complaints.models import Channel
from oversight.scorecards import exports, honours, mapdata, rules, survey_figures, tables
from oversight.scorecards.figures import compute
from oversight.scorecards.forms import PeriodForm, RuleForm
from oversight.scorecards.periods import Period
from portal.auth.permissions import Permission, require
from portal.city import city_today
from portal.clock import utcnow
from portal.exports import csv_encoding
from portal.extensions import db
from portal.registry.models import Area, AreaLevel, Category, Unit

bp = Blueprint("scorecards", __name__, url_prefix="/console/scorecards", template_folder="templates")
bp.add_app_template_filter(survey_figures.method_words, "survey_methods")
bp.add_app_template_filter(survey_figures.guarantee_words, "survey_guarantees")

MAX_COMPARED = 8
TREND_LENGTH = 12


def _period():
    """(period, picker form) from ``?period=<key>`` or the picker's fields; this month so far by default."""
    today = city_today()
    form = PeriodForm(request.args)
    key = request.args.get("period")
    period = None
    if key:
        try:
            period = Period.parse(key)
        except ValueError as error:
            flash(str(error), "danger")
    elif "kind" in request.args:
        period = form.period(today)
    if period is None:
        period = Period.containing("month", today)
    if not form.errors:
        form.fill(period)
    return period, form


def _context(period, form, **values):
    """What every scorecard page gets: the period, the picker, and links keeping the period."""
    def with_period(endpoint, **kw):
        return url_for(endpoint, period=period.key, **kw)

    return dict(period=period, picker=form, with_period=with_period, rule=rules.current_rule(),
                cases_link=_cases_link, display=tables.display, channel_label=_channel_label, **values)


def _channel_label(value):
    try:
        return Channel(value).label
    except ValueError:
        return value


def _cases_link(period, measure, level, key, channel=None):
    """The case list narrowed to the cases behind a number (see the report on the filters still needed)."""
    args = {}
    if level == "unit" and key:
        args["unit"] = key
    elif level == "area" and key:
        args["area"] = key
    elif level == "category" and key:
        args["category"] = key
    if measure in ("received", "filed") or channel:
        args["created_from"] = period.start.isoformat()
        args["created_to"] = period.end.isoformat()
        if channel:
            args["channel"] = channel
        if measure == "filed":
            args["outcome"] = "filed"
    elif measure == "supervised":
        args["supervised_from"] = period.start.isoformat()
        args["supervised_to"] = period.end.isoformat()
    else:
        args["due_from"] = period.start.isoformat()
        args["due_to"] = period.end.isoformat()
        if measure != "due":
            args["outcome"] = measure  # for 重办 the days are those of the reopening
    return url_for("cases.index") + "?" + urlencode(args)


# ---------------------------------------------------------------- dashboard

@bp.get("/")
@require(Permission.SCORECARDS_VIEW)
def dashboard():
    period, form = _period()
    rule = rules.current_rule()
    now = utcnow()
    months = tables.trend("month", period.end, TREND_LENGTH, now=now)
    if period == months[-1][0]:
        city = months[-1][1][0]  # this month is the trend's last point: no second count
    else:
        (city,) = compute(period, "city", now=now)
    area_level = request.args.get("area_level")
    if area_level not in {level.value for level in AreaLevel} - {"city"}:
        area_level = AreaLevel.STREET.value
    units = tables.scored(period, "unit", rule, now=now)
    areas = tables.scored(period, "area", rule, ids=tables.area_ids_at(area_level), now=now)
    xuns = tables.trend("xun", min(period.end, city_today()), TREND_LENGTH, now=now)
    db.session.commit()  # the first visit stores rule version 1
    return render_template(
        "scorecards/dashboard.html", city_figures=city, city_score=rules.score(city, rule),
        worst_units=tables.worst(units), worst_areas=tables.worst(areas), months=months, xuns=xuns,
        month_chart=tables.chart_series(months), xun_chart=tables.chart_series(xuns), area_level=area_level,
        area_levels=[lvl for lvl in AreaLevel if lvl != AreaLevel.CITY],
        **_context(period, form))


@bp.get("/map.json")
@require(Permission.SCORECARDS_VIEW)
def map_data():
    """The dashboard map's choropleth (per area of ``area_level``) and heat points for the period."""
    period, _form = _period()
    level = request.args.get("area_level")
    if level not in {lvl.value for lvl in AreaLevel} - {"city"}:
        level = AreaLevel.STREET.value
    return jsonify(mapdata.leader_map(period, level))


# ---------------------------------------------------------------- tables and scorecards

def _table_page(by, title, template="scorecards/table.html", ids=None, **extra):
    period, form = _period()
    rule = rules.current_rule()
    rows = tables.scored(period, by, rule, ids=ids)
    order = request.args.get("order")
    if order == "score":
        rows = tables.ranked(rows)
    db.session.commit()
    return render_template(template, by=by, title=title, rows=rows, columns=tables.columns_for(by, screen=True),
                           order=order, **_context(period, form), **extra)


@bp.get("/units")
@require(Permission.SCORECARDS_VIEW)
def units():
    return _table_page("unit", _("Units"))


@bp.get("/areas")
@require(Permission.SCORECARDS_VIEW)
def areas():
    return _table_page("area", _("Areas"))


@bp.get("/categories")
@require(Permission.SCORECARDS_VIEW)
def categories():
    return _table_page("category", _("Categories"))


def _scorecard(by, record):
    period, form = _period()
    rule = rules.current_rule()
    now = utcnow()
    current = tables.scored(period, by, rule, ids=[record.id], now=now)
    previous = period.previous()
    before = tables.scored(previous, by, rule, ids=[record.id], now=now)
    points = tables.trend(period.kind if period.kind != "custom" else "month", min(period.end, city_today()),
                          TREND_LENGTH, by=by, ids=[record.id], now=now)
    children = []
    if by == "area":
        child_ids = [a.id for a in record.children if a.active]
        children = tables.scored(period, "area", rule, ids=child_ids, now=now) if child_ids else []
    db.session.commit()
    return render_template("scorecards/scorecard.html", by=by, record=record, row=current[0],
                           before=before[0] if before else None, previous=previous, points=points,
                           chart=tables.chart_series(points), children=children,
                           columns=tables.columns_for(by), screen_columns=tables.columns_for(by, screen=True),
                           **_context(period, form))


@bp.get("/units/<int:unit_id>")
@require(Permission.SCORECARDS_VIEW)
def unit(unit_id):
    return _scorecard("unit", db.session.get(Unit, unit_id) or abort(404))


@bp.get("/areas/<int:area_id>")
@require(Permission.SCORECARDS_VIEW)
def area(area_id):
    return _scorecard("area", db.session.get(Area, area_id) or abort(404))


@bp.get("/categories/<int:category_id>")
@require(Permission.SCORECARDS_VIEW)
def category(category_id):
    return _scorecard("category", db.session.get(Category, category_id) or abort(404))


def _compared_ids():
    ids = []
    for value in request.args.getlist("unit"):
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    return ids


@bp.get("/compare")
@require(Permission.SCORECARDS_VIEW)
def compare():
    period, form = _period()
    ids = _compared_ids()
    if len(ids) > MAX_COMPARED:
        flash(_("Compare at most %(count)d units at a time; the first %(count)d are shown.", count=MAX_COMPARED),
              "danger")
        ids = ids[:MAX_COMPARED]
    rule = rules.current_rule()
    rows = tables.scored(period, "unit", rule, ids=ids) if ids else []
    rows.sort(key=lambda r: ids.index(r.key))
    db.session.commit()  # before the units are read: a commit expires them, and each would be read again
    all_units = db.session.execute(db.select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)).scalars().all()
    return render_template("scorecards/compare.html", rows=rows, chosen=ids, keep_args=[("unit", i) for i in ids],
                           all_units=all_units,
                           columns=tables.columns_for("unit"), max_compared=MAX_COMPARED, **_context(period, form))


# ---------------------------------------------------------------- exports

@bp.get("/export/<any(city, units, areas, categories, compare):table>.<any(csv, xlsx):fmt>")
@require(Permission.SCORECARDS_VIEW)
def export(table, fmt):
    period, _form = _period()
    if request.args.get("period"):
        try:
            Period.parse(request.args["period"])
        except ValueError as error:
            return str(error), 400
    rule = rules.current_rule()
    by = {"city": "city", "units": "unit", "areas": "area", "categories": "category", "compare": "unit"}[table]
    ids = _compared_ids()[:MAX_COMPARED] if table == "compare" else None
    rows = tables.scored(period, by, rule, ids=ids) if table != "compare" or ids else []
    if table == "compare":
        rows.sort(key=lambda r: ids.index(r.key))
    db.session.commit()
    return exports.download(rows, by, fmt, table, period, encoding=csv_encoding(request.args.get("encoding")))


# ---------------------------------------------------------------- rules and definitions

@bp.route("/rules", methods=["GET", "POST"])
@require(Permission.SCORECARDS_CONFIGURE)
def configure():
    current = rules.current_rule()
    form = RuleForm()
    problems = []
    if request.method == "GET":
        form.fill(current)
    elif form.validate():
        try:
            rule = rules.save_rule(form.parts(), form.vetoes(), current_user, form.note.data, **form.judging())
        except rules.RuleError as error:
            db.session.rollback()
            problems = [str(p) for p in error.problems]
        else:
            db.session.commit()
            flash(_("Saved as version %(version)d. Earlier versions are kept.", version=rule.version), "success")
            return redirect(url_for(".configure"))
    db.session.commit()
    return render_template("scorecards/rules.html", form=form, problems=problems, rule=current,
                           scoreable=rules.SCOREABLE, versions=rules.rule_versions())


@bp.get("/rules/<int:score_rule_version>")
@require(Permission.SCORECARDS_VIEW)
def rule_version(score_rule_version):
    rule = rules.get_version(score_rule_version) or abort(404)
    return render_template("scorecards/rule_version.html", shown=rule, versions=rules.rule_versions(),
                           scoreable=rules.SCOREABLE, label_of=rules.label_of, missing_data=rules.MISSING_DATA,
                           source_label=rules.source_label)


@bp.get("/definitions")
@require(Permission.SCORECARDS_VIEW)
def definitions():
    rule = rules.current_rule()
    db.session.commit()
    return render_template("scorecards/definitions.html", rule=rule, label_of=rules.label_of,
                           missing_data=rules.MISSING_DATA, source_label=rules.source_label,
                           list_rule=honours.current_list_rule())

