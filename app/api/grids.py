"""Grids (网格作战单元, issue 9, docs/team.md): managers for their regions, admins everywhere."""

from flask import g, request, url_for

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.grids import GridCreateIn, GridDetailOut, GridListOut, GridPatchIn, GridPlacesIn, GridQueryIn
from app.services import grids, permissions


@bp.get("/grids")
@login_required
def list_grids():
    permissions.require_manager(g.user)
    query = load(GridQueryIn(), request.args.to_dict())
    return GridListOut().dump({"items": grids.list_grids(actor=g.user, **query)})


@bp.post("/grids")
@login_required
def create_grid():
    permissions.require_manager(g.user)
    view = grids.create_grid(actor=g.user, data=load(GridCreateIn(), json_body()))
    return GridDetailOut().dump(view), 201, {"Location": url_for("api.get_grid", key=view.grid.key)}


@bp.get("/grids/<key>")
@login_required
def get_grid(key: str):
    return GridDetailOut().dump(grids.get_grid(actor=g.user, key=key))


@bp.patch("/grids/<key>")
@login_required
def update_grid(key: str):
    permissions.require_manager(g.user)
    return GridDetailOut().dump(grids.update_grid(actor=g.user, key=key, data=load(GridPatchIn(), json_body())))


@bp.post("/grids/<key>/places")
@login_required
def add_grid_places(key: str):
    permissions.require_manager(g.user)
    data = load(GridPlacesIn(), json_body())
    return GridDetailOut().dump(grids.add_places(actor=g.user, key=key, place_keys=data["place_keys"]))
