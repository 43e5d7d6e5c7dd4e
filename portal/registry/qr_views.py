"""QR pages: the public scan entry, and the console pages to show, download, regenerate and print codes."""
import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.registry import qr
from portal.registry.models import Point

bp = Blueprint("qr", __name__)

POINT = f"/console/points/<int(max={qr.MAX_DB_ID}):point_id>"


@bp.get(f"{qr.SCAN_PATH}<path:token>")
def scan(token):
    """What a phone opens: the report page bound to the point, or a friendly page saying why not."""
    resolution = qr.resolve_token(token)
    if resolution.point is None:
        return qr.render_problem(resolution), 404
    return redirect(url_for("complaints.report", t=token))


@bp.get(f"{POINT}/qr")
@require(Permission.QR_PRINT)
def point_qr(point_id):
    point = db.get_or_404(Point, point_id)
    url = qr.point_url(point)
    page = render_template("qr/point.html", point=point, url=url, svg=Markup(qr.render_svg(url)))
    db.session.commit()  # signing the first code ever may have created the city's QR key
    return page


@bp.get(f"{POINT}/qr.png")
@require(Permission.QR_PRINT)
def point_qr_png(point_id):
    return _qr_download(point_id, "png", qr.render_png, "image/png")


@bp.get(f"{POINT}/qr.svg")
@require(Permission.QR_PRINT)
def point_qr_svg(point_id):
    return _qr_download(point_id, "svg", lambda url: qr.render_svg(url).encode(), "image/svg+xml")


def _qr_download(point_id, extension, render, mimetype):
    point = db.get_or_404(Point, point_id)
    image = render(qr.point_url(point))
    db.session.commit()
    return send_file(io.BytesIO(image), mimetype=mimetype, as_attachment=True,
                     download_name=qr.file_name(point, extension))


@bp.post(f"{POINT}/qr/regenerate")
@require(Permission.QR_REVOKE)
def regenerate(point_id):
    point = db.get_or_404(Point, point_id)
    qr.regenerate(point, current_user)
    db.session.commit()
    flash(_("%(code)s has a new QR code. The old placard no longer works: print the new one and replace it.",
            code=point.code), "success")
    return redirect(url_for("qr.point_qr", point_id=point.id))


@bp.get("/console/placards")
@require(Permission.QR_PRINT)
def placards():
    """A printable A4 sheet of placards for the points ticked in the list and/or every active point of an area."""
    selection = qr.select_placards(request.args.getlist("point", type=int), request.args.get("area", type=int))
    page = render_template("qr/placards.html", selection=selection, limit=qr.MAX_PLACARDS)
    db.session.commit()
    return page
