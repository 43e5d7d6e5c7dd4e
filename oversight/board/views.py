"""Public pages of the exposure board: list, item, unit, photos, feeds, JSON API, share images.

No login and no JavaScript needed. Only items in PUBLIC_STATES are shown; a taken-down item keeps its URL and
answers 410 Gone with a short notice. Nothing here ever reads a reporter's name or phone.
"""
from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from oversight.board import feeds, mapdata, share
from oversight.board import payloads as api
from oversight.board import queries as public
from oversight.board.models import ItemKind, RectificationStatus
from oversight.scorecards.published import unit_public_figures
from portal.city import city_today
from portal.extensions import db
from portal.i18n import current_locale, localized
from portal.page_cache import cached_public_page
from portal.photos import serve_stored_photo
from portal.registry.models import Area, Unit
from portal.registry.services import place_label

bp = Blueprint("board", __name__, url_prefix="/board", template_folder="templates")
bp.add_app_template_global(place_label, "place_label")

ID = f"int(max={public.MAX_ID})"
PHOTO_MAX_AGE = 3600  # public photos may be cached; a takedown reaches shared caches within the hour
FEED_MAX_AGE = 300
# The figures of the monthly ranking a unit page shows (keys of oversight.scorecards.published.unit_public_figures).
FIGURE_LABELS = {"received": _l("Cases received"), "closure_rate": _l("Closure rate"),
                 "on_time_rate": _l("On-time closure rate"),
                 "followup_satisfaction_rate": _l("Satisfaction on follow-up calls"),
                 "supervised": _l("Supervision notices")}


@bp.context_processor
def board_helpers():
    return {"text_in": lambda zh, en=None: localized(zh, None, en), "RectificationStatus": RectificationStatus,
            "ItemKind": ItemKind, "honours_url": _honours_url()}


def _honours_url():
    """The 红黑榜 page, once its blueprint exists (another part of the app builds it)."""
    return url_for("honours.index") if "honours.index" in current_app.view_functions else None


def _gone_page(gone):
    return render_template("board/public/gone.html", item=gone.item), 410


def _item_or_abort(item_id):
    """(item, None) for a public item; (None, response) for a taken-down one; 404 for anything never public."""
    try:
        item = public.public_item(item_id)
    except public.Gone as gone:
        return None, _gone_page(gone)
    if item is None:
        abort(404)
    return item, None


# ---------------------------------------------------------------- pages

@bp.get("/")
@cached_public_page
def index():
    """The board: exposures newest first with filters, and the 红榜 (praise) beside them."""
    filters = public.BoardFilters.from_args(request.args)
    today = city_today()
    page = public.list_page(filters, today)
    praise, praise_photos = public.latest_praise() if filters.kind is None and not filters.active else ([], {})
    return render_template("board/public/index.html", filters=filters, page=page, today=today, praise=praise,
                           praise_photos=praise_photos, options=public.filter_options(),
                           months=public.month_options(today), statuses=list(RectificationStatus),
                           kinds=list(ItemKind))


@bp.get(f"/items/<{ID}:item_id>")
@cached_public_page
def item(item_id):
    """One item: what, where, who answers for it, the deadline, status, follow-ups and before/after photos."""
    found, gone = _item_or_abort(item_id)
    if gone:
        return gone
    before, after = public.published_photos(found)
    cases, me_too = public.case_figures([found.id]).get(found.id, (0, 0))
    return render_template("board/public/item.html", item=found, today=city_today(), before=before,
                           after=after, linked_cases=cases, me_too=me_too,
                           share_url=api.absolute(url_for(".share_image", item_id=found.id, lang=current_locale())))


@bp.get("/map")
@cached_public_page
def board_map():
    """The board's items on a map, with the board's filters (the data come from ``map_data``)."""
    filters = public.BoardFilters.from_args(request.args)
    return render_template("board/public/map.html", filters=filters,
                           data_url=url_for(".map_data", **filters.args(page=1)),
                           areas_url=url_for("areamap.areas", level="street"))


@bp.get("/map.json")
@cached_public_page
def map_data():
    data = mapdata.map_items(public.BoardFilters.from_args(request.args), city_today())
    for entry in data["items"]:
        entry["url"] = url_for(".item", item_id=entry.pop("id"))
    return jsonify(data)


@bp.get(f"/units/<{ID}:unit_id>")
@cached_public_page
def unit(unit_id):
    """A responsible unit: its public items and, where published, its figures from the monthly ranking."""
    found = db.get_or_404(Unit, unit_id)
    filters = public.BoardFilters.from_args(request.args)
    filters.unit = found.id
    page = public.list_page(filters, city_today(), default_kinds=None)
    return render_template("board/public/unit.html", unit=found, page=page, filters=filters,
                           today=city_today(), figures=unit_public_figures(found.id),
                           figure_labels=[(key, str(label)) for key, label in FIGURE_LABELS.items()])


@bp.get(f"/photos/<{ID}:photo_id>", defaults={"thumb": False})
@bp.get(f"/photos/<{ID}:photo_id>/thumb", defaults={"thumb": True})
def photo(photo_id, thumb):
    """A published (redacted) photo of a public item. The original file is never served here."""
    found = public.public_photo(photo_id)
    if found is None:
        abort(404)
    return serve_stored_photo(found.published_thumb_key if thumb else found.published_key,
                              f"public, max-age={PHOTO_MAX_AGE}", max_age=PHOTO_MAX_AGE)


@bp.get(f"/items/<{ID}:item_id>/share.png")
def share_image(item_id):
    """A poster for WeChat moments: title, first published photo, status and a QR code back to the item."""
    found, gone = _item_or_abort(item_id)
    if gone:
        return gone
    png = share.poster_for(found, city_today(), current_locale(),
                           api.absolute(url_for(".item", item_id=found.id)))
    response = current_app.response_class(png, mimetype="image/png")
    response.headers["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
    response.headers["Content-Disposition"] = f'inline; filename="board-{found.id}.png"'
    return response


# ---------------------------------------------------------------- feeds

def _feed(title, alternate, scope, filters):
    page = public.list_page(filters, city_today(), per_page=feeds.FEED_SIZE, default_kinds=None)
    body = feeds.atom(title=title, self_url=api.absolute(request.path), alternate_url=api.absolute(alternate),
                      scope=scope, items=page.items, today=city_today())
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.get("/feed.atom")
@cached_public_page
def feed():
    return _feed(_("Exposure board"), url_for(".index"), "all", public.BoardFilters())


@bp.get(f"/areas/<{ID}:area_id>/feed.atom")
@cached_public_page
def area_feed(area_id):
    area = db.session.get(Area, area_id) or abort(404)
    return _feed(_("Exposure board: %(area)s", area=area.display_name), url_for(".index", area=area.id),
                 f"area/{area.id}", public.BoardFilters(area=area.id))


@bp.get(f"/units/<{ID}:unit_id>/feed.atom")
@cached_public_page
def unit_feed(unit_id):
    found = db.session.get(Unit, unit_id) or abort(404)
    return _feed(_("Exposure board: %(unit)s", unit=found.display_name), url_for(".unit", unit_id=found.id),
                 f"unit/{found.id}", public.BoardFilters(unit=found.id))


# ---------------------------------------------------------------- JSON API

def _json(data, code=200):
    response = jsonify(data)
    response.status_code = code
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, for media sites' own pages
    return response


def _json_error(code, message, **extra):
    return _json({"error": code, "message": message, **extra}, code)


@bp.get("/api/items")
@cached_public_page
def api_items():
    """The board's list as JSON: the same filters as the page (``kind`` empty = every kind), paginated."""
    filters = public.BoardFilters.from_args(request.args)
    today = city_today()
    page = public.list_page(filters, today, default_kinds=None)
    return _json(api.item_list(page, filters, today))


@bp.get(f"/api/items/<{ID}:item_id>")
@cached_public_page
def api_item(item_id):
    try:
        found = public.public_item(item_id)
    except public.Gone as gone:
        return _json_error(410, _("This item has been taken down."), id=gone.item.id)
    if found is None:
        return _json_error(404, _("There is no such item on the board."))
    return _json(api.item_detail(found, city_today()))
