"""Random JSON at every JSON route of the OpenAPI description, and random query values at every query: deep,
huge numbers, odd types, extreme dates, the route's own field names with wrong values. Whatever arrives, no
answer is a 5xx and every error is in the error shape (docs/security.md). Bounded: a few hundred requests."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.openapi import build_spec
from tests.conftest import DEMO_PASSWORD

EMAILS = {"manager": "manager@demo.battlemap", "rep": "rep@demo.battlemap"}
ODD_STRINGS = ["", " ", "0", "-1", "1e400", str(10**30), str(-(2**63) - 1), "NaN", "null", "true", "[]", "{}",
               "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "9999-12-31",
               "2026-11-23T09:30", "2026-11-23", "shanghai", "zh", "en", "rep", "manager", "draft", "enter_place",
               "tier3_hospital", "超声", "设备科", "\u0000", "\ud7ff", "../../etc/passwd", "' OR 1=1 --", "a" * 300]
NUMBERS = st.one_of(st.integers(min_value=-(2**200), max_value=2**200),
                    st.sampled_from([0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63), 10**30, 2**64]),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([1e308, -1e308, 5e-324, 1e15]))
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=40), st.sampled_from(ODD_STRINGS))
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
    st.one_of(st.text(max_size=12), st.sampled_from(["id", "type", "data", "at", "ts", "place_id", "version"])),
    inner, max_size=5), max_leaves=25)


@pytest.fixture
def config_overrides():
    return {"LOGIN_RATE_LIMIT": (10_000, 60)}


def _resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def operations(app):
    """(method, concrete path, body field names or None, query parameter names) of every operation."""
    with app.app_context():
        spec = build_spec()
    found = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            body = None
            if "requestBody" in op:
                schema = _resolve(spec, op["requestBody"]["content"]["application/json"]["schema"])
                body = sorted(schema.get("properties", {}))
            query = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
            if body is not None or query:
                found.append((method, path, body, query))
    return found


def concrete(path: str, pack_key: str) -> str:
    path = re.sub(r"^/api/v1/packs/\{key\}", f"/api/v1/packs/{pack_key}", path)
    path = path.replace("/grids/{key}", "/grids/sh-xuhui").replace("/regions/{key}", "/regions/shanghai")
    path = path.replace("{sku}", "HH-BP-U60").replace("{number}", "1").replace("{user_id}", "999999")
    return re.sub(r"\{\w+\}", "1", path)


class Caller:
    """The API as the manager or the rep; logs in again when a fuzzed request ended its own session."""

    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def headers(self, role):
        if role not in self.tokens:
            login = self.client.post("/api/v1/auth/login", json={"email": EMAILS[role], "password": DEMO_PASSWORD})
            assert login.status_code == 200, login.get_json()
            self.tokens[role] = login.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(self, role, method, url, **kwargs):
        response = self.client.open(url, method=method.upper(), headers=self.headers(role), **kwargs)
        if response.status_code == 401:
            self.tokens.pop(role, None)
        return response


def check(response, what):
    assert response.status_code < 500, (what, response.status_code, response.get_data(as_text=True)[:500])
    if response.status_code >= 400 and response.status_code != 405:
        error = response.get_json()["error"]
        assert {"code", "message", "fields"} <= set(error), (what, error)


@pytest.fixture
def fuzz_target(app, client):
    caller = Caller(client)
    pack_key = client.get("/api/v1/packs", headers=caller.headers("manager")).get_json()["items"][0]["id"]
    return caller, pack_key, operations(app)


FUZZ = settings(max_examples=250, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@FUZZ
@given(data=st.data())
def test_no_json_body_gets_a_5xx(fuzz_target, data):
    caller, pack_key, ops = fuzz_target
    method, path, fields, _ = data.draw(st.sampled_from([op for op in ops if op[2] is not None]))
    role = data.draw(st.sampled_from(["manager", "rep"]))
    shaped = st.dictionaries(st.sampled_from(fields), VALUES, max_size=len(fields)) if fields else VALUES
    body = data.draw(st.one_of(shaped, VALUES, shaped.map(lambda b: {"body": b, "yaml": "a: [" * 40})))
    depth = data.draw(st.sampled_from([0, 0, 0, 33, 5_000]))
    text = "[" * depth + json.dumps(body) + "]" * depth
    check(caller.call(role, method, concrete(path, pack_key), data=text, content_type="application/json"),
          (method, path, text[:300]))


@FUZZ
@given(data=st.data())
def test_no_query_gets_a_5xx(fuzz_target, data):
    caller, pack_key, ops = fuzz_target
    method, path, _, names = data.draw(st.sampled_from([op for op in ops if op[3]]))
    role = data.draw(st.sampled_from(["manager", "rep"]))
    value = st.one_of(st.sampled_from(ODD_STRINGS), NUMBERS.map(str), st.text(max_size=30))
    query = data.draw(st.dictionaries(st.sampled_from(names), value, max_size=len(names)))
    check(caller.call(role, method, concrete(path, pack_key), query_string=query), (method, path, query))


@pytest.fixture
def rep_socket(field):
    return field()


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.sampled_from(["location", "track.reset"]), payload=VALUES)
def test_no_socket_event_payload_fails_or_drops_the_connection(rep_socket, event, payload):
    """Every /field event with any JSON payload is answered in the ack shape, never internal_error."""
    ack = rep_socket.emit(event, payload, namespace="/field", callback=True)
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    if not ack["ok"]:
        assert ack["error"]["code"] != "internal_error", (payload, ack)
        assert {"code", "message", "fields"} <= set(ack["error"])
    assert rep_socket.is_connected("/field")

