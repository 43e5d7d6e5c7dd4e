"""Staff pages: stored 旬通报, 月评比 and 红黑榜 snapshots: list, print, generate, publish, export."""
from flask import Blueprint

bp = Blueprint("bulletins", __name__, url_prefix="/console/bulletins", template_folder="templates")
