"""Process-health arithmetic on hand-built event histories: the indicators, the coaching rule, the warnings."""

import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from learning import health as hl

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 12, 0)  # naive UTC: Monday 20:00 in Shanghai
DAY = timedelta(days=1)
_ids = iter(range(1, 100_000))


def rec(type_, at, place=None, popup=None, **data) -> hl.Record:
    return hl.Record(f"{type_}-{next(_ids)}", type_, at, place, popup, data)


def visit(at, place, note="问了科室的采购计划"):
    """A check-in and, unless ``note`` is None, the note 30 minutes later."""
    out = [rec("check_in", at, place, method="tap")]
    if note is not None:
        out.append(rec("visit", at + timedelta(minutes=30), place, note=note))
    return out


def test_a_visit_is_a_rep_at_a_place_on_one_local_day():
    """Are a check-in and its note one visit, and the same place the next (local) day another?"""
    # 15:30 UTC is 23:30 in Shanghai; 16:30 UTC is already the next local day
    records = [*visit(datetime(2026, 11, 24, 15, 0), 7), rec("check_in", datetime(2026, 11, 24, 16, 30), 7)]
    visits = hl.visits(records, TZ)
    assert len(visits) == 2
    assert visits[0].event_ids == (records[0].id, records[1].id) and visits[0].note_ids == (records[1].id,)
    assert visits[1].day == datetime(2026, 11, 25).date()


def test_plan_completion_counts_planned_places_visited_that_day_and_only_past_days():
    day = datetime(2026, 11, 26, 1, 0)
    old_plan = rec("plan", day - timedelta(hours=1), date="2026-11-26", stops=[{"place_id": 9}])
    plan = rec("plan", day, date="2026-11-26", stops=[{"place_id": p} for p in (1, 2, 3, 4, 4)])
    today = rec("plan", NOW - timedelta(hours=3), date="2026-11-30", stops=[{"place_id": 1}])
    records = [old_plan, plan, today, *visit(day + timedelta(hours=1), 1), *visit(day + timedelta(hours=2), 2),
               *visit(day + timedelta(hours=3), 3), *visit(day + DAY, 4), *visit(day + timedelta(hours=4), 8)]
    ind = hl.plan_completion(records, now=NOW, tz=TZ)
    [unit] = ind.units  # today's plan is still being walked; the day's last plan wins over the earlier one
    assert (unit.numerator, unit.denominator, unit.key) == (3, 4, "plan:2026-11-26")
    assert ind.value == 0.75
    assert plan.id in unit.event_ids and records[3].id in unit.event_ids and old_plan.id not in unit.event_ids


def test_card_use_is_cards_used_or_helpful_over_cards_shown_per_past_day():
    day = datetime(2026, 11, 25, 2, 0)
    records = [
        rec("card_shown", day, 1, "p1"), rec("card_shown_offline", day, 1, "p1"),  # the same card once
        rec("card_shown", day, 2, "p2"), rec("card_shown_offline", day, 3, "p3"), rec("card_shown", day, 4, "p4"),
        rec("card_feedback", day, 1, "p1", rating="used"), rec("card_feedback", day, 1, "p1", rating="helpful"),
        rec("card_feedback", day, 2, "p2", rating="not_helpful"), rec("card_feedback", day, 3, "p3", rating="helpful"),
        rec("card_shown", NOW - timedelta(hours=1), 5, "p5"),  # today: its feedback may still come
    ]
    ind = hl.card_use(records, now=NOW, tz=TZ)
    [unit] = ind.units
    assert (unit.numerator, unit.denominator) == (2, 4)
    assert {"p1", "p3"} <= {r.popup_id for r in records if r.id in unit.event_ids}


@pytest.mark.parametrize(("after", "counted", "followed"), [
    (timedelta(hours=47), True, True),
    (timedelta(hours=49), True, False),
])
def test_follow_up_within_48_hours_after_the_visit(after, counted, followed):
    start = datetime(2026, 11, 20, 2, 0)
    records = [*visit(start, 5), rec("check_in", start + timedelta(minutes=30) + after, 5),
               rec("outcome", start + timedelta(hours=30), 6, result="won")]  # another place: no follow-up
    units = [u for u in hl.follow_up(records, now=NOW, tz=TZ).units if u.key == records[0].id]
    assert bool(units) == counted
    assert units[0].numerator == followed


def test_a_visit_whose_follow_up_window_is_still_open_counts_neither_way():
    records = visit(NOW - timedelta(hours=10), 5)
    assert hl.follow_up(records, now=NOW, tz=TZ).units == ()
    assert hl.follow_up([*records, rec("outcome", NOW - timedelta(hours=2), 5, result="advanced")],
                        now=NOW, tz=TZ).value == 1.0


def test_visit_notes_need_a_non_blank_note():
    day = datetime(2026, 11, 24, 2, 0)
    records = [*visit(day, 1), *visit(day, 2, note="   "), *visit(day, 3, note=None)]
    ind = hl.visit_notes(records, tz=TZ)
    assert [u.numerator for u in ind.units] == [1, 0, 0]
    assert ind.value == pytest.approx(1 / 3)


def test_outcomes_recorded_within_the_window_and_only_matured_visits():
    old = datetime(2026, 11, 10, 2, 0)
    records = [*visit(old, 1), rec("outcome", old + timedelta(days=6), 1, result="advanced"),
               *visit(old, 2), rec("outcome", old + timedelta(days=8), 2, result="won"),
               *visit(NOW - 2 * DAY, 3)]  # window open, nothing yet
    ind = hl.outcomes_recorded(records, now=NOW, tz=TZ, windows=hl.Windows(outcome_days=7))
    assert [(u.place_id, u.numerator) for u in ind.units] == [(1, 1), (2, 0)]


def test_a_proposal_after_a_budget_is_per_deal_and_needs_a_budget_on_file():
    first = datetime(2026, 11, 12, 2, 0)
    records = [*visit(first, 1), *visit(first + 3 * DAY, 1), rec("comparison", first + 2 * DAY, 1),
               *visit(first, 2), rec("comparison", first + 9 * DAY, 2),
               *visit(first, 3), rec("comparison", first + DAY, 3)]  # place 3 has no budget on file
    ind = hl.proposal_after_budget(records, now=NOW, tz=TZ, budget_places={1, 2})
    assert [(u.place_id, u.numerator) for u in ind.units] == [(1, 1), (2, 0)]
    assert ind.unit == "deal"


def test_since_keeps_context_before_the_period_out_of_the_units():
    """A deal first visited (and proposed to) before the period is not a new deal that missed its proposal."""
    since = NOW - 10 * DAY
    records = [*visit(since - 2 * DAY, 1), rec("comparison", since - DAY, 1), *visit(since + DAY, 1)]
    inds = hl.indicators(records, now=NOW, tz=TZ, budget_places={1}, since=since)
    assert inds["proposal_after_budget"].units == ()
    assert [u.at >= since for u in inds["visit_notes"].units] == [True]


def test_red_amber_green_against_the_threshold():
    t = hl.Threshold(0.5, 0.8)
    assert [hl.rag(v, t) for v in (0.49, 0.5, 0.79, 0.8, None)] == ["red", "amber", "amber", "green", "none"]
    with pytest.raises(ValueError):
        hl.Threshold(0.9, 0.5)


def test_combine_sums_numerators_and_denominators():
    a, b = hl.Indicator("card_use", 1, 4), hl.Indicator("card_use", 3, 4)
    assert hl.combine("card_use", [a, b]).value == 0.5


def _visits(pattern: str) -> list[list[hl.Record]]:
    """Visits with (``y``) or without (``n``) a note, one a day."""
    start = datetime(2026, 11, 2, 2, 0)
    return [visit(start + i * DAY, i, None if c == "n" else "记录") for i, c in enumerate(pattern)]


def _notes(pattern: str | list) -> hl.Indicator:
    days = _visits(pattern) if isinstance(pattern, str) else pattern
    return hl.visit_notes([r for day in days for r in day], tz=TZ)


def test_the_coaching_rule_is_three_misses_in_a_row():
    assert hl.streak(_notes("yyynn"), 0.5) is None
    assert hl.streak(_notes("ynnny"), 0.5) is None  # the last one is fine again
    found = hl.streak(_notes("yynnn"), 0.5)
    assert found.values == [0.0, 0.0, 0.0] and found.threshold == 0.5 and len(found.units) == 3
    assert hl.streak(_notes("yynnn"), 0.5, length=4) is None


def test_a_growing_streak_keeps_its_name_and_a_new_one_gets_another():
    days = _visits("ynnnnnynnn")
    three, five, again = (hl.streak(_notes(days[:n]), 0.5) for n in (4, 6, 10))
    assert three.start == five.start and set(three.run) < set(five.run)
    assert again.start != three.start and not set(again.run) & set(three.run)


# -- regional early warning --------------------------------------------------------------------------------

def _deal(deal, entered, days_in_proposal, *, still_in=False, steps=()):
    """Reports of one deal: discovery two days before it entered proposal, then proposal, then negotiation."""
    reports = [hl.StageReport(f"d{deal}-1", deal, entered - 2 * DAY, "discovery"),
               hl.StageReport(f"d{deal}-2", deal, entered, "proposal", tuple(steps))]
    if still_in:
        reports.append(hl.StageReport(f"d{deal}-3", deal, entered + timedelta(days=days_in_proposal), "proposal",
                                      tuple(steps)))
    else:
        reports.append(hl.StageReport(f"d{deal}-3", deal, entered + timedelta(days=days_in_proposal), "negotiation"))
    return reports


def _history(n=6):
    return [r for d in range(n) for r in _deal(100 + d, NOW - (60 - 3 * d) * DAY, 4)]


def _recent(n):
    return [r for d in range(n) for r in _deal(d, NOW - 12 * DAY, 11, still_in=True, steps=("security_audit",))]


def test_a_stage_lasting_longer_across_enough_recent_deals_is_flagged_with_the_evidence():
    [shift] = hl.stage_shifts(_history() + _recent(6), now=NOW)
    assert shift.stage == "proposal" and shift.p_value < 0.05
    assert shift.history_median_days == 4 and shift.recent_median_days == 11 and shift.recent_median_open
    assert shift.increase_days == 7
    assert {sp.deal for sp, _, _ in shift.recent} == set(range(6))
    assert all(is_open for *_, is_open in shift.recent)


def test_no_warning_from_a_handful_of_deals():
    assert hl.stage_shifts(_history() + _recent(4), now=NOW) == []
    assert hl.stage_shifts(_history() + _recent(4), now=NOW, tuning=hl.WarningTuning(min_deals=4)) != []
    assert hl.stage_shifts(_history(4) + _recent(8), now=NOW) == []  # too little history as well


def test_no_warning_when_recent_deals_take_as_long_as_before():
    same = [r for d in range(8) for r in _deal(d, NOW - 10 * DAY, 4)]
    assert hl.stage_shifts(_history(8) + same, now=NOW) == []


def test_a_step_more_deals_go_through_lately_is_flagged():
    history = [hl.StageReport(f"h{d}", 100 + d, NOW - 40 * DAY, "proposal", ("poc",)) for d in range(10)]
    recent = [hl.StageReport(f"r{d}", d, NOW - 3 * DAY, "proposal", ("poc", "security_audit") if d < 7 else ("poc",))
              for d in range(10)]
    [shift] = hl.step_shifts(history + recent, now=NOW)
    assert shift.step == "security_audit" and shift.recent_share == 0.7 and shift.history_share == 0
    assert shift.stages == ("proposal",) and len(shift.event_ids) == 7
    assert hl.step_shifts(history[:4] + recent, now=NOW) == []  # a handful of past deals: no warning


def test_the_learning_package_with_health_stays_pure():
    code = ("import sys, learning.health; "
            "print(any(m.split('.')[0] in ('flask', 'sqlalchemy', 'app') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.strip() == "False"
