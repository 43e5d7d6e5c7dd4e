"""/api/openapi.json (the description) and /api/docs (Swagger UI, vendored; no inline script)."""
from flask import Blueprint, jsonify, render_template

from portal.apidocs.openapi import description

bp = Blueprint("apidocs", __name__, url_prefix="/api", template_folder="templates")


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(description())


@bp.get("/docs")
def docs():
    return render_template("apidocs/docs.html")
