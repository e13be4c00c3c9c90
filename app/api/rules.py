from flask import g, request, url_for

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.rules import (
    PreviewIn,
    RuleIn,
    RuleListOut,
    RuleOptionsOut,
    RuleOptionsQueryIn,
    RuleOut,
    RuleQueryIn,
)
from app.services import previews
from app.services import rules as rule_service


@bp.get("/rules")
@login_required
def list_rules():
    query = load(RuleQueryIn(), request.args.to_dict())
    return RuleListOut().dump({"items": rule_service.list_rules(user=g.user, **query)})


@bp.post("/rules")
@login_required
def create_rule():
    rule = rule_service.create_rule(user=g.user, data=load(RuleIn(), json_body()))
    return RuleOut().dump(rule), 201, {"Location": url_for("api.get_rule", rule_id=rule.id)}


@bp.get("/rules/options")
@login_required
def rule_options():
    query = load(RuleOptionsQueryIn(), request.args.to_dict())
    return RuleOptionsOut().dump(rule_service.options(user=g.user, **query))


@bp.get("/rules/<int:rule_id>")
@login_required
def get_rule(rule_id: int):
    return RuleOut().dump(rule_service.get_rule(user=g.user, rule_id=rule_id))


@bp.put("/rules/<int:rule_id>")
@login_required
def update_rule(rule_id: int):
    data = load(RuleIn(), json_body())
    return RuleOut().dump(rule_service.update_rule(user=g.user, rule_id=rule_id, data=data))


@bp.delete("/rules/<int:rule_id>")
@login_required
def delete_rule(rule_id: int):
    rule_service.delete_rule(user=g.user, rule_id=rule_id)
    return "", 204


@bp.get("/preview")
@login_required
def preview_popup():
    query = load(PreviewIn(), request.args.to_dict())
    return previews.preview(user=g.user, **query)
