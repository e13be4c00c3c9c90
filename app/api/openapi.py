"""The OpenAPI 3 description of /api/v1: the whole HTTP surface in one table, schemas from marshmallow."""

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.schemas.auth import LoginIn, LoginOut, MeIn, UserOut
from app.schemas.catalog import (
    CounterTypeListOut,
    ProductIn,
    ProductListOut,
    ProductOut,
    ProductPatchIn,
    ProductQueryIn,
    ShareCreatedOut,
    ShareOut,
    ShopperTypeListOut,
)
from app.schemas.discounts import ApprovalIn, ApprovalListOut, ApprovalOut, ApprovalQueryIn, DecisionIn
from app.schemas.events import EventBatchIn, EventBatchOut, EventDoc, EventListOut, EventQueryIn
from app.schemas.packs import (
    AuditListOut,
    AuditQueryIn,
    DiffOut,
    DiffQueryIn,
    PackCreateIn,
    PackDetailOut,
    PackListOut,
    PackQueryIn,
    RejectIn,
    RollbackIn,
    ScheduleIn,
    SubmitIn,
    VersionCreateIn,
    VersionDetailOut,
    VersionListOut,
)
from app.schemas.places import NearbyIn, NearbyOut, PlaceDetailOut
from app.schemas.rules import PreviewIn, RuleIn, RuleListOut, RuleOut, RuleQueryIn
from app.schemas.solutions import CompareIn, CompareOut
from app.schemas.sync import BundleOut, BundleQueryIn

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "invalid_values"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
        }
    },
}


def _errors(*statuses: int) -> dict:
    text = {400: "Malformed input", 401: "Missing or bad token", 403: "Not allowed", 404: "Not found",
            409: "Conflicts with the current state", 422: "Invalid values", 429: "Too many requests"}
    return {str(s): {"description": text[s], "content": {"application/json": {"schema": {"$ref":
            "#/components/schemas/Error"}}}} for s in statuses}


def _path_id(name: str) -> dict:
    return {"in": "path", "name": name, "required": True, "schema": {"type": "integer"}}


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


_pack_key = {"in": "path", "name": "key", "required": True, "schema": {"type": "string"},
             "description": "The pack id, e.g. procurement-led-hospitals"}
_sku = {"in": "path", "name": "sku", "required": True, "schema": {"type": "string"}, "description": "e.g. HH-BP-U60"}
_version_number = {"in": "path", "name": "number", "required": True, "schema": {"type": "integer"}}


# (path, method, operation) — keep in step with app/api/*.py
OPERATIONS = [
    ("/healthz", "get", {"summary": "Liveness and database check", "security": [],
                         "responses": {"200": {"description": "OK"}}}),
    ("/api/v1/auth/login", "post", {
        "summary": "Log in; returns a bearer token", "security": [],
        "requestBody": {"required": True, **_json(LoginIn)},
        "responses": {"200": {"description": "Token and user", **_json(LoginOut)}, **_errors(400, 401, 422, 429)},
    }),
    ("/api/v1/auth/me", "patch", {
        "summary": "Change your own settings: the locale (zh | en) popups, previews and errors are rendered in",
        "requestBody": {"required": True, **_json(MeIn)},
        "responses": {"200": {"description": "You, updated", **_json(UserOut)}, **_errors(400, 401, 422)},
    }),
    ("/api/v1/places", "get", {
        "summary": "Places near a point, nearest first",
        "parameters": [{"in": "query", "schema": NearbyIn}],
        "responses": {"200": {"description": "Places", **_json(NearbyOut)}, **_errors(400, 401, 422)},
    }),
    ("/api/v1/places/{place_id}", "get", {
        "summary": "One place with its context",
        "parameters": [{"in": "path", "name": "place_id", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "Place", **_json(PlaceDetailOut)}, **_errors(401, 404)},
    }),
    ("/api/v1/solutions/compare", "post", {
        "summary": "Three solution options for a budget and needs",
        "requestBody": {"required": True, **_json(CompareIn)},
        "responses": {"200": {"description": "Exactly three options", **_json(CompareOut)},
                      **_errors(400, 401, 422)},
    }),
    # counter mode: catalog, counter and shopper types, shares (issue 8; docs/catalog.md)
    ("/api/v1/products", "get", {
        "summary": "Products matching the filters, with the sorted need words they cover (everyone signed in)",
        "parameters": [{"in": "query", "schema": ProductQueryIn}],
        "responses": {"200": {"description": "Products and their need words", **_json(ProductListOut)},
                      **_errors(400, 401, 422)},
    }),
    ("/api/v1/products", "post", {
        "summary": "Add a product (managers and admins); bumps the catalog counter",
        "requestBody": {"required": True, **_json(ProductIn)},
        "responses": {"201": {"description": "Created; Location names it", **_json(ProductOut)},
                      **_errors(400, 401, 403, 409, 422)},
    }),
    ("/api/v1/products/{sku}", "get", {
        "summary": "One product",
        "parameters": [_sku],
        "responses": {"200": {"description": "Product", **_json(ProductOut)}, **_errors(401, 404)},
    }),
    ("/api/v1/products/{sku}", "patch", {
        "summary": "Change some fields of a product (managers and admins); bumps the catalog counter",
        "parameters": [_sku],
        "requestBody": {"required": True, **_json(ProductPatchIn)},
        "responses": {"200": {"description": "Product", **_json(ProductOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/counter-types", "get", {
        "summary": "Store counter types (KA商超专柜, 连锁药房…)",
        "responses": {"200": {"description": "Counter types", **_json(CounterTypeListOut)}, **_errors(401)},
    }),
    ("/api/v1/shopper-types", "get", {
        "summary": "Shopper types talk-tracks can target (子女为父母选购, 慢病自用…)",
        "responses": {"200": {"description": "Shopper types", **_json(ShopperTypeListOut)}, **_errors(401)},
    }),
    ("/api/v1/solutions/shares", "post", {
        "summary": "Run a comparison (same body as /solutions/compare) and share it: a public link for 7 days, "
                   "without the guide's personal data",
        "requestBody": {"required": True, **_json(CompareIn)},
        "responses": {"201": {"description": "Token, /s/<token> link, expiry and the snapshot",
                              **_json(ShareCreatedOut)}, **_errors(400, 401, 422)},
    }),
    ("/api/v1/public/shares/{token}", "get", {
        "summary": "A shared comparison, read without login", "security": [],
        "parameters": [{"in": "path", "name": "token", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The snapshot", **_json(ShareOut)},
                      "404": _errors(404)["404"],
                      "410": {"description": "Expired (share_expired)",
                              **_json({"$ref": "#/components/schemas/Error"})}},
    }),
    # discounts within authority and approvals above it (issue 8; docs/discounts.md)
    ("/api/v1/approvals", "post", {
        "summary": "Ask for an option's discount above your limit: recomputes the comparison, sends a pending "
                   "request to your region's manager (422 within_authority: nothing to approve)",
        "requestBody": {"required": True, **_json(ApprovalIn)},
        "responses": {"201": {"description": "Created; Location names it", **_json(ApprovalOut)},
                      **_errors(400, 401, 422)},
    }),
    ("/api/v1/approvals", "get", {
        "summary": "Approval requests, newest first: addressed to you (an admin: all), or yours with mine=true",
        "parameters": [{"in": "query", "schema": ApprovalQueryIn}],
        "responses": {"200": {"description": "Requests", **_json(ApprovalListOut)}, **_errors(400, 401, 422)},
    }),
    ("/api/v1/approvals/{approval_id}", "get", {
        "summary": "One approval request (its requester, its approver or an admin)",
        "parameters": [_path_id("approval_id")],
        "responses": {"200": {"description": "Request", **_json(ApprovalOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/approvals/{approval_id}/approve", "post", {
        "summary": "pending → approved (the approver or an admin; 403 over_authority above your own limit)",
        "parameters": [_path_id("approval_id")],
        "requestBody": {"required": False, **_json(DecisionIn)},
        "responses": {"200": {"description": "Request", **_json(ApprovalOut)},
                      **_errors(400, 401, 403, 404, 409, 422)},
    }),
    ("/api/v1/approvals/{approval_id}/reject", "post", {
        "summary": "pending → rejected (the approver or an admin)",
        "parameters": [_path_id("approval_id")],
        "requestBody": {"required": False, **_json(DecisionIn)},
        "responses": {"200": {"description": "Request", **_json(ApprovalOut)},
                      **_errors(400, 401, 403, 404, 409, 422)},
    }),
    # trigger rules and preview (issue 4)
    ("/api/v1/rules", "get", {
        "summary": "Trigger rules of the regions you manage, by priority",
        "parameters": [{"in": "query", "schema": RuleQueryIn}],
        "responses": {"200": {"description": "Rules", **_json(RuleListOut)}, **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/rules", "post", {
        "summary": "Create a trigger rule (manager of its region)",
        "requestBody": {"required": True, **_json(RuleIn)},
        "responses": {"201": {"description": "Created; Location names it", **_json(RuleOut)},
                      **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/rules/{rule_id}", "get", {
        "summary": "One trigger rule",
        "parameters": [_path_id("rule_id")],
        "responses": {"200": {"description": "Rule", **_json(RuleOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/rules/{rule_id}", "put", {
        "summary": "Replace a trigger rule",
        "parameters": [_path_id("rule_id")],
        "requestBody": {"required": True, **_json(RuleIn)},
        "responses": {"200": {"description": "Rule", **_json(RuleOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/rules/{rule_id}", "delete", {
        "summary": "Delete a trigger rule",
        "parameters": [_path_id("rule_id")],
        "responses": {"204": {"description": "Deleted"}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/preview", "get", {
        "summary": "What would this rep see at this place now? The popup with its why, nothing recorded",
        "parameters": [{"in": "query", "schema": PreviewIn}],
        "responses": {"200": {"description": "The popup payload (see docs/socket-events.md) plus preview, rep, at",
                              **_json({"type": "object"})}, **_errors(400, 401, 403, 404, 422)},
    }),
    # content packs (issue 4)
    ("/api/v1/packs", "get", {
        "summary": "Content packs of the regions you manage, with live version and version counts per status",
        "parameters": [{"in": "query", "schema": PackQueryIn}],
        "responses": {"200": {"description": "Packs", **_json(PackListOut)}, **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/packs", "post", {
        "summary": "Create a pack from a full body: draft version 1 (manager of the body's region)",
        "requestBody": {"required": True, **_json(PackCreateIn)},
        "responses": {"201": {"description": "Created; Location names it", **_json(PackDetailOut)},
                      **_errors(400, 401, 403, 409, 422)},
    }),
    ("/api/v1/packs/{key}", "get", {
        "summary": "One pack with all its versions (without bodies)",
        "parameters": [_pack_key],
        "responses": {"200": {"description": "Pack", **_json(PackDetailOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/packs/{key}/versions", "get", {
        "summary": "Every version of a pack, oldest first",
        "parameters": [_pack_key],
        "responses": {"200": {"description": "Versions", **_json(VersionListOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/packs/{key}/versions", "post", {
        "summary": "Edit: a new draft version holding the whole new body, based on an earlier version",
        "parameters": [_pack_key],
        "requestBody": {"required": True, **_json(VersionCreateIn)},
        "responses": {"201": {"description": "Created; Location names it", **_json(VersionDetailOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/packs/{key}/versions/{number}", "get", {
        "summary": "One version with its body",
        "parameters": [_pack_key, _version_number],
        "responses": {"200": {"description": "Version", **_json(VersionDetailOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/submit", "post", {
        "summary": "draft → in_review",
        "parameters": [_pack_key, _version_number],
        "requestBody": {"required": False, **_json(SubmitIn)},
        "responses": {"200": {"description": "Version", **_json(VersionDetailOut)},
                      **_errors(400, 401, 403, 404, 409, 422)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/reject", "post", {
        "summary": "in_review → rejected",
        "parameters": [_pack_key, _version_number],
        "requestBody": {"required": False, **_json(RejectIn)},
        "responses": {"200": {"description": "Version", **_json(VersionDetailOut)},
                      **_errors(400, 401, 403, 404, 409, 422)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/publish", "post", {
        "summary": "in_review → published now (the live one is superseded); pushes pack.updated to the reps in scope",
        "parameters": [_pack_key, _version_number],
        "responses": {"200": {"description": "Version", **_json(VersionDetailOut)}, **_errors(401, 403, 404, 409)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/schedule", "post", {
        "summary": "Set or clear scheduled publishing (in_review) and expiry (in_review or published), UTC",
        "parameters": [_pack_key, _version_number],
        "requestBody": {"required": True, **_json(ScheduleIn)},
        "responses": {"200": {"description": "Version", **_json(VersionDetailOut)},
                      **_errors(400, 401, 403, 404, 409, 422)},
    }),
    ("/api/v1/packs/{key}/rollback", "post", {
        "summary": "Publish an earlier (superseded or expired) version again; pushes pack.updated",
        "parameters": [_pack_key],
        "requestBody": {"required": True, **_json(RollbackIn)},
        "responses": {"200": {"description": "The now-live version", **_json(VersionDetailOut)},
                      **_errors(400, 401, 403, 404, 409, 422)},
    }),
    ("/api/v1/packs/{key}/diff", "get", {
        "summary": "Which components and lines changed between two versions",
        "parameters": [_pack_key, {"in": "query", "schema": DiffQueryIn}],
        "responses": {"200": {"description": "Diff", **_json(DiffOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/audit", "get", {
        "summary": "Audit log of the regions you manage (or of one pack), newest first",
        "parameters": [{"in": "query", "schema": AuditQueryIn}],
        "responses": {"200": {"description": "Entries", **_json(AuditListOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    # offline bundle and the events outbox (docs/sync-and-events.md)
    ("/api/v1/sync/bundle", "get", {
        "summary": "The rep's offline bundle (places, zones, packs, components, precomputed cards); only what "
                   "changed with since=<version>",
        "parameters": [{"in": "query", "schema": BundleQueryIn},
                       {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"},
                        "description": "the ETag you hold; 304 when it is current"}],
        "responses": {"200": {"description": "Bundle (gzip when Accept-Encoding allows); ETag is the version",
                              **_json(BundleOut)},
                      "304": {"description": "since / If-None-Match is the current version; no body"},
                      **_errors(400, 401, 422)},
    }),
    ("/api/v1/events", "post", {
        "summary": "Store outbox events once per client id; one result per event (accepted, duplicate, rejected)",
        "requestBody": {"required": True, **_json(EventBatchIn)},
        "responses": {"200": {"description": "Results in request order; each event of the batch is an "
                                             "EventDoc", **_json(EventBatchOut)},
                      **_errors(400, 401, 422)},
    }),
    ("/api/v1/events", "get", {
        "summary": "Your stored events, newest received first",
        "parameters": [{"in": "query", "schema": EventQueryIn}],
        "responses": {"200": {"description": "Events", **_json(EventListOut)}, **_errors(400, 401, 422)},
    }),
    # users, grids and teams (issue 9, docs/team.md)
    # pack review, components, audience and replay (issue 9, docs/packs-api.md, docs/replay.md)
]


@cache
def build_spec() -> dict:
    spec = APISpec(
        title="Battlemap API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Field-sales battle maps. Socket events are documented in docs/socket-events.md."},
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    spec.components.schema("EventDoc", schema=EventDoc)
    by_path: dict[str, dict] = {}
    for path, method, operation in OPERATIONS:
        by_path.setdefault(path, {})[method] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
