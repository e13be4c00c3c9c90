"""One catalogue per language (locales/*.json), shared with the client, and the renderer of ``why``."""

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from app import i18n
from app.i18n import message, normalize_locale, render_error, render_why
from content_packs import ROLES, SKILL_LEVELS, STAGES
from content_packs.engine import CONDITION_CODES
from geo.fence import DROP_REASONS

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# Facts that are user content (names people typed, notice titles): they stay as written in every language.
USER_CONTENT = ("place", "zone", "pack", "name", "latest", "tags", "competitors")
# What the server answers for werkzeug's own errors (routing, body size, media type, crashes).
WERKZEUG_ERRORS = ("NotFound", "MethodNotAllowed", "RequestEntityTooLarge", "UnsupportedMediaType",
                   "InternalServerError")


def raw(locale):
    return json.loads((ROOT / "locales" / f"{locale}.json").read_text(encoding="utf-8"))


def key_paths(node, prefix=""):
    if not isinstance(node, dict):
        return {prefix}
    return {p for k, v in node.items() for p in key_paths(v, f"{prefix}.{k}" if prefix else k)}


def messages(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from messages(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix, node


def popup_why_codes():
    from app.services.scenarios import POPUP_WHY_CODES

    return POPUP_WHY_CODES


def test_both_catalogues_have_exactly_the_same_keys():
    zh, en = key_paths(raw("zh")), key_paths(raw("en"))
    assert zh - en == set(), "only in zh"
    assert en - zh == set(), "only in en"


def test_catalogues_are_utf8_two_space_json_without_escapes():
    for locale in i18n.LOCALES:
        text = (ROOT / "locales" / f"{locale}.json").read_text(encoding="utf-8")
        assert "\\u" not in text
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def test_messages_use_only_vue_i18n_safe_syntax():
    """Only ``{name}`` placeholders, and none of the characters vue-i18n reads specially."""
    for locale in i18n.LOCALES:
        for path, text in messages(raw(locale)):
            assert isinstance(text, str) and text, (locale, path)
            assert not re.search(r"[|@$%]", text), (locale, path, text)
            assert "{" not in re.sub(r"\{\w+\}", "", text) and "}" not in re.sub(r"\{\w+\}", "", text), \
                (locale, path, text)


def test_every_why_and_condition_code_has_a_message_with_the_same_placeholders():
    """Both languages say every reason the engine can give, from the same facts."""
    zh, en = raw("zh"), raw("en")
    paths = [f"why.{c}" for c in popup_why_codes()] + [f"cond.{c}" for c in CONDITION_CODES]
    for path in [*paths, "cond._sep", "cond._none"]:
        section, key = path.split(".")
        assert key in zh[section] and key in en[section], path
        assert set(re.findall(r"\{(\w+)\}", zh[section][key])) == set(re.findall(r"\{(\w+)\}", en[section][key])), \
            path


def test_coded_sections_cover_every_code():
    categories = yaml.safe_load((ROOT / "app/demo/data/categories.yaml").read_text(encoding="utf-8"))
    zone_types = yaml.safe_load((ROOT / "app/demo/data/zone_types.yaml").read_text(encoding="utf-8"))
    shopper_types = yaml.safe_load((ROOT / "app/demo/data/shopper_types.yaml").read_text(encoding="utf-8"))
    for locale in i18n.LOCALES:
        cat = raw(locale)
        assert set(cat["roles"]) >= set(ROLES)
        assert set(cat["skills"]) >= set(SKILL_LEVELS)
        assert set(cat["stages"]) >= set(STAGES)
        assert set(cat["weekdays"]) == {str(d) for d in range(1, 8)}
        assert set(cat["categories"]) >= {c["key"] for c in categories}
        assert set(cat["zone_types"]) >= {z["key"] for z in zone_types}
        assert set(cat["shopper_types"]) >= {t["key"] for t in shopper_types}
        assert set(cat["drop"]) == set(DROP_REASONS)


def error_codes_in_app() -> set[str]:
    """Every error code the server can answer: AppError classes, ``code="…"`` in app/, werkzeug's own."""
    from werkzeug import exceptions

    import app as app_package
    from app.errors import AppError, _snake

    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    codes, stack = set(), [AppError]
    while stack:
        cls = stack.pop()
        codes.add(cls.code)
        stack.extend(cls.__subclasses__())
    for path in (ROOT / "app").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        codes.update(re.findall(r"\bcode\s*=\s*\"(\w+)\"", source))
        codes.update(re.findall(r"error_(?:body|response)\((?:\d+,\s*)?\"(\w+)\"", source))
    codes.update(_snake(getattr(exceptions, name)().name) for name in WERKZEUG_ERRORS)
    return codes


def test_every_error_code_has_a_message_in_both_languages():
    codes = error_codes_in_app()
    assert {"invalid_credentials", "token_expired", "invalid_transition", "method_not_allowed"} <= codes
    for locale in i18n.LOCALES:
        assert codes - set(raw(locale)["errors"]) == set(), locale


def test_render_error():
    assert render_error("token_expired", "en") == "Your login has expired; log in again"
    assert render_error("token_expired") == "登录已过期，请重新登录"
    assert render_error("no_such_code", "en") == "no_such_code"


@pytest.mark.parametrize(("value", "expected"), [("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("zh-CN", "zh"),
                                                 ("fr", "zh"), (None, "zh"), (3, "zh")])
def test_locales_are_normalised(value, expected):
    assert normalize_locale(value) == expected


def test_unknown_locale_renders_chinese():
    entry = {"rule": "place_category", "facts": {"category": "tier3_hospital"}}
    assert render_why([entry], "fr") == render_why([entry], "zh") == [{**entry, "detail": "客户类型为三甲医院"}]


def test_render_why_copies_and_keeps_the_codes():
    entries = [{"rule": "trigger_rule", "rule_id": 3, "facts": {"name": "r", "shown": 2, "conditions": []}}]
    [rendered] = render_why(entries, "en")
    assert rendered == {**entries[0], "detail": "Rule “r” matched (no extra conditions); items shown: 2"}
    assert "detail" not in entries[0], "the input is left alone"


def test_fence_and_zone_type_render_in_both_languages():
    fence = {"rule": "fence_entered", "facts": {"place": "瑞金医院", "distance_m": 120, "radius_m": 500}}
    zone = {"rule": "zone_type", "facts": {"zone": "黄浦集采片区", "zone_type": "procurement_led",
                                           "pack": "集采医院作战包"}}
    assert [w["detail"] for w in render_why([fence, zone], "zh")] == [
        "进入「瑞金医院」电子围栏（距离 120 米，半径 500 米）",
        "所在区域「黄浦集采片区」属于集采主导型，匹配作战包「集采医院作战包」",
    ]
    assert [w["detail"] for w in render_why([fence, zone], "en")] == [
        "Entered the geofence of “瑞金医院” (120 m away, radius 500 m)",
        "Zone “黄浦集采片区” is of type Procurement-led; matched the pack “集采医院作战包”",
    ]


def test_conditions_render_each_through_cond_and_join():
    conditions = [{"code": "zone_type", "zone_type": "procurement_led"},
                  {"code": "budget", "budget_cny": 120000},
                  {"code": "skill_level", "skill_level": "junior"},
                  {"code": "weekday", "weekday": 2},
                  {"code": "time_window", "time": "09:30", "from": "08:00", "to": "12:00"},
                  {"code": "notice_within_days", "days": 30, "count": 2, "latest": "超声采购"}]
    entry = {"rule": "trigger_rule", "rule_id": 1, "facts": {"name": "早间", "shown": 3, "conditions": conditions}}
    [zh] = render_why([entry], "zh")
    [en] = render_why([entry], "en")
    assert zh["detail"] == ("规则「早间」命中：区域类型为集采主导型；客户预算¥120,000；销售级别为新人；星期二；"
                            "时间09:30在08:00–12:00；近30天有2条采购公告（最新：超声采购），展示3项内容")
    assert en["detail"] == ("Rule “早间” matched (zone type is Procurement-led; client budget ¥120,000; "
                            "rep level is junior; on Tuesday; time 09:30 within 08:00–12:00; "
                            "procurement notices in the last 30 days: 2 (latest: 超声采购)); items shown: 3")


def test_lists_are_joined_per_language():
    entry = {"rule": "competitor_activity", "facts": {"competitors": ["康瑞", "恒泰"]}}
    assert render_why([entry], "zh")[0]["detail"] == "该客户近期有康瑞、恒泰的动作，优先展示对应竞品应对锦囊"
    assert render_why([entry], "en")[0]["detail"].startswith("Recent moves by 康瑞, 恒泰 at this client")
    tags = {"code": "place_tags", "tags": ["a", "b", "c"]}
    assert message("cond.place_tags", "en", tags) == "client tags include a, b, c"
    assert message("cond.place_tags", "zh", tags) == "客户标签含a、b、c"


def test_coded_lists_resolve_each_item():
    """A list under a plural coded key (``categories``, ``stages``…) names each code, then joins."""
    facts = {"categories": ["tier3_hospital", "moon_base"], "stages": ["proposal", "closing"]}
    assert i18n._fact("categories", facts["categories"], "en", None) == "Tier-3 hospital, moon_base"
    assert i18n._fact("stages", facts["stages"], "zh", None) == "方案提报、签约成交"


def test_shopper_types_render_by_name_in_both_languages():
    """Does the shopper-type why (and condition) name the shopper type, not print its key?"""
    entry = {"rule": "shopper_type", "facts": {"shopper_type": "chronic_self_care", "specific": 2}}
    assert render_why([entry], "zh")[0]["detail"] == "顾客类型为慢病自用，优先展示2条针对该类顾客的话术"
    assert render_why([entry], "en")[0]["detail"] == \
        "Shopper type: Chronic condition, own use; 2 talk-tracks made for this shopper come first"
    rule = {"rule": "trigger_rule", "rule_id": 1, "facts": {"name": "慢病", "shown": 1, "conditions": [
        {"code": "shopper_type", "shopper_type": "buying_for_parents"}]}}
    assert render_why([rule], "zh")[0]["detail"] == "规则「慢病」命中：顾客类型为子女为父母选购，展示1项内容"
    assert render_why([rule], "en")[0]["detail"] == \
        "Rule “慢病” matched (shopper type is Buying for parents); items shown: 1"
    assert i18n._fact("shopper_types", ["new_parents", "aliens"], "en", None) == "New parents, aliens"
    assert message("cond.shopper_type", "zh", {"shopper_type": "aliens"}) == "顾客类型为aliens", "unknown: the key"


def test_only_cny_amounts_get_thousands_separators():
    assert message("cond.budget", "en", {"budget_cny": 1234567}) == "client budget ¥1,234,567"
    assert message("why.recent_procurement", "en", {"days": 1000, "count": 1200, "latest": "t"}) == \
        "Procurement notices in the last 1000 days: 1200; latest: t"
    notices = {"days": 30, "count": 12000, "latest": "t"}
    assert "12000" in message("why.recent_procurement", "zh", notices)


def test_codes_resolve_by_key_and_fall_back_to_the_raw_value():
    assert message("cond.role", "en", {"role": "guide"}) == "role is Store guide"
    assert message("cond.stage", "zh", {"stage": "after_sales"}) == "客户阶段为售后维护"
    assert message("cond.weekday", "en", {"weekday": 7}) == "on Sunday"
    assert message("cond.category", "en", {"category": "moon_base"}) == "client type is moon_base"
    assert message("cond.skill_level", "en", {"skill_level": "wizard"}) == "rep level is wizard"


def test_database_names_win_over_the_catalogue():
    names = {"categories": {"tier3_hospital": {"zh": "顶级医院", "en": "Top hospital"}},
             "zone_types": {"mars_colony": {"zh": "火星殖民型", "en": "Mars colony"}}}
    place = {"rule": "place_category", "facts": {"category": "tier3_hospital"}}
    assert render_why([place], "en", names)[0]["detail"] == "Client type: Top hospital"
    assert render_why([place], "zh", names)[0]["detail"] == "客户类型为顶级医院"
    assert render_why([place], "en")[0]["detail"] == "Client type: Tier-3 hospital"
    assert message("cond.zone_type", "en", {"zone_type": "mars_colony"}, names) == "zone type is Mars colony"
    half = {"categories": {"tier3_hospital": {"zh": "顶级医院", "en": ""}}}
    assert render_why([place], "en", half)[0]["detail"] == "Client type: Tier-3 hospital", "empty name: catalogue"


def test_missing_messages_and_facts():
    assert render_why([{"rule": "brand_new_reason", "facts": {}}], "en")[0]["detail"] == "brand_new_reason"
    entry = {"rule": "trigger_rule", "facts": {"name": "r", "shown": 1,
                                               "conditions": [{"code": "moon_phase", "phase": "full"}]}}
    assert render_why([entry], "en")[0]["detail"] == "Rule “r” matched (moon_phase); items shown: 1"
    assert message("cond.category", "en", {}) == "client type is ", "a missing fact renders empty"
    assert render_why([{"rule": "no_pack"}], "zh")[0]["detail"].startswith("该区域类型与客户类型暂无")


def strip_user_content(detail: str, facts: dict) -> str:
    values = []
    for key in USER_CONTENT:
        value = facts.get(key)
        values += value if isinstance(value, list) else [value] if isinstance(value, str) else []
    for condition in facts.get("conditions") or []:
        values += [v for k in USER_CONTENT for v in
                   (condition.get(k) if isinstance(condition.get(k), list) else [condition.get(k)]) if v]
    for value in sorted(values, key=len, reverse=True):
        detail = detail.replace(value, "")
    return detail


def test_english_popups_speak_english_except_user_content(client, auth, app):
    """Across the demo's places, an English preview has no Chinese but names and titles people wrote."""
    from app.extensions import db
    from app.models import Place, User

    with app.app_context():
        places = db.session.scalars(select(Place.id).order_by(Place.id)).all()
        rep_id = db.session.scalar(select(User.id).where(User.email == "rep@demo.battlemap"))
    headers = auth.headers("manager@demo.battlemap")
    codes = set()
    for place_id in places:
        response = client.get(f"/api/v1/preview?rep_id={rep_id}&place_id={place_id}&locale=en", headers=headers)
        if response.status_code == 403:  # another region's place
            continue
        for entry in response.get_json()["why"]:
            codes.add(entry["rule"])
            left = strip_user_content(entry["detail"], entry["facts"])
            assert not CJK.search(left), (entry, left)
    assert {"zone_type", "trigger_rule", "skill_level", "recent_procurement"} <= codes, "the demo covers them"
