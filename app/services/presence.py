"""Who is connected to ``/field`` right now, across every process: the console's "how many reps are online".

With ``REDIS_URL`` a Redis hash (``PRESENCE_KEY``) holds, per rep id, how many of their sockets are open on any
process (a rep with two tabs counts once as a rep); without it, a counter in this process (one process
serves every socket then). The /field handler calls ``connected`` on connect and ``disconnected`` on
disconnect; a Redis failure is logged and never refuses a connection.

A process killed without its disconnect handlers leaves its reps counted until they reconnect and
disconnect again; the count is a hint for the manager ("about 12 online"), never an access decision.
"""

import logging
import threading
from collections.abc import Iterable

from flask import current_app

log = logging.getLogger(__name__)

_DECREMENT = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
"""
"""Decrement and drop at zero in one step, so a connect racing a disconnect is never lost."""


class _LocalPresence:
    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.lock = threading.Lock()


def _store():
    """The Redis client (one per app) or this process's counters."""
    ext = current_app.extensions
    if "battlemap_presence" not in ext:
        url = current_app.config.get("REDIS_URL")
        if url:
            import redis

            ext["battlemap_presence"] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        else:
            ext["battlemap_presence"] = _LocalPresence()
    return ext["battlemap_presence"]


def _key() -> str:
    return current_app.config.get("PRESENCE_KEY", "battlemap:presence")


def connected(rep_id: int) -> None:
    """A socket of ``rep_id`` opened."""
    store = _store()
    if isinstance(store, _LocalPresence):
        with store.lock:
            store.counts[rep_id] = store.counts.get(rep_id, 0) + 1
        return
    try:
        store.hincrby(_key(), str(rep_id), 1)
    except Exception:  # presence is a hint; a Redis hiccup must not refuse the rep
        log.warning("presence: could not count rep %s in", rep_id, exc_info=True)


def disconnected(rep_id: int) -> None:
    """A socket of ``rep_id`` closed."""
    store = _store()
    if isinstance(store, _LocalPresence):
        with store.lock:
            left = store.counts.get(rep_id, 0) - 1
            if left > 0:
                store.counts[rep_id] = left
            else:
                store.counts.pop(rep_id, None)
        return
    try:
        store.eval(_DECREMENT, 1, _key(), str(rep_id))
    except Exception:  # as above
        log.warning("presence: could not count rep %s out", rep_id, exc_info=True)


def online(rep_ids: Iterable[int]) -> set[int]:
    """Those of ``rep_ids`` with at least one /field socket open on any process now."""
    ids = list(dict.fromkeys(rep_ids))
    if not ids:
        return set()
    store = _store()
    if isinstance(store, _LocalPresence):
        with store.lock:
            return {i for i in ids if store.counts.get(i, 0) > 0}
    try:
        counts = store.hmget(_key(), [str(i) for i in ids])
    except Exception:  # as above
        log.warning("presence: could not read who is online", exc_info=True)
        return set()
    return {i for i, n in zip(ids, counts, strict=True) if n is not None and int(n) > 0}
