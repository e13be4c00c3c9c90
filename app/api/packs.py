"""Manager API for content packs: versions, lifecycle, review, schedule, rollback, diff, audit, validation,
YAML, audiences (docs/packs-api.md).

Handlers parse, call ``app.services.pack_*`` and dump; when a change alters what reps see, the handler hands
the service's ``LiveChange`` to the notifier (``pack.updated`` on /field).
"""

from flask import g, request, url_for

from app import notifier
from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.packs import (
    ApproveIn,
    AudienceOut,
    AuditListOut,
    AuditQueryIn,
    CommentIn,
    CommentListOut,
    CommentOut,
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
    load_flat,
)
from app.services import audit, pack_io, pack_lifecycle, pack_queries, pack_review, presence


def _pack_detail(key: str) -> dict:
    pack = pack_queries.managed_pack(user=g.user, key=key)
    view = pack_queries.overview(pack)
    versions = pack_review.describe(pack_queries.list_versions(user=g.user, key=key), g.user)
    return PackDetailOut().dump({**vars(view), "versions": versions})


def _version(version) -> dict:
    return VersionDetailOut().dump(pack_review.describe([version], g.user)[0])


def _created(version):
    location = url_for("api.get_pack_version", key=version.pack.key, number=version.number)
    return _version(version), 201, {"Location": location}


def _body(data: dict) -> dict:
    """The pack body sent as JSON, or parsed from the YAML sent instead."""
    return data["body"] if "body" in data else pack_io.body_from_yaml(data["yaml"])


def _comment(comment) -> dict:
    author = comment.author
    return {"id": comment.id, "component_id": comment.component_id, "body": comment.body,
            "created_at": comment.created_at, "author": {"id": author.id, "name": author.name} if author else None}


@bp.get("/packs")
@login_required
def list_packs():
    query = load(PackQueryIn(), request.args.to_dict())
    items = pack_queries.list_packs(user=g.user, region_key=query.get("region"), zone_type=query.get("zone_type"),
                                    grid_key=query.get("grid"), status=query.get("status"))
    return PackListOut().dump({"items": items})


@bp.post("/packs")
@login_required
def create_pack():
    data = load_flat(PackCreateIn(), json_body())
    version = pack_lifecycle.create_pack(user=g.user, body=_body(data), note=data["note"])
    return _pack_detail(version.pack.key), 201, {"Location": url_for("api.get_pack", key=version.pack.key)}


@bp.post("/packs/validate")
@login_required
def validate_pack():
    data = load(ValidateIn(), json_body())
    result = pack_io.validate(user=g.user, body=data.get("body"), text=data.get("yaml"), locale=data["locale"])
    return ValidateOut().dump({"valid": result.valid, "errors": result.errors, "message": result.message})


@bp.get("/packs/<key>")
@login_required
def get_pack(key: str):
    return _pack_detail(key)


@bp.get("/packs/<key>/versions")
@login_required
def list_pack_versions(key: str):
    versions = pack_review.describe(pack_queries.list_versions(user=g.user, key=key), g.user)
    return VersionListOut().dump({"items": versions})


@bp.post("/packs/<key>/versions")
@login_required
def create_pack_version(key: str):
    data = load_flat(VersionCreateIn(), json_body())
    return _created(pack_lifecycle.create_version(user=g.user, key=key, body=_body(data), based_on=data["based_on"],
                                                  note=data["note"]))


@bp.get("/packs/<key>/versions/<int:number>")
@login_required
def get_pack_version(key: str, number: int):
    return _version(pack_queries.get_version(user=g.user, key=key, number=number))


@bp.get("/packs/<key>/versions/<int:number>/yaml")
@login_required
def export_pack_version(key: str, number: int):
    version = pack_queries.get_version(user=g.user, key=key, number=number)
    return pack_io.pack_yaml(version), 200, {
        "Content-Type": "text/yaml; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{key}.yaml"'}


@bp.post("/packs/<key>/versions/<int:number>/submit")
@login_required
def submit_pack_version(key: str, number: int):
    data = load(SubmitIn(), json_body() or {})
    return _version(pack_lifecycle.submit_version(user=g.user, key=key, number=number, **data))


@bp.post("/packs/<key>/versions/<int:number>/approve")
@login_required
def approve_pack_version(key: str, number: int):
    data = load(ApproveIn(), json_body() or {})
    return _version(pack_lifecycle.approve_version(user=g.user, key=key, number=number, **data))


@bp.post("/packs/<key>/versions/<int:number>/reject")
@login_required
def reject_pack_version(key: str, number: int):
    data = load(RejectIn(), json_body() or {})
    return _version(pack_lifecycle.reject_version(user=g.user, key=key, number=number, **data))


@bp.post("/packs/<key>/versions/<int:number>/publish")
@login_required
def publish_pack_version(key: str, number: int):
    version, change = pack_lifecycle.publish_version(user=g.user, key=key, number=number)
    notifier.push_pack_updated(change.rep_ids, change.pack_key, change.version)
    return _version(version)


@bp.post("/packs/<key>/versions/<int:number>/schedule")
@login_required
def schedule_pack_version(key: str, number: int):
    data = load(ScheduleIn(), json_body())
    return _version(pack_lifecycle.schedule_version(user=g.user, key=key, number=number, **data))


@bp.get("/packs/<key>/versions/<int:number>/comments")
@login_required
def list_version_comments(key: str, number: int):
    comments = pack_review.list_comments(user=g.user, key=key, number=number)
    return CommentListOut().dump({"items": [_comment(c) for c in comments]})


@bp.post("/packs/<key>/versions/<int:number>/comments")
@login_required
def add_version_comment(key: str, number: int):
    data = load(CommentIn(), json_body())
    comment = pack_review.add_comment(user=g.user, key=key, number=number, **data)
    return CommentOut().dump(_comment(comment)), 201


@bp.get("/packs/<key>/versions/<int:number>/audience")
@login_required
def version_audience(key: str, number: int):
    reps = pack_queries.audience(user=g.user, key=key, number=number)
    return AudienceOut().dump({"reps": len(reps), "online": len(presence.online(reps))})


@bp.post("/packs/<key>/rollback")
@login_required
def rollback_pack(key: str):
    data = load(RollbackIn(), json_body())
    version, change = pack_lifecycle.rollback(user=g.user, key=key, number=data["version"])
    notifier.push_pack_updated(change.rep_ids, change.pack_key, change.version)
    return _version(version)


@bp.get("/packs/<key>/diff")
@login_required
def diff_pack_versions(key: str):
    query = load(DiffQueryIn(), request.args.to_dict())
    return DiffOut().dump(pack_queries.diff(user=g.user, key=key, from_number=query.get("from_"),
                                            to_number=query.get("to")))


@bp.get("/audit")
@login_required
def list_audit():
    query = load(AuditQueryIn(), request.args.to_dict())
    pack = pack_queries.managed_pack(user=g.user, key=query["pack"]) if "pack" in query else None
    return AuditListOut().dump({"items": audit.entries(user=g.user, pack=pack, limit=query["limit"])})
