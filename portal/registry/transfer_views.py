"""CSV import and export of areas, units and points. (Being written.)"""
from flask import Blueprint, abort

from portal.auth.permissions import Permission, require

bp = Blueprint("transfer", __name__, url_prefix="/console")


@bp.route("/import", methods=["GET", "POST"])
@require(Permission.REGISTRY_EDIT)
def import_page():
    abort(404)


@bp.get("/export/<any(areas, units, points):kind>.csv")
@require(Permission.REGISTRY_EDIT)
def export_csv(kind):
    abort(404)
