"""Change counters shared by all processes (see ``StateVersion``), and a cache that follows one."""

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import StateVersion

T = TypeVar("T")
_CACHES = "battlemap_caches"


def current(name: str) -> int:
    return db.session.scalar(select(StateVersion.version).where(StateVersion.name == name)) or 0


def bump(name: str) -> int:
    """Record a change; returns the new number. Part of the caller's transaction.

    This process's caches that follow ``name`` look again on their next read; other processes notice
    within ``STATE_POLL_S``.
    """
    if db.session.get(StateVersion, name) is None:
        db.session.add(StateVersion(name=name, version=1))
        db.session.flush()
        version = 1
    else:
        db.session.execute(update(StateVersion).where(StateVersion.name == name)
                           .values(version=StateVersion.version + 1))
        version = current(name)
    for cache in current_app.extensions.get(_CACHES, {}).values():
        if cache.name == name:
            cache.invalidate()
    return version


def cached(key: str, build: "Callable[[int], T]", *, follows: str | None = None) -> T:
    """This app's value ``key``, built by ``build(version)`` and rebuilt when the counter it follows moves.

    The counter is ``follows`` (default: the counter named ``key``).
    """
    caches = current_app.extensions.setdefault(_CACHES, {})
    if key not in caches:
        caches[key] = VersionedCache(follows or key, build, current_app.config["STATE_POLL_S"])
    return caches[key].get()


class VersionedCache(Generic[T]):
    """Holds a value built from the database and rebuilds it when the named counter moves.

    The counter is read at most every ``poll_s`` seconds; ``invalidate()`` forces a look on the next ``get``
    (the process that made the change calls it, so its own next read is fresh).
    """

    def __init__(self, name: str, build: Callable[[int], T], poll_s: float):
        self.name = name
        self._build = build
        self._poll_s = poll_s
        self._value: T | None = None
        self._version = -1
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is not None and time.monotonic() - self._checked_at < self._poll_s:
            return self._value
        with self._lock:
            version = current(self.name)
            self._checked_at = time.monotonic()
            if self._value is None or version != self._version:
                self._value = self._build(version)
                self._version = version
            return self._value

    def invalidate(self) -> None:
        self._checked_at = 0.0
