"""Signing in and out, and changing one's own password."""
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts.forms import LoginForm, PasswordForm
from portal.auth.permissions import Permission, require
from portal.auth.services import AuthError, authenticate, change_password, sign_out
from portal.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only same-site paths are followed after login (no open redirect). Control characters (CR/LF would split
    the Location header) and backslashes (browsers read ``/\\host`` as ``//host``) are refused, also escaped."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc \
            and not any(ord(c) < 0x20 or c in "\x7f\\" for c in target + unquote(target)):
        return target
    return url_for("console.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except AuthError:
            form.password.errors.append(_("Wrong username or password, or the account is disabled."))
        else:
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sign_out(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/console/account/password", methods=["GET", "POST"])
@require(Permission.CONSOLE)
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.new.data, actor=current_user)
        except AuthError:
            form.current.errors.append(_("The current password is wrong."))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # new session version: keep this session signed in
            flash(_("Your password has been changed. Other sessions have been signed out."), "success")
            return redirect(url_for("console.dashboard"))
    return render_template("auth/password.html", form=form)
