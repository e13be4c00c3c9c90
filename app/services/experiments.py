"""Talk-track experiments: exposures (popups shown with a variant), what followed them, the verdict, and what a
winner becomes — a draft of its pack with the winner as the only variant, routed to review, and an entry in the
region's onboarding collection (docs/experiments.md). The statistics are ``learning.decide``.

An exposure is one popup that showed the talk-track with a variant. Its outcome is the first ``outcome`` event
of the same rep that names the popup (``popup_id``), or, naming none, is about the same place and comes
before the rep's next popup there — the card "that preceded it" — within ``window_days``. Only exposures
whose window has closed count (an exposure still inside its window could yet succeed: counting it as a
failure would bias the rate down, and counting only its early successes would bias it up).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import ContentPack, Event, Experiment, OnboardingItem, PackVersion, Popup, Region, User, utcnow
from app.services import audit, permissions
from learning import Arm, Design, decide

SUCCESS_RESULTS = {"advanced_or_won": ("advanced", "won"), "won": ("won",)}
USED_RATINGS = ("used", "helpful")
TAU = 0.1  # the effect size the test is tuned to (ten points of rate); docs/experiments.md


@dataclass(frozen=True)
class VariantCounts:
    variant: str
    exposures: int  # matured: the window has closed (or, for feedback metrics, shown at all)
    successes: int
    shown: int  # every popup with this variant, matured or not
    feedback: dict[str, int]


# -- finding experiments -----------------------------------------------------------------------------------

def _tracks_with_variants(body: dict) -> list[dict]:
    return [t for t in body.get("talk_tracks") or () if len(t.get("variants") or ()) >= 2]


def sync(*, now: datetime | None = None) -> list[Experiment]:
    """An experiment for every talk-track with variants in a published pack version, created once."""
    now = now or utcnow()
    created = []
    versions = db.session.scalars(select(PackVersion).where(PackVersion.status == "published")).all()
    existing = {(e.pack_id, e.talk_track_id) for e in db.session.scalars(select(Experiment)).all()}
    for version in versions:
        for track in _tracks_with_variants(version.body):
            key = (version.pack_id, track["id"])
            if key in existing:
                continue
            exp = Experiment(pack_id=version.pack_id, region_id=version.pack.region_id, talk_track_id=track["id"],
                             pack_version=version.number, variants=[v["id"] for v in track["variants"]],
                             started_at=version.published_at or now)
            db.session.add(exp)
            existing.add(key)
            created.append(exp)
    db.session.flush()
    return created


# -- counting ----------------------------------------------------------------------------------------------

def _pack_version_ids(pack_id: int) -> list[int]:
    return list(db.session.scalars(select(PackVersion.id).where(PackVersion.pack_id == pack_id)))


def counts(exp: Experiment, *, now: datetime | None = None) -> list[VariantCounts]:
    """Per variant: exposures, successes under the experiment's metric, popups shown, feedback by rating."""
    now = now or utcnow()
    window = timedelta(days=exp.window_days)
    popups = [p for p in db.session.scalars(
        select(Popup).where(Popup.pack_version_id.in_(_pack_version_ids(exp.pack_id)), Popup.created_at <= now)
        .order_by(Popup.created_at)).all() if (p.variants or {}).get(exp.talk_track_id)]
    ids = [p.id for p in popups]
    reps = {p.rep_id for p in popups}
    feedback: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rated: dict[str, set[str]] = defaultdict(set)
    outcomes: list[Event] = []
    if ids:
        for ev in db.session.scalars(select(Event).where(Event.type == "card_feedback", Event.popup_id.in_(ids))):
            rated[ev.popup_id].add(ev.data.get("rating"))
        outcomes = list(db.session.scalars(
            select(Event).where(Event.type == "outcome", Event.user_id.in_(reps), Event.at <= now)
            .order_by(Event.at)))
    success_at = _outcome_join(popups, outcomes, SUCCESS_RESULTS.get(exp.metric, ()), window)
    by_variant: dict[str, list[int]] = {v: [0, 0, 0] for v in exp.variants}
    for p in popups:
        v = p.variants[exp.talk_track_id]
        row = by_variant.setdefault(v, [0, 0, 0])
        row[2] += 1
        for rating in rated.get(p.id, ()):
            feedback[v][rating] += 1
        if exp.metric == "used_or_helpful":
            row[0] += 1
            row[1] += bool(rated.get(p.id, set()) & set(USED_RATINGS))
        elif p.id in success_at:
            row[0] += 1
            row[1] += 1
        elif p.created_at + window <= now:
            row[0] += 1
    return [VariantCounts(v, e, s, shown, dict(feedback.get(v, {}))) for v, (e, s, shown) in by_variant.items()]


def _outcome_join(popups: list[Popup], outcomes: list[Event], results: tuple[str, ...],
                  window: timedelta) -> dict[str, datetime]:
    """popup id → when a success followed it within ``window`` (see the module docstring)."""
    by_id = {p.id: p for p in popups}
    at_place: dict[tuple[int, int], list[Popup]] = defaultdict(list)
    for p in popups:  # popups are in time order
        at_place[(p.rep_id, p.place_id)].append(p)
    out: dict[str, datetime] = {}
    for ev in outcomes:
        if ev.data.get("result") not in results:
            continue
        if ev.popup_id:
            popup = by_id.get(ev.popup_id)
            if popup is None or popup.rep_id != ev.user_id:
                continue
        else:
            before = [p for p in at_place.get((ev.user_id, ev.place_id), ()) if p.created_at <= ev.at]
            if not before:
                continue
            popup = before[-1]
        if popup.created_at <= ev.at <= popup.created_at + window and popup.id not in out:
            out[popup.id] = ev.at
    return out


# -- judging -----------------------------------------------------------------------------------------------

def design_of(exp: Experiment) -> Design:
    return Design(alpha=exp.alpha, tau=TAU, min_exposures=exp.min_exposures)


def judge(exp: Experiment, *, now: datetime | None = None) -> Experiment:
    """Recount and decide. A decided experiment keeps its verdict (the counts still refresh)."""
    now = now or utcnow()
    rows = counts(exp, now=now)
    arms = [Arm(r.variant, r.exposures, r.successes) for r in rows]
    verdict = decide(arms, design_of(exp))
    exp.stats = {
        "variants": [{"variant": r.variant, "exposures": r.exposures, "successes": r.successes, "shown": r.shown,
                      "rate": r.successes / r.exposures if r.exposures else None,
                      "interval": list(verdict.intervals[r.variant]) if verdict.intervals[r.variant] else None,
                      "feedback": r.feedback} for r in rows],
        "reason": verdict.reason,
        "pairs": [{"a": p.a, "b": p.b, "difference": p.difference, "interval": list(p.interval),
                   "log_lr": p.log_lr, "alpha": p.alpha} for p in verdict.pairs],
    }
    exp.judged_at = now
    if exp.status == "running" and verdict.status != "running":
        exp.status = verdict.status
        exp.winner = verdict.winner
        exp.decided_at = now
        audit.record(actor=None, action=f"experiment.{verdict.status}", target_type="experiment", target_id=exp.id,
                     region_id=exp.region_id, detail={"talk_track": exp.talk_track_id, "winner": exp.winner,
                                                      "reason": verdict.reason})
        if exp.status == "winner":
            promote(exp, now=now)
    return exp


def judge_all(*, now: datetime | None = None) -> list[Experiment]:
    """The scheduler's job: find new experiments, judge the running ones; commits. Returns those decided now."""
    now = now or utcnow()
    sync(now=now)
    decided = []
    for exp in db.session.scalars(select(Experiment).order_by(Experiment.id)).all():
        before = exp.status
        judge(exp, now=now)
        if before == "running" and exp.status != "running":
            decided.append(exp)
    db.session.commit()
    return decided


# -- promotion ---------------------------------------------------------------------------------------------

def _winner_body(body: dict, track_id: str, winner: str) -> dict:
    body = copy.deepcopy(body)
    for track in body.get("talk_tracks") or ():
        if track["id"] == track_id:
            chosen = next(v for v in track["variants"] if v["id"] == winner)
            track["lines"] = list(chosen["lines"])
            track.pop("variants", None)
    return body


def _provenance(exp: Experiment) -> str:
    rows = {r["variant"]: r for r in exp.stats.get("variants", ())}
    win = rows.get(exp.winner, {})
    others = "; ".join(f"{v} {r['successes']}/{r['exposures']}" for v, r in rows.items() if v != exp.winner)
    return (f"experiment #{exp.id}: talk-track {exp.talk_track_id}, winner {exp.winner} "
            f"{win.get('successes')}/{win.get('exposures')} vs {others}; metric {exp.metric} within "
            f"{exp.window_days} days; {exp.started_at:%Y-%m-%d} – {exp.decided_at:%Y-%m-%d}")


def promote(exp: Experiment, *, now: datetime) -> PackVersion | None:
    """The winner becomes knowledge: one draft of the pack (sent to review, never published here) and an
    onboarding entry. Idempotent: an experiment promotes once."""
    from app.services import pack_lifecycle
    from app.services.pack_queries import latest_version, live_version

    if exp.promoted_version_id is not None or exp.winner is None:
        return None
    pack = db.session.get(ContentPack, exp.pack_id)
    base = live_version(pack) or latest_version(pack)
    track = next((t for t in base.body.get("talk_tracks") or () if t["id"] == exp.talk_track_id), None)
    if track is None or exp.winner not in {v["id"] for v in track.get("variants") or ()}:
        return None  # the talk-track changed since: nothing left to promote into
    number = max(v.number for v in pack.versions) + 1
    version = pack_lifecycle.new_version(pack, _winner_body(base.body, exp.talk_track_id, exp.winner), actor=None,
                                         based_on=base.number, note=_provenance(exp), number=number)
    pack_lifecycle.submit_by_system(version, now=now, note="promoted by the experiment's verdict")
    exp.promoted_version_id = version.id
    audit.record_pack(pack, "experiment.promoted", actor=None, from_version=base.number, to_version=number,
                      experiment=exp.id, winner=exp.winner)
    if exp.region_id is not None:
        count = db.session.query(OnboardingItem).filter_by(region_id=exp.region_id).count()
        winner = next(v for v in track["variants"] if v["id"] == exp.winner)
        db.session.add(OnboardingItem(
            region_id=exp.region_id, pack_id=pack.id, kind="talk_tracks", component_id=exp.talk_track_id,
            variant=exp.winner, title=track.get("title") or exp.talk_track_id, position=count,
            source={"experiment": exp.id, "pack": pack.key, "version": number, "lines": winner["lines"],
                    **{k: v for k, v in exp.stats.items() if k == "variants"}}))
    db.session.flush()
    return version


# -- reading (API) -----------------------------------------------------------------------------------------

def _visible(user: User) -> list[Experiment]:
    permissions.require_manager(user)
    regions = permissions.managed_region_ids(user)
    query = select(Experiment).order_by(Experiment.id)
    if regions is not None:
        query = query.where(Experiment.region_id.in_(regions))
    return list(db.session.scalars(query))


def list_experiments(*, user: User, region_key: str | None = None) -> list[Experiment]:
    items = _visible(user)
    if region_key:
        region = db.session.scalar(select(Region).where(Region.key == region_key))
        if region is None:
            raise InvalidInput(f"No region '{region_key}'.", fields={"region": [f"No region '{region_key}'."]})
        permissions.require_manager_of(user, region.id)
        items = [e for e in items if e.region_id == region.id]
    return items


def get_experiment(*, user: User, experiment_id: int) -> Experiment:
    exp = db.session.get(Experiment, experiment_id)
    if exp is None:
        raise NotFound(f"No experiment with id {experiment_id}.", code="experiment_not_found")
    permissions.require_manager_of(user, exp.region_id)
    return exp


def update_design(*, user: User, experiment_id: int, changes: dict) -> Experiment:
    """The manager sets the metric, the window, the level and the minimum sample of a running experiment."""
    exp = get_experiment(user=user, experiment_id=experiment_id)
    if exp.status != "running":
        raise InvalidInput("A decided experiment keeps the design it was decided with.",
                           fields={"status": [exp.status]}, code="experiment_decided")
    for name, value in changes.items():
        setattr(exp, name, value)
    audit.record(actor=user, action="experiment.designed", target_type="experiment", target_id=exp.id,
                 region_id=exp.region_id, detail=changes)
    judge(exp)
    db.session.commit()
    return exp


def onboarding(*, user: User) -> list[OnboardingItem]:
    """The region's onboarding collection (新人必修), in order: what a rep sees first in their first weeks."""
    if user.region_id is None:
        return []
    return list(db.session.scalars(select(OnboardingItem).where(OnboardingItem.region_id == user.region_id)
                                   .order_by(OnboardingItem.position, OnboardingItem.id)))
