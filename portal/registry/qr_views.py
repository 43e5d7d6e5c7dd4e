"""QR pages. (Being written.)"""
from flask import Blueprint, abort

from portal.auth.permissions import Permission, require

bp = Blueprint("qr", __name__)


@bp.get("/console/points/<int:point_id>/qr")
@require(Permission.QR_PRINT)
def point_qr(point_id):
    abort(404)


@bp.get("/console/placards")
@require(Permission.QR_PRINT)
def placards():
    abort(404)
