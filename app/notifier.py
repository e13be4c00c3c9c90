"""Pushes to connected clients. Services never emit; they hand results to the notifier, which owns room
names and the transport (in-process, or Redis when ``REDIS_URL`` is set, so any process can push)."""

from app.extensions import socketio

FIELD_NAMESPACE = "/field"


def rep_room(rep_id: int) -> str:
    return f"rep:{rep_id}"


def push_popup(rep_id: int, popup: dict) -> None:
    socketio.emit("popup", popup, to=rep_room(rep_id), namespace=FIELD_NAMESPACE)


def push_pack_updated(rep_ids, pack_key: str, version: int | None) -> None:
    """Tell each of ``rep_ids`` that what they see of a pack changed: ``version`` is live now (None: nothing)."""
    payload = {"pack_id": pack_key, "version": version}
    for rep_id in rep_ids:
        socketio.emit("pack.updated", payload, to=rep_room(rep_id), namespace=FIELD_NAMESPACE)


def push_coaching_card(rep_id: int, card: dict) -> None:
    """The rep's coaching card (``CoachingCardOut``): an indicator below its threshold three times in a row,
    with why and the component their manager linked to it (docs/learning.md)."""
    socketio.emit("coaching.card", card, to=rep_room(rep_id), namespace=FIELD_NAMESPACE)
