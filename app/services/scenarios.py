"""The scenario engine: which pack components a rep sees at a place, and why.

Inputs are the three contexts from DESIGN.md — where (zone type), who (the place: category, stage,
recent procurement, competitor moves) and which rep (role, skill level). Every choice adds a ``why``
entry so a popup explains itself.
"""

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import STAGES, Place, PlaceCategory, Popup, User
from app.services.geo_state import ZoneInfo
from app.services.packs import PublishedPack, published_packs
from app.services.places import context_of
from content_packs import matching_components

SKILL_NAMES = {"junior": "新人", "intermediate": "熟手", "senior": "资深"}
STAGE_NAMES = {
    "prospecting": "初步接触",
    "discovery": "需求挖掘",
    "proposal": "方案提报",
    "negotiation": "商务谈判",
    "closing": "签约成交",
    "after_sales": "售后维护",
}
MAX_TALK_TRACKS = 4
MAX_COUNTERS = 3
RECENT_NOTICE_DAYS = 30


def choose_pack(packs: list[PublishedPack], *, zone: ZoneInfo | None, place: Place, rep: User):
    """The most specific published pack for this zone type, place category and rep; None if none fits."""
    best, best_score = None, 0
    for pack in packs:
        body = pack.body
        audience = body.get("audience") or {}
        if audience.get("roles") and rep.role not in audience["roles"] and rep.role in ("rep", "guide"):
            continue
        if audience.get("skill_levels") and rep.skill_level and rep.skill_level not in audience["skill_levels"]:
            continue
        zone_match = zone is not None and zone.type in body.get("zone_types", ())
        categories = body.get("categories") or []
        category_match = place.category in categories
        if categories and not category_match:
            continue
        score = (2 if zone_match else 0) + (1 if category_match else 0)
        if score > best_score:
            best, best_score = pack, score
    return best


def pick_variant(rep_id: int, track: dict) -> dict | None:
    """A/B variant for this rep: deterministic (one rep always sees the same one), split by weight."""
    variants = track.get("variants") or []
    if not variants:
        return None
    total = sum(v.get("weight", 1) for v in variants)
    digest = hashlib.sha256(f"{rep_id}:{track['id']}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant in variants:
        point -= variant.get("weight", 1)
        if point < 0:
            return variant
    return variants[-1]


def compose_popup(*, rep: User, place: Place, zone: ZoneInfo | None, distance_m: float,
                  today: date | None = None) -> dict:
    """Build the popup payload (the ``popup`` socket event) for a rep who entered a place's fence."""
    today = today or date.today()
    context = context_of(place, today=today)
    category_name = db.session.scalar(select(PlaceCategory.name_zh).where(PlaceCategory.key == place.category))
    why = [{
        "rule": "fence_entered",
        "detail": f"进入「{place.name}」电子围栏（距离 {distance_m:.0f} 米，半径 {place.radius_m:.0f} 米）",
    }]
    pack = choose_pack(published_packs(), zone=zone, place=place, rep=rep)
    talk_tracks, counters = [], []
    if pack is not None:
        body = pack.body
        if zone is not None and zone.type in body.get("zone_types", ()):
            detail = f"所在区域「{zone.name}」属于{zone.type_name}，匹配作战包「{pack.name}」v{pack.version}"
            why.append({"rule": "zone_type", "detail": detail})
        if place.category in (body.get("categories") or []):
            why.append({"rule": "place_category", "detail": f"客户类型为{category_name or place.category}"})
        talk_tracks = _talk_tracks(body, rep=rep, place=place, why=why)
        counters = _counters(body, rep=rep, place=place, context=context, why=why)
    else:
        why.append({"rule": "no_pack", "detail": "该区域类型与客户类型暂无已发布的作战包，仅展示客户情报"})
    recent = [n for n in context["procurement_notices"]
              if date.fromisoformat(n["date"]) >= today - timedelta(days=RECENT_NOTICE_DAYS)]
    if recent:
        why.append({"rule": "recent_procurement",
                    "detail": f"近{RECENT_NOTICE_DAYS}天有{len(recent)}条采购公告，最新：{recent[0]['title']}"})
    payload = {
        "id": str(uuid.uuid4()),
        "place": {"id": place.id, "name": place.name, "category": place.category, "lat": place.lat,
                  "lon": place.lon, "address": place.address},
        "zone": {"id": zone.id, "type": zone.type, "name": zone.name} if zone else None,
        "distance_m": round(distance_m, 1),
        "context": context,
        "talk_tracks": talk_tracks,
        "counters": counters,
        "why": why,
        "pack": {"id": pack.key, "version": pack.version, "name": pack.name} if pack else None,
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    db.session.add(Popup(id=payload["id"], rep_id=rep.id, place_id=place.id,
                         pack_version_id=pack.version_id if pack else None, payload=payload,
                         variants={t["id"]: t["variant"] for t in talk_tracks if t["variant"]}))
    return payload


def _talk_tracks(body: dict, *, rep: User, place: Place, why: list) -> list[dict]:
    stage_index = STAGES.index(place.stage) if place.stage in STAGES else 0
    fitting = matching_components(body, "talk_tracks", category=place.category, skill_level=rep.skill_level)
    # Tracks written for this rep's level come before general ones; nearest sales stage first.
    fitting.sort(key=lambda t: (abs(STAGES.index(t["stage"]) - stage_index), not t.get("skill_levels")))
    chosen = fitting[:MAX_TALK_TRACKS]
    if rep.skill_level:
        specific = sum(1 for t in chosen if t.get("skill_levels"))
        why.append({"rule": "skill_level",
                    "detail": f"你的级别为{SKILL_NAMES.get(rep.skill_level, rep.skill_level)}，"
                              f"展示{len(chosen)}条话术（其中{specific}条为该级别专属）"})
    if place.stage:
        why.append({"rule": "sales_stage",
                    "detail": f"客户当前阶段：{STAGE_NAMES.get(place.stage, place.stage)}，相近阶段话术优先"})
    out = []
    for track in chosen:
        variant = pick_variant(rep.id, track)
        out.append({
            "id": track["id"],
            "title": track["title"],
            "stage": track["stage"],
            "lines": list(variant["lines"] if variant else track["lines"]),
            "objections": [{"objection": o["objection"], "response": o["response"]} for o in track["objections"]],
            "variant": variant["id"] if variant else None,
        })
    return out


def _counters(body: dict, *, rep: User, place: Place, context: dict, why: list) -> list[dict]:
    seen = {m["competitor"] for m in context["competitor_moves"]}
    fitting = matching_components(body, "counters", category=place.category, skill_level=rep.skill_level)
    fitting.sort(key=lambda c: c["competitor"] not in seen)
    chosen = fitting[:MAX_COUNTERS]
    active = [c["competitor"] for c in chosen if c["competitor"] in seen]
    if active:
        why.append({"rule": "competitor_activity",
                    "detail": f"该客户近期有{'、'.join(dict.fromkeys(active))}的动作，优先展示对应竞品应对锦囊"})
    return [
        {"id": c["id"], "competitor": c["competitor"], "their_move": c["their_move"],
         "our_response": c["our_response"], "proof_points": list(c.get("proof_points", ()))}
        for c in chosen
    ]
