"""Console shell pages: dashboard, city settings, staff accounts, audit log."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import UserForm
from portal.auth.models import AuditEntry, Role, User
from portal.auth.permissions import Permission, can, require
from portal.auth.services import AuthError, save_user, set_user_active
from portal.city import SETTINGS_FIELDS, ensure_city_settings, save_city_settings
from portal.console.forms import CitySettingsForm
from portal.extensions import db
from portal.hooks import TODAY_WORK, hook
from portal.registry import services as registry
from portal.registry.models import Area, Category, Point, RoutingRule, Unit

bp = Blueprint("console", __name__, url_prefix="/console")



@bp.get("/")
@require(Permission.CONSOLE)
def dashboard():
    """The command centre sees its work for today; the registry's size is for the administrators."""
    today_work = hook(TODAY_WORK)  # complaints.queries.today_work, plugged in by composition
    work = today_work(current_user) if today_work and can(current_user, Permission.CASES_DISPATCH) else []
    counts = {}
    if current_user.role == Role.ADMIN or not work:
        for label, model in ((_("Areas"), Area), (_("Units"), Unit), (_("Points"), Point),
                             (_("Categories"), Category), (_("Routing rules"), RoutingRule)):
            counts[label] = db.session.scalar(
                db.select(db.func.count()).select_from(model).where(model.active.is_(True)))
    return render_template("console/dashboard.html", counts=counts, work=work)


@bp.route("/settings", methods=["GET", "POST"])
@require(Permission.SETTINGS_EDIT)
def settings():
    form = CitySettingsForm(obj=ensure_city_settings())
    if form.validate_on_submit():
        save_city_settings({key: form[key].data for key in SETTINGS_FIELDS}, actor=current_user)
        db.session.commit()
        flash(_("City settings saved."), "success")
        return redirect(url_for("console.settings"))
    return render_template("console/settings.html", form=form)


@bp.get("/audit")
@require(Permission.AUDIT_VIEW)
def audit_log():
    query = db.select(AuditEntry).order_by(AuditEntry.id.desc())
    object_type = request.args.get("type")
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    actor_id = request.args.get("actor", type=int)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    page = db.paginate(query, per_page=100, error_out=False)
    return render_template("console/audit.html", page=page)


@bp.get("/users/")
@require(Permission.USERS_MANAGE)
def users():
    query = db.select(User).order_by(User.username)
    text = request.args.get("q", "").strip()
    if text:
        like = f"%{text}%"
        query = query.where(db.or_(User.username.ilike(like), User.display_name.ilike(like)))
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("console/users.html", page=page, q=text, roles=Role.choices())


def _user_form(user):
    form = UserForm(obj=user, is_new=user is None)
    form.unit_id.choices = [("", "—")] + [(u.id, u.display_name) for u in
                                           db.session.execute(registry.search(Unit, active=True)).scalars()]
    form.areas.choices = registry.area_choices()
    if user is not None and request.method == "GET":
        form.areas.data = [a.id for a in user.areas]
    return form


def _save_user(user):
    form = _user_form(user)
    if form.validate_on_submit():
        data = {k: form[k].data for k in ("username", "display_name", "phone", "active")}
        data["role"] = Role(form.role.data)
        data["unit_id"] = form.unit_id.data
        chosen = db.select(Area).where(Area.id.in_(form.areas.data or []))
        data["areas"] = db.session.execute(chosen).scalars().all()
        try:
            saved = save_user(user or User(), data, actor=current_user, password=form.password.data)
        except AuthError as error:
            db.session.rollback()
            if error.args[0] == "username_taken":
                form.username.errors.append(_("This username is already in use."))
            else:
                form.role.errors.append(_("You cannot deactivate your own account or change your own role."))
        else:
            db.session.commit()
            flash(_("Saved: %(name)s", name=saved.display_name), "success")
            return redirect(url_for("console.users"))
    return render_template("console/user_form.html", form=form, user=user)


@bp.route("/users/new", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def new_user():
    return _save_user(None)


@bp.route("/users/<int(max=2147483647):user_id>/edit", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def edit_user(user_id):
    return _save_user(db.get_or_404(User, user_id))


@bp.post("/users/<int(max=2147483647):user_id>/active")
@require(Permission.USERS_MANAGE)
def set_user_active_view(user_id):
    user = db.get_or_404(User, user_id)
    try:
        set_user_active(user, request.form.get("active") == "1", actor=current_user)
    except AuthError:
        flash(_("You cannot deactivate your own account."), "danger")
    else:
        db.session.commit()
        flash(_("Saved: %(name)s", name=user.display_name), "success")
    return redirect(url_for("console.users"))
