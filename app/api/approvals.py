"""Discount approvals (docs/discounts.md): ask for a discount above your limit; the approver decides."""

from flask import g, request

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.discounts import ApprovalIn, ApprovalListOut, ApprovalOut, ApprovalQueryIn, DecisionIn
from app.services import discounts


@bp.post("/approvals")
@login_required
def create_approval():
    data = load(ApprovalIn(), json_body())
    approval = discounts.request_approval(user=g.user, request=data["request"], option_key=data["option"],
                                          note=data["note"])
    return ApprovalOut().dump(approval), 201, {"Location": f"/api/v1/approvals/{approval.id}"}


@bp.get("/approvals")
@login_required
def list_approvals():
    query = load(ApprovalQueryIn(), request.args.to_dict())
    items = discounts.list_approvals(user=g.user, status=query.get("status"), mine=query["mine"],
                                     limit=query["limit"])
    return ApprovalListOut().dump({"items": items})


@bp.get("/approvals/<int:approval_id>")
@login_required
def get_approval(approval_id: int):
    return ApprovalOut().dump(discounts.get_approval(user=g.user, approval_id=approval_id))


@bp.post("/approvals/<int:approval_id>/approve")
@login_required
def approve_approval(approval_id: int):
    note = load(DecisionIn(), json_body() or {})["note"]
    return ApprovalOut().dump(discounts.decide(user=g.user, approval_id=approval_id, approve=True, note=note))


@bp.post("/approvals/<int:approval_id>/reject")
@login_required
def reject_approval(approval_id: int):
    note = load(DecisionIn(), json_body() or {})["note"]
    return ApprovalOut().dump(discounts.decide(user=g.user, approval_id=approval_id, approve=False, note=note))
