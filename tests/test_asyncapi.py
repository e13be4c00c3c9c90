"""docs/asyncapi.yaml, the /field channel in AsyncAPI 3: does it say what the code does?

The document describes the server: ``action: receive`` operations are client → server events (handled by
``FieldNamespace.on_<event with . → _>``), ``action: send`` are server → client (emitted by ``app.notifier``).
Each message's ``name`` is the Socket.IO event name; acks are the operations' ``reply``.
"""

import inspect
import re
import time
from pathlib import Path

import pytest
import yaml
from flask_socketio import ConnectionRefusedError
from jsonschema import Draft7Validator
from sqlalchemy import select

from app import notifier
from app.extensions import db
from app.realtime.field import FieldNamespace
from app.schemas.field import LocationIn, TrackResetIn
from geo.fence import DROP_REASONS
from tests.conftest import place_by_category

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "docs" / "asyncapi.yaml"
# Socket.IO protocol packets, not events: the handshake is documented, but no ``on_<event>`` handles it.
PROTOCOL_NAMES = {"connect", "disconnect", "connect_error"}
LIFECYCLE_HANDLERS = {"on_connect", "on_disconnect"}
T0 = int(time.time() * 1000) - 3_600_000  # an hour ago: not stale, not in the future


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def resolve(spec, node):
    """Follow local ``$ref``s (``#/a/b``) until a node that is not a reference."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are used: {ref}"
        assert ref not in seen, f"reference cycle at {ref}"
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operations(spec, action):
    """``{event name: operation}`` of the operations with this action (protocol packets left out)."""
    found = {}
    for op_id, op in spec["operations"].items():
        if op["action"] != action:
            continue
        for ref in op["messages"]:
            name = resolve(spec, ref)["name"]
            if name in PROTOCOL_NAMES:
                continue
            assert name not in found, f"{name} is documented by two operations ({found.get(name)}, {op_id})"
            found[name] = op
    return found


def message(spec, event, action):
    op = operations(spec, action)[event]
    [msg] = [resolve(spec, ref) for ref in op["messages"]]
    return msg


def reply_payload(spec, event):
    """The schema of the ack the server answers ``event`` with."""
    op = operations(spec, "receive")[event]
    assert "reply" in op, f"{event}: no reply (ack) documented"
    [msg] = [resolve(spec, ref) for ref in op["reply"]["messages"]]
    return msg["payload"]


def validator(spec, schema):
    """A JSON Schema validator for ``schema`` whose ``#/components/...`` references resolve in the document."""
    return Draft7Validator({**schema, "components": spec["components"]})


def assert_valid(spec, schema, instance, what):
    errors = sorted(validator(spec, schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, f"{what} does not match the documented schema: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:5])


def walk_refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_refs(value)


def test_the_document_parses_as_asyncapi_3_with_the_field_channel(spec):
    """Is it YAML, AsyncAPI 3.x, a ws server on /socket.io/ and a channel for the /field namespace?"""
    assert isinstance(spec, dict)
    assert str(spec["asyncapi"]).startswith("3."), spec["asyncapi"]
    [server] = spec["servers"].values()
    assert server["protocol"] in {"ws", "wss"}
    assert server["pathname"] == "/socket.io/"
    assert any(ch.get("address") == notifier.FIELD_NAMESPACE for ch in spec["channels"].values())


def test_every_reference_resolves_and_every_schema_is_valid(spec):
    """Does every ``$ref`` point somewhere, and is every component schema a valid JSON Schema?"""
    for ref in walk_refs(spec):
        assert resolve(spec, {"$ref": ref}) is not None, ref
    for name, schema in spec["components"]["schemas"].items():
        Draft7Validator.check_schema(schema)  # raises SchemaError naming the problem
        assert schema, name
    for op_id, op in spec["operations"].items():
        channel = resolve(spec, op["channel"])
        for ref in [*op["messages"], *op.get("reply", {}).get("messages", [])]:
            assert ref["$ref"].startswith("#/channels/"), f"{op_id}: messages are referenced via the channel"
            assert resolve(spec, ref) in [resolve(spec, m) for m in channel["messages"].values()], op_id


def test_every_handler_is_a_documented_client_event_and_back(spec):
    """Does every ``on_<x>`` of FieldNamespace (but connect/disconnect) have a client → server message, with
    its ack as reply — and does every documented client → server event have a handler?"""
    handlers = {name for name, _ in inspect.getmembers(FieldNamespace, inspect.isfunction)
                if name.startswith("on_")} - LIFECYCLE_HANDLERS
    assert "on_location" in handlers and "on_track_reset" in handlers
    documented = operations(spec, "receive")
    # the dispatch rule of FieldNamespace.trigger_event: track.reset → on_track_reset
    as_handlers = {"on_" + event.replace(".", "_"): event for event in documented}
    assert len(as_handlers) == len(documented), "two documented events map to the same handler"
    assert set(as_handlers) == handlers
    for event in documented:
        reply_payload(spec, event)


def test_every_notifier_push_is_documented_as_server_to_client(spec):
    """Is every event ``app.notifier`` emits a ``send`` operation, and is nothing else documented as pushed?"""
    source = inspect.getsource(notifier)
    emitted = set(re.findall(r"""socketio\.emit\(\s*["']([^"']+)["']""", source))
    assert {"popup", "pack.updated"} <= emitted, emitted
    assert not re.search(r"socketio\.emit\(\s*[^\s\"']", source), "an emit with a computed event name"
    assert set(operations(spec, "send")) == emitted


def test_the_location_payload_is_the_LocationIn_schema(spec):
    """Are the documented ``location`` properties (and required ones) exactly LocationIn's fields?"""
    payload = resolve(spec, message(spec, "location", "receive")["payload"])
    schema = LocationIn()
    assert set(payload["properties"]) == set(schema.fields)
    assert set(payload.get("required", [])) == {name for name, f in schema.fields.items() if f.required}
    assert payload.get("additionalProperties") is False  # marshmallow refuses unknown fields
    examples = message(spec, "location", "receive").get("examples", [])
    assert examples
    for example in examples:
        schema.load(example["payload"])  # every documented example is accepted by the server's schema


def test_the_track_reset_payload_is_the_empty_TrackResetIn(spec):
    """Is ``track.reset`` documented as the empty object TrackResetIn accepts, and nothing more?"""
    payload = resolve(spec, message(spec, "track.reset", "receive")["payload"])
    assert set(payload.get("properties", {})) == set(TrackResetIn().fields) == set()
    assert payload.get("additionalProperties") is False
    assert_valid(spec, payload, {}, "the empty track.reset")
    assert not validator(spec, payload).is_valid({"rep_id": 2})


def test_the_documented_drop_reasons_are_the_fence_trackers(spec):
    """Does the ``location`` ack's ``dropped`` list exactly ``geo.fence.DROP_REASONS``?"""
    branches = [resolve(spec, b) for b in resolve(spec, reply_payload(spec, "location"))["oneOf"]]
    [ok] = [b for b in branches if "dropped" in b.get("properties", {})]
    enum = resolve(spec, ok["properties"]["dropped"])["enum"]
    assert len(enum) == len(set(enum))
    assert set(enum) == set(DROP_REASONS)


def test_a_composed_popup_has_exactly_the_documented_keys(spec, app):
    """Does the ``popup`` message list every top-level key of a real popup (and no key it never has), and
    does the popup — its talk-tracks and counters included — match the documented schemas?"""
    from app.models import Place, User
    from app.services.scenarios import compose_popup, rep_facts

    payload = message(spec, "popup", "send")["payload"]
    schema = resolve(spec, payload)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "rep@demo.battlemap"))
        place_id = db.session.scalar(select(Place.id).where(Place.region_id == user.region_id,
                                                            Place.category == "tier3_hospital").order_by(Place.id))
        popup = compose_popup(rep=rep_facts(user), place_id=place_id, distance_m=50.0, record=False)
    assert popup["talk_tracks"] and popup["counters"], "the demo hospital's card should have both"
    assert set(schema["properties"]) == set(popup)
    assert set(schema["required"]) == set(popup)
    assert_valid(spec, payload, popup, "a composed popup")
    for kind in ("talk_tracks", "counters"):
        item_schema = resolve(spec, schema["properties"][kind]["items"])
        for item in popup[kind]:
            assert set(item) == set(item_schema["properties"]), kind


def test_the_servers_real_acks_and_pushes_match_the_documented_schemas(spec, field, app):
    """Over a real /field connection: do the ``location`` and ``track.reset`` acks (used, dropped, refused)
    and the pushed ``popup`` validate against what the document says?"""
    hospital = place_by_category(app, "tier3_hospital")
    sock = field()
    location_ack = reply_payload(spec, "location")
    reset_ack = reply_payload(spec, "track.reset")

    def location(payload):
        return sock.emit("location", payload, namespace="/field", callback=True)

    used = location({"lat": hospital.lat, "lon": hospital.lon, "accuracy_m": 10, "ts": T0})
    assert used["ok"] and used["popups"] == 1
    dropped = location({"lat": hospital.lat, "lon": hospital.lon, "accuracy_m": 10, "ts": T0})
    assert dropped.get("dropped") == "out_of_order"
    refused = location({"lat": 200, "lon": hospital.lon})
    assert refused["ok"] is False
    unknown = location({"lat": hospital.lat, "lon": hospital.lon, "speed": 3})
    for ack, what in ((used, "used fix"), (dropped, "dropped fix"), (refused, "invalid fix"), (unknown, "bad field")):
        assert_valid(spec, location_ack, ack, f"the location ack of a {what}")

    done = sock.emit("track.reset", {}, namespace="/field", callback=True)
    bad = sock.emit("track.reset", {"rep_id": 2}, namespace="/field", callback=True)
    assert done == {"ok": True} and bad["ok"] is False
    for ack in (done, bad):
        assert_valid(spec, reset_ack, ack, "a track.reset ack")

    [popup] = [m["args"][0] for m in sock.get_received("/field") if m["name"] == "popup"]
    assert_valid(spec, message(spec, "popup", "send")["payload"], popup, "a pushed popup")


def test_pack_updated_payload_matches_the_notifier(spec):
    """Are the documented ``pack.updated`` keys the ones ``push_pack_updated`` sends, version nullable?"""
    payload = message(spec, "pack.updated", "send")["payload"]
    source = inspect.getsource(notifier.push_pack_updated)
    sent = set(re.findall(r'"(\w+)":', re.search(r"payload = (\{.*?\})", source).group(1)))
    assert set(resolve(spec, payload)["properties"]) == sent == {"pack_id", "version"}
    for version in (3, None):
        assert_valid(spec, payload, {"pack_id": "procurement-led-hospitals", "version": version}, "pack.updated")


def test_a_refused_connection_sends_the_documented_error_shape(spec, app):
    """Is the ``connect_error`` packet's ``data`` the documented error shape, with the token's code?"""
    reply = spec["operations"]["acceptConnection"]["reply"]
    [msg] = [resolve(spec, ref) for ref in reply["messages"]]
    assert msg["name"] == "connect_error"
    with app.test_request_context(), pytest.raises(ConnectionRefusedError) as refused:
        FieldNamespace(notifier.FIELD_NAMESPACE).on_connect({"token": "forged"})
    packet = refused.value.error_args  # what python-socketio puts in the CONNECT_ERROR packet
    assert "data" in packet, f"connect_error carries no data: {packet}"
    assert_valid(spec, msg["payload"], packet["data"], "the connect_error data")
    assert packet["data"]["error"]["code"] == "token_invalid"


# ---- /asyncapi.json: the same document, payload shapes generated from the server's marshmallow schemas ---------

LOCATION_SAMPLES = [
    {"lat": 31.2, "lon": 121.4}, {"lat": 31.2, "lon": 121.4, "accuracy_m": 12.5}, {"lat": 31.2, "lon": 121.4,
    "accuracy_m": None}, {"lat": 91, "lon": 121.4}, {"lat": 31.2, "lon": -181}, {"lat": 31.2}, {"lon": 1},
    {"lat": 31.2, "lon": 121.4, "accuracy_m": -1},
    {"lat": 31.2, "lon": 121.4, "accuracy_m": 1e8}, {"lat": 31.2, "lon": 121.4, "speed": 3}, {},
]


@pytest.fixture
def served(client):
    response = client.get("/asyncapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_asyncapi_json_is_the_yaml_document_with_generated_payloads(served, spec):
    assert served["asyncapi"].startswith("3.")
    assert served["operations"] == spec["operations"] and served["channels"] == spec["channels"]
    assert set(spec["components"]["schemas"]) <= set(served["components"]["schemas"])
    for name in ("ConnectAuth", "LocationIn", "TrackResetIn"):
        schema = served["components"]["schemas"][name]
        assert schema["type"] == "object", name
        assert all("description" in p for p in schema["properties"].values()), "the yaml's words are kept"
    location = served["components"]["schemas"]["LocationIn"]
    assert location["properties"]["accuracy_m"]["maximum"] == 1e7, "a bound only marshmallow knew"
    assert "oneOf" in location["properties"]["ts"], "the custom timestamp field keeps the yaml's description"
    for op in served["operations"].values():  # every reference of the served document resolves
        for ref in op["messages"]:
            assert resolve(served, ref)["name"]


def test_the_served_location_schema_accepts_exactly_what_the_server_accepts(served):
    """A payload is valid by the document if and only if ``LocationIn`` loads it (``ts`` left out: a field
    of its own, tested above). marshmallow also reads a number sent as a string ("31.2"), which the document
    does not promise, so no sample sends one."""
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", **served["components"]["schemas"]["LocationIn"]}
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k != "ts"}
    validator = Draft7Validator(schema)
    for sample in LOCATION_SAMPLES:
        assert validator.is_valid(sample) == (not LocationIn().validate(sample)), sample
    track_reset = Draft7Validator(served["components"]["schemas"]["TrackResetIn"])
    for sample in ({}, {"x": 1}):
        assert track_reset.is_valid(sample) == (not TrackResetIn().validate(sample)), sample


def test_a_pushed_popup_and_a_real_preview_match_the_one_PopupOut(served, field, app, client, auth):
    """The popup the server pushes over /field and the one the preview answers are both ``PopupOut`` (the preview
    ``PreviewOut``, its extension): by the schema itself and by the JSON Schema both documents carry."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    from app.schemas.popup import PopupOut, PreviewOut
    from tests.test_rules import MANAGER, rep_id

    hospital = place_by_category(app, "tier3_hospital")
    sock = field()
    assert sock.emit("location", {"lat": hospital.lat, "lon": hospital.lon, "accuracy_m": 10, "ts": T0},
                     namespace="/field", callback=True)["popups"] == 1
    [pushed] = [m["args"][0] for m in sock.get_received("/field") if m["name"] == "popup"]
    preview = client.get(f"/api/v1/preview?rep_id={rep_id(app, 'rep@demo.battlemap')}&place_id={hospital.id}",
                         headers=auth.headers(MANAGER))
    assert preview.status_code == 200, preview.get_data(as_text=True)
    previewed = preview.get_json()

    assert PopupOut().validate(pushed) == {}, "exactly PopupOut's fields, each readable"
    assert PreviewOut().validate(previewed) == {}
    assert_valid(served, served["components"]["schemas"]["Popup"], pushed, "a pushed popup (/asyncapi.json)")
    assert set(served["components"]["schemas"]["Popup"]["properties"]) == set(PopupOut().fields)

    spec = APISpec(title="t", version="1", openapi_version="3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("PreviewOut", schema=PreviewOut)
    generated = spec.to_dict()["components"]
    assert_valid({"components": generated}, generated["schemas"]["PreviewOut"], previewed, "a preview")
    openapi = client.get("/openapi.json").get_json()
    answer = openapi["paths"]["/api/v1/preview"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/PreviewOut"}
