"""Content packs: every shipped YAML passes the schema, and a broken pack says where and why."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from content_packs import (
    COMPONENT_KINDS,
    PACKS_DIR,
    PackError,
    discover,
    load_all,
    load_pack,
    matching_components,
    parse_pack,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "app" / "demo" / "data"
SHIPPED = discover()

MINIMAL = {
    "id": "broken",
    "version": 1,
    "name": "测试包",
    "description": "用于测试的最小作战包",
    "region": "shanghai",
    "zone_types": ["procurement_led"],
    "categories": ["tier3_hospital"],
    "audience": {"roles": ["rep"]},
    "talk_tracks": [
        {
            "id": "t-first",
            "title": "首访",
            "stage": "prospecting",
            "lines": ["第一句", "第二句"],
            "objections": [{"objection": f"异议{i}", "response": f"回答{i}"} for i in range(3)],
        }
    ],
}


def pack(**changes) -> dict:
    body = copy.deepcopy(MINIMAL)
    body.update(changes)
    return body


def write(tmp_path: Path, body: dict, name: str | None = None) -> Path:
    path = tmp_path / f"{name or body['id']}.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems_of(exc: PackError) -> set[tuple[str, str]]:
    return {(p.location, p.message) for p in exc.problems}


# ── shipped packs ────────────────────────────────────────────────────────────────────────────


def test_packs_ship_with_the_product():
    """Is there a pack for each of the six demo zone types?"""
    zone_types = {row["key"] for row in yaml.safe_load((DATA_DIR / "zone_types.yaml").read_text("utf-8"))}
    covered = {zt for p in load_all() for zt in p["zone_types"]}
    assert len(SHIPPED) >= 6
    assert zone_types <= covered


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_pack_loads_through_the_schema(path):
    """Does each shipped YAML validate, with id == file stem?"""
    body = load_pack(path)
    assert body["id"] == path.stem
    assert body["version"] >= 1


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_pack_is_rich_enough_to_demo(path):
    """Does each pack carry the content a rep needs: tracks for several stages and levels, counters,
    compliance notes and a Shanghai case?"""
    body = load_pack(path)
    tracks = body["talk_tracks"]
    assert len(tracks) >= 3
    assert len({t["stage"] for t in tracks}) >= 3
    assert any(t.get("skill_levels") == ["junior"] for t in tracks), "a junior-only track"
    assert any(t.get("skill_levels") == ["senior"] for t in tracks), "a senior-only track"
    assert all(len(t["objections"]) >= 3 for t in tracks)
    assert len(body["counters"]) >= 2
    assert len(body["compliance_notes"]) >= 1
    assert body["local_cases"]
    assert any(re.search(r"(上海|区)", c["title"] + c["summary"]) for c in body["local_cases"])
    for level in ("junior", "intermediate", "senior"):
        assert matching_components(body, "talk_tracks", skill_level=level), f"nothing for {level}"


def test_at_least_two_packs_run_an_ab_test():
    packs_with_variants = [p["id"] for p in load_all() if any(t.get("variants") for t in p["talk_tracks"])]
    assert len(packs_with_variants) >= 2


def test_shipped_text_has_no_folding_artefacts():
    """Chinese text must not get a stray space where a YAML folded line was broken."""
    artefact = re.compile(r"[，。；：、！？）】》]\s+[\u4e00-\u9fff]")
    for body in load_all():
        blob = json.dumps(body, ensure_ascii=False)
        assert not artefact.search(blob), (body["id"], artefact.search(blob).group(0))


def test_load_all_is_json_serialisable_and_ids_are_unique():
    packs = load_all()
    json.loads(json.dumps(packs, ensure_ascii=False))
    ids = [c["id"] for p in packs for kind in COMPONENT_KINDS for c in p[kind]]
    assert len(ids) == len(set(ids))
    expiring = [n for p in packs for n in p["compliance_notes"] if "expires_on" in n]
    assert expiring and all(isinstance(n["expires_on"], str) for n in expiring)


def test_discover_defaults_to_the_package_folder(tmp_path):
    assert all(p.parent == PACKS_DIR for p in SHIPPED)
    write(tmp_path, pack(id="zz-last"))
    write(tmp_path, pack(id="aa-first"))
    (tmp_path / "_draft.yaml").write_text("id: draft\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a pack", encoding="utf-8")
    assert [p.name for p in discover(tmp_path)] == ["aa-first.yaml", "zz-last.yaml"]


# ── broken packs ─────────────────────────────────────────────────────────────────────────────


def test_broken_pack_error_names_file_path_and_rule(tmp_path):
    """Does a manager see the file, the path inside it and the rule broken?"""
    body = pack()
    body["talk_tracks"].append(copy.deepcopy(body["talk_tracks"][0]) | {"id": "t-second"})
    body["talk_tracks"].append(copy.deepcopy(body["talk_tracks"][0]) | {"id": "t-third"})
    body["talk_tracks"][2]["objections"] = body["talk_tracks"][2]["objections"][:2]
    path = write(tmp_path, body)
    with pytest.raises(PackError) as info:
        load_pack(path)
    err = info.value
    assert err.path.endswith("broken.yaml")
    assert (err.location, err.message) == ("talk_tracks[2].objections", "Length must be at least 3")
    assert str(err) == f"{err.path}: talk_tracks[2].objections: Length must be at least 3"


def test_all_errors_of_a_file_are_collected(tmp_path):
    body = pack(version=0, audience={"roles": ["boss"]})
    body["talk_tracks"][0]["stage"] = "smalltalk"
    body["talk_tracks"][0]["lines"] = ["只有一句"]
    body["talk_tracks"][0]["objections"][1] = {"objection": "没有回答"}
    del body["name"]
    with pytest.raises(PackError) as info:
        load_pack(write(tmp_path, body))
    found = problems_of(info.value)
    assert ("version", "Must be at least 1") in found
    assert ("name", "Missing data for required field") in found
    assert any(loc == "audience.roles[0]" and msg.startswith("Must be one of") for loc, msg in found)
    assert any(loc == "talk_tracks[0].stage" and msg.startswith("Must be one of") for loc, msg in found)
    assert ("talk_tracks[0].lines", "Length must be at least 2") in found
    assert ("talk_tracks[0].objections[1].response", "Missing data for required field") in found
    assert len(str(info.value).splitlines()) == len(info.value.problems) >= 6


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("top", ("colour", "Unknown field")),
        ("track", ("talk_tracks[0].colour", "Unknown field")),
        ("objection", ("talk_tracks[0].objections[0].colour", "Unknown field")),
    ],
)
def test_unknown_field_is_rejected(tmp_path, where, expected):
    body = pack()
    target = {"top": body, "track": body["talk_tracks"][0], "objection": body["talk_tracks"][0]["objections"][0]}
    target[where]["colour"] = "红"
    with pytest.raises(PackError) as info:
        load_pack(write(tmp_path, body))
    assert expected in problems_of(info.value)


def test_duplicate_component_id_within_a_pack_is_rejected(tmp_path):
    body = pack(counters=[{"id": "t-first", "competitor": "康瑞医疗", "their_move": "低价",
                           "our_response": "讲总成本", "proof_points": ["3 年质保"]}])
    with pytest.raises(PackError) as info:
        load_pack(write(tmp_path, body))
    assert info.value.location == "counters[0].id"
    assert "Duplicate id 't-first'" in info.value.message
    assert "talk_tracks[0]" in info.value.message


def test_duplicate_component_id_across_packs_is_rejected(tmp_path):
    write(tmp_path, pack(id="pack-a"))
    write(tmp_path, pack(id="pack-b"))
    with pytest.raises(PackError) as info:
        load_all(tmp_path)
    assert info.value.path.endswith("pack-b.yaml")
    assert info.value.location == "talk_tracks[0].id"
    assert "pack-a.yaml" in info.value.message


def test_load_all_reports_every_broken_file(tmp_path):
    write(tmp_path, pack(id="pack-a", version="one"))
    write(tmp_path, pack(id="pack-b", zone_types=[]))
    with pytest.raises(PackError) as info:
        load_all(tmp_path)
    files = {Path(p.path).name for p in info.value.problems}
    assert files == {"pack-a.yaml", "pack-b.yaml"}


def test_pack_id_must_match_file_name(tmp_path):
    with pytest.raises(PackError) as info:
        load_pack(write(tmp_path, pack(id="other-name"), name="file-name"))
    assert info.value.location == "id"
    assert "file-name" in info.value.message


def test_variants_need_positive_weights_and_unique_ids(tmp_path):
    body = pack()
    body["talk_tracks"][0]["variants"] = [
        {"id": "A", "weight": 0, "lines": ["一", "二"]},
        {"id": "A", "weight": 50, "lines": ["一", "二"]},
    ]
    with pytest.raises(PackError) as info:
        load_pack(write(tmp_path, body))
    found = problems_of(info.value)
    assert ("talk_tracks[0].variants[0].weight", "Must be a positive integer") in found
    assert ("talk_tracks[0].variants[1].id", "Duplicate variant id 'A'") in found


def test_component_categories_must_be_within_the_pack(tmp_path):
    body = pack()
    body["talk_tracks"][0]["categories"] = ["ka_supermarket"]
    with pytest.raises(PackError) as info:
        load_pack(write(tmp_path, body))
    assert info.value.location == "talk_tracks[0].categories"


def test_expiry_must_be_a_real_date():
    body = pack(compliance_notes=[{"id": "c-one", "title": "合规", "text": "说明", "expires_on": "2027-02-30"}])
    text = yaml.safe_dump(body, allow_unicode=True).replace("'2027-02-30'", "2027-02-30")
    with pytest.raises(PackError) as info:
        parse_pack(text, path="x.yaml")
    assert info.value.location == "compliance_notes[0].expires_on"
    good = text.replace("2027-02-30", "2027-06-30")
    assert parse_pack(good)["compliance_notes"][0]["expires_on"] == "2027-06-30"


def test_yaml_syntax_errors_and_duplicate_keys_give_a_line(tmp_path):
    with pytest.raises(PackError) as info:
        parse_pack("id: x\ntalk_tracks: [\n", path="bad.yaml")
    assert info.value.location.startswith("line ")
    with pytest.raises(PackError) as info:
        parse_pack("id: x\nversion: 1\nid: y\n", path="dup.yaml")
    assert info.value.location == "line 3, column 1"
    assert "duplicate key 'id'" in info.value.message
    with pytest.raises(PackError) as info:
        parse_pack("- just\n- a list\n", path="list.yaml")
    assert info.value.location == "(root)"


def test_blank_text_and_boolean_version_are_refused():
    body = pack(version=True, name="   ")
    with pytest.raises(PackError) as info:
        parse_pack(yaml.safe_dump(body, allow_unicode=True))
    found = problems_of(info.value)
    assert ("version", "Must be an integer") in found
    assert ("name", "Must not be blank") in found


def test_optional_components_default_to_empty_lists():
    body = parse_pack(yaml.safe_dump(pack(), allow_unicode=True))
    assert all(body[kind] == [] for kind in COMPONENT_KINDS if kind != "talk_tracks")
    assert body["format"] == 1


# ── selection and purity ─────────────────────────────────────────────────────────────────────


def test_matching_components_honours_levels_and_categories():
    body = parse_pack(yaml.safe_dump(pack(categories=["tier3_hospital", "private_hospital"]), allow_unicode=True))
    body["talk_tracks"].append(body["talk_tracks"][0] | {"id": "t-senior", "skill_levels": ["senior"],
                                                         "categories": ["private_hospital"]})
    ids = lambda **kw: [t["id"] for t in matching_components(body, "talk_tracks", **kw)]  # noqa: E731
    assert ids(skill_level="junior") == ["t-first"]
    assert ids(skill_level="senior", category="private_hospital") == ["t-first", "t-senior"]
    assert ids(skill_level="senior", category="tier3_hospital") == ["t-first"]
    assert ids(category="ka_supermarket") == []
    assert ids() == ["t-first", "t-senior"]


def test_content_packs_imports_no_flask_or_app():
    """Is the loader pure — usable from a CLI or a laptop without the web app?"""
    code = "import sys, content_packs; content_packs.load_all(); " \
           "print(sorted(m for m in ('flask', 'sqlalchemy', 'app') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKS_DIR.parent)
    assert out.stdout.strip() == "[]"


def test_non_string_categories_are_an_error_not_a_crash():
    """Found by fuzzing: a category given as an object must be reported, not raise TypeError."""
    from marshmallow import ValidationError

    from content_packs import PackSchema

    body = {"id": "x-pack", "version": 1, "name": "x", "description": "x", "region": "shanghai",
            "zone_types": ["procurement_led"], "categories": [{"a": 1}], "audience": {"roles": ["rep"]},
            "talk_tracks": []}
    with pytest.raises(ValidationError) as err:
        PackSchema().load(body)
    assert "categories" in err.value.messages


# ── shopper types (a guide's counter) ──────────────────────────────────────────────────────────


def test_shopper_types_are_snake_case_keys_and_never_empty():
    body = pack()
    body["talk_tracks"][0]["shopper_types"] = ["Chronic Care", "chronic_self_care"]
    body["counters"] = [{"id": "c-one", "competitor": "甲", "their_move": "m", "our_response": "r",
                         "proof_points": ["p"], "shopper_types": []}]
    with pytest.raises(PackError) as info:
        parse_pack(yaml.safe_dump(body, allow_unicode=True))
    found = problems_of(info.value)
    assert ("talk_tracks[0].shopper_types[0]", "Must be snake_case") in found
    assert ("counters[0].shopper_types", "Length must be at least 1") in found
    body["talk_tracks"][0]["shopper_types"] = ["chronic_self_care"]
    body["counters"][0]["shopper_types"] = ["post_op_recovery"]
    loaded = parse_pack(yaml.safe_dump(body, allow_unicode=True))
    assert loaded["talk_tracks"][0]["shopper_types"] == ["chronic_self_care"]
    assert loaded["counters"][0]["shopper_types"] == ["post_op_recovery"]


def test_matching_components_leaves_out_other_shopper_types():
    body = parse_pack(yaml.safe_dump(pack(), allow_unicode=True))
    body["talk_tracks"].append(body["talk_tracks"][0] | {"id": "t-chronic", "shopper_types": ["chronic_self_care"]})
    ids = lambda **kw: [t["id"] for t in matching_components(body, "talk_tracks", **kw)]  # noqa: E731
    assert ids(shopper_type="chronic_self_care") == ["t-first", "t-chronic"]
    assert ids(shopper_type="new_parents") == ["t-first"]
    assert ids() == ["t-first", "t-chronic"]


def test_shipped_shopper_types_are_demo_shopper_types():
    """Does every shipped pack target only shopper types the demo database has?"""
    known = {row["key"] for row in yaml.safe_load((DATA_DIR / "shopper_types.yaml").read_text("utf-8"))}
    for body in load_all():
        for kind in ("talk_tracks", "counters"):
            for component in body[kind]:
                assert set(component.get("shopper_types") or ()) <= known, (body["id"], component["id"])


def test_the_counter_pack_speaks_to_every_shopper_type_without_medical_claims():
    """Has the guides' pack a talk-track for each demo shopper type, and the no-medical-claims note?"""
    known = {row["key"] for row in yaml.safe_load((DATA_DIR / "shopper_types.yaml").read_text("utf-8"))}
    body = load_pack(PACKS_DIR / "home-health-counter.yaml")
    assert body["audience"]["roles"] == ["guide"] and body["categories"] == ["ka_supermarket"]
    for key in known:
        [made_for] = [t for t in body["talk_tracks"] if t.get("shopper_types") == [key]]
        assert len(made_for["objections"]) == 3, key
        assert not made_for.get("skill_levels"), f"{key}: every guide sees it"
    notes = " ".join(n["title"] + n["text"] for n in body["compliance_notes"])
    assert "不能替代诊疗" in notes and "不得宣称治疗效果" in notes


def test_every_component_kind_may_say_where_it_was_copied_from():
    """``copied_from`` (a reused component's provenance) is optional on every kind, and checked when given."""
    pack = load_pack(PACKS_DIR / "procurement-led-hospitals.yaml")
    provenance = {"pack": "procurement-led-hospitals", "version": 1, "id": "pl-source"}
    for kind in COMPONENT_KINDS:
        if pack[kind]:
            pack[kind][0]["copied_from"] = provenance
    loaded = parse_pack(yaml.safe_dump(pack, allow_unicode=True))
    assert all(loaded[kind][0]["copied_from"] == provenance for kind in COMPONENT_KINDS if loaded[kind])
    pack["talk_tracks"][0]["copied_from"] = {"pack": "Not Kebab", "version": "1"}
    with pytest.raises(PackError) as err:
        parse_pack(yaml.safe_dump(pack, allow_unicode=True))
    locations = {p.location for p in err.value.problems}
    assert {"talk_tracks[0].copied_from.pack", "talk_tracks[0].copied_from.version",
            "talk_tracks[0].copied_from.id"} <= locations


def test_parse_pack_fills_defaults_the_yaml_leaves_out():
    """The manager API numbers versions itself: ``defaults`` supply a ``version`` the YAML does not have."""
    pack = load_pack(PACKS_DIR / "procurement-led-hospitals.yaml")
    text = yaml.safe_dump({k: v for k, v in pack.items() if k != "version"}, allow_unicode=True)
    with pytest.raises(PackError, match="version"):
        parse_pack(text)
    assert parse_pack(text, defaults={"version": 1})["version"] == 1
