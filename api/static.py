"""Serving the PWA and the vendored front-end libraries (no CDN at run time)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

ROOT = Path(__file__).resolve().parent.parent
PWA = ROOT / "pwa"
NODE_MODULES = PWA / "node_modules"

# Vendored packages exposed under /static/vendor/<name>/ (from pwa/package-lock.json).
VENDOR = {
    "swagger-ui": NODE_MODULES / "swagger-ui-dist",
    "leaflet": NODE_MODULES / "leaflet" / "dist",
    "markercluster": NODE_MODULES / "leaflet.markercluster" / "dist",
    "idb": NODE_MODULES / "idb" / "build",
    "workbox-window": NODE_MODULES / "workbox-window" / "build",
    "workbox-sw": NODE_MODULES / "workbox-sw" / "build",
}

# workbox-sw loads its modules as <prefix>/<module>.prod.js: one flat folder of them.
WORKBOX_MODULES = ("workbox-core", "workbox-precaching", "workbox-routing",
                   "workbox-strategies", "workbox-background-sync")

blp = Blueprint("static", __name__)


@blp.get("/static/vendor/<string:package>/<path:filename>")
def vendor(package: str, filename: str):
    """Serve a file of a vendored npm package."""
    if package == "workbox":
        module = filename.split(".", 1)[0]
        if module not in WORKBOX_MODULES:
            abort(404)
        return send_from_directory(NODE_MODULES / module / "build", filename, max_age=86400)
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)
