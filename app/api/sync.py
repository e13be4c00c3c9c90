"""``GET /api/v1/sync/bundle``: the rep's offline bundle, whole or since a version, with ETag and gzip."""

import gzip
import json

from flask import Response, g, request

from app.api import bp, login_required
from app.schemas import load
from app.schemas.sync import BundleQueryIn
from app.services import sync as sync_service


def _headers(version: str) -> dict:
    return {"ETag": f'"{version}"', "Cache-Control": "no-store", "Vary": "Accept-Encoding"}


@bp.get("/sync/bundle")
@login_required
def get_bundle():
    query = load(BundleQueryIn(), request.args.to_dict())
    since = query.get("since")
    bundle = sync_service.current_bundle(user=g.user)
    if since == bundle.version or request.if_none_match.contains_weak(bundle.version):
        return Response(status=304, headers=_headers(bundle.version))
    body = sync_service.bundle_body(bundle, user=g.user, since=since)
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = _headers(bundle.version)
    if request.accept_encodings["gzip"] > 0:
        data = gzip.compress(data, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(data, status=200, mimetype="application/json", headers=headers)
