"""Staff page: the scheduler's jobs, last runs and lock holder."""
from flask import Blueprint

bp = Blueprint("scheduler", __name__, url_prefix="/console/scheduler")
