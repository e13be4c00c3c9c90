"""The scenario engine: which pack components a rep sees, in what order, and why. Pure: no Flask, no database.

Inputs are the three contexts from DESIGN.md — where (zone type), who (the place: category, tags, stage,
budget, recent procurement, competitor moves; at a guide's counter also the shopper type) and which rep
(role, skill level, tags) — plus the event and the time. Trigger rules are compiled once into small predicate
chains and bucketed by (region, event, zone type), so composing a popup only looks at the rules that could
apply. When no rule matches, a default selection (the pack for the zone type and category, filtered by skill
level and shopper type) applies. Every choice adds a
``why`` entry, so a popup explains itself and a manager's preview gives the same reasons.

The engine writes no sentences: a ``why`` entry is ``{"rule": <code>, "facts": {...}}`` (trigger rules add
``rule_id``), with codes for coded things (stage, skill level, role, category, zone type, weekday) and the
data itself for user content (place, zone, pack and rule names, notice titles). The edges render it in the
reader's language from ``locales/<lang>.json`` (``app.i18n``; the rules are in docs/i18n.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from .schema import STAGES
from .select import matching_components

EVENTS = ("enter_place", "enter_zone", "dwell", "budget_entered", "stage_changed", "visit_planned")
SHOWABLE_KINDS = ("talk_tracks", "counters", "compliance_notes", "local_cases", "personas", "solution_hints")
# Every ``why`` code the engine emits, and every condition code inside a ``trigger_rule`` entry's
# ``facts.conditions``: each has a message in both catalogues (``why.<code>``, ``cond.<code>``).
WHY_CODES = ("zone_type", "place_category", "trigger_rule", "no_pack", "skill_level", "sales_stage",
             "competitor_activity", "recent_procurement", "shopper_type")
CONDITION_CODES = ("zone_type", "category", "place_tags", "stage", "competitors", "notice_within_days", "budget",
                   "shopper_type", "role", "skill_level", "rep_tags", "weekday", "time_window")
DEFAULT_LIMITS = {"talk_tracks": 4, "counters": 3, "compliance_notes": 3, "local_cases": 2, "personas": 2,
                  "solution_hints": 3}
RECENT_NOTICE_DAYS = 30


@dataclass(frozen=True)
class PlaceFacts:
    id: int
    name: str
    category: str
    category_name: str = ""  # display name, for callers; ``why`` carries the key, rendered at the edge
    region_id: int | None = None
    tags: frozenset[str] = frozenset()
    stage: str | None = None
    budget_cny: int | None = None
    notices: tuple[tuple[date, str], ...] = ()  # (published_on, title), newest first
    competitors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RepFacts:
    id: int
    role: str
    skill_level: str | None = None
    tags: frozenset[str] = frozenset()
    region_id: int | None = None
    locale: str = "zh"  # the language the rep reads; the engine ignores it, the edges render ``why`` in it
    grid_id: int | None = None  # the rep's grid unit: a grid's own pack is for its reps only


@dataclass(frozen=True)
class ZoneFacts:
    id: int
    type: str
    name: str
    type_name: str = ""  # display name, for callers; ``why`` carries the type key


@dataclass(frozen=True)
class Situation:
    event: str
    rep: RepFacts
    now: datetime  # local time (Asia/Shanghai for the demo); drives time-of-day conditions
    place: PlaceFacts | None = None
    zone: ZoneFacts | None = None
    # The shopper in front of a guide (``budget_entered``): a shopper type key, e.g. ``chronic_self_care``.
    shopper_type: str | None = None

    @property
    def region_id(self) -> int | None:
        return self.place.region_id if self.place and self.place.region_id is not None else self.rep.region_id


@dataclass(frozen=True)
class PackData:
    key: str
    name: str
    version: int
    version_id: int
    body: dict
    region_id: int | None = None  # None: not scoped (tests, benches); a rule never shows another region's pack
    grid_id: int | None = None  # a grid's own pack (its template): shown only to that grid's reps, before others


@dataclass(frozen=True)
class RuleData:
    id: int
    name: str
    region_id: int
    event: str
    conditions: dict
    show: list
    priority: int = 100


@dataclass
class Recommendation:
    pack: PackData | None
    components: dict[str, list[dict]]
    why: list[dict]
    variants: dict[str, str] = field(default_factory=dict)
    rule_ids: list[int] = field(default_factory=list)


# A check returns the facts that matched — ``{"code": <condition code>, ...}``, for ``why`` — or None when
# the condition fails. Facts are JSON-safe: strings, ints and lists of strings.
Check = Callable[[Situation], dict | None]


def _in(code: str, values: Iterable[str], get: Callable[[Situation], str | None]) -> Check:
    allowed = frozenset(values)

    def check(s: Situation) -> dict | None:
        value = get(s)
        return {"code": code, code: value} if value in allowed else None

    return check


def _any_of(code: str, key: str, values: Iterable[str], get: Callable[[Situation], frozenset[str]]) -> Check:
    wanted = frozenset(values)

    def check(s: Situation) -> dict | None:
        hit = get(s) & wanted
        return {"code": code, key: sorted(hit)} if hit else None

    return check


def _all_of(code: str, key: str, values: Iterable[str], get: Callable[[Situation], frozenset[str]]) -> Check:
    wanted = frozenset(values)
    listed = sorted(wanted)

    def check(s: Situation) -> dict | None:
        return {"code": code, key: list(listed)} if wanted <= get(s) else None

    return check


def _place_tags(s: Situation) -> frozenset[str]:
    return s.place.tags if s.place else frozenset()


def _compile_place(cond: dict) -> list[Check]:
    checks: list[Check] = []
    if cond.get("categories"):
        checks.append(_in("category", cond["categories"], lambda s: s.place and s.place.category))
    if cond.get("tags_any"):
        checks.append(_any_of("place_tags", "tags", cond["tags_any"], _place_tags))
    if cond.get("tags_all"):
        checks.append(_all_of("place_tags", "tags", cond["tags_all"], _place_tags))
    if cond.get("stages"):
        checks.append(_in("stage", cond["stages"], lambda s: s.place and s.place.stage))
    if cond.get("competitors_any"):
        checks.append(_any_of("competitors", "competitors", cond["competitors_any"],
                              lambda s: s.place.competitors if s.place else frozenset()))
    if cond.get("notice_within_days") is not None:
        days = int(cond["notice_within_days"])

        def recent_notice(s: Situation) -> dict | None:
            if not s.place:
                return None
            since = s.now.date() - timedelta(days=days)
            recent = [title for published, title in s.place.notices if published >= since]
            if not recent:
                return None
            return {"code": "notice_within_days", "days": days, "count": len(recent), "latest": recent[0]}

        checks.append(recent_notice)
    low, high = cond.get("budget_min"), cond.get("budget_max")
    if low is not None or high is not None:
        def budget(s: Situation) -> dict | None:
            value = s.place.budget_cny if s.place else None
            if value is None or (low is not None and value < low) or (high is not None and value > high):
                return None
            return {"code": "budget", "budget_cny": int(value)}

        checks.append(budget)
    return checks


def _compile_shopper(cond: dict) -> list[Check]:
    checks: list[Check] = []
    if cond.get("types"):
        checks.append(_in("shopper_type", cond["types"], lambda s: s.shopper_type))
    return checks


def _compile_rep(cond: dict) -> list[Check]:
    checks: list[Check] = []
    if cond.get("roles"):
        checks.append(_in("role", cond["roles"], lambda s: s.rep.role))
    if cond.get("skill_levels"):
        checks.append(_in("skill_level", cond["skill_levels"], lambda s: s.rep.skill_level))
    if cond.get("tags_any"):
        checks.append(_any_of("rep_tags", "tags", cond["tags_any"], lambda s: s.rep.tags))
    if cond.get("tags_all"):
        checks.append(_all_of("rep_tags", "tags", cond["tags_all"], lambda s: s.rep.tags))
    return checks


def _compile_time(cond: dict) -> list[Check]:
    checks: list[Check] = []
    if cond.get("weekdays"):
        days = frozenset(int(d) for d in cond["weekdays"])

        def weekday(s: Situation) -> dict | None:
            today = s.now.isoweekday()  # 1 = Monday … 7 = Sunday
            return {"code": "weekday", "weekday": today} if today in days else None

        checks.append(weekday)
    if cond.get("from") or cond.get("to"):
        start = time.fromisoformat(cond.get("from") or "00:00")
        end = time.fromisoformat(cond.get("to") or "23:59")
        bounds = {"from": f"{start:%H:%M}", "to": f"{end:%H:%M}"}

        def window(s: Situation) -> dict | None:
            now = s.now.time().replace(tzinfo=None)
            inside = start <= now <= end if start <= end else (now >= start or now <= end)
            return {"code": "time_window", "time": f"{now:%H:%M}", **bounds} if inside else None

        checks.append(window)
    return checks


@dataclass(frozen=True, eq=False)
class CompiledRule:
    data: RuleData
    checks: tuple[Check, ...]

    def match(self, s: Situation) -> list[dict] | None:
        """The facts of every condition, in check order, when all hold; None as soon as one fails."""
        facts = []
        for check in self.checks:
            fact = check(s)
            if fact is None:
                return None
            facts.append(fact)
        return facts


def compile_rule(rule: RuleData) -> CompiledRule:
    """Turn a rule's conditions into a chain of checks (zone type first: it is the most selective)."""
    cond = rule.conditions or {}
    checks: list[Check] = []
    if cond.get("zone_types"):
        checks.append(_in("zone_type", cond["zone_types"], lambda s: s.zone and s.zone.type))
    checks += _compile_place(cond.get("place") or {})
    checks += _compile_shopper(cond.get("shopper") or {})
    checks += _compile_rep(cond.get("rep") or {})
    checks += _compile_time(cond.get("time") or {})
    return CompiledRule(data=rule, checks=tuple(checks))


def pick_variant(rep_id: int, track: dict, place_id: int | None = None) -> dict | None:
    """A/B variant for this rep with this client: deterministic, split by the weights.

    The unit is the rep–client pair: a client always hears the same script from the same rep (no mixed
    message), while each rep uses every variant across clients — so a team of five reps still gives an
    experiment both arms (assigning per rep alone would give each variant to whole reps, and five reps to
    two variants can leave an arm empty). Without a place (a guide's counter) the rep alone decides.
    """
    variants = track.get("variants") or []
    if not variants:
        return None
    total = sum(v.get("weight", 1) for v in variants)
    unit = f"{rep_id}:{place_id}" if place_id is not None else f"{rep_id}"
    digest = hashlib.sha256(f"{unit}:{track['id']}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant in variants:
        point -= variant.get("weight", 1)
        if point < 0:
            return variant
    return variants[-1]


def live_compliance_notes(notes: Iterable[dict], today: date) -> list[dict]:
    """Compliance notes still in force: one whose ``expires_on`` has passed is never shown."""
    return [n for n in notes if not n.get("expires_on") or date.fromisoformat(str(n["expires_on"])) >= today]


def _render(kind: str, component: dict) -> dict:
    if kind == "talk_tracks":
        return {"id": component["id"], "title": component["title"], "stage": component["stage"],
                "lines": list(component["lines"]),
                "objections": [{"objection": o["objection"], "response": o["response"]}
                               for o in component["objections"]],
                "variant": None}
    if kind == "counters":
        return {"id": component["id"], "competitor": component["competitor"],
                "their_move": component["their_move"], "our_response": component["our_response"],
                "proof_points": list(component.get("proof_points", ()))}
    return {k: v for k, v in component.items() if k != "copied_from"}  # provenance is for managers


class ScenarioEngine:
    """Compiled packs and rules. Immutable once built; build a new one when content changes.

    Rules are bucketed by (region, event, zone type, place category): a rule that names zone types or
    categories sits only in the buckets it can match, so a popup checks only the rules that could apply.
    What a matched rule shows (its components, filtered for a category, skill level and shopper type) and the
    pack chosen for a (zone type, category, role, skill level, shopper type) are computed once and cached.
    """

    def __init__(self, packs: Sequence[PackData], rules: Sequence[RuleData]):
        self.packs = tuple(packs)
        self._packs_by_key = {p.key: p for p in self.packs}
        # Shopper types each pack has talk-tracks for: they break ties between packs at a guide's counter.
        self._shopper_targets = {p.key: frozenset(st for t in p.body.get("talk_tracks") or ()
                                                  for st in t.get("shopper_types") or ()) for p in self.packs}
        compiled = sorted((compile_rule(r) for r in rules),
                          key=lambda c: (c.data.priority, c.data.id))
        self.rule_count = len(compiled)
        self._buckets = self._bucket(compiled)
        self._default_selection = lru_cache(maxsize=4096)(self._default_selection_uncached)
        self._shown_by_rule = lru_cache(maxsize=65536)(self._shown_by_rule_uncached)
        self._choose_pack = lru_cache(maxsize=4096)(self._choose_pack_uncached)

    @staticmethod
    def _bucket(compiled: list[CompiledRule]) -> dict[tuple, tuple[CompiledRule, ...]]:
        """(region, event, zone type | None, category | None) → the rules to try there, in priority order."""
        slots: dict[tuple, list[tuple[int, CompiledRule]]] = {}
        zone_keys: dict[tuple, set] = {}
        category_keys: dict[tuple, set] = {}
        for order, rule in enumerate(compiled):
            cond = rule.data.conditions or {}
            zone_types = tuple(cond.get("zone_types") or (None,))
            categories = tuple((cond.get("place") or {}).get("categories") or (None,))
            base = (rule.data.region_id, rule.data.event)
            for zt in zone_types:
                for cat in categories:
                    slots.setdefault((*base, zt, cat), []).append((order, rule))
                    zone_keys.setdefault(base, set()).add(zt)
                    category_keys.setdefault(base, set()).add(cat)
        buckets = {}
        for base in zone_keys:
            for zt in zone_keys[base] | {None}:
                for cat in category_keys[base] | {None}:
                    merged = []
                    for key in {(zt, cat), (zt, None), (None, cat), (None, None)}:
                        merged += slots.get((*base, *key), [])
                    buckets[(*base, zt, cat)] = tuple(rule for _, rule in sorted(merged, key=lambda x: x[0]))
        return buckets

    def candidate_rules(self, s: Situation) -> tuple[CompiledRule, ...]:
        """The rules that could match this situation (all others are ruled out by their bucket)."""
        zone_type = s.zone.type if s.zone else None
        category = s.place.category if s.place else None
        buckets = self._buckets
        for key in ((zone_type, category), (zone_type, None), (None, category), (None, None)):
            bucket = buckets.get((s.region_id, s.event, *key))
            if bucket is not None:
                return bucket
        return ()

    def choose_pack(self, s: Situation) -> PackData | None:
        """The most specific published pack for this zone type, place category and rep; None if none fits.

        Zone type outweighs category; between packs that fit equally, one with talk-tracks for the situation's
        shopper type wins. With no place category, such a pack is chosen on the shopper type alone (a guide at
        a pharmacy counter has no place category).
        """
        return self._choose_pack(s.zone.type if s.zone else None, s.place.category if s.place else None,
                                 s.rep.role, s.rep.skill_level, s.shopper_type, s.region_id, s.rep.grid_id)

    def _choose_pack_uncached(self, zone_type: str | None, category: str | None, role: str,
                              skill_level: str | None, shopper_type: str | None = None,
                              region_id: int | None = None, grid_id: int | None = None) -> PackData | None:
        """Only packs of the situation's region (a pack without a region fits anywhere) and, for a grid's own
        pack, only that grid's reps; at equal fit, the grid's own pack wins."""
        best, best_rank = None, (0, False, False)
        for pack in self.packs:
            if pack.region_id is not None and region_id is not None and pack.region_id != region_id:
                continue
            if pack.grid_id is not None and pack.grid_id != grid_id:
                continue
            body = pack.body
            audience = body.get("audience") or {}
            if audience.get("roles") and role in ("rep", "guide") and role not in audience["roles"]:
                continue
            if audience.get("skill_levels") and skill_level and skill_level not in audience["skill_levels"]:
                continue
            zone_match = zone_type is not None and zone_type in body.get("zone_types", ())
            categories = body.get("categories") or []
            category_match = category in categories
            targets = shopper_type is not None and shopper_type in self._shopper_targets[pack.key]
            if categories and not category_match and not (category is None and targets):
                continue
            rank = ((2 if zone_match else 0) + (1 if category_match else 0), targets, pack.grid_id is not None)
            if rank > best_rank:
                best, best_rank = pack, rank
        return best

    def recommend(self, s: Situation) -> Recommendation:
        """Components to show for this situation, with why. Deterministic for the same inputs."""
        pack = self.choose_pack(s)
        why: list[dict] = []
        if pack is not None and s.zone is not None and s.zone.type in pack.body.get("zone_types", ()):
            # No pack version here: the card names it (``pack``), and a why free of it lets a publish that
            # leaves a card's components alone leave its bundle entry alone too (small sync deltas).
            why.append({"rule": "zone_type", "facts": {"zone": s.zone.name, "zone_type": s.zone.type,
                                                       "pack": pack.name}})
        if pack is not None and s.place and s.place.category in (pack.body.get("categories") or []):
            why.append({"rule": "place_category", "facts": {"category": s.place.category}})

        components, rule_ids = self._from_rules(s, pack, why)
        if not rule_ids:
            if pack is None:
                facts = {}
                if s.zone is not None:
                    facts["zone_type"] = s.zone.type
                if s.place is not None:
                    facts["category"] = s.place.category
                why.append({"rule": "no_pack", "facts": facts})
                components = {kind: [] for kind in SHOWABLE_KINDS}
            else:
                components = self._default(s, pack, why)
        # Expired notes go before the cut, so one never takes the place of a note still in force.
        live = live_compliance_notes(components.get("compliance_notes", ()), s.now.date())
        components["compliance_notes"] = live[: DEFAULT_LIMITS["compliance_notes"]]
        variants = {}
        for track in components.get("talk_tracks", ()):
            source = self._component(track["_pack"], "talk_tracks", track["id"])
            variant = pick_variant(s.rep.id, source, s.place.id if s.place else None) if source else None
            if variant:
                track["lines"] = list(variant["lines"])
                track["variant"] = variant["id"]
                variants[track["id"]] = variant["id"]
        for items in components.values():
            for item in items:
                item.pop("_pack", None)
        if s.place:
            recent = [t for d, t in s.place.notices if d >= s.now.date() - timedelta(days=RECENT_NOTICE_DAYS)]
            if recent:
                why.append({"rule": "recent_procurement",
                            "facts": {"days": RECENT_NOTICE_DAYS, "count": len(recent), "latest": recent[0]}})
        return Recommendation(pack=pack, components=components, why=why, variants=variants, rule_ids=rule_ids)

    def _component(self, pack_key: str, kind: str, component_id: str) -> dict | None:
        pack = self._packs_by_key.get(pack_key)
        if pack is None:
            return None
        return next((c for c in pack.body.get(kind, ()) if c["id"] == component_id), None)

    def _from_rules(self, s: Situation, default_pack: PackData | None, why: list) -> tuple[dict, list[int]]:
        components: dict[str, list[dict]] = {kind: [] for kind in SHOWABLE_KINDS}
        seen: set[str] = set()
        rule_ids: list[int] = []
        category = s.place.category if s.place else None
        default_key = default_pack.key if default_pack else None
        for rule in self.candidate_rules(s):
            conditions = rule.match(s)
            if conditions is None:
                continue
            rule_ids.append(rule.data.id)
            shown = 0
            for kind, component, pack_key in self._shown_by_rule(rule, default_key, category, s.rep.skill_level,
                                                                 s.shopper_type):
                if component["id"] in seen:
                    continue
                seen.add(component["id"])
                components[kind].append({**_render(kind, component), "_pack": pack_key})
                shown += 1
            why.append({"rule": "trigger_rule", "rule_id": rule.data.id,
                        "facts": {"name": rule.data.name, "shown": shown, "conditions": conditions}})
        return components, rule_ids

    def _shown_by_rule_uncached(self, rule: CompiledRule, default_key: str | None, category: str | None,
                                skill_level: str | None, shopper_type: str | None = None
                                ) -> tuple[tuple[str, dict, str], ...]:
        """What a matched rule shows for this category, skill level and shopper type: (kind, component, pack)."""
        out = []
        for item in rule.data.show:
            pack = self._packs_by_key.get(item.get("pack") or default_key or "")
            if pack is None or (pack.region_id is not None and pack.region_id != rule.data.region_id):
                continue  # a rule stored before the region check (app.services.rules) serves nothing foreign
            kind = item["kind"]
            fitting = matching_components(pack.body, kind, category=category, skill_level=skill_level,
                                          shopper_type=shopper_type)
            if item.get("ids"):
                by_id = {c["id"]: c for c in fitting}
                fitting = [by_id[i] for i in item["ids"] if i in by_id]
            if kind != "compliance_notes":  # cut after expiry, in recommend()
                fitting = fitting[: item.get("limit") or DEFAULT_LIMITS[kind]]
            out += [(kind, c, pack.key) for c in fitting]
        return tuple(out)

    def _default(self, s: Situation, pack: PackData, why: list) -> dict[str, list[dict]]:
        place = s.place
        selection = self._default_selection(
            pack.key, place.category if place else None, s.rep.skill_level,
            place.stage if place else None, place.competitors if place else frozenset(), s.shopper_type,
        )
        components = {kind: [{**_render(kind, c), "_pack": pack.key} for c in items]
                      for kind, items in selection.items()}
        tracks = selection["talk_tracks"]
        if s.rep.skill_level:
            specific = sum(1 for t in tracks if t.get("skill_levels"))
            why.append({"rule": "skill_level", "facts": {"skill_level": s.rep.skill_level, "shown": len(tracks),
                                                         "specific": specific}})
        if s.shopper_type:
            made_for = sum(1 for t in tracks if s.shopper_type in (t.get("shopper_types") or ()))
            if made_for:
                why.append({"rule": "shopper_type", "facts": {"shopper_type": s.shopper_type, "specific": made_for}})
        if place and place.stage:
            why.append({"rule": "sales_stage", "facts": {"stage": place.stage}})
        active = [c["competitor"] for c in selection["counters"] if place and c["competitor"] in place.competitors]
        if active:
            why.append({"rule": "competitor_activity", "facts": {"competitors": list(dict.fromkeys(active))}})
        return components

    def _default_selection_uncached(self, pack_key: str, category: str | None, skill_level: str | None,
                                    stage: str | None, competitors: frozenset[str],
                                    shopper_type: str | None = None) -> dict[str, list[dict]]:
        pack = self._packs_by_key[pack_key]
        stage_index = STAGES.index(stage) if stage in STAGES else 0

        def fitting(kind: str) -> list[dict]:
            return matching_components(pack.body, kind, category=category, skill_level=skill_level,
                                       shopper_type=shopper_type)

        def generic(component: dict) -> bool:
            """Not made for this shopper type (components made only for other types are already left out)."""
            return shopper_type is None or shopper_type not in (component.get("shopper_types") or ())

        # Made for this shopper first, then the nearest sales stage, then made for this level.
        tracks = sorted(fitting("talk_tracks"),
                        key=lambda t: (generic(t), abs(STAGES.index(t["stage"]) - stage_index),
                                       not t.get("skill_levels")))
        counters = sorted(fitting("counters"), key=lambda c: (c["competitor"] not in competitors, generic(c)))
        cases = [c for c in pack.body.get("local_cases", ()) if not category or c.get("place_category") == category]
        return {
            "talk_tracks": tracks[: DEFAULT_LIMITS["talk_tracks"]],
            "counters": counters[: DEFAULT_LIMITS["counters"]],
            "compliance_notes": list(pack.body.get("compliance_notes", ())),
            "local_cases": cases[: DEFAULT_LIMITS["local_cases"]],
            "personas": list(pack.body.get("personas", ()))[: DEFAULT_LIMITS["personas"]],
            "solution_hints": [],
        }
