"""The weekly digest of a region for its managers: what was used, what won, who needs coaching, what the
region warned of (docs/learning.md). Built once per region and local week (Monday–Sunday in ``TIMEZONE``),
stored in ``digests``, and POSTed as JSON to ``DIGEST_WEBHOOK_URL`` when one is configured; ``sent_at`` is set
when the webhook answers 2xx, and an unsent digest is tried again at the job's next run.

The webhook is called with the standard library (``urllib.request``), so the server needs no HTTP client
package: one JSON POST with a timeout is all a webhook asks.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.models import (
    CoachingAlert,
    ContentPack,
    Digest,
    Event,
    Experiment,
    PackVersion,
    Place,
    Popup,
    Region,
    RegionWarning,
    User,
    utcnow,
)
from app.services import health, insights, permissions
from learning import health as hl

log = logging.getLogger(__name__)
RETRY_WEEKS = 4
"""An unsent digest older than this many weeks is no longer retried (a webhook configured late does not get a
flood of old news)."""


class DigestNotFound(NotFound):
    code, message = "digest_not_found", "This digest was not found."


def last_complete_week(now: datetime) -> date:
    """The Monday (local) of the last week that has ended by ``now`` (naive UTC)."""
    today = hl.local_day(now, health.local_tz())
    return today - timedelta(days=today.weekday() + 7)


def _utc(day: date) -> datetime:
    """Local midnight of ``day`` as naive UTC."""
    return datetime.combine(day, time(), tzinfo=health.local_tz()).astimezone(UTC).replace(tzinfo=None)


def _titles(region: Region) -> dict[str, tuple[str, str]]:
    """talk-track id → (title, pack key) over the region's packs' versions (newest wins)."""
    out: dict[str, tuple[str, str]] = {}
    rows = db.session.execute(select(ContentPack.key, PackVersion.body).join(PackVersion)
                              .where(ContentPack.region_id == region.id).order_by(PackVersion.number))
    for key, body in rows:
        for track in body.get("talk_tracks") or ():
            out[track["id"]] = (track.get("title") or track["id"], key)
    return out


def build(region: Region, week_start: date, *, now: datetime | None = None) -> dict:
    """The digest body for ``region`` and the local week starting ``week_start`` (plain JSON)."""
    now = now or utcnow()
    start, end = _utc(week_start), _utc(week_start + timedelta(days=7))
    reps = list(db.session.scalars(select(User).where(User.role == "rep", User.region_id == region.id)
                                   .order_by(User.id)))
    rep_ids = [r.id for r in reps]
    shown = {pid: at for pid, (_, _, at) in insights.cards_shown(rep_ids, start, end).items() if at < end} \
        if rep_ids else {}
    rated: dict[str, set[str]] = defaultdict(set)
    outcomes: Counter = Counter()
    if shown:
        for pid, data in db.session.execute(select(Event.popup_id, Event.data).where(
                Event.user_id.in_(rep_ids), Event.type == "card_feedback", Event.popup_id.in_(list(shown)))):
            rated[pid].add(data.get("rating"))
    for (data,) in db.session.execute(select(Event.data).join(Place, Place.id == Event.place_id).where(
            Event.type == "outcome", Place.region_id == region.id, Event.at >= start, Event.at < end)):
        outcomes[data.get("result")] += 1
    used = [pid for pid, r in rated.items() if r & hl.USED_RATINGS]
    titles = _titles(region)
    components = dict(db.session.execute(select(Popup.id, Popup.shown).where(Popup.id.in_(used))).tuples().all()) \
        if used else {}
    tracks = Counter(t for pid in used for t in (components.get(pid) or {}).get("talk_tracks") or ())
    experiments = list(db.session.scalars(select(Experiment).where(Experiment.region_id == region.id)
                                          .order_by(Experiment.id)))
    decided = [e for e in experiments if e.decided_at and start <= e.decided_at < end]
    alerts = list(db.session.scalars(select(CoachingAlert).where(
        CoachingAlert.region_id == region.id, CoachingAlert.created_at < end,
        (CoachingAlert.created_at >= start) | CoachingAlert.acknowledged_at.is_(None))
        .order_by(CoachingAlert.created_at)))
    red = {h.rep.id: [c for c in hl.INDICATORS if hl.rag(h.indicators[c].value, h.settings.thresholds[c]) == "red"]
           for h in health.compute([r for r in reps if r.active], now=min(end, now))}
    by_rep: dict[int, list[CoachingAlert]] = defaultdict(list)
    for a in alerts:
        by_rep[a.rep_id].append(a)
    names = {r.id: r.name for r in reps}
    warnings = list(db.session.scalars(select(RegionWarning).where(
        RegionWarning.region_id == region.id, RegionWarning.created_at >= start, RegionWarning.created_at < end)))
    return {
        "region": {"key": region.key, "name": region.name},
        "week": {"start": week_start.isoformat(), "end": (week_start + timedelta(days=6)).isoformat()},
        "used": {"cards_shown": len(shown), "feedback": len(rated), "used_or_helpful": len(used),
                 "rate": round(len(used) / len(shown), 4) if shown else None,
                 "top_talk_tracks": [{"id": t, "title": titles.get(t, (t, None))[0],
                                      "pack": titles.get(t, (t, None))[1], "used": n}
                                     for t, n in tracks.most_common(5)]},
        "outcomes": {r: outcomes.get(r, 0) for r in ("advanced", "won", "lost", "no_decision")},
        "experiments": {
            "decided": [{"id": e.id, "talk_track_id": e.talk_track_id, "pack": e.pack.key, "status": e.status,
                         "winner": e.winner, "decided_at": e.decided_at.isoformat() + "Z",
                         "variants": [{k: v.get(k) for k in ("variant", "exposures", "successes", "rate")}
                                      for v in (e.stats or {}).get("variants", ())]} for e in decided],
            "running": sum(e.status == "running" for e in experiments)},
        "coaching": [{"rep": {"id": rid, "name": names.get(rid)}, "red": red.get(rid, []),
                      "alerts": [{"id": a.id, "indicator": a.indicator, "values": a.values, "threshold": a.threshold,
                                  "created_at": a.created_at.isoformat() + "Z",
                                  "acknowledged": a.acknowledged_at is not None} for a in by_rep.get(rid, ())]}
                     for rid in sorted(set(by_rep) | {r for r, codes in red.items() if codes})],
        "warnings": [{"id": w.id, "kind": w.kind, "subject": w.evidence.get("subject"),
                      "why": w.evidence.get("why", []), "created_at": w.created_at.isoformat() + "Z"}
                     for w in warnings],
    }


def create_due(*, now: datetime | None = None) -> list[Digest]:
    """For every region, the digest of the last complete week if there is none yet. Commits."""
    now = now or utcnow()
    week = last_complete_week(now)
    have = set(db.session.scalars(select(Digest.region_id).where(Digest.week_start == week)))
    created = []
    for region in db.session.scalars(select(Region).order_by(Region.id)):
        if region.id in have:
            continue
        digest = Digest(region_id=region.id, week_start=week, body=build(region, week, now=now), created_at=now)
        db.session.add(digest)
        created.append(digest)
    db.session.commit()
    return created


def payload(digest: Digest) -> dict:
    """What the webhook receives."""
    return {"type": "battlemap.digest", "id": digest.id, "region": digest.body.get("region", {}).get("key"),
            "week_start": digest.week_start.isoformat(), "created_at": digest.created_at.isoformat() + "Z",
            "digest": digest.body}


def _post(url: str, body: dict, timeout: float) -> int:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "battlemap-digest"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the operator's own URL
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def send_pending(*, now: datetime | None = None) -> list[Digest]:
    """POST every unsent digest of the last ``RETRY_WEEKS`` weeks to ``DIGEST_WEBHOOK_URL``; ``sent_at`` on
    2xx, otherwise it stays unsent for the next run. No URL: nothing is sent. Commits; returns those sent."""
    url = current_app.config.get("DIGEST_WEBHOOK_URL")
    if not url:
        return []
    now = now or utcnow()
    timeout = current_app.config.get("DIGEST_WEBHOOK_TIMEOUT_S", 10)
    sent = []
    pending = list(db.session.scalars(select(Digest).where(
        Digest.sent_at.is_(None), Digest.week_start >= last_complete_week(now) - timedelta(weeks=RETRY_WEEKS))
        .order_by(Digest.week_start, Digest.id)))
    for digest in pending:
        try:
            status = _post(url, payload(digest), timeout)
        except (OSError, ValueError) as err:  # refused, unreachable, timed out, a malformed URL
            log.warning("digest %s: webhook failed: %s", digest.id, err)
            continue
        if 200 <= status < 300:
            digest.sent_at = utcnow()
            sent.append(digest)
        else:
            log.warning("digest %s: webhook answered %s; retried next run", digest.id, status)
        db.session.commit()
    return sent


def run(*, now: datetime | None = None) -> list[Digest]:
    """The scheduler's job: create the due digests, then send what is unsent. Returns both (created first)."""
    created = create_due(now=now)
    sent = send_pending(now=now)
    return created + [d for d in sent if d not in created]


# -- reading (API) -----------------------------------------------------------------------------------------

def list_digests(*, user: User, region_key: str | None = None, limit: int = 20) -> list[Digest]:
    """The digests of the manager's regions (an admin: all), newest week first."""
    regions, _ = health.manager_scope(user, region_key)
    query = select(Digest).order_by(Digest.week_start.desc(), Digest.id.desc()).limit(limit)
    if regions is not None:
        query = query.where(Digest.region_id.in_(regions))
    return list(db.session.scalars(query))


def get_digest(*, user: User, digest_id: int) -> Digest:
    digest = db.session.get(Digest, digest_id)
    if digest is None:
        raise DigestNotFound()
    permissions.require_manager_of(user, digest.region_id)
    return digest
