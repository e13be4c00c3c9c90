""""What would rep X see at place Y now?" — the same composition as a live popup, without a phone."""

from datetime import datetime

from app.errors import NotFound
from app.extensions import db
from app.i18n import normalize_locale
from app.models import User
from app.services import permissions
from app.services.places import get_place
from app.services.scenarios import compose_popup, local_now, rep_facts


def preview(*, user: User, rep_id: int, place_id: int, event: str = "enter_place",
            at: datetime | None = None, locale: str | None = None) -> dict:
    """The popup ``rep_id`` would get at ``place_id`` on ``event`` at ``at`` (nothing recorded or pushed); for
    managers of the place's and the rep's regions.

    ``at`` without an offset is local time (``TIMEZONE``, what a datetime-local input sends); the answer's
    ``at`` is that moment in local time with its offset, ``local_time`` the same as ``YYYY-MM-DD HH:MM``.
    ``why`` is rendered for the one reading it: in ``locale``, by default the manager's own (not the rep's).
    """
    place = get_place(place_id)
    permissions.require_manager_of(user, place.region_id)
    rep = db.session.get(User, rep_id)
    if rep is None:
        raise NotFound(f"No user with id {rep_id}.", code="user_not_found")
    permissions.require_manager_of(user, rep.region_id)
    zone = local_now().tzinfo
    if at is None:
        at = local_now()
    now = at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)
    popup = compose_popup(rep=rep_facts(rep), place_id=place.id, distance_m=None, event=event, now=now,
                          record=False, locale=normalize_locale(locale or user.locale))
    return {**popup, "preview": True, "rep": {"id": rep.id, "name": rep.name, "skill_level": rep.skill_level},
            "at": now.isoformat(), "local_time": f"{now:%Y-%m-%d %H:%M}", "weekday": now.isoweekday()}
