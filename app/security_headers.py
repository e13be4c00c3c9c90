"""What every answer tells the browser (docs/security.md "Headers" and "CORS").

One ``after_request`` hook adds the security headers to every Flask response: a Content Security Policy that
runs only our own scripts, ``nosniff``, a referrer policy, frame protection, HSTS in production, and
``Cache-Control: no-store`` on the API (every answer there carries a token or personal data; the public share's
too). The PWA's own caching rules (app/pwa.py) stay as they are; a share page's address, itself the secret, is
never sent on as a ``Referer``.

CORS is one allow-list, ``CORS_ORIGINS``, read by HTTP here (preflights, and ``Access-Control-Allow-Origin`` on
answers) and by Socket.IO (``socketio_origins`` gives its ``cors_allowed_origins``). The app's own origin is
always allowed; an empty list means the app's own origin only. Tokens travel in the ``Authorization`` header,
never in cookies, so no answer allows credentials.
"""

import re

from flask import Flask, current_app, request

from app.errors import error_response

API_PREFIXES = ("/api/",)
"""Paths whose answers are never stored by a browser or a proxy (``no-store``). The share page ``/s/<token>`` is
the app shell, the same for every token (revalidated, app/pwa.py); the share itself comes from the API."""
NO_REFERRER_PREFIXES = ("/s/", "/c/", "/api/v1/public/")
"""Paths whose address is a secret (a share's or a contact's token): never sent on as a ``Referer``."""
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_HEADERS = ("authorization", "content-type", "accept-language", "idempotency-key", "if-none-match")
"""Request headers another allowed origin may send (a preflight asking for others is answered without them)."""
CORS_EXPOSE = "ETag, Retry-After, Content-Disposition"
CORS_MAX_AGE_S = 600
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def content_security_policy(host: str | None = None, tile_origins: tuple[str, ...] = ()) -> str:
    """The CSP of every answer. Scripts, workers and connections only from our origin (plus the WebSocket of
    ``host``); images also from the map tile hosts; inline styles allowed, because Vant and Leaflet position
    things with ``style`` attributes (inline *scripts* stay forbidden)."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    tiles = "".join(f" {origin}" for origin in tile_origins)
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{tiles}",
        "font-src 'self' data:",
        f"connect-src 'self'{sockets}",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def own_origin(environ: dict) -> set[str]:
    """The origins this request was addressed to: its Host, and the proxy's forwarded host and scheme."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST", "")
    origins = {f"{scheme}://{host}".lower()} if host else set()
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
    forwarded_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
    if forwarded_host:
        origins.add(f"{forwarded_scheme}://{forwarded_host}".lower())
    return origins


def origin_allowed(origin: str | None, environ: dict, allowed: tuple[str, ...]) -> bool:
    """Is a page at ``origin`` allowed to call us? Our own origin, or one in ``CORS_ORIGINS``."""
    if not origin:
        return False
    origin = origin.rstrip("/").lower()
    return origin in allowed or origin in own_origin(environ)


def socketio_origins(app: Flask):
    """Socket.IO's ``cors_allowed_origins``: the same rule as HTTP, bound to ``app`` (Engine.IO asks before any
    app context exists). Only a handshake with an ``Origin`` is checked: browsers always send one; the tests' and
    scripts' clients send none and connect as before (they just get no CORS headers)."""

    def allowed(origin: str, environ: dict) -> bool:
        return origin_allowed(origin, environ, app.config["CORS_ORIGINS"])

    return allowed


def _preflight():
    """Answer a CORS preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``): 204 with the
    allowed methods and headers for an allowed origin, 403 in the error shape for any other."""
    origin = request.headers.get("Origin")
    if request.method != "OPTIONS" or not origin or "Access-Control-Request-Method" not in request.headers:
        return None
    if not origin_allowed(origin, request.environ, current_app.config["CORS_ORIGINS"]):
        response = error_response(403, "origin_not_allowed",
                                  "This origin may not call the API (CORS_ORIGINS, docs/security.md).")
        response.headers["Vary"] = "Origin"
        return response
    asked = [h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")]
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]
    response.headers.update({
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": ", ".join(h for h in asked if h in CORS_HEADERS),
        "Access-Control-Max-Age": str(CORS_MAX_AGE_S),
        "Vary": "Origin",
    })
    return response


def _headers(response):
    config = current_app.config
    path = request.path
    headers = response.headers
    headers.setdefault("Content-Security-Policy",
                       content_security_policy(request.host, tuple(config.get("MAP_TILE_ORIGINS", ()))))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = ("no-referrer" if path.startswith(NO_REFERRER_PREFIXES)
                                  else "strict-origin-when-cross-origin")
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"
    if config.get("HSTS_SECONDS"):
        headers["Strict-Transport-Security"] = f"max-age={int(config['HSTS_SECONDS'])}; includeSubDomains"
    if path.startswith(API_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    origin = request.headers.get("Origin")
    if origin and "Access-Control-Allow-Origin" not in headers:
        if origin_allowed(origin, request.environ, config["CORS_ORIGINS"]):
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
        headers.add("Vary", "Origin")
    return response


def init_app(app: Flask) -> None:
    """The preflight answer runs before everything else (no login, no body); the headers after every view."""
    app.before_request_funcs.setdefault(None, []).insert(0, _preflight)
    app.after_request(_headers)
