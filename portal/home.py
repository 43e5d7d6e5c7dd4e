"""The public home page: what residents can do here, in their language."""
from flask import Blueprint, Response, abort, render_template

from portal.assets import asset_bytes

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("home/index.html")


@bp.get("/favicon.ico")
def favicon():
    """The tab's icon, asked for by every browser at this fixed address."""
    # From memory like every static file (portal/assets.py): a streamed file left its handle open when a browser
    # dropped the connection.
    content = asset_bytes("favicon.ico")
    if content is None:
        abort(404)
    response = Response(content, mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response
