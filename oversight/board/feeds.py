"""Atom feeds of the board (all items, per area, per unit) with stable tag: ids, built with ElementTree so that
every text is escaped and the document is well-formed whatever the items contain."""
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import url_for
from flask_babel import gettext as _

from oversight.board import payloads as api
from oversight.board import queries as public
from oversight.board.models import ItemKind
from portal.i18n import current_locale, localized

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
FEED_TAG_DATE = "2026-01-01"  # when the board's tag: ids were minted; never change it (ids must stay stable)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry

ET.register_namespace("", ATOM)


def _clean(text):
    return _NOT_XML.sub("", text or "")


def _authority():
    """The DNS name of the public site for tag: URIs (no scheme, no port)."""
    return urlsplit(api.absolute("/")).hostname or "localhost"


def item_tag(item):
    """The item's Atom id for ever: its host, the day it was created and its id."""
    return f"tag:{_authority()},{item.created_at.date().isoformat()}:board/items/{item.id}"


def feed_tag(scope):
    return f"tag:{_authority()},{FEED_TAG_DATE}:board/feed/{scope}"


def _time(value):
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent, name, text=None, **attrs):
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", {k: _clean(str(v)) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _summary(item, today):
    lines = []
    if item.kind != ItemKind.PRAISE:
        lines.append(_("Status: %(status)s", status=item.status(today).label))
    if item.unit is not None:
        lines.append(_("Responsible unit: %(unit)s", unit=item.unit.display_name))
    if item.deadline is not None:
        lines.append(_("Deadline: %(date)s", date=item.deadline.isoformat()))
    lines.append(localized(item.description, None, item.description_en))
    if item.correction_note:
        lines.append(_("Correction: %(note)s", note=item.correction_note))
    return "\n".join(lines)


def atom(*, title, self_url, alternate_url, scope, items, today):
    """The feed document (bytes) for ``items`` (newest first)."""
    changes = public.last_changes([item.id for item in items])
    stamps = {item.id: public.updated_at(item, changes) for item in items}
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang":
                                          current_locale().replace("_", "-")})
    _sub(feed, "id", feed_tag(scope))
    _sub(feed, "title", title)
    _sub(feed, "updated", _time(max(stamps.values(), default=datetime(2026, 1, 1, tzinfo=timezone.utc))))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    author = _sub(feed, "author")
    _sub(author, "name", _("Exposure board"))
    for item in items:
        entry = _sub(feed, "entry")
        _sub(entry, "id", item_tag(item))
        _sub(entry, "title", localized(item.title, None, item.title_en))
        _sub(entry, "link", rel="alternate", type="text/html", href=api.absolute(url_for("board.item",
                                                                                         item_id=item.id)))
        _sub(entry, "published", _time(item.published_at or item.created_at))
        _sub(entry, "updated", _time(stamps[item.id]))
        _sub(entry, "category", term=item.kind.value, label=item.kind.label)
        _sub(entry, "summary", _summary(item, today), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
