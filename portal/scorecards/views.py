"""Staff pages: leader dashboard, unit/area scorecards, comparisons, bulletins, exports."""
from flask import Blueprint

bp = Blueprint("scorecards", __name__, url_prefix="/console/scorecards")
