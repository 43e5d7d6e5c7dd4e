"""The public home page: what residents can do here, in their language."""
from flask import Blueprint, render_template

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("home/index.html")


@bp.get("/healthz")
def healthz():
    from portal.extensions import db

    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
