"""The PWA (pwa/public): its shell at ``/``, the service worker and manifest at the root (so the worker's
scope is the whole site), every other asset under ``/static/``."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("pwa", __name__)


@bp.get("/")
def index():
    response = send_from_directory(current_app.config["PWA_DIR"], "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    response = send_from_directory(current_app.config["PWA_DIR"], "sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    return send_from_directory(current_app.config["PWA_DIR"], "manifest.webmanifest",
                               mimetype="application/manifest+json")
