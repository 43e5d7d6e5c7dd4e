"""The public home page: what residents can do here, in their language."""
from flask import Blueprint, current_app, render_template, send_from_directory

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("home/index.html")


@bp.get("/favicon.ico")
def favicon():
    """The tab's icon, asked for by every browser at this fixed address."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)


@bp.get("/healthz")
def healthz():
    from portal.extensions import db

    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
