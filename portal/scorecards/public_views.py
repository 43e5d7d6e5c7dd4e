"""Public pages: the monthly 红黑榜."""
from flask import Blueprint

bp = Blueprint("honours", __name__, url_prefix="/board/honours")
