"""The authorization matrix, generated: every HTTP operation of the OpenAPI description × every kind of actor,
checked against the one declared policy (``app.services.permissions.POLICY`` and ``ROUTE_POLICY``).

Actors: anonymous, a rep and a guide of Shanghai, the manager of Shanghai, the manager of Hangzhou (another
region), an admin. Inputs are valid-looking and point at Shanghai's things (its rep, place, pack, rule, grid,
experiment …), so "region" scope means: Shanghai's manager gets in, Hangzhou's does not.

Expected answers: anonymous on a secured route → 401; a role the policy refuses → 403; a manager of another
region on a region-scoped thing → 403 (or 404 where the thing is hidden); anyone allowed → neither 401 nor 403;
never a 5xx, and never a 2xx where the policy says no.
"""

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.api.openapi import build_spec
from app.extensions import db
from app.models import (
    CoachingAlert,
    Contact,
    ContentPack,
    Digest,
    DiscountApproval,
    Experiment,
    Grid,
    Place,
    Product,
    Region,
    TriggerRule,
    User,
)
from app.services import auth as auth_service
from app.services.permissions import POLICY, ROUTE_POLICY, scope_of

MISSING = 999_999
"""The id of a thing the demo does not have (yet): refusing it may say 404 instead of 403."""

ACTORS = {
    "anonymous": None,
    "rep": "rep@demo.battlemap",
    "guide": "guide@demo.battlemap",
    "manager_other_region": "manager.hz@demo.battlemap",
    "manager": "manager@demo.battlemap",
    "admin": "admin@demo.battlemap",
}
"""In this order: the refused first, so a change made by an allowed actor (a delete) cannot hide a refusal."""


def operations() -> list[tuple[str, str, dict]]:
    from app import create_app
    from config import TestConfig

    with create_app(TestConfig).app_context():
        spec = build_spec()
    found = []
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in ops.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method, path, op))
    return found


OPERATIONS = operations()


def test_every_operation_has_a_declared_policy():
    """A new route without a line in ROUTE_POLICY fails here, and every line names a resource of POLICY."""
    declared = {f"{m.upper()} {p}" for m, p, _ in OPERATIONS}
    assert declared - set(ROUTE_POLICY) == set(), "routes without a policy line"
    assert set(ROUTE_POLICY) - declared == set(), "policy lines for routes that do not exist"
    for route, entry in ROUTE_POLICY.items():
        if entry != "public":
            resource, action = entry
            assert action in POLICY[resource], route


def first(query):
    return db.session.scalars(query.limit(1)).first()


@pytest.fixture
def inputs(app, client):
    """Shanghai's things, by the names of the path and query parameters."""
    with app.app_context():
        sh = db.session.scalar(select(Region).where(Region.key == "shanghai"))
        rep = db.session.scalar(select(User).where(User.email == "rep@demo.battlemap"))
        guide = db.session.scalar(select(User).where(User.email == "guide@demo.battlemap"))
        place = first(select(Place).where(Place.region_id == sh.id).order_by(Place.id))
        contact = first(select(Contact).join(Place).where(Place.region_id == sh.id).order_by(Contact.id))
        pack = first(select(ContentPack).where(ContentPack.region_id == sh.id).order_by(ContentPack.id))
        rule = first(select(TriggerRule).where(TriggerRule.region_id == sh.id).order_by(TriggerRule.id))
        grid = first(select(Grid).where(Grid.region_id == sh.id).order_by(Grid.id))
        experiment = Experiment(pack_id=pack.id, region_id=sh.id, talk_track_id="opening", pack_version=1,
                                variants=["a", "b"])  # the demo has none yet: one of Shanghai's to read
        db.session.add(experiment)
        db.session.commit()
        digest = first(select(Digest).where(Digest.region_id == sh.id).order_by(Digest.id))
        alert = first(select(CoachingAlert).where(CoachingAlert.region_id == sh.id).order_by(CoachingAlert.id))
        approval = first(select(DiscountApproval).order_by(DiscountApproval.id))
        product = first(select(Product).order_by(Product.id))
        share = client.post("/api/v1/solutions/shares", headers=bearer(app, "guide@demo.battlemap"), json={
            "budget_min": 3000, "budget_max": 6000, "needs": ["家用"], "counter_type": "ka_supermarket_counter",
            "shopper_type": "buying_for_parents"}).get_json() or {}
        values = {
            "place_id": place.id, "rep_id": rep.id, "user_id": guide.id,
            "contact_id": contact.id if contact else MISSING,
            "key": pack.key if pack else "none", "number": 1, "rule_id": rule.id if rule else MISSING,
            "experiment_id": experiment.id if experiment else MISSING, "digest_id": digest.id if digest else MISSING,
            "alert_id": alert.id if alert else MISSING, "approval_id": approval.id if approval else MISSING,
            "sku": product.sku, "token": share.get("token", "no-such-token"),
            "lat": 31.2304, "lon": 121.4737, "date": date.today().isoformat(), "region": "shanghai",
            "grid_key": grid.key if grid else "none", "region_key": "shanghai",
        }
    return values


def bearer(app, email: str | None) -> dict:
    if email is None:
        return {}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return {"Authorization": f"Bearer {auth_service.issue_token(user)}"}


def url_for(path: str, op: dict, values: dict) -> str:
    """The path with its parameters filled in, plus the required query parameters."""
    resource = path.split("/")[3] if path.count("/") >= 3 else ""

    def fill(match):
        name = match.group(1)
        if name == "key":
            return str(values["grid_key"] if resource == "grids" else values["region_key"] if resource == "regions"
                       else values["key"])
        return str(values[name])

    url = re.sub(r"\{(\w+)\}", fill, path)
    query = [f"{p['name']}={values[p['name']]}" for p in op.get("parameters", [])
             if p.get("in") == "query" and p.get("required") and p["name"] in values]
    return url + ("?" + "&".join(query) if query else "")


def expected(route: str, actor: str) -> str:
    """"public", "401", "403", "refused" (403, or 404 for a thing hidden from them) or "allowed" for ``actor`` on
    ``route``."""
    entry = ROUTE_POLICY[route]
    if entry == "public":
        return "public"
    if actor == "anonymous":
        return "401"
    role = "manager" if actor.startswith("manager") else actor
    scope = scope_of(role, *entry)
    if scope is None:
        return "403"
    if actor == "manager_other_region" and scope == "region" and entry[1] != "list":
        return "refused"
    return "allowed"


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=[f"{m.upper()} {p}" for m, p, _ in OPERATIONS])
def test_the_answer_matches_the_policy(app, client, inputs, method, path, op):
    route = f"{method.upper()} {path}"
    url = url_for(path, op, inputs)
    body = {} if method in ("post", "put", "patch") else None
    # a role the policy refuses is answered 403 before its body is read (permissions.init_app); the scope checks
    # come later, in the services: another region's manager may be told 404 for a thing the demo lacks, or
    # 400/422 for an empty body whose region or ids they must name
    scoped_refusals = {403, 404} | ({400, 422} if body is not None else set())
    for actor, email in ACTORS.items():
        if route == "POST /api/v1/auth/login":
            break
        response = client.open(url, method=method.upper(), json=body, headers=bearer(app, email))
        status = response.status_code
        want = expected(route, actor)
        assert status < 500, (route, actor, status, response.get_data(as_text=True)[:300])
        if want == "401":
            assert status == 401, (route, actor, status)
        elif want == "403":
            assert status == 403, (route, actor, status, response.get_json())
        elif want == "refused":
            assert status in scoped_refusals, (route, actor, status, response.get_json())
        elif want == "allowed":
            assert status not in (401, 403), (route, actor, status, response.get_json())
        if want in ("401", "403", "refused"):
            assert response.get_json()["error"]["code"], (route, actor)


LISTS = {
    "/api/v1/rules": lambda item, inputs: item["region"],
    "/api/v1/packs": lambda item, inputs: item["region"],
    "/api/v1/experiments": lambda item, inputs: "shanghai" if item["pack"]["id"] == inputs["key"] else "other",
    "/api/v1/users": lambda item, inputs: item["region"],
    "/api/v1/grids": lambda item, inputs: item["region"],
}
"""Region-scoped lists and the region each item belongs to (an experiment: its pack's)."""


def region_key(value) -> str | None:
    return value.get("key") if isinstance(value, dict) else value


@pytest.mark.parametrize("path", list(LISTS))
def test_another_regions_manager_reads_nothing_of_shanghai(app, client, inputs, path):
    """Reads through lists: Hangzhou's manager sees none of Shanghai's rules, packs, experiments, people or grids
    (and asking for Shanghai's is 403), while Shanghai's manager sees them — so the check can fail."""
    region_of = LISTS[path]
    mine = client.get(path, headers=bearer(app, "manager@demo.battlemap"))
    assert mine.status_code == 200
    assert "shanghai" in {region_key(region_of(i, inputs)) for i in mine.get_json()["items"]}, path
    theirs = client.get(path, headers=bearer(app, "manager.hz@demo.battlemap"))
    assert theirs.status_code == 200
    assert "shanghai" not in {region_key(region_of(i, inputs)) for i in theirs.get_json()["items"]}, path
    asked = client.get(f"{path}?region=shanghai", headers=bearer(app, "manager.hz@demo.battlemap"))
    assert asked.status_code == 403, (path, asked.get_json())


@pytest.mark.parametrize("path", ["/api/v1/rules/{rule_id}", "/api/v1/experiments/{experiment_id}",
                                  "/api/v1/packs/{key}", "/api/v1/packs/{key}/versions/{number}/yaml",
                                  "/api/v1/preview?rep_id={rep_id}&place_id={place_id}"])
def test_another_regions_manager_cannot_read_shanghais_things(app, client, inputs, path):
    url = path.format(**inputs)
    assert client.get(url, headers=bearer(app, "manager@demo.battlemap")).status_code == 200, url
    refused = client.get(url, headers=bearer(app, "manager.hz@demo.battlemap"))
    assert refused.status_code == 403, (url, refused.get_json())
    assert refused.get_json()["error"]["code"] == "forbidden"


def test_docs_render_the_policy():
    """docs/security.md shows the policy the server enforces, not an older one."""
    from pathlib import Path

    from app.services.permissions import policy_table

    docs = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text(encoding="utf-8")
    assert policy_table() in docs, "regenerate the table: python -c 'from app.services.permissions import " \
                                   "policy_table; print(policy_table())'"


def test_every_field_event_has_a_declared_policy():
    from app.realtime.field import FieldNamespace
    from app.services.permissions import SOCKET_POLICY

    handled = {name[3:].replace("_", ".") for name in vars(FieldNamespace) if name.startswith("on_")}
    assert handled - {"disconnect"} == set(SOCKET_POLICY)
    for resource, action in SOCKET_POLICY.values():
        assert action in POLICY[resource]


@pytest.mark.parametrize("actor", list(ACTORS))
def test_field_events_follow_the_policy(app, inputs, actor):
    """Anonymous is refused at connect (its error shape: tests/test_security_field.py); every role the policy lets
    connect does, and its own fix and track reset are answered ok."""
    from flask_socketio import SocketIOTestClient

    from app.extensions import socketio
    from app.services.permissions import SOCKET_POLICY

    email = ACTORS[actor]
    auth = {"token": bearer(app, email)["Authorization"].split()[1]} if email else {}
    sock = SocketIOTestClient(app, socketio, namespace="/field", auth=auth)
    role = "manager" if actor.startswith("manager") else actor
    if email is None or scope_of(role, *SOCKET_POLICY["connect"]) is None:
        assert not sock.is_connected("/field")
        return
    try:
        assert sock.is_connected("/field"), actor
        ack = sock.emit("location", {"lat": inputs["lat"], "lon": inputs["lon"], "accuracy_m": 15.0,
                                     "ts": 1_700_000_000_000}, namespace="/field", callback=True)
        assert ack.get("ok") is True, (actor, ack)
        assert sock.emit("track.reset", {}, namespace="/field", callback=True) == {"ok": True}
    finally:
        if sock.is_connected("/field"):
            sock.disconnect("/field")
