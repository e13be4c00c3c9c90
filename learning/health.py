"""Process health, the pure part: indicators from a rep's field events, the coaching rule, regional shifts.

No Flask, no database: the service (``app.services.health``) hands in plain :class:`Record` s — the rep's
``events`` rows, the cards shown to them (``popups`` rows as ``card_shown``) and the comparisons they asked for
(``comparison`` events the server stores) — and gets back numbers with the ids behind them. docs/learning.md
states every definition in a manager's words; this docstring states them exactly.

Times are naive UTC (as stored); a *day* is a local calendar day in ``tz`` (a plan is for a local date).

A **visit** is a rep at a place on one local day: every ``check_in`` and ``visit`` (the note) event of the rep
at that place that day, grouped. It starts at its first event and ends at its last; its key is its first
event's id. Indicators (each a value in [0, 1] = numerator / denominator, with the event ids behind it):

``plan_completion`` (unit: a plan day)
    planned = the distinct places of the day's last ``plan`` event; done = those with a visit that local day.
    Only days before today count (today's plan is still being walked).
``card_use`` (unit: a day with cards)
    shown = the distinct cards (popup ids) shown that day, pushed (``card_shown``) or offline
    (``card_shown_offline``); used = those with a ``card_feedback`` rated ``used`` or ``helpful``. Only
    days before today count (today's cards may still get feedback).
``follow_up_48h`` (unit: a visit)
    followed = another ``visit``, ``check_in`` or ``outcome`` event of the rep at the same place after the
    visit's end and within ``follow_up_hours`` (48). A visit counts once its window has closed or it was
    followed (an open window is neither a miss nor a hit).
``visit_notes`` (unit: a visit)
    with a note = a ``visit`` event with a non-blank note among the visit's events.
``outcomes_recorded`` (unit: a visit)
    recorded = an ``outcome`` event of the rep at the place from the visit's start to ``outcome_days`` (7)
    after its end; counted once the window closed or an outcome came.
``proposal_after_budget`` (unit: a deal — a place whose budget is on file that the rep visited)
    proposed = a ``comparison`` (the rep asked for the three options naming that place) from the deal's first
    visit in the period to ``proposal_days`` (7) after it; counted once the window closed or one came.

The coaching rule (:func:`streak`): an indicator's last ``length`` (3) counted units all below its threshold.
The streak is named by the first unit of its run of misses, so the same streak is recognised (and never
alerted twice) however long it goes on.

Regional shifts (:func:`stage_shifts`, :func:`step_shifts`): from ``outcome`` events that carry ``stage`` /
``steps``, per deal (a place), recent deals against the region's history, with scipy's log-rank test (time in
a stage, open spells censored) and Fisher's exact test (how often a step appears); never from fewer than
``min_deals`` deals on either side, Bonferroni over the stages or steps tested.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from scipy.stats import CensoredData, ecdf, fisher_exact, logrank

INDICATORS = ("plan_completion", "card_use", "follow_up_48h", "visit_notes", "outcomes_recorded",
              "proposal_after_budget")
UNITS = {"plan_completion": "day", "card_use": "day", "follow_up_48h": "visit", "visit_notes": "visit",
         "outcomes_recorded": "visit", "proposal_after_budget": "deal"}
"""What one value of the coaching rule is, per indicator: a (plan) day, a visit or a deal."""

RAG = ("red", "amber", "green", "none")
USED_RATINGS = frozenset({"used", "helpful"})
FOLLOW_UP_TYPES = frozenset({"visit", "check_in", "outcome"})
CARD_TYPES = frozenset({"card_shown", "card_shown_offline"})


@dataclass(frozen=True)
class Threshold:
    """Below ``threshold`` is red (and a miss for the coaching rule); at or above ``green`` is green; amber
    between."""

    threshold: float
    green: float

    def __post_init__(self):
        if not 0 <= self.threshold <= self.green <= 1:
            raise ValueError("0 ≤ threshold ≤ green ≤ 1")


DEFAULT_THRESHOLDS = {
    "plan_completion": Threshold(0.7, 0.85),
    "card_use": Threshold(0.2, 0.4),
    "follow_up_48h": Threshold(0.3, 0.5),
    "visit_notes": Threshold(0.5, 0.8),
    "outcomes_recorded": Threshold(0.5, 0.8),
    "proposal_after_budget": Threshold(0.4, 0.7),
}


@dataclass(frozen=True)
class Windows:
    """How long after a visit a follow-up, an outcome or a proposal still counts."""

    follow_up_hours: int = 48
    outcome_days: int = 7
    proposal_days: int = 7


@dataclass(frozen=True)
class Record:
    """One thing a rep did (an event row), or one card shown to them (``type="card_shown"``, ``id`` and
    ``popup_id`` the popup's id). ``at`` is naive UTC."""

    id: str
    type: str
    at: datetime
    place_id: int | None = None
    popup_id: str | None = None
    data: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """One value of an indicator: a day, a visit or a deal, with the ids of the events behind it."""

    key: str
    at: datetime
    numerator: int
    denominator: int
    event_ids: tuple[str, ...]
    place_id: int | None = None

    @property
    def value(self) -> float:
        return self.numerator / self.denominator


@dataclass(frozen=True)
class Indicator:
    code: str
    numerator: int
    denominator: int
    units: tuple[Unit, ...] = ()

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def unit(self) -> str:
        return UNITS[self.code]

    @property
    def event_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for unit in self.units:
            seen.update(dict.fromkeys(unit.event_ids))
        return tuple(seen)


@dataclass(frozen=True)
class Visit:
    key: str
    place_id: int
    day: date
    start: datetime
    end: datetime
    event_ids: tuple[str, ...]
    note_ids: tuple[str, ...]


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The local calendar day of a naive-UTC moment."""
    return moment.replace(tzinfo=UTC).astimezone(tz).date()


def _ordered(records: Iterable[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r.at, r.id))


def visits(records: Iterable[Record], tz: tzinfo) -> list[Visit]:
    """The rep's visits (see the module docstring), in time order."""
    groups: dict[tuple[int, date], list[Record]] = defaultdict(list)
    for r in _ordered(records):
        if r.type in ("check_in", "visit") and r.place_id is not None:
            groups[(r.place_id, local_day(r.at, tz))].append(r)
    out = [Visit(key=rs[0].id, place_id=place, day=day, start=rs[0].at, end=rs[-1].at,
                 event_ids=tuple(r.id for r in rs),
                 note_ids=tuple(r.id for r in rs if r.type == "visit" and str(r.data.get("note") or "").strip()))
           for (place, day), rs in groups.items()]
    return sorted(out, key=lambda v: (v.start, v.key))


def _indicator(code: str, units: list[Unit]) -> Indicator:
    units = sorted(units, key=lambda u: (u.at, u.key))
    return Indicator(code, sum(u.numerator for u in units), sum(u.denominator for u in units), tuple(units))


def plan_completion(records: Sequence[Record], *, now: datetime, tz: tzinfo,
                    rep_visits: Sequence[Visit] | None = None) -> Indicator:
    """Per plan day before today: planned places visited that day / planned places."""
    rep_visits = visits(records, tz) if rep_visits is None else rep_visits
    today = local_day(now, tz)
    plans: dict[date, Record] = {}
    for r in _ordered(records):
        if r.type == "plan" and r.data.get("date"):
            plans[date.fromisoformat(str(r.data["date"]))] = r  # the day's last plan wins
    by_day: dict[date, dict[int, Visit]] = defaultdict(dict)
    for v in rep_visits:
        by_day[v.day].setdefault(v.place_id, v)
    units = []
    for day, plan in plans.items():
        planned = list(dict.fromkeys(int(s["place_id"]) for s in plan.data.get("stops") or ()))
        if day >= today or not planned:
            continue
        done = [by_day[day][p] for p in planned if p in by_day[day]]
        ids = (plan.id, *(i for v in done for i in v.event_ids))
        units.append(Unit(f"plan:{day.isoformat()}", plan.at, len(done), len(planned), ids))
    return _indicator("plan_completion", units)


def card_use(records: Sequence[Record], *, now: datetime, tz: tzinfo) -> Indicator:
    """Per day with cards, before today: cards rated used or helpful / cards shown."""
    shown: dict[str, Record] = {}
    used: dict[str, list[str]] = defaultdict(list)
    for r in _ordered(records):
        if r.type in CARD_TYPES and r.popup_id:
            shown.setdefault(r.popup_id, r)
        elif r.type == "card_feedback" and r.popup_id and r.data.get("rating") in USED_RATINGS:
            used[r.popup_id].append(r.id)
    days: dict[date, list[Record]] = defaultdict(list)
    for card in shown.values():
        days[local_day(card.at, tz)].append(card)
    today = local_day(now, tz)
    units = []
    for day, cards in sorted(days.items()):
        if day >= today:
            continue  # today's cards may still get their feedback
        hits = [c for c in cards if used.get(c.popup_id)]
        ids = (*(c.id for c in cards), *(i for c in hits for i in used[c.popup_id]))
        units.append(Unit(f"cards:{day.isoformat()}", min(c.at for c in cards), len(hits), len(cards), ids))
    return _indicator("card_use", units)


def _next_at_place(records: Sequence[Record], types: frozenset[str]) -> dict[int, list[Record]]:
    out: dict[int, list[Record]] = defaultdict(list)
    for r in _ordered(records):
        if r.type in types and r.place_id is not None:
            out[r.place_id].append(r)
    return out


def _within(candidates: Iterable[Record], after: datetime, until: datetime, *, strict: bool) -> Record | None:
    return next((r for r in candidates if (r.at > after if strict else r.at >= after) and r.at <= until), None)


def follow_up(records: Sequence[Record], *, now: datetime, tz: tzinfo, windows: Windows = Windows(),
              rep_visits: Sequence[Visit] | None = None) -> Indicator:
    """Per visit: followed by another visit, check-in or outcome at the place within the follow-up window."""
    rep_visits = visits(records, tz) if rep_visits is None else rep_visits
    at_place = _next_at_place(records, FOLLOW_UP_TYPES)
    window = timedelta(hours=windows.follow_up_hours)
    units = []
    for v in rep_visits:
        nxt = _within(at_place[v.place_id], v.end, v.end + window, strict=True)
        if nxt is None and v.end + window > now:
            continue  # still open
        ids = (*v.event_ids, nxt.id) if nxt else v.event_ids
        units.append(Unit(v.key, v.start, int(nxt is not None), 1, ids, v.place_id))
    return _indicator("follow_up_48h", units)


def visit_notes(records: Sequence[Record], *, tz: tzinfo, rep_visits: Sequence[Visit] | None = None) -> Indicator:
    """Per visit: a non-blank visit note among its events."""
    rep_visits = visits(records, tz) if rep_visits is None else rep_visits
    return _indicator("visit_notes", [Unit(v.key, v.start, int(bool(v.note_ids)), 1, v.event_ids, v.place_id)
                                      for v in rep_visits])


def outcomes_recorded(records: Sequence[Record], *, now: datetime, tz: tzinfo, windows: Windows = Windows(),
                      rep_visits: Sequence[Visit] | None = None) -> Indicator:
    """Per visit: an outcome at the place from the visit's start to ``outcome_days`` after its end."""
    rep_visits = visits(records, tz) if rep_visits is None else rep_visits
    at_place = _next_at_place(records, frozenset({"outcome"}))
    window = timedelta(days=windows.outcome_days)
    units = []
    for v in rep_visits:
        hit = _within(at_place[v.place_id], v.start, v.end + window, strict=False)
        if hit is None and v.end + window > now:
            continue
        ids = (*v.event_ids, hit.id) if hit else v.event_ids
        units.append(Unit(v.key, v.start, int(hit is not None), 1, ids, v.place_id))
    return _indicator("outcomes_recorded", units)


def proposal_after_budget(records: Sequence[Record], *, now: datetime, tz: tzinfo, budget_places: Iterable[int],
                          windows: Windows = Windows(), rep_visits: Sequence[Visit] | None = None) -> Indicator:
    """Per deal (a place with a budget on file the rep visited): a comparison naming the place from the first
    visit to ``proposal_days`` after it."""
    rep_visits = visits(records, tz) if rep_visits is None else rep_visits
    budget_places = set(budget_places)
    at_place = _next_at_place(records, frozenset({"comparison"}))
    window = timedelta(days=windows.proposal_days)
    first: dict[int, Visit] = {}
    for v in rep_visits:
        if v.place_id in budget_places:
            first.setdefault(v.place_id, v)
    units = []
    for place, v in first.items():
        hit = _within(at_place[place], v.start, v.start + window, strict=False)
        if hit is None and v.start + window > now:
            continue
        ids = (*v.event_ids, hit.id) if hit else v.event_ids
        units.append(Unit(f"deal:{place}:{v.key}", v.start, int(hit is not None), 1, ids, place))
    return _indicator("proposal_after_budget", units)


def indicators(records: Iterable[Record], *, now: datetime, tz: tzinfo, budget_places: Iterable[int] = (),
               windows: Windows = Windows(), since: datetime | None = None) -> dict[str, Indicator]:
    """Every indicator of one rep. With ``since``, only units that start then or later count, while the
    records before it still give context: a deal first visited before ``since`` is not new in the period, and
    its proposal then is not missed."""
    records = _ordered(records)
    rep_visits = visits(records, tz)
    found = {
        "plan_completion": plan_completion(records, now=now, tz=tz, rep_visits=rep_visits),
        "card_use": card_use(records, now=now, tz=tz),
        "follow_up_48h": follow_up(records, now=now, tz=tz, windows=windows, rep_visits=rep_visits),
        "visit_notes": visit_notes(records, tz=tz, rep_visits=rep_visits),
        "outcomes_recorded": outcomes_recorded(records, now=now, tz=tz, windows=windows, rep_visits=rep_visits),
        "proposal_after_budget": proposal_after_budget(records, now=now, tz=tz, budget_places=budget_places,
                                                       windows=windows, rep_visits=rep_visits),
    }
    if since is None:
        return found
    return {code: _indicator(code, [u for u in ind.units if u.at >= since]) for code, ind in found.items()}


def combine(code: str, parts: Iterable[Indicator]) -> Indicator:
    """A team's indicator (a grid's): the reps' numerators and denominators summed (no units: no streak)."""
    parts = list(parts)
    return Indicator(code, sum(p.numerator for p in parts), sum(p.denominator for p in parts))


def rag(value: float | None, threshold: Threshold) -> str:
    """``red`` below the threshold, ``green`` at or above ``green``, ``amber`` between; ``none`` without data."""
    if value is None:
        return "none"
    if value < threshold.threshold:
        return "red"
    return "green" if value >= threshold.green else "amber"


# -- the coaching rule -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Streak:
    """The last ``len(units)`` units all below ``threshold``. ``run`` is the keys of every miss in a row up to
    the last unit, ``start`` the first of them: the same streak, however long it grows, shares them."""

    indicator: str
    start: str
    run: tuple[str, ...]
    units: tuple[Unit, ...]
    threshold: float

    @property
    def values(self) -> list[float]:
        return [round(u.value, 4) for u in self.units]


def streak(indicator: Indicator, threshold: float, length: int = 3) -> Streak | None:
    """The coaching rule: is the indicator below ``threshold`` for each of its last ``length`` units?"""
    units = list(indicator.units)
    if length < 1 or len(units) < length or any(u.value >= threshold for u in units[-length:]):
        return None
    start = len(units) - 1
    while start > 0 and units[start - 1].value < threshold:
        start -= 1
    return Streak(indicator.code, units[start].key, tuple(u.key for u in units[start:]), tuple(units[-length:]),
                  threshold)


# -- regional early warning --------------------------------------------------------------------------------

@dataclass(frozen=True)
class StageReport:
    """One ``outcome`` event that says which stage a deal (``deal`` = the place) is in and its steps."""

    id: str
    deal: int
    at: datetime
    stage: str
    steps: tuple[str, ...] = ()
    result: str | None = None


@dataclass(frozen=True)
class Spell:
    """A deal's time in one stage: from the first report of the stage to the first report of another
    (``end``), or open (``end`` None: still in it at its last report). ``known_start``: an earlier report of
    another stage exists, so the deal entered the stage at ``start`` (else it was already in it)."""

    deal: int
    stage: str
    start: datetime
    end: datetime | None
    last: datetime
    known_start: bool
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class WarningTuning:
    """The manager's knobs for regional warnings (health_settings ``warnings``)."""

    recent_days: int = 14
    history_days: int = 180
    min_deals: int = 5
    min_increase_pct: float = 30.0
    min_share_increase: float = 0.15
    alpha: float = 0.05


@dataclass(frozen=True)
class StageShift:
    """A stage recent deals stay in longer: each cohort's spells with their days (``recent``: still open ones
    too, ``(spell, days, open)``), the Kaplan–Meier medians (``recent_median_days`` is a lower bound when
    ``recent_median_open``: fewer than half of the recent deals have left the stage yet), the log-rank
    p-value and the level it was tested at."""

    stage: str
    recent: tuple[tuple[Spell, float, bool], ...]
    history: tuple[tuple[Spell, float, bool], ...]
    recent_median_days: float
    recent_median_open: bool
    history_median_days: float
    p_value: float
    level: float

    @property
    def increase_days(self) -> float:
        return self.recent_median_days - self.history_median_days

    @property
    def increase_pct(self) -> float:
        return 100 * self.increase_days / self.history_median_days


@dataclass(frozen=True)
class StepShift:
    step: str
    recent_deals: tuple[int, ...]
    recent_with: tuple[int, ...]
    history_deals: tuple[int, ...]
    history_with: tuple[int, ...]
    p_value: float
    event_ids: tuple[str, ...]
    stages: tuple[str, ...]

    @property
    def recent_share(self) -> float:
        return len(self.recent_with) / len(self.recent_deals)

    @property
    def history_share(self) -> float:
        return len(self.history_with) / len(self.history_deals) if self.history_deals else 0.0


def spells(reports: Iterable[StageReport]) -> list[Spell]:
    """Every deal's stage spells, in time order. Only the reported stage moves a spell on: a visit's result
    (``won``, ``lost``…) is about that visit, and a client site's next deal shows as a new stage."""
    by_deal: dict[int, list[StageReport]] = defaultdict(list)
    for r in sorted(reports, key=lambda r: (r.at, r.id)):
        by_deal[r.deal].append(r)
    out = []
    for deal, rs in by_deal.items():
        run: list[StageReport] = []
        known = False
        for r in rs:
            if run and r.stage != run[0].stage:
                out.append(Spell(deal, run[0].stage, run[0].at, r.at, run[-1].at, known,
                                 (*(x.id for x in run), r.id)))
                known, run = True, []
            run.append(r)
        if run:
            out.append(Spell(deal, run[0].stage, run[0].at, None, run[-1].at, known, tuple(x.id for x in run)))
    return out


def _km_median(sample: CensoredData) -> float | None:
    """The Kaplan–Meier median (scipy.stats.ecdf), or None while more than half are still in the stage."""
    sf = ecdf(sample).sf
    below = [q for q, p in zip(sf.quantiles, sf.probabilities, strict=True) if p <= 0.5]
    return float(below[0]) if below else None


def stage_shifts(reports: Iterable[StageReport], *, now: datetime,
                 tuning: WarningTuning = WarningTuning()) -> list[StageShift]:
    """Stages that deals entering them lately stay in longer than deals did before (scipy's log-rank test).

    Deals are compared by when they *entered* the stage (its first report, after a report of another stage):
    recent = within ``recent_days``, history = before, within ``history_days``. A spell still open counts as
    right-censored at its last report (it lasted at least that long); a finished one lasts to the first report
    of the next stage. Comparing cohorts by entry with censoring is what keeps the test fair: spells picked
    because they *ended* lately, or Mann–Whitney on open spells, are biased towards long recent ones. A stage
    is flagged when both cohorts have ``min_deals`` deals, the recent Kaplan–Meier median (or its lower
    bound) exceeds the historical one by ``min_increase_pct`` and the one-sided log-rank p-value is below
    ``alpha`` divided by the number of stages tested (Bonferroni).
    """
    recent_from = now - timedelta(days=tuning.recent_days)
    history_from = now - timedelta(days=tuning.history_days)
    cohorts: dict[str, tuple[dict, dict]] = defaultdict(lambda: ({}, {}))
    for sp in spells(reports):
        if not sp.known_start or sp.start < history_from:
            continue
        days = ((sp.end or sp.last) - sp.start).total_seconds() / 86400
        recent, history = cohorts[sp.stage]
        (recent if sp.start >= recent_from else history)[sp.deal] = (sp, days, sp.end is None)  # latest per deal
    tested = {st: c for st, c in cohorts.items() if len(c[0]) >= tuning.min_deals and len(c[1]) >= tuning.min_deals}
    level = tuning.alpha / max(1, len(tested))
    out = []
    for stage, (recent, history) in tested.items():
        r = _censored(recent.values())
        h = _censored(history.values())
        h_med = _km_median(h)
        if not h_med:
            continue
        r_med = _km_median(r)
        r_open = r_med is None
        if r_open:
            r_med = max(days for _, days, _ in recent.values())
        if 100 * (r_med - h_med) / h_med < tuning.min_increase_pct:
            continue
        p = float(logrank(r, h, alternative="less").pvalue)
        if p < level:
            out.append(StageShift(stage, tuple(sorted(recent.values(), key=lambda x: -x[1])),
                                  tuple(history.values()), r_med, r_open, h_med, p, level))
    return sorted(out, key=lambda s: s.p_value)


def _censored(rows) -> CensoredData:
    rows = list(rows)
    return CensoredData(uncensored=[d for _, d, is_open in rows if not is_open],
                        right=[d for _, d, is_open in rows if is_open])


def step_shifts(reports: Iterable[StageReport], *, now: datetime,
                tuning: WarningTuning = WarningTuning()) -> list[StepShift]:
    """Steps that more recent deals go through than before (one-sided Fisher exact test, scipy).

    A deal is recent when it was reported within ``recent_days``, historical when reported before (within
    ``history_days``); it "has" a step in a period when a report of that period lists it. Flagged when at
    least ``min_deals`` deals were reported in each period, the share grew by ``min_share_increase`` and p is
    below ``alpha`` divided by the number of steps tested (Bonferroni).
    """
    recent_from = now - timedelta(days=tuning.recent_days)
    history_from = now - timedelta(days=tuning.history_days)
    recent: dict[int, set[str]] = defaultdict(set)
    history: dict[int, set[str]] = defaultdict(set)
    evidence: dict[str, list[str]] = defaultdict(list)
    stages: dict[str, dict[str, None]] = defaultdict(dict)
    for r in reports:
        if r.at >= recent_from:
            recent[r.deal].update(r.steps)
            for step in r.steps:
                evidence[step].append(r.id)
                stages[step][r.stage] = None
        elif r.at >= history_from:
            history[r.deal].update(r.steps)
    if len(recent) < tuning.min_deals or len(history) < tuning.min_deals:
        return []
    out = []
    candidates = sorted({s for steps in recent.values() for s in steps})
    level = tuning.alpha / max(1, len(candidates))
    for step in candidates:
        r_with = sorted(d for d, s in recent.items() if step in s)
        h_with = sorted(d for d, s in history.items() if step in s)
        r_share = len(r_with) / len(recent)
        h_share = len(h_with) / len(history)
        if r_share - h_share < tuning.min_share_increase:
            continue
        table = [[len(r_with), len(recent) - len(r_with)], [len(h_with), len(history) - len(h_with)]]
        p = float(fisher_exact(table, alternative="greater").pvalue)
        if p < level:
            out.append(StepShift(step, tuple(sorted(recent)), tuple(r_with), tuple(sorted(history)),
                                 tuple(h_with), p, tuple(evidence[step]), tuple(stages[step])))
    return sorted(out, key=lambda s: s.p_value)
