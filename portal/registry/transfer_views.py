"""Console pages for the CSV import and export of areas, units and points, and the GeoJSON of area boundaries."""
import json

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from portal import exports
from portal.auth.permissions import Permission, require
from portal.city import get_city_settings
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.registry import boundaries, transfer

bp = Blueprint("transfer", __name__, url_prefix="/console")


@bp.route("/import", methods=["GET", "POST"])
@require(Permission.REGISTRY_EDIT)
def import_page():
    result = None
    if request.method == "POST":
        uploads = {kind: request.files[kind] for kind in transfer.KINDS if request.files.get(kind)}
        # One byte over the limit is enough for the service to say the file is too large.
        result = transfer.import_registry({kind: f.read(transfer.MAX_BYTES + 1) for kind, f in uploads.items()},
                                          actor=current_user, dry_run=bool(request.form.get("dry_run")),
                                          filenames={kind: f.filename for kind, f in uploads.items()})
        if result.written:
            db.session.commit()
        else:
            db.session.rollback()
    return render_template("registry/import.html", result=result, specs=transfer.SPECS,
                           max_mb=transfer.MAX_BYTES // (1024 * 1024), max_rows=transfer.MAX_ROWS)


@bp.get("/export/<any(areas, units, points):kind>.csv")
@require(Permission.REGISTRY_EDIT)
def export_csv(kind):
    day = to_local(utcnow(), get_city_settings().timezone).date().isoformat()
    return exports.send_csv(transfer.export_rows(kind), f"{kind}-{day}.csv",
                            encoding=exports.csv_encoding(request.args.get("encoding")))


@bp.route("/boundaries", methods=["GET", "POST"])
@require(Permission.REGISTRY_EDIT)
def boundaries_page():
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(boundaries.MAX_BYTES + 1) if upload else b""
        result = boundaries.import_boundaries(data, actor=current_user, dry_run=bool(request.form.get("dry_run")))
        if result.written:
            db.session.commit()
        else:
            db.session.rollback()
    return render_template("registry/boundaries.html", result=result,
                           max_mb=boundaries.MAX_BYTES // (1024 * 1024), max_features=boundaries.MAX_FEATURES)


@bp.get("/boundaries.geojson")
@require(Permission.REGISTRY_EDIT)
def export_boundaries():
    day = to_local(utcnow(), get_city_settings().timezone).date().isoformat()
    body = json.dumps(boundaries.export_boundaries(), ensure_ascii=False)
    return Response(body, mimetype="application/geo+json",
                    headers={"Content-Disposition": f"attachment; filename=boundaries-{day}.geojson"})
