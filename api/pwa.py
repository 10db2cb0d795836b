"""The PWA's pages, service worker, manifest and assets, with a strict CSP (no inline scripts)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote, urlsplit

from flask import Blueprint, Response, abort, jsonify, redirect, send_from_directory

from api.context import settings
from api.static import PWA
from dispatch.settings import LANGUAGES

blp = Blueprint("pwa", __name__)

# Folders of pwa/ that are served as they are (never node_modules).
ASSET_FOLDERS = ("js", "css", "i18n", "icons")
PAGES = {"citizen": "citizen.html", "status": "status.html", "field": "field.html",
         "dispatch": "dispatch.html", "info": "info.html", "staff": "staff.html"}


def tile_origin(tile_url: str) -> str:
    """Return the scheme://host[:port] of the tile URL template ('' when there is none)."""
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    # Subdomain templates ({s}.tile.example) become a wildcard host for the CSP.
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy() -> str:
    """The CSP of the PWA pages: own scripts only; tiles from the configured tile host."""
    tiles = tile_origin(settings().tile_url)
    images = " ".join(filter(None, ("'self'", "data:", "blob:", tiles)))
    # Leaflet positions tiles and markers with style attributes, hence 'unsafe-inline' for styles.
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")


def _page(name: str):
    # The pages are a few kB: read them whole (no open file handed to the server).
    response = Response((PWA / PAGES[name]).read_bytes(), mimetype="text/html")
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/")
def citizen():
    """The citizen's report page."""
    return _page("citizen")


@blp.get("/status/<string:public_id>")
def status(public_id: str):
    """The reporter's status page (the token travels in ``?t=``)."""
    return _page("status")


@blp.get("/info")
def location_info():
    """The citizen's location view: traffic around a point and the nearest facilities."""
    return _page("info")


@blp.get("/field")
def field():
    """The inspector's app."""
    return _page("field")


@blp.get("/dispatch")
def dispatch_map():
    """The dispatcher's live map and KPI panel."""
    return _page("dispatch")


@blp.get("/staff")
def staff_list():
    """The staff list for supervisors, dispatchers and admins (admins add and change accounts)."""
    return _page("staff")


def shell_revision() -> str:
    """A hash of the shell's files: the service worker re-precaches when any of them changes."""
    digest = hashlib.sha256()
    for path in sorted(PWA.glob("*.*")) + sorted(
            p for folder in ASSET_FOLDERS for p in (PWA / folder).rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


@blp.get("/staff/complaints/<string:public_id>")
def staff_complaint(public_id: str):
    """Where a staff push notification points: the inspector app, opened on the complaint."""
    return redirect(f"/field?c={quote(public_id[:32], safe='')}", code=302)


@blp.get("/sw.js")
def service_worker():
    """The service worker, from the root so its scope is the whole site; never cached."""
    source = (PWA / "sw.js").read_text(encoding="utf-8")
    response = Response(source.replace("__SHELL_REVISION__", shell_revision()),
                        mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@blp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest."""
    response = Response((PWA / "manifest.webmanifest").read_bytes(),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@blp.get("/pwa/config.json")
def config():
    """What the pages need to know about this deployment (tile URL, languages)."""
    config = settings()
    response = jsonify(tile_url=config.tile_url, default_language=config.default_language,
                       languages=list(LANGUAGES))
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/pwa/<string:folder>/<path:filename>")
def asset(folder: str, filename: str):
    """A script, style sheet, message catalogue or icon of the PWA."""
    if folder not in ASSET_FOLDERS:
        abort(404)
    response = send_from_directory(PWA / folder, filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
