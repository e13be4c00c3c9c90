"""Entry point: ``flask --app wsgi run`` or ``python wsgi.py`` (Socket.IO-aware server)."""

import gc
import os

from werkzeug.serving import WSGIRequestHandler

from app import create_app
from app.extensions import socketio
from config import config_from_env

app = create_app(config_from_env())
# The built-in server names no software or version in its ``Server`` header (docs/security.md).
WSGIRequestHandler.version_string = lambda self: "Battlemap"


def tune_gc() -> None:
    """Keep collector pauses out of the popup path.

    Each socket event leaves cyclic garbage (request contexts, sessions, packets); with CPython's default
    thresholds the older generations, which hold 1,000 reps' connections, are rescanned often enough to stall
    every socket for 30–90 ms. Freezing what start-up built and collecting the young generation less often
    kept the worst popup under ~50 ms with 1,000 reps connected (bench/bench_load.py).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


if __name__ == "__main__":
    tune_gc()
    socketio.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")),
                 allow_unsafe_werkzeug=True)
