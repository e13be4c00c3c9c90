"""Battlemap application factory."""

import logging

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from config import Config

LARGE_BODY_ENDPOINTS = {"api.create_pack": "LARGE_BODY_MAX_BYTES", "api.create_pack_version": "LARGE_BODY_MAX_BYTES",
                        "api.validate_pack": "LARGE_BODY_MAX_BYTES", "api.post_events": "EVENTS_BODY_MAX_BYTES"}
"""Routes whose bodies may be larger than ``MAX_CONTENT_LENGTH`` (1 MB), and the setting that bounds them: a
whole pack as JSON or YAML, and the outbox's batch of up to 500 events with their notes."""


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies with ``read_json``: nesting beyond ``JSON_MAX_DEPTH`` and NaN /
    Infinity are a 400 ``malformed_request``, not a RecursionError (500)."""

    def loads(self, s, **kwargs):
        from app.schemas import read_json

        return read_json(s, max_depth=self._app.config["JSON_MAX_DEPTH"])


class DatabaseId(IntegerConverter):
    """``<int:…>`` in URLs: ids beyond a 64-bit database integer are simply not found (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build the app: extensions, blueprints, sockets, error handlers, commands. No side effects."""
    app = Flask(__name__, static_folder=None)
    app.config.from_object(config_class)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("No SECRET_KEY: set it, or start through config_from_env(), which keeps a random one "
                           "in instance/secret_key (docs/security.md).")
    app.url_map.converters["int"] = DatabaseId
    app.json = JSONProvider(app)
    app.json.ensure_ascii = False

    from app import cli, errors, realtime, security_headers
    from app.api import bp as api_bp
    from app.api.meta import bp as meta_bp
    from app.extensions import db, limiter, migrate, socketio
    from app.pwa import bp as pwa_bp
    from app.realtime.field import field_packet_class
    from app.services import geo_state, permissions

    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(config_class.MIGRATIONS_DIR))
    socketio.init_app(
        app,
        message_queue=app.config["REDIS_URL"],
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
        cors_allowed_origins=security_headers.socketio_origins(app),  # the one CORS_ORIGINS allow-list
        # events up to the transport limit are read and answered (an oversized one gets an error ack, the
        # connection stays); only beyond it does Engine.IO close the connection
        max_http_buffer_size=app.config["FIELD_TRANSPORT_MAX_BYTES"],
        serializer=field_packet_class(max_bytes=app.config["FIELD_EVENT_MAX_BYTES"],
                                      max_depth=app.config["JSON_MAX_DEPTH"]),
    )
    app.register_blueprint(meta_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(pwa_bp)
    errors.init_app(app)
    realtime.init_app(app)
    geo_state.init_app(app)
    cli.init_app(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _body_limit)  # before anything reads the body
    security_headers.init_app(app)  # CORS preflights first of all; the headers on every answer
    permissions.init_app(app)  # the policy's roles, before any view reads its body
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    return app


def _body_limit() -> None:
    """A larger body limit for the routes that take a whole pack or an outbox batch (``LARGE_BODY_ENDPOINTS``);
    every other route keeps ``MAX_CONTENT_LENGTH``. Too large is a 413 in the error shape (app.errors)."""
    setting = LARGE_BODY_ENDPOINTS.get(request.endpoint or "")
    if setting:
        request.max_content_length = current_app.config[setting]
