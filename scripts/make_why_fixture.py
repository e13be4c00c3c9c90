"""Write tests/fixtures/why_render.json: why entries with the sentences app/i18n.py renders for them.

The client's renderer (pwa/src/core/why.js) must give the same sentences (pwa/src/core/why.spec.js), and
tests/test_why_fixture.py fails when the server's rendering or the catalogues change without this file:
``.venv/bin/python scripts/make_why_fixture.py``.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import i18n  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "why_render.json"
NAMES = {"categories": {"tier3_hospital": {"zh": "三级甲等医院", "en": "Tier-3 (grade A) hospital"}},
         "zone_types": {"procurement_led": {"zh": "集采主导型", "en": "Procurement-led"}}}
ENTRIES = [
    {"rule": "fence_entered", "facts": {"place": "复旦大学附属中山医院", "distance_m": 119, "radius_m": 500}},
    {"rule": "zone_type",
     "facts": {"zone": "徐汇枫林医疗带", "zone_type": "procurement_led", "pack": "集采作战包"}},
    {"rule": "zone_type", "facts": {"zone": "某片区", "zone_type": "unknown_type", "pack": "包"}},
    {"rule": "place_category", "facts": {"category": "tier3_hospital"}},
    {"rule": "place_category", "facts": {"category": "aesthetics_clinic"}},
    {"rule": "skill_level", "facts": {"skill_level": "junior", "shown": 4, "specific": 1}},
    {"rule": "sales_stage", "facts": {"stage": "negotiation"}},
    {"rule": "competitor_activity", "facts": {"competitors": ["迈瑞", "GE医疗"]}},
    {"rule": "recent_procurement", "facts": {"days": 30, "count": 2, "latest": "彩超采购公告"}},
    {"rule": "no_pack", "facts": {"category": "ka_supermarket"}},
    {"rule": "no_pack", "facts": {}},
    {"rule": "trigger_rule", "rule_id": 7, "facts": {"name": "规则甲", "shown": 0, "conditions": []}},
    {"rule": "trigger_rule", "rule_id": 8, "facts": {"name": "规则乙", "shown": 5, "conditions": [
        {"code": "zone_type", "zone_type": "procurement_led"}, {"code": "category", "category": "tier3_hospital"},
        {"code": "place_tags", "tags": ["重点客户", "年度预算"]}, {"code": "stage", "stage": "proposal"},
        {"code": "competitors", "competitors": ["迈瑞"]},
        {"code": "notice_within_days", "days": 30, "count": 1, "latest": "公告"},
        {"code": "budget", "budget_cny": 1250000}, {"code": "role", "role": "rep"},
        {"code": "skill_level", "skill_level": "senior"}, {"code": "rep_tags", "tags": ["超声"]},
        {"code": "weekday", "weekday": 3}, {"code": "time_window", "time": "09:30", "from": "08:00", "to": "12:00"},
        {"code": "not_a_condition"}]}},
    {"rule": "trades_against", "facts": {"option": "premium", "price_diff_cny": -12000, "delivery_diff_days": -5,
                                         "tier_diff": -0.5, "promise_diff": -1}},
    {"rule": "budget_short", "facts": {"missing_needs": ["超声", "便携"], "extra_cny": 12000}},
    {"rule": "premium_tier", "facts": {"tier_share_pct": 80}},
    {"rule": "not_a_code", "facts": {"x": 1}},
    {"rule": "shopper_type", "facts": {"shopper_type": "chronic_self_care", "specific": 2}},
    # process health (docs/learning.md)
    {"rule": "coaching_visit_notes", "facts": {"count": 3, "values_pct": [0, 0, 0], "threshold_pct": 50}},
    {"rule": "coaching_card_use", "facts": {"count": 3, "values_pct": [17, 0, 12], "threshold_pct": 20}},
    {"rule": "coaching_component", "facts": {"pack": "集采作战包", "title": "需求挖掘：科室痛点"}},
    {"rule": "warning_stage_longer", "facts": {"stage": "proposal", "count": 12, "recent_days": 14,
                                               "recent_median_days": 11, "history_median_days": 5,
                                               "increase_days": 6, "increase_pct": 120}},
    {"rule": "warning_step_more_often", "facts": {"step": "security_audit", "count": 9, "of": 14, "recent_days": 14,
                                                  "recent_pct": 64, "history_pct": 8}},
]


def build() -> dict:
    """The fixture: entries, names, and per locale the rendered sentences (app.i18n.render_why)."""
    rendered = {locale: [e["detail"] for e in i18n.render_why(ENTRIES, locale, NAMES)] for locale in i18n.LOCALES}
    return {"names": NAMES, "entries": ENTRIES, "rendered": rendered}


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
