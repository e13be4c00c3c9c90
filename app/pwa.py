"""The PWA, built by Vite into ``pwa/dist`` (``PWA_DIR``): its shell at ``/``, the service worker and manifest
at the root (so the worker's scope is the whole site), hashed bundles under ``/assets/``, icons under
``/icons/``.

Caching: the shell, ``sw.js`` and the manifest are revalidated on every load (``max-age=0, must-revalidate``)
so a deploy reaches phones at once; hashed assets never change under their name (``immutable``, one year).
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("pwa", __name__)
REVALIDATE = "max-age=0, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"


def _send(relative: str, cache_control: str, **kwargs):
    root = Path(current_app.config["PWA_DIR"])
    if not (root / "index.html").exists():
        abort(503, description="The PWA is not built yet: run `make run` (or `cd pwa && npm ci && npm run build`).")
    response = send_from_directory(root, relative, max_age=None, **kwargs)
    response.headers["Cache-Control"] = cache_control
    return response


@bp.get("/")
@bp.get("/index.html")
def index():
    return _send("index.html", REVALIDATE)


@bp.get("/s/<token>")
def shared_comparison(token: str):
    """A shopper's link to a shared comparison: the shell renders it from /api/v1/public/shares/<token>."""
    return _send("index.html", REVALIDATE)


@bp.get("/c/<token>")
def contact_page(token: str):
    """A key contact's own page (docs/privacy.md): the shell renders it from /api/v1/public/contacts/<token>."""
    return _send("index.html", REVALIDATE)


@bp.get("/sw.js")
def service_worker():
    response = _send("sw.js", REVALIDATE, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    return _send("manifest.webmanifest", REVALIDATE, mimetype="application/manifest+json")


@bp.get("/assets/<path:filename>")
def asset(filename: str):
    return _send(f"assets/{filename}", IMMUTABLE)


@bp.get("/icons/<path:filename>")
def icon(filename: str):
    return _send(f"icons/{filename}", "public, max-age=86400")
