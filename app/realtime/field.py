"""The ``/field`` namespace: reps' phones send locations; the server pushes popups.

Events (see docs/socket-events.md, docs/asyncapi.yaml):
- connect, auth ``{"token", "locale"?}`` — refused without a valid access token (``connect_error`` whose ``data``
  is the error shape: ``token_missing``, ``token_invalid``, ``token_expired``, ``token_revoked``,
  ``user_inactive``); ``locale`` (zh | en, default the user's own) is the language of this connection's popups
  (``why[].detail``).
- client → ``location`` ``{"lat","lon","accuracy_m","ts"}``; ack ``{"ok": true, "popups"}`` (plus ``dropped``
  with the reason) or ``{"ok": false, "error"}``. ``ts`` is judged against the server clock: more than
  ``FIX_MAX_AHEAD_S`` ahead is dropped as ``future_timestamp``, more than ``FIX_MAX_BEHIND_S`` behind as
  ``stale``. The rep's facts (skill level, tags…) are read again when a user changed (docs/team.md); a
  deactivated user, or one whose session ended (a password change), gets the error on the next fix and is
  disconnected. A fix while the rep's location switch is off is dropped as ``location_off``, one outside the
  rep's duty schedule as ``off_duty`` (docs/privacy.md): neither is stored nor makes a card.
- client → ``track.reset`` ``{}``; ack ``{"ok": true}``: forget the rep's fence track (the laptop simulation
  jumps to a client; the next fix starts a new session, so the fence rules accept it and the card comes).
- server → ``popup`` to the rep's own room when a fence is entered.

Every event's payload is read by ``FieldPacket``: one larger than ``FIELD_EVENT_MAX_BYTES`` is answered with
``event_too_large``, one nested deeper than ``JSON_MAX_DEPTH`` or not JSON with ``malformed_request`` — as an
error ack, and the connection stays up (only beyond ``FIELD_TRANSPORT_MAX_BYTES`` does Engine.IO close it).
"""

import dataclasses
import logging

from engineio import json as engineio_json
from flask import current_app, session
from flask_socketio import ConnectionRefusedError, Namespace, disconnect, join_room
from socketio import packet as sio_packet

from app import notifier
from app.errors import AppError, MalformedInput, Unauthorized, error_body
from app.extensions import db
from app.i18n import normalize_locale
from app.schemas import load, read_json
from app.schemas.field import ConnectAuthIn, LocationIn, TrackResetIn
from app.services import auth as auth_service
from app.services import geo_state, locations, presence, privacy
from app.services import users as users_service
from app.services.events import OfflineCards
from app.services.locations import record_location
from app.services.scenarios import rep_facts
from content_packs.engine import RepFacts

log = logging.getLogger(__name__)

REFUSED_EVENT = "\x00refused"
"""The event name ``FieldPacket`` gives an event it could not read; answered with the error it carries."""


@dataclasses.dataclass(frozen=True)
class _Unreadable:
    code: str
    message: str


class FieldJSON:
    """The JSON of Socket.IO packets: ``read_json``'s depth limit, and a size check before parsing. Unreadable
    text becomes an ``_Unreadable`` marker instead of an exception, which would close the connection."""

    def __init__(self, *, max_bytes: int, max_depth: int):
        self.max_bytes, self.max_depth = max_bytes, max_depth

    @staticmethod
    def dumps(*args, **kwargs):
        return engineio_json.dumps(*args, **kwargs)

    def loads(self, text, **kwargs):
        size = len(text)
        if size > self.max_bytes or (size * 4 > self.max_bytes and len(text.encode()) > self.max_bytes):
            return _Unreadable("event_too_large", f"An event may carry at most {self.max_bytes:,} bytes.")
        try:
            return read_json(text, max_depth=self.max_depth)
        except MalformedInput as err:
            return _Unreadable(MalformedInput.code, err.message)
        except ValueError:
            return _Unreadable(MalformedInput.code, "The event is not JSON.")


class FieldPacket(sio_packet.Packet):
    """A Socket.IO packet whose unreadable event becomes ``[REFUSED_EVENT, {"code", "message"}]`` (answered with an
    error ack, keeping its ack id); any other unreadable packet (a CONNECT's auth) carries no data."""

    def decode(self, encoded_packet):
        count = super().decode(encoded_packet)
        data = self.data
        if self.packet_type in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            if isinstance(data, _Unreadable):
                self.data = [REFUSED_EVENT, {"code": data.code, "message": data.message}]
            elif not (isinstance(data, list) and data and isinstance(data[0], str)):
                self.data = [REFUSED_EVENT, {"code": MalformedInput.code,
                                             "message": "An event is a JSON array: [name, payload]."}]
        elif isinstance(data, _Unreadable):
            self.data = None
        return count


def field_packet_class(*, max_bytes: int, max_depth: int) -> type[FieldPacket]:
    """``FieldPacket`` with this app's limits (the ``serializer`` of the Socket.IO server)."""
    return type("FieldPacket", (FieldPacket,), {"json": FieldJSON(max_bytes=max_bytes, max_depth=max_depth)})


def _refuse(err: AppError) -> ConnectionRefusedError:
    return ConnectionRefusedError(err.message, error_body(err.code, err.message, err.fields))


class FieldNamespace(Namespace):
    def trigger_event(self, event, *args):
        """Dotted event names (``track.reset``, as ``pack.updated``) map to ``on_track_reset``; an event the
        packet reader refused is answered with its error at once."""
        if event == REFUSED_EVENT:
            problem = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            log.info("/field: event refused (%s)", problem.get("code"))
            return {"ok": False, **error_body(problem.get("code", MalformedInput.code),
                                              problem.get("message", MalformedInput.message))}
        return super().trigger_event(event.replace(".", "_"), *args)

    def on_connect(self, auth=None):
        """A phone connects with ``auth={"token": ..., "locale"?: "zh" | "en"}``; refused (with the error
        shape) if the token is bad. An unsupported ``locale`` falls back to the user's stored one."""
        try:
            self._connect(auth)
        except AppError as err:
            db.session.rollback()
            raise _refuse(err) from err
        except ConnectionRefusedError:
            raise
        except Exception as err:  # never accept a connection whose set-up failed, never answer a repr
            db.session.rollback()
            log.exception("/field connect failed")
            raise _refuse(AppError("Something went wrong on our side.", code="internal_error")) from err

    def _connect(self, auth) -> None:
        if not isinstance(auth, dict) or auth.get("token") in (None, ""):
            raise Unauthorized("Send a token: auth={\"token\": …}.", code="token_missing")
        if not isinstance(auth.get("token"), str):
            raise Unauthorized("The token is not valid.", code="token_invalid")
        data = load(ConnectAuthIn(), auth)
        seen = users_service.users_version()  # read before the user: a change after the read shows at the next fix
        identity = auth_service.identify(data["token"])
        # Who the rep is and what they read, kept for the connection: a location fix then needs no user query.
        rep = rep_facts(identity.user)
        wanted = data["locale"] if isinstance(data["locale"], str) else None
        locale = normalize_locale(wanted, default=rep.locale)
        session["rep"] = dataclasses.replace(rep, locale=locale)
        session["auth_session"] = identity.session_id
        session["users_version"] = seen
        session["duty"], session["duty_version"] = privacy.duty_of(identity.user), seen
        join_room(notifier.rep_room(identity.user.id))
        presence.connected(identity.user.id)
        geo_state.restore_rep_state(identity.user.id)

    def on_disconnect(self, reason=None):
        """Save the rep's fence state, so a reconnect to any process carries on without a repeat card."""
        if session.get("rep") is not None:
            presence.disconnected(session["rep"].id)
            geo_state.save_rep_state(session["rep"].id)
            locations.flush_fixes()

    def on_location(self, data=None):
        """Rep → server: a location fix. Popups for entered fences go to the rep's room; the ack reports."""
        fix = load(LocationIn(), data)
        rep = _current_rep()
        received = geo_state.now_ms()
        reason = geo_state.clock_drop_reason(fix["ts"], received_ms=received, config=current_app.config)
        if reason is not None:
            log.info("rep %s: fix at %s dropped (%s, server clock %s)", rep.id, fix["ts"], reason, received)
            return {"ok": True, "popups": 0, "dropped": reason}
        reason = _duty(rep.id).refusal(fix["ts"], current_app.config["TIMEZONE"])
        if reason is not None:  # off duty or the switch off: not stored, no card (docs/privacy.md)
            return {"ok": True, "popups": 0, "dropped": reason}
        geo_state.heal_rep_state(rep.id, received_ms=received)
        if "offline_cards" not in session:
            session["offline_cards"] = OfflineCards(rep.id, current_app.config["FENCE_COOLDOWN_S"])
        outcome = record_location(rep=rep, lat=fix["lat"], lon=fix["lon"], accuracy_m=fix["accuracy_m"],
                                  ts_ms=fix["ts"], deliver=lambda popup: notifier.push_popup(rep.id, popup),
                                  offline_cards=session["offline_cards"])
        geo_state.mark_changed(rep.id)
        geo_state.flush_if_due()
        ack = {"ok": True, "popups": len(outcome.popups)}
        if outcome.dropped:
            ack["dropped"] = outcome.dropped
        return ack

    def on_track_reset(self, data=None):
        """Rep → server: start the fence track afresh (the simulation's jump); the ack says it is done."""
        load(TrackResetIn(), {} if data is None else data)
        rep = session.get("rep")
        if rep is None:
            raise Unauthorized("Connect again with a valid token.", code="session_unknown")
        geo_state.reset_rep_state(rep.id)
        locations.note_track_reset(rep.id)
        return {"ok": True}


def _current_rep() -> RepFacts:
    """The connection's rep facts, read again when a user changed since (the ``users`` counter moved, in any
    process): a manager's new skill level or tags apply from the rep's next fix, at one query per change and
    none per fix. A rep deactivated meanwhile gets ``user_inactive``, one whose session ended (a password
    change) ``token_revoked``, and the connection is closed."""
    rep = session.get("rep")
    if rep is None:
        raise Unauthorized("Connect again with a valid token.", code="session_unknown")
    seen = users_service.users_version()
    if session.get("users_version") != seen:
        try:
            user = auth_service.user_by_id(rep.id)
            if session.get("auth_session"):
                auth_service.check_session(session["auth_session"])
        except AppError:
            disconnect()
            raise
        rep = dataclasses.replace(rep_facts(user), locale=rep.locale)
        session["rep"], session["users_version"] = rep, seen
    return rep


def _duty(rep_id: int) -> privacy.Duty:
    """The rep's switch and duty schedule, kept for the connection and read again when users changed (a switch,
    a schedule: ``users_changed``)."""
    seen = users_service.users_version()
    if session.get("duty") is None or session.get("duty_version") != seen:
        session["duty"] = privacy.duty_of(auth_service.user_by_id(rep_id))
        session["duty_version"] = seen
    return session["duty"]


def handle_error(err: Exception) -> dict:
    """Any failing /field handler answers its ack in the error shape; the connection stays up."""
    db.session.rollback()
    if isinstance(err, AppError):
        return {"ok": False, **error_body(err.code, err.message, err.fields)}
    log.exception("socket handler failed", exc_info=err)
    return {"ok": False, **error_body("internal_error", "Something went wrong on our side.")}
