"""The board as JSON for media and apps: the same lists and items as the pages, with absolute URLs.

Only what the public pages show goes out: never a reporter, never an original (unredacted) photo.
"""
from flask import url_for

from oversight.board import queries as public
from oversight.board.models import ItemKind
from portal.i18n import current_locale, localized
from portal.notify import public_url


def absolute(path):
    """``path`` on the public site (PUBLIC_BASE_URL when set, else this request's host)."""
    return public_url(path)


def _name(record):
    return record.display_name if record is not None else None


def _ref(record, endpoint=None):
    if record is None:
        return None
    out = {"id": record.id, "name": record.display_name}
    if endpoint:
        out["url"] = absolute(url_for(endpoint, unit_id=record.id))
    return out


def _status(item, today):
    if item.kind == ItemKind.PRAISE:
        return None
    status = item.status(today)
    return {"code": status.value, "label": status.label}


def _photo(photo):
    return {"id": photo.id, "stage": photo.stage,
            "url": absolute(url_for("board.photo", photo_id=photo.id)),
            "thumbnail_url": absolute(url_for("board.photo", photo_id=photo.id, thumb=True))}


def item_summary(item, today, thumb=None, figures=(0, 0)):
    """One row of a list."""
    return {
        "id": item.id,
        "url": absolute(url_for("board.item", item_id=item.id)),
        "kind": {"code": item.kind.value, "label": item.kind.label},
        "title": localized(item.title, None, item.title_en),
        "area": _ref(item.area),
        "unit": _ref(item.unit, "board.unit"),
        "category": _ref(item.category),
        "place": _name(item.point) or item.location_text,
        "found_on": item.found_on.isoformat(),
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "status": _status(item, today),
        "archived": item.state.value == "archived",
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "updated_at": item.updated_at.isoformat(),
        "thumbnail_url": absolute(url_for("board.photo", photo_id=thumb.id, thumb=True)) if thumb else None,
        "linked_reports": figures[0],
        "me_too": figures[1],
        "share_image_url": absolute(url_for("board.share_image", item_id=item.id)),
    }


def item_list(page, filters, today):
    def page_url(number):
        return absolute(url_for("board.api_items", **filters.args(page=number)))

    return {
        "language": current_locale(),
        "page": page.page,
        "per_page": page.per_page,
        "next": page_url(page.page + 1) if page.has_next else None,
        "prev": page_url(page.page - 1) if page.has_prev else None,
        "ignored_filters": filters.ignored,
        "items": [item_summary(item, today, page.thumbs.get(item.id), page.figures.get(item.id, (0, 0)))
                  for item in page.items],
    }


def item_detail(item, today):
    """The whole public item: description, follow-ups, published photos, the correction note."""
    before, after = public.published_photos(item)
    figures = public.case_figures([item.id]).get(item.id, (0, 0))
    out = item_summary(item, today, (before or after or [None])[0], figures)
    out.update({
        "language": current_locale(),
        "description": localized(item.description, None, item.description_en),
        "location_text": item.location_text,
        "correction_note": item.correction_note,
        "photos": {"before": [_photo(p) for p in before], "after": [_photo(p) for p in after]},
        "entries": [{
            "reported_on": entry.reported_on.isoformat(),
            "milestone": {"code": entry.milestone.value, "label": entry.milestone.label},
            "text": localized(entry.text, None, entry.text_en),
            "photos": [_photo(p) for p in entry.photos if p.published_key and p.published_thumb_key],
        } for entry in item.entries],
    })
    return out
