"""Public report page. A QR code on a point opens it already bound to that point."""
from flask import Blueprint, render_template, request

from portal import qr

bp = Blueprint("complaints", __name__, template_folder="templates")


@bp.get("/report")
def report():
    """The report entry. With ``?t=<QR token>`` it is bound to the point the code belongs to."""
    token = request.args.get("t")
    point = None
    if token:
        resolution = qr.resolve_token(token)
        if resolution.point is None:
            return qr.render_problem(resolution), 404
        point = resolution.point
    return render_template("complaints/report.html", point=point, token=token)
