"""Discounts within authority, and approval requests above it (issue 8; docs/discounts.md).

Each user may give one deal a discount up to ``User.discount_limit_cny`` (CNY; ``None`` = no limit, 0 = none at
all). ``apply`` prices the three options of a comparison with a discount; a discount above the caller's limit
``needs_approval``: ``request_approval`` sends it to an approver, who approves or rejects it — within their
authority (above it only an admin may decide). Every step is audited.

The approver (issue 9): for a member of a grid, the grid's leader when the grid's limit covers the amount and
the leader is someone else; otherwise the first manager of the requester's region (``UserRegion``, lowest user
id). A leader's authority over their grid's people is the larger of their own limit and the grid's.
"""

from sqlalchemy import select

from app.errors import AppError, Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import ROLE_DISCOUNT_LIMITS_CNY, DiscountApproval, Grid, User, UserRegion, utcnow
from app.services import audit, permissions
from app.services import solutions as solution_service

WITHIN_AUTHORITY = "within_authority"
NEEDS_APPROVAL = "needs_approval"
TARGET = "discount_approval"

ROLE_LIMITS_CNY = ROLE_DISCOUNT_LIMITS_CNY
"""A new user's limit by role (the seeds: a grid leader approves up to ¥50,000); ``None`` = no limit."""

OPTION_SNAPSHOT_KEYS = ("key", "name", "cost_breakdown", "total_price")


class _WithDetail:
    """An ``AppError`` that takes ``detail`` (extra keys of the error object) per raise."""

    def __init__(self, message: str | None = None, *, fields: dict | None = None, detail: dict | None = None):
        super().__init__(message, fields=fields)
        self.detail = detail or {}


class WithinAuthority(_WithDetail, AppError):
    status, code, message = 422, "within_authority", "This discount is within your own authority: no approval needed."


class OverAuthority(_WithDetail, Forbidden):
    code, message = "over_authority", "This discount is above your own limit: an admin must decide."


class NotApprover(Forbidden):
    code, message = "not_approver", "Only the approver of this request or an admin may decide it."


class ApprovalNotFound(NotFound):
    code, message = "approval_not_found", "No such approval request."


class ApprovalDecided(_WithDetail, Conflict):
    code, message = "invalid_transition", "This approval request has already been decided."


def within_limit(amount_cny: int, limit_cny: int | None) -> bool:
    """True when ``amount_cny`` is at most ``limit_cny`` (``None`` = no limit)."""
    return limit_cny is None or amount_cny <= limit_cny


def price_option(option: dict, *, discount_cny: int, limit_cny: int | None) -> dict:
    """``option`` plus list_price, discount_cny (never above the list price), final_price, discount_status.

    Pure: ``total_price`` stays the list total (the sum of the cost breakdown); nothing else changes.
    """
    list_price = int(option["total_price"])
    discount = min(max(int(discount_cny), 0), list_price)
    return {**option, "list_price": list_price, "discount_cny": discount, "final_price": list_price - discount,
            "discount_status": WITHIN_AUTHORITY if within_limit(discount, limit_cny) else NEEDS_APPROVAL}


def apply(result: dict, *, user: User, discount_cny: int | None) -> dict:
    """A ``solutions.compare`` answer with every option priced for ``discount_cny`` against ``user``'s limit.

    No discount (``None`` or 0) still adds the fields: final = list, ``within_authority``. Returns a new dict.
    """
    discount = discount_cny or 0
    return {**result, "options": [price_option(o, discount_cny=discount, limit_cny=user.discount_limit_cny)
                                  for o in result["options"]]}


def leading_grid(approver: User, requester: User) -> Grid | None:
    """The grid of ``requester`` that ``approver`` leads (not their own request), else None."""
    grid = db.session.get(Grid, requester.grid_id) if requester.grid_id is not None else None
    if grid is None or grid.leader_id != approver.id or approver.id == requester.id:
        return None
    return grid


def authority_cny(approver: User, requester: User) -> int | None:
    """The largest discount ``approver`` may approve for ``requester`` (``None`` = no limit): their own limit,
    raised to the grid's limit when they lead the requester's grid."""
    own = approver.discount_limit_cny
    grid = leading_grid(approver, requester)
    if grid is None or own is None:
        return own
    return max(own, grid.discount_limit_cny)


def approver_for(user: User, amount_cny: int | None = None) -> User | None:
    """Who decides ``user``'s request for ``amount_cny``: their grid's leader when the grid's limit covers it
    (``None``: any amount) and the leader is active and someone else; otherwise the first active manager (by
    id) of their region, never themselves.

    ``None`` when there is no such manager (then only an admin may decide).
    """
    grid = db.session.get(Grid, user.grid_id) if user.grid_id is not None else None
    if grid is not None and grid.leader_id not in (None, user.id) and (
            amount_cny is None or within_limit(amount_cny, grid.discount_limit_cny)):
        leader = db.session.get(User, grid.leader_id)
        if leader is not None and leader.active:
            return leader
    if user.region_id is None:
        return None
    return db.session.scalars(
        select(User).join(UserRegion, UserRegion.user_id == User.id)
        .where(UserRegion.region_id == user.region_id, User.role == "manager", User.id != user.id,
               User.active.is_(True))
        .order_by(User.id)).first()


def request_approval(*, user: User, request: dict, option_key: str, note: str = "") -> DiscountApproval:
    """Recompute the comparison of ``request`` (a loaded ``CompareIn``) and ask for ``option_key``'s discount.

    Raises ``WithinAuthority`` (422) when the caller may give that discount alone (nothing to approve), and the
    comparison's own errors (``no_fit``, ``invalid_values``). Commits the pending request and its audit entry.
    """
    discount_cny = request.get("discount_cny") or 0
    # place_id says where the comparison was made (recorded by POST /solutions/compare); it does not change it
    compare_in = {k: v for k, v in request.items() if k not in ("discount_cny", "place_id")}
    result = solution_service.compare(**{**compare_in, "locale": request.get("locale") or user.locale})
    option = next(o for o in result["options"] if o["key"] == option_key)
    priced = price_option(option, discount_cny=discount_cny, limit_cny=user.discount_limit_cny)
    if priced["discount_status"] == WITHIN_AUTHORITY:
        raise WithinAuthority(fields={"request": {"discount_cny": [WithinAuthority.message]}},
                              detail={"discount_cny": priced["discount_cny"],
                                      "limit_cny": user.discount_limit_cny})
    approver = approver_for(user, priced["discount_cny"])
    approval = DiscountApproval(
        requested_by_id=user.id, approver_id=approver.id if approver else None, region_id=user.region_id,
        status="pending", amount_cny=priced["discount_cny"], list_price_cny=priced["list_price"],
        final_price_cny=priced["final_price"], option={k: option[k] for k in OPTION_SNAPSHOT_KEYS},
        request=dict(request), note=note or "")
    db.session.add(approval)
    db.session.flush()
    audit.record(actor=user, action="discount.requested", target_type=TARGET, target_id=approval.id,
                 region_id=approval.region_id, detail=_audit_detail(approval))
    db.session.commit()
    return approval


def get_approval(*, user: User, approval_id: int) -> DiscountApproval:
    """One request, for its requester, its approver or an admin (``not_approver`` 403 for anyone else)."""
    approval = db.session.get(DiscountApproval, approval_id)
    if approval is None:
        raise ApprovalNotFound()
    if user.id not in (approval.requested_by_id, approval.approver_id) and not permissions.is_admin(user):
        raise NotApprover()
    return approval


def list_approvals(*, user: User, status: str | None = None, mine: bool = False,
                   limit: int = 100) -> list[DiscountApproval]:
    """Newest first: with ``mine`` the caller's own requests; else those addressed to them (an admin: all)."""
    query = select(DiscountApproval).order_by(DiscountApproval.created_at.desc(), DiscountApproval.id.desc())
    if mine:
        query = query.where(DiscountApproval.requested_by_id == user.id)
    elif not permissions.is_admin(user):
        query = query.where(DiscountApproval.approver_id == user.id)
    if status:
        query = query.where(DiscountApproval.status == status)
    return list(db.session.scalars(query.limit(limit)))


def decide(*, user: User, approval_id: int, approve: bool, note: str = "") -> DiscountApproval:
    """Approve or reject a pending request: only its approver or an admin, within the decider's own limit.

    Raises ``approval_not_found`` (404), ``not_approver`` (403), ``invalid_transition`` (409, not pending) and
    ``over_authority`` (403: the amount is above the decider's authority — ``authority_cny``; an admin has no
    limit). Rejecting needs no authority beyond being the approver. Commits with a ``discount.approved`` /
    ``discount.rejected`` entry.
    """
    approval = db.session.get(DiscountApproval, approval_id)
    if approval is None:
        raise ApprovalNotFound()
    if user.id != approval.approver_id and not permissions.is_admin(user):
        raise NotApprover()
    if approval.status != "pending":
        raise ApprovalDecided(fields={"status": [f"The request is already {approval.status}."]},
                              detail={"status": approval.status})
    authority = authority_cny(user, approval.requested_by)
    if approve and not within_limit(approval.amount_cny, authority):
        raise OverAuthority(detail={"amount_cny": approval.amount_cny, "limit_cny": authority})
    approval.status = "approved" if approve else "rejected"
    approval.decided_by_id = user.id
    approval.decided_at = utcnow()
    approval.decision_note = note or ""
    audit.record(actor=user, action=f"discount.{approval.status}", target_type=TARGET, target_id=approval.id,
                 region_id=approval.region_id, detail=_audit_detail(approval))
    db.session.commit()
    return approval


def _audit_detail(approval: DiscountApproval) -> dict:
    grid = approval.requested_by.grid if approval.requested_by else None
    return {"option": approval.option["key"], "amount_cny": approval.amount_cny,
            "list_price_cny": approval.list_price_cny, "final_price_cny": approval.final_price_cny,
            "requested_by_id": approval.requested_by_id, "approver_id": approval.approver_id,
            "grid": grid.key if grid else None, "note": approval.decision_note or approval.note}
