"""Staff pages of the exposure board: drafts, review, publication, redaction, appeals, candidates."""
from flask import Blueprint

bp = Blueprint("board_console", __name__, url_prefix="/console/board")
