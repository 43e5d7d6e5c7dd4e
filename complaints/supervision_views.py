"""Staff pages: 督办单 list and print, unit strikes."""
from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/console/supervision")
