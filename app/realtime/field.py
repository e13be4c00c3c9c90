"""The ``/field`` namespace: reps' phones send locations; the server pushes popups.

Events (see docs/socket-events.md):
- connect, auth ``{"token", "locale"?}`` — refused without a valid token; ``locale`` (zh | en, default the
  user's own) is the language of this connection's popups (``why[].detail``).
- client → ``location`` ``{"lat","lon","accuracy_m","ts"}``; ack ``{"ok": true}`` or ``{"ok": false, "error"}``.
  The rep's facts (skill level, tags…) are read again when a user changed (docs/team.md); a deactivated user is
  refused at connect and, if connected, gets ``user_inactive`` on the next fix and is disconnected.
- client → ``track.reset`` ``{}``; ack ``{"ok": true}``: forget the rep's fence track (the laptop simulation
  jumps to a client; the next fix starts a new session, so the fence rules accept it and the card comes).
- server → ``popup`` to the rep's own room when a fence is entered.
"""

import dataclasses
import logging

from flask import current_app, session
from flask_socketio import ConnectionRefusedError, Namespace, disconnect, join_room

from app import notifier
from app.errors import AppError, Unauthorized, error_body
from app.extensions import db
from app.i18n import normalize_locale
from app.schemas import load
from app.schemas.field import LocationIn, TrackResetIn
from app.services import auth as auth_service
from app.services import geo_state, locations, presence
from app.services import users as users_service
from app.services.events import OfflineCards
from app.services.locations import record_location
from app.services.scenarios import rep_facts
from content_packs.engine import RepFacts

log = logging.getLogger(__name__)


class FieldNamespace(Namespace):
    def trigger_event(self, event, *args):
        """Dotted event names (``track.reset``, as ``pack.updated``) map to ``on_track_reset``."""
        return super().trigger_event(event.replace(".", "_"), *args)

    def on_connect(self, auth=None):
        """A phone connects with ``auth={"token": ..., "locale"?: "zh" | "en"}``; refused (with the error
        shape) if the token is bad. An unsupported ``locale`` falls back to the user's stored one."""
        token = auth.get("token") if isinstance(auth, dict) else None
        seen = users_service.users_version()  # read before the user: a change after the read shows at the next fix
        try:
            user = auth_service.user_from_token(token)
        except AppError as err:
            raise ConnectionRefusedError(err.message, error_body(err.code, err.message)) from err
        # Who the rep is and what they read, kept for the connection: a location fix then needs no user query.
        rep = rep_facts(user)
        locale = normalize_locale(auth.get("locale"), default=rep.locale)
        session["rep"] = dataclasses.replace(rep, locale=locale)
        session["users_version"] = seen
        join_room(notifier.rep_room(user.id))
        presence.connected(user.id)
        geo_state.restore_rep_state(user.id)

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
        if "offline_cards" not in session:
            session["offline_cards"] = OfflineCards(rep.id, current_app.config["FENCE_COOLDOWN_S"])
        outcome = record_location(rep=rep, lat=fix["lat"], lon=fix["lon"], accuracy_m=fix["accuracy_m"],
                                  ts_ms=fix["ts"], deliver=lambda popup: notifier.push_popup(rep.id, popup),
                                  offline_cards=session["offline_cards"])
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
    none per fix. A rep deactivated meanwhile gets ``user_inactive`` and the connection is closed."""
    rep = session.get("rep")
    if rep is None:
        raise Unauthorized("Connect again with a valid token.", code="session_unknown")
    seen = users_service.users_version()
    if session.get("users_version") != seen:
        try:
            user = auth_service.user_by_id(rep.id)
        except AppError:
            disconnect()
            raise
        rep = dataclasses.replace(rep_facts(user), locale=rep.locale)
        session["rep"], session["users_version"] = rep, seen
    return rep


def handle_error(err: Exception) -> dict:
    """Any failing /field handler answers its ack in the error shape; the connection stays up."""
    db.session.rollback()
    if isinstance(err, AppError):
        return {"ok": False, **error_body(err.code, err.message, err.fields)}
    log.exception("socket handler failed", exc_info=err)
    return {"ok": False, **error_body("internal_error", "Something went wrong on our side.")}
