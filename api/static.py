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
}

blp = Blueprint("static", __name__)


@blp.get("/static/vendor/<string:package>/<path:filename>")
def vendor(package: str, filename: str):
    """Serve a file of a vendored npm package."""
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)
