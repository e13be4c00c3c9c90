"""Battlemap application factory."""

import logging

from flask import Flask
from werkzeug.routing import IntegerConverter

from config import Config


class DatabaseId(IntegerConverter):
    """``<int:…>`` in URLs: ids beyond a 64-bit database integer are simply not found (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build the app: extensions, blueprints, sockets, error handlers, commands. No side effects."""
    app = Flask(__name__, static_folder=None)
    app.config.from_object(config_class)
    app.url_map.converters["int"] = DatabaseId
    app.json.ensure_ascii = False

    from app import cli, errors, realtime
    from app.api import bp as api_bp
    from app.api.meta import bp as meta_bp
    from app.extensions import db, limiter, migrate, socketio
    from app.pwa import bp as pwa_bp
    from app.services import geo_state

    db.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(config_class.MIGRATIONS_DIR))
    socketio.init_app(
        app,
        message_queue=app.config["REDIS_URL"],
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS"),
    )
    app.register_blueprint(meta_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(pwa_bp)
    errors.init_app(app)
    realtime.init_app(app)
    geo_state.init_app(app)
    cli.init_app(app)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    return app
