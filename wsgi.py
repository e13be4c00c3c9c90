"""Entry point: ``flask --app wsgi run`` or ``python wsgi.py`` (Socket.IO-aware server)."""

import os

from app import create_app
from app.extensions import socketio
from config import config_from_env

app = create_app(config_from_env())

if __name__ == "__main__":
    socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
                 allow_unsafe_werkzeug=True)
