"""Location privacy (docs/privacy.md): fixes only while on duty, raw fixes reduced to visit records after
``FIX_RETENTION_DAYS``, and a rep's own location history.

Duty: a rep's schedule is their own (``users.duty_schedule``, set by a manager), else their region's
(``regions.duty_schedule``), else ``DUTY_DEFAULT`` (None: always on duty). A schedule is
``{"days": [1..7 ISO weekdays], "start": "HH:MM", "end": "HH:MM"}`` in local time (``TIMEZONE``), ``[start,
end)``. Whatever the schedule, the rep's own switch (``users.location_on``) off means off. A fix outside duty is
refused at the /field edge with ``off_duty`` (switch off: ``location_off``): it is not stored, and no card comes
of it.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Place, Region, RepFix, User, VisitRecord, utcnow
from app.services import geo_state, permissions
from app.services import users as users_service

OFF_DUTY = "off_duty"
LOCATION_OFF = "location_off"


@dataclass(frozen=True)
class Duty:
    """What decides whether a rep's fix is taken: the switch and the schedule in force (None: always)."""

    location_on: bool
    schedule: dict | None
    source: str  # "rep" | "region" | "default"

    def refusal(self, ts_ms: int, tz_name: str) -> str | None:
        if not self.location_on:
            return LOCATION_OFF
        if self.schedule is None:
            return None
        try:
            local = datetime.fromtimestamp(ts_ms / 1000, _zone(tz_name))
        except (OverflowError, OSError, ValueError):
            return OFF_DUTY
        return None if within(self.schedule, local) else OFF_DUTY


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def within(schedule: dict, local: datetime) -> bool:
    if local.isoweekday() not in schedule["days"]:
        return False
    return schedule["start"] <= local.strftime("%H:%M") < schedule["end"]


def duty_of(user: User) -> Duty:
    if user.duty_schedule:
        return Duty(user.location_on, user.duty_schedule, "rep")
    region = db.session.get(Region, user.region_id) if user.region_id is not None else None
    if region is not None and region.duty_schedule:
        return Duty(user.location_on, region.duty_schedule, "region")
    return Duty(user.location_on, current_app.config.get("DUTY_DEFAULT"), "default")


def duty_out(user: User, *, now: datetime | None = None) -> dict:
    duty = duty_of(user)
    now = now or datetime.now(UTC)
    ts_ms = int(now.timestamp() * 1000)
    refusal = duty.refusal(ts_ms, current_app.config["TIMEZONE"])
    return {"location_on": duty.location_on, "schedule": duty.schedule, "source": duty.source,
            "on_duty": refusal is None, "reason": refusal, "timezone": current_app.config["TIMEZONE"]}


def set_location_on(user: User, on: bool) -> User:
    user.location_on = on
    users_service.users_changed()  # open /field connections read the switch again at the next fix
    db.session.commit()
    return user


def set_region_schedule(*, actor: User, region_key: str, schedule: dict | None) -> Region:
    permissions.require_manager(actor, "duty", "write")
    region = db.session.scalar(select(Region).where(Region.key == region_key))
    if region is None:
        raise NotFound(f"No region {region_key!r}.", code="region_not_found")
    permissions.require_manager_of(actor, region.id, "duty", "write")
    region.duty_schedule = schedule
    users_service.users_changed()
    db.session.commit()
    return region


def set_rep_schedule(*, actor: User, user_id: int, schedule: dict | None) -> User:
    permissions.require_manager(actor, "duty", "write")
    user = db.session.get(User, user_id)
    if user is None or not permissions.can_see_user(actor, user):
        raise NotFound(f"No user with id {user_id}.", code="user_not_found")
    if not permissions.can_manage_user(actor, user):
        raise Forbidden("You may not change this user's duty schedule.")
    user.duty_schedule = schedule
    users_service.users_changed()
    db.session.commit()
    return user


# ── retention: raw fixes → visit records ────────────────────────────────────────────────────────────


def _local_day(ts_ms: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts_ms / 1000, tz).date()


def _utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).replace(tzinfo=None)


def reduce_old_fixes(*, now: datetime | None = None, batch: int = 20_000) -> int:
    """Fold stored fixes received more than ``FIX_RETENTION_DAYS`` ago into visit records (per rep, local day
    and place: the first and the last fix inside the place's fence), then delete those fixes. Returns how many
    raw rows went. Fixes inside no fence leave nothing behind."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["FIX_RETENTION_DAYS"])
    tz = _zone(current_app.config["TIMEZONE"])
    index = geo_state.snapshot().index
    total = 0
    while True:
        rows = db.session.execute(
            select(RepFix.id, RepFix.rep_id, RepFix.ts, RepFix.lat, RepFix.lon, RepFix.crs)
            .where(RepFix.received_at < cutoff).order_by(RepFix.id).limit(batch)).all()
        if not rows:
            break
        visits: dict[tuple[int, date, int], list] = {}
        for row in rows:
            if row.crs != "wgs84":
                continue
            try:
                hits = index.fences_at(row.lat, row.lon)
                day = _local_day(row.ts, tz)
                at = _utc(row.ts)
            except (ValueError, OverflowError, OSError):
                continue
            for hit in hits:
                key = (row.rep_id, day, hit.place_id)
                seen = visits.get(key)
                if seen is None:
                    visits[key] = [at, at, 1]
                else:
                    seen[0], seen[1], seen[2] = min(seen[0], at), max(seen[1], at), seen[2] + 1
        for (rep_id, day, place_id), (first, last, count) in visits.items():
            record = db.session.scalar(select(VisitRecord).where(
                VisitRecord.rep_id == rep_id, VisitRecord.day == day, VisitRecord.place_id == place_id))
            if record is None:
                db.session.add(VisitRecord(rep_id=rep_id, day=day, place_id=place_id, first_enter_at=first,
                                           last_exit_at=last, fixes=count))
            else:
                record.first_enter_at = min(record.first_enter_at, first)
                record.last_exit_at = max(record.last_exit_at, last)
                record.fixes += count
        db.session.execute(delete(RepFix).where(RepFix.id.in_([r.id for r in rows])))
        db.session.commit()
        total += len(rows)
        if len(rows) < batch:
            break
    return total


# ── a rep's own history ─────────────────────────────────────────────────────────────────────────────


def _day_bounds_ms(day: date, tz: ZoneInfo) -> tuple[int, int]:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return int(start.timestamp() * 1000), int((start + timedelta(days=1)).timestamp() * 1000)


def my_locations(user: User, day: date) -> dict:
    """The rep's own stored fixes of one local day (raw, while kept) and visit records of that day."""
    from app.services import locations

    locations.flush_fixes()
    tz = _zone(current_app.config["TIMEZONE"])
    start, end = _day_bounds_ms(day, tz)
    fixes = db.session.scalars(select(RepFix).where(
        RepFix.rep_id == user.id, RepFix.ts >= start, RepFix.ts < end, RepFix.crs == "wgs84").order_by(RepFix.ts))
    visits = db.session.execute(
        select(VisitRecord, Place.name).join(Place, Place.id == VisitRecord.place_id)
        .where(VisitRecord.rep_id == user.id, VisitRecord.day == day).order_by(VisitRecord.first_enter_at)).all()
    return {
        "date": day,
        "retention_days": current_app.config["FIX_RETENTION_DAYS"],
        "fixes": [{"ts": f.ts, "lat": f.lat, "lon": f.lon, "accuracy_m": f.accuracy_m} for f in fixes],
        "visits": [{"place_id": v.place_id, "place_name": name, "first_enter_at": v.first_enter_at,
                    "last_exit_at": v.last_exit_at, "fixes": v.fixes} for v, name in visits],
    }


def my_locations_export(user: User) -> dict:
    """Everything location-related held about the rep: every stored fix and every visit record."""
    from app.services import locations

    locations.flush_fixes()
    fixes = db.session.scalars(select(RepFix).where(RepFix.rep_id == user.id, RepFix.crs == "wgs84")
                               .order_by(RepFix.ts))
    visits = db.session.scalars(select(VisitRecord).where(VisitRecord.rep_id == user.id)
                                .order_by(VisitRecord.day, VisitRecord.first_enter_at))
    return {
        "rep": {"id": user.id, "name": user.name},
        "exported_at": utcnow(),
        "retention_days": current_app.config["FIX_RETENTION_DAYS"],
        "duty": duty_out(user),
        "fixes": [{"ts": f.ts, "lat": f.lat, "lon": f.lon, "accuracy_m": f.accuracy_m} for f in fixes],
        "visits": [{"day": v.day, "place_id": v.place_id, "first_enter_at": v.first_enter_at,
                    "last_exit_at": v.last_exit_at, "fixes": v.fixes} for v in visits],
    }
