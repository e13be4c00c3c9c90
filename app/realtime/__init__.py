"""Socket.IO namespaces."""

from app.extensions import socketio
from app.realtime.field import FieldNamespace, handle_error


def init_app(app) -> None:
    socketio.on_namespace(FieldNamespace("/field"))
    socketio.on_error("/field")(handle_error)
