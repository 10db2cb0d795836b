"""Rendering Open311 documents as XML (xml.etree) or JSON, with the spec's content types."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - we only build XML here, never parse it

from flask import Response

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# The element name of one item of a list, by the list's element name.
ITEM_NAMES = {
    "service_requests": "request",
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "media_urls": "media_url",
}


# Characters XML 1.0 cannot carry at all, not even as references: a description holding
# one (a pasted vertical tab, an escape code) made the whole list unparseable for every
# client. JSON keeps them; XML drops them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ET.Element, name: str, value) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, str(key), item)
    elif isinstance(value, list):
        child = ITEM_NAMES.get(name, "item")
        for item in value:
            _append(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    """Return ``value`` (dicts, lists, scalars) as an XML document with element ``root``."""
    element = ET.Element(root)
    _fill(element, root, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(fmt: str, root: str, value, status: int = 200) -> Response:
    """Answer with ``value`` as XML (under ``root``) or JSON."""
    if fmt == "json":
        body = json.dumps(value, ensure_ascii=False)
    else:
        body = to_xml(root, value)
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(fmt: str, status: int, description: str) -> Response:
    """The spec's error document: ``<errors><error><code/><description/>`` or a JSON array.

    ``code`` is the HTTP status, a number in JSON as the spec shows it.
    """
    return render(fmt, "errors", [{"code": status, "description": description}], status)
