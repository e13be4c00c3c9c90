"""The OpenAPI 3 description of /api/v1: the whole HTTP surface in one table, schemas from marshmallow."""

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.schemas.auth import LoginIn, LoginOut, LogoutIn, MeIn, RefreshIn, UserOut
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
from app.schemas.experiments import (
    ExperimentListOut,
    ExperimentOut,
    ExperimentPatchIn,
    ExperimentQueryIn,
    OnboardingListOut,
)
from app.schemas.grids import GridCreateIn, GridDetailOut, GridListOut, GridPatchIn, GridPlacesIn, GridQueryIn
from app.schemas.health import (
    CoachingAlertListOut,
    CoachingAlertOut,
    CoachingAlertQueryIn,
    CoachingCardListOut,
    HealthOut,
    HealthQueryIn,
    HealthSettingsIn,
    HealthSettingsOut,
    RegionWarningListOut,
    RepDetailOut,
    RepHealthQueryIn,
    WarningQueryIn,
)
from app.schemas.insights import DigestListOut, DigestOut, DigestQueryIn, InsightsOut, InsightsQueryIn
from app.schemas.packs import (
    ApproveIn,
    AudienceOut,
    AuditListOut,
    AuditQueryIn,
    CommentIn,
    CommentListOut,
    CommentOut,
    ComponentListOut,
    ComponentQueryIn,
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
    ValidateIn,
    ValidateOut,
    VersionCreateIn,
    VersionDetailOut,
    VersionListOut,
)
from app.schemas.places import NearbyIn, NearbyOut, PlaceDetailOut
from app.schemas.popup import PreviewOut
from app.schemas.privacy import (
    ConsentIn,
    ContactErasedOut,
    ContactExportOut,
    ContactLinkOut,
    ContactWithdrawIn,
    DutyIn,
    DutyOut,
    DutyScheduleIn,
    MyLocationsExportOut,
    MyLocationsOut,
    MyLocationsQueryIn,
    RegionDutyOut,
    UserDutyOut,
)
from app.schemas.replay import ReplayOut, ReplayQueryIn
from app.schemas.rules import PreviewIn, RuleIn, RuleListOut, RuleOptionsOut, RuleOptionsQueryIn, RuleOut, RuleQueryIn
from app.schemas.solutions import CompareIn, CompareOut
from app.schemas.sync import BundleOut, BundleQueryIn
from app.schemas.users import UserCreateIn, UserListOut, UserPatchIn, UserProfileOut, UserQueryIn

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
                "fields": {"type": "object", "description": "Flat: one path per field at fault (docs/api.md), "
                           "e.g. body.talk_tracks[0].objections, data.stops[1].place_id; _schema for the whole",
                           "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
        }
    },
}


def _errors(*statuses: int) -> dict:
    text = {400: "Malformed input", 401: "Missing or bad token", 403: "Not allowed", 404: "Not found",
            409: "Conflicts with the current state", 413: "Body too large (error.max_bytes says the limit)",
            422: "Invalid values", 429: "Too many requests (login_locked: error.retry_after_s, Retry-After)"}
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
_region_key = {"in": "path", "name": "key", "required": True, "schema": {"type": "string"},
               "description": "The region key, e.g. shanghai"}
_grid_key = {"in": "path", "name": "key", "required": True, "schema": {"type": "string"},
             "description": "The grid key, e.g. sh-xuhui"}


# (path, method, operation) — keep in step with app/api/*.py
OPERATIONS = [
    ("/healthz", "get", {"summary": "Liveness and database check", "security": [],
                         "responses": {"200": {"description": "OK"}}}),
    ("/api/v1/auth/login", "post", {
        "summary": "Log in; returns an access token (1 h), a refresh token and the user. Five failed logins in a "
                   "row for one email lock it (429 login_locked, doubling from 30 s to 15 min); docs/security.md",
        "security": [],
        "requestBody": {"required": True, **_json(LoginIn)},
        "responses": {"200": {"description": "Tokens and user", **_json(LoginOut)},
                      **_errors(400, 401, 413, 422, 429)},
    }),
    ("/api/v1/auth/refresh", "post", {
        "summary": "A new access and refresh token for a refresh token; the old refresh token stops working (used "
                   "again after 60 s it ends the whole session: token_revoked)",
        "security": [],
        "requestBody": {"required": True, **_json(RefreshIn)},
        "responses": {"200": {"description": "Tokens and user", **_json(LoginOut)}, **_errors(400, 401, 413, 422)},
    }),
    ("/api/v1/auth/logout", "post", {
        "summary": "End this login (the bearer token's session, or the refresh token's): both tokens are refused "
                   "from now on; everywhere: true ends every login of the user",
        "security": [{"bearer": []}, {}],
        "requestBody": {"required": False, **_json(LogoutIn)},
        "responses": {"204": {"description": "Logged out"}, **_errors(400, 401, 413, 422)},
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
                   "request to your grid's leader (within the grid's limit) or your region's manager (422 "
                   "within_authority: nothing to approve)",
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
        "responses": {"200": {"description": "The popup (PopupOut, as /field pushes it: /asyncapi.json) plus "
                                             "preview, rep, at, local_time, weekday",
                              **_json(PreviewOut)}, **_errors(400, 401, 403, 404, 422)},
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
        "summary": "in_review → published now (the live one is superseded); pushes pack.updated to the reps in scope. "
                   "403 second_reviewer_required when the region asks for a second pair of eyes and you wrote it",
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
    ("/api/v1/users", "get", {
        "summary": "People you may see: an admin everyone; a manager the reps, guides and managers of their regions",
        "parameters": [{"in": "query", "schema": UserQueryIn}],
        "responses": {"200": {"description": "Users (never a password hash)", **_json(UserListOut)},
                      **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/users", "post", {
        "summary": "Create a user (a manager: reps and guides of their regions; an admin: anyone); the password "
                   "must be strong enough (422 weak_password)",
        "requestBody": {"required": True, **_json(UserCreateIn)},
        "responses": {"201": {"description": "Created; Location names it", **_json(UserProfileOut)},
                      **_errors(400, 401, 403, 409, 422)},
    }),
    ("/api/v1/users/{user_id}", "get", {
        "summary": "One user you may see",
        "parameters": [_path_id("user_id")],
        "responses": {"200": {"description": "User", **_json(UserProfileOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/users/{user_id}", "patch", {
        "summary": "Change a user: a manager the reps and guides of their regions (skill level, tags, grid, "
                   "active, name, password, role rep|guide); an admin anyone. Applies from the rep's next fix",
        "parameters": [_path_id("user_id")],
        "requestBody": {"required": True, **_json(UserPatchIn)},
        "responses": {"200": {"description": "User", **_json(UserProfileOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/grids", "get", {
        "summary": "Grids (网格) of the regions you manage, with leader and counts",
        "parameters": [{"in": "query", "schema": GridQueryIn}],
        "responses": {"200": {"description": "Grids", **_json(GridListOut)}, **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/grids", "post", {
        "summary": "Create a grid in a region you manage, optionally with a leader and its places",
        "requestBody": {"required": True, **_json(GridCreateIn)},
        "responses": {"201": {"description": "Created; Location names it", **_json(GridDetailOut)},
                      **_errors(400, 401, 403, 409, 422)},
    }),
    ("/api/v1/grids/{key}", "get", {
        "summary": "One grid with its place keys",
        "parameters": [_grid_key],
        "responses": {"200": {"description": "Grid", **_json(GridDetailOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/grids/{key}", "patch", {
        "summary": "Change a grid: name, leader (null: none), discount limit, and place_keys (exactly the grid's "
                   "places from now on)",
        "parameters": [_grid_key],
        "requestBody": {"required": True, **_json(GridPatchIn)},
        "responses": {"200": {"description": "Grid", **_json(GridDetailOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/grids/{key}/places", "post", {
        "summary": "Add places of the grid's region to the grid (out of any other grid)",
        "parameters": [_grid_key],
        "requestBody": {"required": True, **_json(GridPlacesIn)},
        "responses": {"200": {"description": "Grid", **_json(GridDetailOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    # pack review, components, audience and replay (issue 9, docs/packs-api.md, docs/replay.md)
    ("/api/v1/packs/validate", "post", {
        "summary": "Check a pack body or YAML with the messages of `flask packs validate` (plus the database "
                   "checks); stores nothing",
        "requestBody": {"required": True, **_json(ValidateIn)},
        "responses": {"200": {"description": "valid, errors by path, the first problem", **_json(ValidateOut)},
                      **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/yaml", "get", {
        "summary": "The version as pack YAML (as `flask packs export`)",
        "parameters": [_pack_key, _version_number],
        "responses": {"200": {"description": "text/yaml; charset=utf-8",
                              "content": {"text/yaml": {"schema": {
                                  "type": "object", "description": "A pack as YAML (docs/content-packs.md): read, "
                                  "it is one mapping of the pack's fields"}}}},
                      **_errors(401, 403, 404)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/approve", "post", {
        "summary": "The second pair of eyes: a manager or admin of the region other than the version's author "
                   "approves an in-review version (403 second_reviewer_required for the author)",
        "parameters": [_pack_key, _version_number],
        "requestBody": {"required": False, **_json(ApproveIn)},
        "responses": {"200": {"description": "Version", **_json(VersionDetailOut)},
                      **_errors(400, 401, 403, 404, 409, 422)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/comments", "get", {
        "summary": "Review comments on a version (per component or on the whole), oldest first",
        "parameters": [_pack_key, _version_number],
        "responses": {"200": {"description": "Comments", **_json(CommentListOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/comments", "post", {
        "summary": "Comment on one component of a version (component_id) or on the whole version",
        "parameters": [_pack_key, _version_number],
        "requestBody": {"required": True, **_json(CommentIn)},
        "responses": {"201": {"description": "The comment", **_json(CommentOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/packs/{key}/versions/{number}/audience", "get", {
        "summary": "Before publishing: how many reps would receive pack.updated, and how many are online now",
        "parameters": [_pack_key, _version_number],
        "responses": {"200": {"description": "Counts", **_json(AudienceOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/components", "get", {
        "summary": "Reusable components: those of the latest version of every pack of your regions",
        "parameters": [{"in": "query", "schema": ComponentQueryIn}],
        "responses": {"200": {"description": "Components", **_json(ComponentListOut)},
                      **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/rules/options", "get", {
        "summary": "What a rule editor offers for a region: events, zone types, categories, stages, skills, tags, "
                   "components — keys with names in your language",
        "parameters": [{"in": "query", "schema": RuleOptionsQueryIn}],
        "responses": {"200": {"description": "Options", **_json(RuleOptionsOut)}, **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/replay", "get", {
        "summary": "A rep's day replayed: every stored fix (accepted or dropped, why), fence events incl. "
                   "suppressed enters with their reason, and the cards pushed (managers of the rep's region)",
        "parameters": [{"in": "query", "schema": ReplayQueryIn}],
        "responses": {"200": {"description": "The day", **_json(ReplayOut)}, **_errors(400, 401, 403, 404, 422)},
    }),
    # the learning loop (issue 10, docs/experiments.md)
    # process health and coaching, insights, digests (docs/learning.md)
    ("/api/v1/health", "get", {
        "summary": "Process-health indicators per rep and per grid with red/amber/green against the region's "
                   "thresholds (managers of the region, admins)",
        "parameters": [{"in": "query", "schema": HealthQueryIn}],
        "responses": {"200": {"description": "Indicators", **_json(HealthOut)}, **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/health/reps/{rep_id}", "get", {
        "summary": "One rep's indicators with each value per day, visit or deal and the event ids behind it",
        "parameters": [_path_id("rep_id"), {"in": "query", "schema": RepHealthQueryIn}],
        "responses": {"200": {"description": "The drill-down", **_json(RepDetailOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/regions/{key}/health-settings", "get", {
        "summary": "A region's health settings: thresholds, coaching links, coaching rule, windows, warning "
                   "tuning (with the defaults)",
        "parameters": [_region_key],
        "responses": {"200": {"description": "Settings", **_json(HealthSettingsOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/regions/{key}/health-settings", "put", {
        "summary": "Replace a region's health settings (what is left out takes the default); a coaching link must "
                   "name a component of a published pack of the region",
        "parameters": [_region_key],
        "requestBody": {"required": True, **_json(HealthSettingsIn)},
        "responses": {"200": {"description": "Settings", **_json(HealthSettingsOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/coaching-alerts", "get", {
        "summary": "Coaching alerts of your regions, newest first: the rep, the indicator, its last values, the "
                   "threshold and why",
        "parameters": [{"in": "query", "schema": CoachingAlertQueryIn}],
        "responses": {"200": {"description": "Alerts", **_json(CoachingAlertListOut)},
                      **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/coaching-alerts/{alert_id}/acknowledge", "post", {
        "summary": "Mark a coaching alert as seen to (the first time is kept)",
        "parameters": [_path_id("alert_id")],
        "responses": {"200": {"description": "The alert", **_json(CoachingAlertOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/coaching", "get", {
        "summary": "Your own coaching cards, newest first (also pushed over /field as coaching.card)",
        "responses": {"200": {"description": "Cards", **_json(CoachingCardListOut)}, **_errors(401)},
    }),
    ("/api/v1/warnings", "get", {
        "summary": "Regional early warnings of your regions, newest first, with the evidence and packs that may help",
        "parameters": [{"in": "query", "schema": WarningQueryIn}],
        "responses": {"200": {"description": "Warnings", **_json(RegionWarningListOut)},
                      **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/insights", "get", {
        "summary": "Dashboard numbers: card use per day, the funnel shown → feedback → used → outcome, visits, "
                   "cards used and wins per district and grid with coordinates",
        "parameters": [{"in": "query", "schema": InsightsQueryIn}],
        "responses": {"200": {"description": "Insights", **_json(InsightsOut)}, **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/digests", "get", {
        "summary": "Weekly digests of your regions, newest week first",
        "parameters": [{"in": "query", "schema": DigestQueryIn}],
        "responses": {"200": {"description": "Digests", **_json(DigestListOut)}, **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/digests/{digest_id}", "get", {
        "summary": "One weekly digest",
        "parameters": [_path_id("digest_id")],
        "responses": {"200": {"description": "The digest", **_json(DigestOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/experiments", "get", {
        "summary": "Talk-track experiments of your regions: per variant exposures, successes, rate and its "
                   "always-valid interval; the verdict (running, winner, no_difference)",
        "parameters": [{"in": "query", "schema": ExperimentQueryIn}],
        "responses": {"200": {"description": "Experiments", **_json(ExperimentListOut)},
                      **_errors(400, 401, 403, 422)},
    }),
    ("/api/v1/experiments/{experiment_id}", "get", {
        "summary": "One experiment with the numbers behind its verdict",
        "parameters": [_path_id("experiment_id")],
        "responses": {"200": {"description": "The experiment", **_json(ExperimentOut)},
                      **_errors(401, 403, 404)},
    }),
    ("/api/v1/experiments/{experiment_id}", "patch", {
        "summary": "Set a running experiment's metric, window, level or minimum sample (judged again at once)",
        "parameters": [_path_id("experiment_id")],
        "requestBody": {"required": True, **_json(ExperimentPatchIn)},
        "responses": {"200": {"description": "The experiment", **_json(ExperimentOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/onboarding", "get", {
        "summary": "Your region's onboarding collection (新人必修): winning talk-tracks with where they came from",
        "responses": {"200": {"description": "Items, in order", **_json(OnboardingListOut)}, **_errors(401)},
    }),
    # privacy (issue 11; docs/privacy.md)
    ("/api/v1/auth/me/duty", "get", {
        "summary": "Your location switch and the duty schedule in force; would a fix now be accepted",
        "responses": {"200": {"description": "Duty", **_json(DutyOut)}, **_errors(401)},
    }),
    ("/api/v1/auth/me/duty", "put", {
        "summary": "Turn your location on or off (off: the app sends no fixes, the server refuses any)",
        "requestBody": {"required": True, **_json(DutyIn)},
        "responses": {"200": {"description": "Duty", **_json(DutyOut)}, **_errors(400, 401, 422)},
    }),
    ("/api/v1/regions/{key}/duty", "put", {
        "summary": "Set a region's default duty schedule for its reps (null: the install's default)",
        "parameters": [_region_key],
        "requestBody": {"required": True, **_json(DutyScheduleIn)},
        "responses": {"200": {"description": "The region's schedule", **_json(RegionDutyOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/users/{user_id}/duty", "put", {
        "summary": "Set one rep's own duty schedule (null: the region's)",
        "parameters": [_path_id("user_id")],
        "requestBody": {"required": True, **_json(DutyScheduleIn)},
        "responses": {"200": {"description": "The rep's schedule", **_json(UserDutyOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/me/locations", "get", {
        "summary": "Your own stored fixes and visit records of one local day",
        "parameters": [{"in": "query", "schema": MyLocationsQueryIn}],
        "responses": {"200": {"description": "Your day", **_json(MyLocationsOut)}, **_errors(400, 401, 422)},
    }),
    ("/api/v1/me/locations/export", "get", {
        "summary": "Everything location-related held about you (JSON download)",
        "responses": {"200": {"description": "Your location data", **_json(MyLocationsExportOut)},
                      **_errors(401)},
    }),
    ("/api/v1/contacts/{contact_id}/consents", "post", {
        "summary": "Record a key contact's consent change for one purpose (reps and managers of the region)",
        "parameters": [_path_id("contact_id")],
        "requestBody": {"required": True, **_json(ConsentIn)},
        "responses": {"201": {"description": "What is held about the contact now", **_json(ContactExportOut)},
                      **_errors(400, 401, 403, 404, 422)},
    }),
    ("/api/v1/contacts/{contact_id}/export", "get", {
        "summary": "Everything held about a key contact and why (managers of the region; JSON download)",
        "parameters": [_path_id("contact_id")],
        "responses": {"200": {"description": "The contact's data", **_json(ContactExportOut)},
                      **_errors(401, 403, 404)},
    }),
    ("/api/v1/contacts/{contact_id}", "delete", {
        "summary": "Erase a key contact (managers of the region); the audit log keeps a tombstone, not the data",
        "parameters": [_path_id("contact_id")],
        "responses": {"200": {"description": "The tombstone", **_json(ContactErasedOut)},
                      **_errors(401, 403, 404)},
    }),
    ("/api/v1/contacts/{contact_id}/link", "post", {
        "summary": "A signed, expiring link to the contact's own page (/c/<token>), to hand over as a QR code",
        "parameters": [_path_id("contact_id")],
        "responses": {"201": {"description": "The link", **_json(ContactLinkOut)}, **_errors(401, 403, 404)},
    }),
    ("/api/v1/public/contacts/{token}", "get", {
        "summary": "A contact's own view of what is held about them and why, read without login", "security": [],
        "parameters": [{"in": "path", "name": "token", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The contact's data", **_json(ContactExportOut)},
                      **_errors(401, 404)},
    }),
    ("/api/v1/public/contacts/{token}/withdraw", "post", {
        "summary": "The contact withdraws their consent for one purpose, without login", "security": [],
        "parameters": [{"in": "path", "name": "token", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": True, **_json(ContactWithdrawIn)},
        "responses": {"200": {"description": "The contact's data now", **_json(ContactExportOut)},
                      **_errors(400, 401, 404, 422)},
    }),
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
