"""Public pages of the exposure board: list, item, unit, feeds, JSON API, share images."""
from flask import Blueprint

bp = Blueprint("board", __name__, url_prefix="/board")
