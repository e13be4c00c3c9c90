"""Serves the PWA (pwa/) at the site root: the app shell, its assets and the service worker."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("pwa", __name__)


@bp.get("/")
def index():
    return send_from_directory(current_app.config["PWA_DIR"], "index.html")


@bp.get("/<path:filename>")
def asset(filename: str):
    response = send_from_directory(current_app.config["PWA_DIR"], filename)
    if filename == "sw.js":
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Service-Worker-Allowed"] = "/"
    return response
