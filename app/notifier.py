"""Pushes to connected clients. Services never emit; they hand results to the notifier, which owns room
names and the transport (in-process, or Redis when ``REDIS_URL`` is set, so any process can push)."""

from app.extensions import socketio

FIELD_NAMESPACE = "/field"


def rep_room(rep_id: int) -> str:
    return f"rep:{rep_id}"


def push_popup(rep_id: int, popup: dict) -> None:
    socketio.emit("popup", popup, to=rep_room(rep_id), namespace=FIELD_NAMESPACE)
