"""GeoReport v2 documents as JSON or XML: the same data, with the specification's element names for list items
(``<services><service>``, ``<service_requests><request>``, ``<errors><error>``)."""
import json
import re
from xml.etree import ElementTree as ET

from flask import Response

FORMATS = {"json": "application/json", "xml": "text/xml"}
# list element -> the name of each item inside it
ITEM_NAMES = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
              "values": "value", "endpoints": "endpoint", "formats": "format"}


# Characters XML 1.0 cannot carry at all (control characters typed into a report, U+FFFE…): left out of XML.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _NOT_XML.sub("", str(value))


def _fill(element, value):
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM_NAMES.get(element.tag, "item")), item)
    else:
        element.text = _text(value)


def to_xml(root, data):
    element = ET.Element(root)
    _fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def respond(data, fmt, root, status=200):
    """``data`` as JSON, or as XML under the element ``root``."""
    if fmt == "xml":
        return Response(to_xml(root, data), status=status, mimetype=FORMATS["xml"])
    return Response(json.dumps(data, ensure_ascii=False), status=status, mimetype=FORMATS["json"])


def errors(status, descriptions, fmt):
    """The specification's error list: one entry per problem, each with the HTTP status as its code."""
    return respond([{"code": status, "description": str(text)} for text in descriptions], fmt, "errors", status)
