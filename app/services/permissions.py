"""Who may manage what: roles and regions.

Managers curate content (packs, trigger rules) for the regions they are assigned to (``UserRegion``);
admins may do everything; reps and guides manage nothing. ``POLICY`` (below) declares it once, as role ×
resource × action → scope; the checks here consult it. Every check raises ``Forbidden`` (403) so the HTTP and
socket edges answer in the one error shape.
"""

import re

from sqlalchemy import select

from app.errors import Forbidden
from app.extensions import db
from app.models import ROLES, Region, User, UserRegion

MANAGING_ROLES = ("manager", "admin")


def is_admin(user: User) -> bool:
    """True for admins, who may manage every region (and content that has no region)."""
    return user.role == "admin"


def require_manager(user: User, resource: str = "packs", action: str = "write") -> None:
    """Raise ``Forbidden`` unless ``POLICY`` lets the user's role do ``action`` on ``resource`` at all (the
    managing resources: managers and admins)."""
    if scope_of(user.role, resource, action) is None:
        raise Forbidden("Only managers and admins may manage content.")


def managed_region_ids(user: User) -> set[int] | None:
    """The ids of the regions ``user`` manages; ``None`` means every region (an admin).

    Reps and guides manage none (an empty set).
    """
    if is_admin(user):
        return None
    if user.role != "manager":
        return set()
    return set(db.session.scalars(select(UserRegion.region_id).where(UserRegion.user_id == user.id)))


def can_manage(user: User, region_id: int | None) -> bool:
    """May ``user`` change content of ``region_id``? Content without a region belongs to admins only."""
    regions = managed_region_ids(user)
    if regions is None:
        return True
    return region_id is not None and region_id in regions


def require_manager_of(user: User, region_id: int | None, resource: str = "packs", action: str = "write") -> None:
    """Raise ``Forbidden`` unless ``POLICY`` lets the user do ``action`` on ``resource`` of ``region_id``: in any
    region (an admin), or in the regions they manage (a manager)."""
    require_manager(user, resource, action)
    if scope_of(user.role, resource, action) != ANY and not can_manage(user, region_id):
        region = db.session.get(Region, region_id) if region_id is not None else None
        where = f"region '{region.key}'" if region else "content without a region"
        raise Forbidden(f"You do not manage {where}.")


# ── people (issue 9, docs/team.md) ───────────────────────────────────────────────────────────

MANAGER_MANAGED_ROLES = ("rep", "guide")
"""The roles a manager may create and edit in their regions; managers and admins are an admin's to change."""


def can_see_user(actor: User, user: User) -> bool:
    """May ``actor`` read ``user``'s profile? Admins: everyone. A manager: themselves, and the reps, guides and
    managers of their regions (the console picks grid leaders among them). Reps and guides: nobody here."""
    if is_admin(actor):
        return True
    if actor.role != "manager":
        return False
    if actor.id == user.id:
        return True
    if user.role == "admin":
        return False
    regions = managed_region_ids(actor) or set()
    if user.region_id in regions:
        return True
    return user.role == "manager" and bool(regions & managed_region_ids(user))


def can_manage_user(actor: User, user: User) -> bool:
    """May ``actor`` change ``user``? Admins: everyone. A manager: the reps and guides of their regions."""
    if is_admin(actor):
        return True
    return (actor.role == "manager" and user.role in MANAGER_MANAGED_ROLES
            and can_manage(actor, user.region_id))


# ── the declared policy (issue 11, docs/security.md "Who may do what") ──────────────────────────────────────

ANY, REGION, GRID, OWN = "any", "region", "grid", "own"
"""Scopes: every such thing; the things of the regions the user manages (a manager) or belongs to (a rep, a
guide); the things of the user's grid; only the user's own."""

_ALL = {"rep": OWN, "guide": OWN, "manager": OWN, "admin": OWN}
_READ_ALL = {"rep": ANY, "guide": ANY, "manager": ANY, "admin": ANY}
_MANAGE = {"manager": REGION, "admin": ANY}

POLICY: dict[str, dict[str, dict[str, str]]] = {
    "session": {"use": _ALL},  # log out, one's own profile, language, duty switch
    "catalog": {"read": _READ_ALL, "write": {"manager": ANY, "admin": ANY}},  # products, counter & shopper types
    "places": {"read": _READ_ALL},
    "solutions": {"compare": _READ_ALL, "share": _READ_ALL},
    # decide: "own" = the approver the request names (a manager of the requester's region); else 403 not_approver
    "approvals": {"request": _ALL, "read": _ALL, "decide": {**_ALL, "admin": ANY}},
    "bundle": {"read": _ALL},  # the user's own bundle: their region's content, places and people
    "events": {"write": _ALL, "read": _ALL},
    "packs": {"list": _MANAGE, "read": _MANAGE, "write": _MANAGE, "publish": _MANAGE},
    "rules": {"list": _MANAGE, "read": _MANAGE, "write": _MANAGE},
    "previews": {"read": _MANAGE},
    "audit": {"list": _MANAGE},
    "users": {"list": _MANAGE, "read": _MANAGE, "write": _MANAGE},
    "grids": {"list": _MANAGE, "read": _MANAGE, "write": _MANAGE},
    "replay": {"read": _MANAGE},
    "health": {"list": _MANAGE, "read": _MANAGE, "write": _MANAGE},
    "coaching": {"read": _ALL},  # one's own coaching cards
    "insights": {"list": _MANAGE},
    "digests": {"list": _MANAGE, "read": _MANAGE},
    "experiments": {"list": _MANAGE, "read": _MANAGE, "write": _MANAGE},
    "onboarding": {"read": _READ_ALL},
    "duty": {"write": _MANAGE},
    "locations": {"read": _ALL},
    "contacts": {"write": {"rep": REGION, "manager": REGION, "admin": ANY}, "export": _MANAGE, "erase": _MANAGE},
    "field": {"connect": _ALL, "send": _ALL},  # /field: one's own fixes, fence state and cards
}
"""Who may do what: resource → action → role → scope. A role missing from an action may not do it (403). The
checks in the services consult it (``require_manager``, ``require_manager_of``); ``tests/test_authz_matrix.py``
walks every route of the OpenAPI description for every role against it, and docs/security.md renders it."""

ROUTE_POLICY: dict[str, tuple[str, str] | str] = {
    "POST /api/v1/auth/login": "public",
    "POST /api/v1/auth/refresh": "public",
    "POST /api/v1/auth/logout": ("session", "use"),
    "PATCH /api/v1/auth/me": ("session", "use"),
    "GET /api/v1/auth/me/duty": ("session", "use"),
    "PUT /api/v1/auth/me/duty": ("session", "use"),
    "GET /api/v1/places": ("places", "read"),
    "GET /api/v1/places/{place_id}": ("places", "read"),
    "POST /api/v1/solutions/compare": ("solutions", "compare"),
    "POST /api/v1/solutions/shares": ("solutions", "share"),
    "GET /api/v1/public/shares/{token}": "public",
    "GET /api/v1/products": ("catalog", "read"),
    "POST /api/v1/products": ("catalog", "write"),
    "GET /api/v1/products/{sku}": ("catalog", "read"),
    "PATCH /api/v1/products/{sku}": ("catalog", "write"),
    "GET /api/v1/counter-types": ("catalog", "read"),
    "GET /api/v1/shopper-types": ("catalog", "read"),
    "POST /api/v1/approvals": ("approvals", "request"),
    "GET /api/v1/approvals": ("approvals", "read"),
    "GET /api/v1/approvals/{approval_id}": ("approvals", "read"),
    "POST /api/v1/approvals/{approval_id}/approve": ("approvals", "decide"),
    "POST /api/v1/approvals/{approval_id}/reject": ("approvals", "decide"),
    "GET /api/v1/rules": ("rules", "list"),
    "POST /api/v1/rules": ("rules", "write"),
    "GET /api/v1/rules/options": ("rules", "list"),
    "GET /api/v1/rules/{rule_id}": ("rules", "read"),
    "PUT /api/v1/rules/{rule_id}": ("rules", "write"),
    "DELETE /api/v1/rules/{rule_id}": ("rules", "write"),
    "GET /api/v1/components": ("rules", "list"),
    "GET /api/v1/preview": ("previews", "read"),
    "GET /api/v1/packs": ("packs", "list"),
    "POST /api/v1/packs": ("packs", "write"),
    "POST /api/v1/packs/validate": ("packs", "list"),
    "GET /api/v1/packs/{key}": ("packs", "read"),
    "GET /api/v1/packs/{key}/versions": ("packs", "read"),
    "POST /api/v1/packs/{key}/versions": ("packs", "write"),
    "GET /api/v1/packs/{key}/versions/{number}": ("packs", "read"),
    "GET /api/v1/packs/{key}/versions/{number}/yaml": ("packs", "read"),
    "GET /api/v1/packs/{key}/versions/{number}/audience": ("packs", "read"),
    "GET /api/v1/packs/{key}/versions/{number}/comments": ("packs", "read"),
    "POST /api/v1/packs/{key}/versions/{number}/comments": ("packs", "write"),
    "POST /api/v1/packs/{key}/versions/{number}/submit": ("packs", "write"),
    "POST /api/v1/packs/{key}/versions/{number}/approve": ("packs", "publish"),
    "POST /api/v1/packs/{key}/versions/{number}/reject": ("packs", "publish"),
    "POST /api/v1/packs/{key}/versions/{number}/publish": ("packs", "publish"),
    "POST /api/v1/packs/{key}/versions/{number}/schedule": ("packs", "publish"),
    "POST /api/v1/packs/{key}/rollback": ("packs", "publish"),
    "GET /api/v1/packs/{key}/diff": ("packs", "read"),
    "GET /api/v1/audit": ("audit", "list"),
    "GET /api/v1/sync/bundle": ("bundle", "read"),
    "POST /api/v1/events": ("events", "write"),
    "GET /api/v1/events": ("events", "read"),
    "GET /api/v1/users": ("users", "list"),
    "POST /api/v1/users": ("users", "write"),
    "GET /api/v1/users/{user_id}": ("users", "read"),
    "PATCH /api/v1/users/{user_id}": ("users", "write"),
    "PUT /api/v1/users/{user_id}/duty": ("duty", "write"),
    "PUT /api/v1/regions/{key}/duty": ("duty", "write"),
    "GET /api/v1/grids": ("grids", "list"),
    "POST /api/v1/grids": ("grids", "write"),
    "GET /api/v1/grids/{key}": ("grids", "read"),
    "PATCH /api/v1/grids/{key}": ("grids", "write"),
    "POST /api/v1/grids/{key}/places": ("grids", "write"),
    "GET /api/v1/replay": ("replay", "read"),
    "GET /api/v1/health": ("health", "list"),
    "GET /api/v1/health/reps/{rep_id}": ("health", "read"),
    "GET /api/v1/regions/{key}/health-settings": ("health", "read"),
    "PUT /api/v1/regions/{key}/health-settings": ("health", "write"),
    "GET /api/v1/coaching-alerts": ("health", "list"),
    "POST /api/v1/coaching-alerts/{alert_id}/acknowledge": ("health", "write"),
    "GET /api/v1/coaching": ("coaching", "read"),
    "GET /api/v1/warnings": ("insights", "list"),
    "GET /api/v1/insights": ("insights", "list"),
    "GET /api/v1/digests": ("digests", "list"),
    "GET /api/v1/digests/{digest_id}": ("digests", "read"),
    "GET /api/v1/experiments": ("experiments", "list"),
    "GET /api/v1/experiments/{experiment_id}": ("experiments", "read"),
    "PATCH /api/v1/experiments/{experiment_id}": ("experiments", "write"),
    "GET /api/v1/onboarding": ("onboarding", "read"),
    "GET /api/v1/me/locations": ("locations", "read"),
    "GET /api/v1/me/locations/export": ("locations", "read"),
    "POST /api/v1/contacts/{contact_id}/consents": ("contacts", "write"),
    "GET /api/v1/contacts/{contact_id}/export": ("contacts", "export"),
    "DELETE /api/v1/contacts/{contact_id}": ("contacts", "erase"),
    "POST /api/v1/contacts/{contact_id}/link": ("contacts", "write"),
    "GET /api/v1/public/contacts/{token}": "public",
    "POST /api/v1/public/contacts/{token}/withdraw": "public",
}
"""Every HTTP operation → the (resource, action) of ``POLICY`` it performs, or "public" (no login)."""

SOCKET_POLICY: dict[str, tuple[str, str]] = {
    "connect": ("field", "connect"),
    "location": ("field", "send"),
    "track.reset": ("field", "send"),
}
"""Every ``/field`` event a client sends → its (resource, action); a connection needs a valid token."""


def scope_of(role: str, resource: str, action: str) -> str | None:
    """The scope in which ``role`` may do ``action`` on ``resource``; None: not at all."""
    return POLICY[resource][action].get(role)


def policy_table() -> str:
    """``POLICY`` as the Markdown table in docs/security.md (a test keeps the two the same)."""
    lines = ["| resource | action | rep | guide | manager | admin | routes |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for resource, actions in POLICY.items():
        for action, scopes in actions.items():
            routes = "<br>".join([f"`{route.replace('/api/v1', '')}`" for route, entry in ROUTE_POLICY.items()
                                  if entry == (resource, action)]
                                 + [f"`/field {event}`" for event, entry in SOCKET_POLICY.items()
                                    if entry == (resource, action)])
            lines.append(f"| {resource} | {action} | " + " | ".join(scopes.get(r, "—") for r in ROLES)
                         + f" | {routes} |")
    return "\n".join(lines)


_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _gated_routes(app) -> dict[tuple[str, str], tuple[str, str]]:
    """(endpoint, method) → (resource, action) for the routes that some role may not use at all."""
    gated = {}
    for rule in app.url_map.iter_rules():
        path = _FLASK_PARAM.sub(r"{\1}", rule.rule)
        for method in rule.methods or ():
            entry = ROUTE_POLICY.get(f"{method} {path}")
            if isinstance(entry, tuple) and set(ROLES) - set(POLICY[entry[0]][entry[1]]):
                gated[(rule.endpoint, method)] = entry
    return gated


def init_app(app) -> None:
    """Enforce the role column of ``POLICY`` in one place, before any view reads its body: a role the policy gives
    no scope for the route's resource and action is refused with 403 at once (a rep learns nothing from a 422).
    Scopes (which region, grid, whose) are then checked by the services with ``require_manager_of`` and friends.
    A missing or bad token is left to the view's ``login_required`` (401)."""
    gated = _gated_routes(app)

    def gate():
        from flask import g, request

        from app.errors import Unauthorized
        from app.services import auth as auth_service

        entry = gated.get((request.endpoint, request.method))
        if entry is None:
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            user = auth_service.user_from_token(token.strip() if scheme.lower() == "bearer" else None)
        except Unauthorized:
            return
        g.user = user
        if scope_of(user.role, *entry) is None:
            raise Forbidden(f"A {user.role} may not {entry[1]} {entry[0]}.")

    app.before_request(gate)
