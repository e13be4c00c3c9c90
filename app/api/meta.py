"""Health and the OpenAPI description."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.api.openapi import build_spec
from app.extensions import db

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
