"""Process health: each rep's indicators from their field events, per rep and per grid, against the region's
thresholds; the coaching rule (three misses in a row → a coaching card for the rep and an alert for their
manager); regional early warnings; the region's health settings. The arithmetic is ``learning.health``
(pure); this module reads the rows, applies the settings and stores what the rules raise (docs/learning.md).

Comparisons: ``POST /solutions/compare`` naming a ``place_id`` stores a ``comparison`` event for the caller
(:func:`record_comparison`); that is how "a proposal after a budget was entered" is observed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import (
    CoachingAlert,
    ContentPack,
    Event,
    Grid,
    PackVersion,
    Place,
    Popup,
    Region,
    RegionWarning,
    User,
    utcnow,
)
from app.services import audit, permissions
from app.services.names import render_why
from app.services.pack_queries import live_version
from content_packs import COMPONENT_KINDS
from content_packs import engine as pack_engine
from learning import health as hl

DEFAULT_STREAK = 3
DEFAULT_LOOKBACK_DAYS = 28
WARNING_KINDS = ("stage_longer", "step_more_often")


class AlertNotFound(NotFound):
    code, message = "coaching_alert_not_found", "This coaching alert was not found."


class RegionNotFound(NotFound):
    code, message = "region_not_found", "This region was not found."


# -- settings ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """A region's health settings with the defaults filled in (``Region.health_settings`` holds overrides)."""

    thresholds: dict[str, hl.Threshold]
    links: dict[str, str]
    streak: int = DEFAULT_STREAK
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    windows: hl.Windows = field(default_factory=hl.Windows)
    tuning: hl.WarningTuning = field(default_factory=hl.WarningTuning)
    warning_packs: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"thresholds": {c: {"threshold": t.threshold, "green": t.green} for c, t in self.thresholds.items()},
                "coaching_links": dict(self.links),
                "coaching": {"streak": self.streak, "lookback_days": self.lookback_days},
                "windows": vars(self.windows).copy(),
                "warnings": {**vars(self.tuning), "packs": {k: list(v) for k, v in self.warning_packs.items()}}}


def defaults() -> Settings:
    return Settings(thresholds=dict(hl.DEFAULT_THRESHOLDS), links={})


def settings_of(region: Region | None) -> Settings:
    """The effective settings of ``region``: its overrides over the defaults in code."""
    raw = (region.health_settings if region is not None else None) or {}
    base = defaults()
    thresholds = dict(base.thresholds)
    for code, t in (raw.get("thresholds") or {}).items():
        if code in thresholds:
            old = thresholds[code]
            thresholds[code] = hl.Threshold(t.get("threshold", old.threshold), t.get("green", old.green))
    coaching = raw.get("coaching") or {}
    warnings = dict(raw.get("warnings") or {})
    packs = warnings.pop("packs", None) or {}
    return Settings(
        thresholds=thresholds, links={k: v for k, v in (raw.get("coaching_links") or {}).items() if v},
        streak=coaching.get("streak", DEFAULT_STREAK),
        lookback_days=coaching.get("lookback_days", DEFAULT_LOOKBACK_DAYS),
        windows=hl.Windows(**{**vars(base.windows), **(raw.get("windows") or {})}),
        tuning=hl.WarningTuning(**{**vars(base.tuning), **warnings}), warning_packs=packs)


def find_region(key: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.key == key))
    if region is None:
        raise RegionNotFound(f"No region '{key}'.")
    return region


def _query_region(key: str) -> Region:
    """A region named in a query string: unknown → 422 naming the choices (as the other lists answer)."""
    region = db.session.scalar(select(Region).where(Region.key == key))
    if region is None:
        choices = ", ".join(sorted(db.session.scalars(select(Region.key))))
        raise InvalidInput(fields={"region": [f"Unknown region '{key}'; one of: {choices}."]})
    return region


def get_settings(*, user: User, region_key: str) -> tuple[Region, Settings]:
    """A region's effective health settings, for its managers (and admins)."""
    region = find_region(region_key)
    permissions.require_manager_of(user, region.id)
    return region, settings_of(region)


def parse_ref(ref: str) -> tuple[str, str, str] | None:
    parts = ref.split("/")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def find_component(region: Region, ref: str) -> tuple[ContentPack, int, str, dict] | None:
    """``<pack>/<kind>/<id>`` in the live version of a pack of ``region``: (pack, version number, kind,
    component), or None."""
    parsed = parse_ref(ref)
    if parsed is None or parsed[1] not in COMPONENT_KINDS:
        return None
    pack = db.session.scalar(select(ContentPack).where(ContentPack.key == parsed[0],
                                                       ContentPack.region_id == region.id))
    version = live_version(pack) if pack is not None else None
    if version is None:
        return None
    component = next((c for c in version.body.get(parsed[1]) or () if c.get("id") == parsed[2]), None)
    return (pack, version.number, parsed[1], component) if component is not None else None


def update_settings(*, user: User | None, region_key: str, settings: dict) -> tuple[Region, Settings]:
    """Replace a region's overrides with ``settings`` (validated by ``HealthSettingsIn``). Every coaching link
    must name a component of a live pack of the region, every warning pack a pack of the region (422).
    ``user`` None: the system (the demo). Audited; commits."""
    region = find_region(region_key)
    if user is not None:
        permissions.require_manager_of(user, region.id)
    errors: dict = {}
    for code, ref in (settings.get("coaching_links") or {}).items():
        if ref and find_component(region, ref) is None:
            errors.setdefault("coaching_links", {})[code] = [
                f"No component '{ref}' in a published pack of region '{region.key}' (<pack>/<kind>/<id>)."]
    region_packs = set(db.session.scalars(select(ContentPack.key).where(ContentPack.region_id == region.id)))
    for subject, keys in ((settings.get("warnings") or {}).get("packs") or {}).items():
        unknown = [k for k in keys if k not in region_packs]
        if unknown:
            errors.setdefault("warnings", {}).setdefault("packs", {})[subject] = [
                f"Not packs of region '{region.key}': {', '.join(unknown)}."]
    merged = {**vars(hl.WarningTuning()), **{k: v for k, v in (settings.get("warnings") or {}).items()
                                             if k != "packs"}}
    if merged["recent_days"] >= merged["history_days"]:
        errors.setdefault("warnings", {})["recent_days"] = ["recent_days must be shorter than history_days."]
    for code, t in (settings.get("thresholds") or {}).items():
        old = hl.DEFAULT_THRESHOLDS[code]
        if t.get("threshold", old.threshold) > t.get("green", old.green):
            errors.setdefault("thresholds", {})[code] = ["threshold must not exceed green."]
    if errors:
        raise InvalidInput(fields=errors)
    before = region.health_settings or {}
    region.health_settings = settings
    audit.record(actor=user, action="health.settings", target_type="region", target_id=region.id,
                 region_id=region.id, detail={"before": before, "after": settings})
    db.session.commit()
    return region, settings_of(region)


# -- indicators --------------------------------------------------------------------------------------------

def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _records(rep_ids: list[int], since: datetime, until: datetime) -> dict[int, list[hl.Record]]:
    """Each rep's events and cards shown between ``since`` and ``until`` as plain records."""
    out: dict[int, list[hl.Record]] = defaultdict(list)
    if not rep_ids:
        return out
    rows = db.session.execute(
        select(Event.id, Event.user_id, Event.type, Event.at, Event.place_id, Event.popup_id, Event.data)
        .where(Event.user_id.in_(rep_ids), Event.at >= since, Event.at <= until))
    for id_, user_id, type_, at, place_id, popup_id, data in rows:
        out[user_id].append(hl.Record(id_, type_, at, place_id, popup_id, data or {}))
    cards = db.session.execute(select(Popup.id, Popup.rep_id, Popup.created_at, Popup.place_id).where(
        Popup.rep_id.in_(rep_ids), Popup.created_at >= since, Popup.created_at <= until))
    for id_, rep_id, at, place_id in cards:
        out[rep_id].append(hl.Record(id_, "card_shown", at, place_id, id_))
    return out


def _budget_places(region_ids: set[int]) -> set[int]:
    return set(db.session.scalars(select(Place.id).where(Place.region_id.in_(region_ids),
                                                         Place.budget_cny.is_not(None))))


@dataclass
class RepHealth:
    rep: User
    indicators: dict[str, hl.Indicator]
    settings: Settings


def _reps(region_ids: set[int] | None, grid: Grid | None = None, rep_id: int | None = None) -> list[User]:
    query = select(User).where(User.role == "rep", User.active.is_(True), User.region_id.is_not(None))
    if region_ids is not None:
        query = query.where(User.region_id.in_(region_ids))
    if grid is not None:
        query = query.where(User.grid_id == grid.id)
    if rep_id is not None:
        query = query.where(User.id == rep_id)
    return list(db.session.scalars(query.order_by(User.id)))


def compute(reps: list[User], *, days: int | None = None, now: datetime | None = None) -> list[RepHealth]:
    """Every indicator of each rep over the last ``days`` (default: their region's lookback), thresholds from
    their region's settings."""
    now = now or utcnow()
    regions = {r.id: r for r in db.session.scalars(select(Region).where(
        Region.id.in_({rep.region_id for rep in reps})))}
    settings = {rid: settings_of(region) for rid, region in regions.items()}
    longest = days or max((s.lookback_days for s in settings.values()), default=DEFAULT_LOOKBACK_DAYS)
    context = max((max(s.windows.proposal_days, s.windows.outcome_days) for s in settings.values()),
                  default=hl.Windows().proposal_days)
    records = _records([r.id for r in reps], now - timedelta(days=longest + context), now)
    budget = _budget_places(set(regions))
    tz = local_tz()
    out = []
    for rep in reps:
        s = settings.get(rep.region_id) or defaults()
        since = now - timedelta(days=days or s.lookback_days)
        out.append(RepHealth(rep, hl.indicators(records.get(rep.id, ()), now=now, tz=tz, budget_places=budget,
                                                windows=s.windows, since=since), s))
    return out


def indicator_row(ind: hl.Indicator, threshold: hl.Threshold) -> dict:
    value = ind.value
    return {"code": ind.code, "unit": ind.unit, "value": None if value is None else round(value, 4),
            "numerator": ind.numerator, "denominator": ind.denominator, "rag": hl.rag(value, threshold),
            "threshold": threshold.threshold, "green": threshold.green}


def manager_scope(user: User, region_key: str | None,
                  grid_key: str | None = None) -> tuple[set[int] | None, Grid | None]:
    """The regions (None: all) and grid a manager asks about; 403 outside theirs, 422 for unknown names."""
    permissions.require_manager(user)
    regions = permissions.managed_region_ids(user)
    grid = None
    if region_key:
        region = _query_region(region_key)
        permissions.require_manager_of(user, region.id)
        regions = {region.id}
    if grid_key:
        grid = db.session.scalar(select(Grid).where(Grid.key == grid_key))
        if grid is None:
            raise InvalidInput(fields={"grid": [f"Unknown grid '{grid_key}'."]})
        permissions.require_manager_of(user, grid.region_id)
        if regions is not None and grid.region_id not in regions:
            raise InvalidInput(fields={"grid": [f"Grid '{grid_key}' is not of region '{region_key}'."]})
    return regions, grid


def overview(*, user: User, region_key: str | None = None, grid_key: str | None = None, days: int | None = None,
             now: datetime | None = None) -> dict:
    """Per rep and per grid: every indicator with its red/amber/green, for the managers of the region."""
    now = now or utcnow()
    regions, grid = manager_scope(user, region_key, grid_key)
    health = compute(_reps(regions, grid), days=days, now=now)
    grids = {g.id: g for g in db.session.scalars(select(Grid).where(
        Grid.id.in_({h.rep.grid_id for h in health if h.rep.grid_id})))}
    reps, by_grid = [], defaultdict(list)
    for h in health:
        reps.append({"rep": h.rep, "indicators": [indicator_row(h.indicators[c], h.settings.thresholds[c])
                                                  for c in hl.INDICATORS]})
        if h.rep.grid_id:
            by_grid[h.rep.grid_id].append(h)
    grid_rows = []
    for gid, members in by_grid.items():
        s = members[0].settings
        grid_rows.append({"grid": grids[gid], "reps": len(members), "indicators": [
            indicator_row(hl.combine(c, [m.indicators[c] for m in members]), s.thresholds[c])
            for c in hl.INDICATORS]})
    return {"days": days, "at": now, "reps": reps, "grids": sorted(grid_rows, key=lambda r: r["grid"].key)}


def rep_detail(*, user: User, rep_id: int, days: int | None = None, now: datetime | None = None) -> dict:
    """One rep's indicators with each value per day / visit / deal and the event ids behind it."""
    rep = db.session.get(User, rep_id)
    if rep is None or rep.role != "rep":
        raise NotFound(f"No rep with id {rep_id}.", code="user_not_found")
    permissions.require_manager_of(user, rep.region_id)
    [h] = compute([rep], days=days, now=now)
    rows = []
    for code in hl.INDICATORS:
        ind = h.indicators[code]
        rows.append({**indicator_row(ind, h.settings.thresholds[code]), "event_ids": list(ind.event_ids),
                     "units": [_unit(u) for u in ind.units]})
    return {"rep": rep, "days": days or h.settings.lookback_days, "indicators": rows}


def _unit(u: hl.Unit) -> dict:
    return {"key": u.key, "at": u.at, "value": round(u.value, 4), "numerator": u.numerator,
            "denominator": u.denominator, "place_id": u.place_id, "event_ids": list(u.event_ids)}


# -- comparisons -------------------------------------------------------------------------------------------

def record_comparison(*, user: User, place_id: int, request: dict, option_keys: list[str],
                      now: datetime | None = None) -> Event:
    """Store that ``user`` asked for the three options for a place (a ``comparison`` event, server-made id):
    what ``proposal_after_budget`` reads. 404 ``place_not_found`` for an unknown place. Commits."""
    if db.session.get(Place, place_id) is None:
        raise NotFound(f"No place with id {place_id}.", code="place_not_found", fields={"place_id": ["No such place."]})
    now = now or utcnow()
    event = Event(id=str(uuid.uuid4()), user_id=user.id, type="comparison", at=now, place_id=place_id,
                  data={"budget_min": request.get("budget_min"), "budget_max": request.get("budget_max"),
                        "needs": list(request.get("needs") or ()), "options": option_keys}, received_at=now)
    db.session.add(event)
    db.session.commit()
    return event


# -- the coaching rule -------------------------------------------------------------------------------------

def _already_alerted(rep_id: int, code: str, found: hl.Streak) -> bool:
    run = set(found.run)
    for evidence in db.session.scalars(select(CoachingAlert.evidence).where(CoachingAlert.rep_id == rep_id,
                                                                            CoachingAlert.indicator == code)):
        evidence = evidence or {}
        if evidence.get("start") == found.start or run & set(evidence.get("run") or ()):
            return True
    return False


def run_coaching(*, now: datetime | None = None) -> list[CoachingAlert]:
    """The coaching rule for every active rep: an indicator below its threshold for each of the last
    ``streak`` (3) visits / days / deals → one ``CoachingAlert`` (never two for the same streak). Commits;
    returns the alerts created now (the caller pushes their cards: ``app.jobs.coach_reps``)."""
    now = now or utcnow()
    created = []
    for h in compute(_reps(None), now=now):
        for code in hl.INDICATORS:
            threshold = h.settings.thresholds[code].threshold
            found = hl.streak(h.indicators[code], threshold, h.settings.streak)
            if found is None or _already_alerted(h.rep.id, code, found):
                continue
            alert = CoachingAlert(
                rep_id=h.rep.id, region_id=h.rep.region_id, indicator=code, values=found.values, threshold=threshold,
                component=h.settings.links.get(code), created_at=now,
                evidence={"unit": hl.UNITS[code], "start": found.start, "run": list(found.run),
                          "units": [{**_unit(u), "at": u.at.isoformat()} for u in found.units]})
            db.session.add(alert)
            created.append(alert)
    db.session.flush()
    for alert in created:
        audit.record(actor=None, action="coaching.alerted", target_type="coaching_alert", target_id=alert.id,
                     region_id=alert.region_id, detail={"rep": alert.rep_id, "indicator": alert.indicator,
                                                        "values": alert.values, "threshold": alert.threshold})
    db.session.commit()
    return created


def _pct(value: float) -> int:
    return round(100 * value)


def alert_why(alert: CoachingAlert, region: Region | None) -> list[dict]:
    """Why the alert: the indicator, its values, the threshold (codes + facts), and the linked component."""
    why = [{"rule": f"coaching_{alert.indicator}",
            "facts": {"count": len(alert.values), "values_pct": [_pct(v) for v in alert.values],
                      "threshold_pct": _pct(alert.threshold)}}]
    found = find_component(region, alert.component) if alert.component and region is not None else None
    if found is not None:
        pack, _, _, component = found
        why.append({"rule": "coaching_component",
                    "facts": {"pack": pack.name, "title": component.get("title") or component.get("id")}})
    return why


def card(alert: CoachingAlert, locale: str | None) -> dict:
    """The coaching card for the rep: why in ``locale`` and the linked component rendered like a popup's."""
    region = db.session.get(Region, alert.region_id) if alert.region_id else None
    component = None
    found = find_component(region, alert.component) if alert.component and region is not None else None
    if found is not None:
        pack, number, kind, item = found
        component = {"ref": alert.component, "kind": kind, "pack": {"id": pack.key, "name": pack.name,
                                                                     "version": number},
                     "item": pack_engine._render(kind, item)}  # the popup's rendering of a component
    return {"id": alert.id, "indicator": alert.indicator, "unit": hl.UNITS.get(alert.indicator),
            "values": alert.values, "threshold": alert.threshold, "why": render_why(alert_why(alert, region), locale),
            "component": component, "created_at": alert.created_at, "acknowledged_at": alert.acknowledged_at}


def my_coaching(*, user: User, limit: int = 50) -> list[dict]:
    """The caller's own coaching cards, newest first."""
    alerts = db.session.scalars(select(CoachingAlert).where(CoachingAlert.rep_id == user.id)
                                .order_by(CoachingAlert.created_at.desc(), CoachingAlert.id.desc()).limit(limit))
    return [card(a, user.locale) for a in alerts]


def list_alerts(*, user: User, region_key: str | None = None, rep_id: int | None = None,
                acknowledged: bool | None = None) -> list[dict]:
    """Coaching alerts of the manager's regions (an admin: all), newest first, with why in their language."""
    regions, _ = manager_scope(user, region_key)
    query = select(CoachingAlert).order_by(CoachingAlert.created_at.desc(), CoachingAlert.id.desc())
    if regions is not None:
        query = query.where(CoachingAlert.region_id.in_(regions))
    if rep_id is not None:
        query = query.where(CoachingAlert.rep_id == rep_id)
    if acknowledged is not None:
        query = query.where(CoachingAlert.acknowledged_at.is_not(None) if acknowledged
                            else CoachingAlert.acknowledged_at.is_(None))
    return [alert_view(a, user.locale) for a in db.session.scalars(query)]


def alert_view(alert: CoachingAlert, locale: str | None) -> dict:
    """The manager's view of an alert (``CoachingAlertOut``): the rep, why in ``locale``, the evidence."""
    region = db.session.get(Region, alert.region_id) if alert.region_id else None
    return {"id": alert.id, "rep": db.session.get(User, alert.rep_id), "region": region.key if region else None,
            "indicator": alert.indicator, "unit": hl.UNITS.get(alert.indicator), "values": alert.values,
            "threshold": alert.threshold, "component": alert.component,
            "why": render_why(alert_why(alert, region), locale), "evidence": alert.evidence or {},
            "created_at": alert.created_at, "acknowledged_at": alert.acknowledged_at}


def acknowledge(*, user: User, alert_id: int, now: datetime | None = None) -> dict:
    """The manager has seen to it: ``acknowledged_at`` set once (a repeat keeps the first time). Commits."""
    alert = db.session.get(CoachingAlert, alert_id)
    if alert is None:
        raise AlertNotFound()
    permissions.require_manager_of(user, alert.region_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now or utcnow()
        audit.record(actor=user, action="coaching.acknowledged", target_type="coaching_alert", target_id=alert.id,
                     region_id=alert.region_id, detail={"rep": alert.rep_id, "indicator": alert.indicator})
        db.session.commit()
    return alert_view(alert, user.locale)


# -- regional early warning --------------------------------------------------------------------------------

def _stage_reports(region: Region, since: datetime, now: datetime) -> list[hl.StageReport]:
    rows = db.session.execute(
        select(Event.id, Event.place_id, Event.at, Event.data).join(Place, Place.id == Event.place_id)
        .where(Event.type == "outcome", Place.region_id == region.id, Event.at >= since, Event.at <= now))
    return [hl.StageReport(id_, place_id, at, data["stage"], tuple(data.get("steps") or ()), data.get("result"))
            for id_, place_id, at, data in rows if (data or {}).get("stage")]


def _helpful_packs(region: Region, settings: Settings, subject: str, stages: list[str], deals: list[int],
                   limit: int = 3) -> list[dict]:
    """Packs that may help: the manager's choice for this stage or step (``warnings.packs``); else the live
    packs of the region whose cards these deals' reps were shown most, with their talk-tracks for the stage(s)
    — the packs already in use at these clients, pointing at the part that speaks to the shift."""
    chosen = settings.warning_packs.get(subject)
    shown: dict[int, int] = defaultdict(int)
    if deals and chosen is None:
        rows = db.session.execute(select(PackVersion.pack_id).join(Popup, Popup.pack_version_id == PackVersion.id)
                                  .where(Popup.place_id.in_(deals)))
        for (pack_id,) in rows:
            shown[pack_id] += 1
    out = []
    for pack in db.session.scalars(select(ContentPack).where(ContentPack.region_id == region.id)
                                   .order_by(ContentPack.key)):
        version = live_version(pack)
        if version is None or (chosen is not None and pack.key not in chosen):
            continue
        tracks = [t for t in version.body.get("talk_tracks") or () if t.get("stage") in stages]
        if chosen is not None or (tracks and shown.get(pack.id)):
            out.append({"key": pack.key, "name": pack.name, "version": version.number,
                        "cards_at_these_deals": shown.get(pack.id, 0),
                        "components": [f"{pack.key}/talk_tracks/{t['id']}" for t in tracks]})
    out.sort(key=lambda p: -p["cards_at_these_deals"])
    return out if chosen is not None else out[:limit]


def _recently_warned(region_id: int, kind: str, subject: str, since: datetime) -> bool:
    rows = db.session.scalars(select(RegionWarning.evidence).where(
        RegionWarning.region_id == region_id, RegionWarning.kind == kind, RegionWarning.created_at >= since))
    return any((e or {}).get("subject") == subject for e in rows)


def _place_names(ids) -> dict[int, str]:
    ids = set(ids)
    return dict(db.session.execute(select(Place.id, Place.name).where(Place.id.in_(ids))).tuples().all()) if ids else {}


def detect_warnings(*, now: datetime | None = None) -> list[RegionWarning]:
    """Per region: stages whose recent deals stay longer than their history, and steps more recent deals go
    through (``learning.health.stage_shifts`` / ``step_shifts`` with the region's tuning); one warning per
    stage or step per ``recent_days`` (no repeat while the shift lasts). Commits; returns those raised now."""
    now = now or utcnow()
    raised = []
    for region in db.session.scalars(select(Region).order_by(Region.id)):
        s = settings_of(region)
        t = s.tuning
        reports = _stage_reports(region, now - timedelta(days=t.history_days), now)
        names = _place_names(r.deal for r in reports)
        tuning = dict(vars(t))
        for shift in hl.stage_shifts(reports, now=now, tuning=t):
            if _recently_warned(region.id, "stage_longer", shift.stage, now - timedelta(days=t.recent_days)):
                continue
            # whole days in the sentence (a float renders differently in Python and JS: 10.0 vs 10)
            facts = {"stage": shift.stage, "count": len(shift.recent), "recent_days": t.recent_days,
                     "recent_median_days": round(shift.recent_median_days),
                     "history_median_days": round(shift.history_median_days),
                     "increase_days": round(shift.increase_days), "increase_pct": round(shift.increase_pct)}
            evidence = {
                "subject": shift.stage, "stage": shift.stage, "test": "log_rank", "p_value": shift.p_value,
                "level": shift.level,
                "recent": {"deals": len(shift.recent), "median_days": round(shift.recent_median_days, 1),
                           "median_is_lower_bound": shift.recent_median_open,
                           "still_in_stage": sum(is_open for *_, is_open in shift.recent)},
                "history": {"deals": len(shift.history), "median_days": round(shift.history_median_days, 1)},
                "increase_days": round(shift.increase_days, 1), "increase_pct": round(shift.increase_pct, 1),
                "deals": [{"place_id": sp.deal, "place": names.get(sp.deal), "days": round(days, 1), "open": is_open,
                           "since": sp.start.isoformat(), "event_ids": list(sp.event_ids)}
                          for sp, days, is_open in shift.recent],
                "packs": _helpful_packs(region, s, shift.stage, [shift.stage], [sp.deal for sp, *_ in shift.recent]),
                "why": [{"rule": "warning_stage_longer", "facts": facts}], "tuning": tuning}
            raised.append(RegionWarning(region_id=region.id, kind="stage_longer", evidence=evidence, created_at=now))
        for shift in hl.step_shifts(reports, now=now, tuning=t):
            if _recently_warned(region.id, "step_more_often", shift.step, now - timedelta(days=t.recent_days)):
                continue
            facts = {"step": shift.step, "count": len(shift.recent_with), "of": len(shift.recent_deals),
                     "recent_days": t.recent_days, "recent_pct": _pct(shift.recent_share),
                     "history_pct": _pct(shift.history_share)}
            evidence = {
                "subject": shift.step, "step": shift.step, "stages": list(shift.stages), "test": "fisher_exact",
                "p_value": shift.p_value,
                "recent": {"deals": len(shift.recent_deals), "with_step": len(shift.recent_with),
                           "share": round(shift.recent_share, 4)},
                "history": {"deals": len(shift.history_deals), "with_step": len(shift.history_with),
                            "share": round(shift.history_share, 4)},
                "deals": [{"place_id": d, "place": names.get(d)} for d in shift.recent_with],
                "event_ids": list(shift.event_ids),
                "packs": _helpful_packs(region, s, shift.step, list(shift.stages), list(shift.recent_with)),
                "why": [{"rule": "warning_step_more_often", "facts": facts}], "tuning": tuning}
            raised.append(RegionWarning(region_id=region.id, kind="step_more_often", evidence=evidence,
                                        created_at=now))
    for warning in raised:
        db.session.add(warning)
    db.session.flush()
    for warning in raised:
        audit.record(actor=None, action=f"warning.{warning.kind}", target_type="region_warning",
                     target_id=warning.id, region_id=warning.region_id,
                     detail={"subject": warning.evidence["subject"], "p_value": warning.evidence["p_value"]})
    db.session.commit()
    return raised


def list_warnings(*, user: User, region_key: str | None = None, limit: int = 100) -> list[dict]:
    """The regional warnings of the manager's regions, newest first, with why in their language."""
    regions, _ = manager_scope(user, region_key)
    query = select(RegionWarning).order_by(RegionWarning.created_at.desc(), RegionWarning.id.desc()).limit(limit)
    if regions is not None:
        query = query.where(RegionWarning.region_id.in_(regions))
    return [warning_view(w, user.locale) for w in db.session.scalars(query)]


def warning_view(warning: RegionWarning, locale: str | None) -> dict:
    """A warning as managers read it (``RegionWarningOut``): why in ``locale`` and the evidence."""
    return {"id": warning.id, "region": db.session.get(Region, warning.region_id).key, "kind": warning.kind,
            "subject": (warning.evidence or {}).get("subject"),
            "why": render_why((warning.evidence or {}).get("why") or (), locale), "evidence": warning.evidence or {},
            "created_at": warning.created_at}
