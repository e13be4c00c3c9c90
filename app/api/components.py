"""Reusable components: what a manager may copy from the packs of their regions (docs/packs-api.md)."""

from flask import g, request

from app.api import bp, login_required
from app.schemas import load
from app.schemas.packs import ComponentListOut, ComponentQueryIn
from app.services import pack_queries


@bp.get("/components")
@login_required
def list_components():
    query = load(ComponentQueryIn(), request.args.to_dict())
    items = pack_queries.list_components(user=g.user, region_key=query.get("region"), kind=query.get("kind"),
                                         q=query.get("q"))
    return ComponentListOut().dump({"items": items})
