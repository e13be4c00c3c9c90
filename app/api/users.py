"""Users and the team (issue 9, docs/team.md): admins manage everyone, managers the reps and guides of their
regions."""

from flask import g, request, url_for

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.users import UserCreateIn, UserListOut, UserPatchIn, UserProfileOut, UserQueryIn
from app.services import permissions, users


@bp.get("/users")
@login_required
def list_users():
    permissions.require_manager(g.user)
    query = load(UserQueryIn(), request.args.to_dict())
    return UserListOut().dump({"items": users.list_users(actor=g.user, **query)})


@bp.post("/users")
@login_required
def create_user():
    permissions.require_manager(g.user)  # before reading the body: a rep learns nothing from a 422
    view = users.create_user(actor=g.user, data=load(UserCreateIn(), json_body()))
    return UserProfileOut().dump(view), 201, {"Location": url_for("api.get_user", user_id=view.user.id)}


@bp.get("/users/<int:user_id>")
@login_required
def get_user(user_id: int):
    return UserProfileOut().dump(users.get_user(actor=g.user, user_id=user_id))


@bp.patch("/users/<int:user_id>")
@login_required
def update_user(user_id: int):
    permissions.require_manager(g.user)
    view = users.update_user(actor=g.user, user_id=user_id, data=load(UserPatchIn(), json_body()))
    return UserProfileOut().dump(view)
