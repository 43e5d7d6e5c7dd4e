"""Public survey pages."""
from flask import Blueprint, render_template

bp = Blueprint("surveys", __name__, url_prefix="/surveys", template_folder="templates")


@bp.get("/")
def index():
    return render_template("surveys/index.html")
