"""Manager API for content packs: versions, lifecycle, schedule, rollback, diff, audit (docs/packs-api.md).

Handlers parse, call ``app.services.packs`` and dump; when a change alters what reps see, the handler hands
the service's ``LiveChange`` to the notifier (``pack.updated`` on /field).
"""

from flask import g, request, url_for

from app import notifier
from app.api import bp, json_body, login_required
from app.schemas import load
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
    load_flat,
)
from app.services import audit
from app.services import packs as pack_service


def _pack_detail(key: str) -> dict:
    pack = pack_service.managed_pack(user=g.user, key=key)
    view = pack_service.overview(pack)
    return PackDetailOut().dump({**vars(view), "versions": pack_service.list_versions(user=g.user, key=key)})


def _created(version):
    location = url_for("api.get_pack_version", key=version.pack.key, number=version.number)
    return VersionDetailOut().dump(version), 201, {"Location": location}


@bp.get("/packs")
@login_required
def list_packs():
    query = load(PackQueryIn(), request.args.to_dict())
    items = pack_service.list_packs(user=g.user, region_key=query.get("region"))
    return PackListOut().dump({"items": items})


@bp.post("/packs")
@login_required
def create_pack():
    data = load_flat(PackCreateIn(), json_body())
    version = pack_service.create_pack(user=g.user, body=data["body"], note=data["note"])
    return _pack_detail(version.pack.key), 201, {"Location": url_for("api.get_pack", key=version.pack.key)}


@bp.get("/packs/<key>")
@login_required
def get_pack(key: str):
    return _pack_detail(key)


@bp.get("/packs/<key>/versions")
@login_required
def list_pack_versions(key: str):
    return VersionListOut().dump({"items": pack_service.list_versions(user=g.user, key=key)})


@bp.post("/packs/<key>/versions")
@login_required
def create_pack_version(key: str):
    data = load_flat(VersionCreateIn(), json_body())
    return _created(pack_service.create_version(user=g.user, key=key, body=data["body"],
                                                based_on=data["based_on"], note=data["note"]))


@bp.get("/packs/<key>/versions/<int:number>")
@login_required
def get_pack_version(key: str, number: int):
    return VersionDetailOut().dump(pack_service.get_version(user=g.user, key=key, number=number))


@bp.post("/packs/<key>/versions/<int:number>/submit")
@login_required
def submit_pack_version(key: str, number: int):
    data = load(SubmitIn(), json_body() or {})
    return VersionDetailOut().dump(pack_service.submit_version(user=g.user, key=key, number=number, **data))


@bp.post("/packs/<key>/versions/<int:number>/reject")
@login_required
def reject_pack_version(key: str, number: int):
    data = load(RejectIn(), json_body() or {})
    return VersionDetailOut().dump(pack_service.reject_version(user=g.user, key=key, number=number, **data))


@bp.post("/packs/<key>/versions/<int:number>/publish")
@login_required
def publish_pack_version(key: str, number: int):
    version, change = pack_service.publish_version(user=g.user, key=key, number=number)
    notifier.push_pack_updated(change.rep_ids, change.pack_key, change.version)
    return VersionDetailOut().dump(version)


@bp.post("/packs/<key>/versions/<int:number>/schedule")
@login_required
def schedule_pack_version(key: str, number: int):
    data = load(ScheduleIn(), json_body())
    return VersionDetailOut().dump(pack_service.schedule_version(user=g.user, key=key, number=number, **data))


@bp.post("/packs/<key>/rollback")
@login_required
def rollback_pack(key: str):
    data = load(RollbackIn(), json_body())
    version, change = pack_service.rollback(user=g.user, key=key, number=data["version"])
    notifier.push_pack_updated(change.rep_ids, change.pack_key, change.version)
    return VersionDetailOut().dump(version)


@bp.get("/packs/<key>/diff")
@login_required
def diff_pack_versions(key: str):
    query = load(DiffQueryIn(), request.args.to_dict())
    return DiffOut().dump(pack_service.diff(user=g.user, key=key, from_number=query.get("from_"),
                                            to_number=query.get("to")))


@bp.get("/audit")
@login_required
def list_audit():
    query = load(AuditQueryIn(), request.args.to_dict())
    pack = pack_service.managed_pack(user=g.user, key=query["pack"]) if "pack" in query else None
    return AuditListOut().dump({"items": audit.entries(user=g.user, pack=pack, limit=query["limit"])})
