"""Staff pages: stored 旬通报, 月评比 and 红黑榜 snapshots: list, print, generate, publish, notes, export, list rule."""
import re
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from oversight.scorecards import honours, snapshot_display, snapshots
from oversight.scorecards.periods import Period, previous_period
from oversight.scorecards.snapshot_models import Snapshot, SnapshotKind
from portal import exports
from portal.auth.permissions import Permission, can, require
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.forms import BaseForm
from portal.registry.models import AreaLevel

bp = Blueprint("bulletins", __name__, url_prefix="/console/bulletins", template_folder="templates")

ID = "<int(max=2147483647):snapshot_id>"


@bp.context_processor
def _helpers():
    return snapshot_display.template_helpers()


class GenerateForm(BaseForm):
    kind = SelectField(_l("Snapshot"), choices=[(kind.value, kind.label) for kind in SnapshotKind],
                       validators=[InputRequired()])
    month = StringField(_l("Month (YYYY-MM)"), validators=[
        InputRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Give the month as YYYY-MM, e.g. 2026-11."))])
    xun = SelectField(_l("Ten-day period (bulletins only)"), choices=[
        ("1", _l("Days 1–10 (上旬)")), ("2", _l("Days 11–20 (中旬)")), ("3", _l("Day 21 to the end (下旬)"))],
        default="1")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind.value, kind.label) for kind in SnapshotKind]  # labels in the reader's language

    def period(self):
        kind = SnapshotKind(self.kind.data)
        year, month = (int(part) for part in self.month.data.split("-"))
        if kind == SnapshotKind.XUN_BULLETIN:
            return kind, Period.containing("xun", date(year, month, {"1": 1, "2": 11, "3": 21}[self.xun.data]))
        return kind, Period.containing("month", date(year, month, 1))


class NoteForm(BaseForm):
    text = TextAreaField(_l("Correction or remark"), validators=[
        InputRequired(message=_l("Write the correction or remark.")),
        Length(max=snapshots.NOTE_MAX, message=_l("A note can be at most %(max)d characters.",
                                                  max=snapshots.NOTE_MAX))])


def _score(label, low=0, high=100):
    return FloatField(label, validators=[InputRequired(), NumberRange(low, high)])


def _count(label, high=100000):
    return IntegerField(label, validators=[InputRequired(), NumberRange(0, high)])


class ListRuleForm(BaseForm):
    min_cases = _count(_l("Minimum cases in the month to be ranked"))
    red_count = _count(_l("Red list: how many of the best"), 100)
    red_min_score = _score(_l("Red list: lowest composite index"))
    black_count = _count(_l("Black list: how many of the worst"), 100)
    black_below_score = _score(_l("Black list: every one with a composite index below"))
    black_max_percent = _score(_l("Black list by rank: at most this share of the ranked field (%)"))
    area_level = SelectField(_l("Areas ranked at level"), validators=[InputRequired()])
    bulletin_target_percent = _score(_l("Bulletin: name units with a follow-up satisfaction rate below (%)"))
    bulletin_min_rated = _count(_l("Bulletin: minimum rated cases to be named"))
    note = TextAreaField(_l("Why this change (kept with the version)"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_level.choices = [(level.value, level.label) for level in AreaLevel]


def _snapshot(snapshot_id):
    return db.get_or_404(Snapshot, snapshot_id)


@bp.get("/")
@require(Permission.SCORECARDS_VIEW)
def index():
    query = db.select(Snapshot)
    kind = request.args.get("kind")
    if kind in SnapshotKind._value2member_map_:
        query = query.where(Snapshot.kind == SnapshotKind(kind))
    page = db.paginate(query.order_by(Snapshot.period_start.desc(), Snapshot.id.desc()), per_page=50,
                       error_out=False)
    last_month = previous_period("month", utcnow(), get_city_settings().timezone)
    form = GenerateForm(formdata=None, month=last_month.start.strftime("%Y-%m"))
    rule = honours.current_list_rule()
    return render_template("scorecards/snapshots/index.html", page=page, kind=kind, form=form, rule=rule,
                           rule_text=honours.describe_rule(rule.parameters()), kinds=list(SnapshotKind))


@bp.post("/generate")
@require(Permission.BULLETINS_PUBLISH)
def generate():
    form = GenerateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for(".index"))
    kind, period = form.period()
    try:
        snapshot, created = snapshots.generate_snapshot(kind, period, actor=current_user)
    except snapshots.SnapshotError as error:
        db.session.rollback()
        flash(snapshots.message(error.code), "danger")
        return redirect(url_for(".index"))
    db.session.commit()
    flash(_("Generated and stored; not yet published.") if created
          else _("This snapshot was already stored; here it is unchanged."), "success" if created else "info")
    return redirect(url_for(".show", snapshot_id=snapshot.id))


@bp.get(f"/{ID}")
@require(Permission.SCORECARDS_VIEW)
def show(snapshot_id):
    snapshot = _snapshot(snapshot_id)
    return render_template("scorecards/snapshots/show.html", snapshot=snapshot, note_form=NoteForm(formdata=None),
                           may_publish=can(current_user, Permission.BULLETINS_PUBLISH))


@bp.get(f"/{ID}/print")
@require(Permission.SCORECARDS_VIEW)
def print_page(snapshot_id):
    return render_template("scorecards/snapshots/print.html", snapshot=_snapshot(snapshot_id), now=utcnow())


@bp.post(f"/{ID}/publish")
@require(Permission.BULLETINS_PUBLISH)
def publish(snapshot_id):
    snapshot = _snapshot(snapshot_id)
    return _change(snapshot_id, lambda: snapshots.publish_snapshot(snapshot, current_user),
                   _("Published on the public board."))


@bp.post(f"/{ID}/notes")
@require(Permission.BULLETINS_PUBLISH)
def add_note(snapshot_id):
    snapshot = _snapshot(snapshot_id)
    form = NoteForm()
    if not form.validate_on_submit():
        for error in form.text.errors:
            flash(error, "danger")
        return redirect(url_for(".show", snapshot_id=snapshot_id))
    return _change(snapshot_id, lambda: snapshots.add_note(snapshot, form.text.data, current_user),
                   _("Note added."))


def _change(snapshot_id, change, done):
    """Make ``change`` to a stored snapshot: committed and ``done`` said, or rolled back with the refusal's reason."""
    try:
        change()
    except snapshots.SnapshotError as error:
        db.session.rollback()
        flash(snapshots.message(error.code), "danger")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".show", snapshot_id=snapshot_id))


@bp.get(f"/{ID}/export.<any(csv, xlsx):fmt>")
@require(Permission.SCORECARDS_VIEW)
def export(snapshot_id, fmt):
    snapshot = _snapshot(snapshot_id)
    rows = list(snapshot_display.table_rows(snapshot))
    fallback = f"{snapshot.kind.value}-{re.sub(r'[^0-9A-Za-z-]+', '-', snapshot.period_key)}"
    name = f"{snapshot.kind.label}-{snapshot_display.period_label(snapshot)}"
    return exports.send_table(fmt, rows, name, snapshot.kind.value, fallback, freeze="A2",
                              encoding=exports.csv_encoding(request.args.get("encoding")))


@bp.route("/rule", methods=["GET", "POST"])
@require(Permission.SCORECARDS_CONFIGURE)
def list_rule():
    current = honours.current_list_rule()
    form = ListRuleForm(data=current.parameters()) if request.method == "GET" else ListRuleForm()
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in current.PARAMETERS}
        data["note"] = form.note.data
        try:
            rule = honours.save_list_rule(data, current_user)
            db.session.commit()
        except honours.ListRuleError as error:
            db.session.rollback()
            for name, text in error.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, str(text)]
        except IntegrityError:
            db.session.rollback()
            flash(_("Someone saved the rule at the same time; check the current version and try again."), "danger")
            return redirect(url_for(".list_rule"))
        else:
            flash(_("Saved as version %(version)d. Snapshots already stored keep the version they used.",
                    version=rule.version), "success")
            return redirect(url_for(".list_rule"))
    return render_template("scorecards/snapshots/rule.html", form=form, current=current,
                           versions=honours.list_rule_versions(), describe=honours.describe_rule)
