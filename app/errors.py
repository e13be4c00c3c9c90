"""Domain errors and the one JSON error shape: ``{"error": {"code", "message", "fields"}}``.

Services raise ``AppError`` subclasses; the HTTP edge (here) and the socket edge (``app.realtime``)
translate them with ``error_body``.

``fields`` is always flat (docs/api.md): ``{"path.to.field": ["message", ...]}``; a list item is named by its
index in brackets (``talk_tracks[0].objections``, ``data.stops[1].place_id``) and an error of an object as a
whole sits at the object's own path (``_schema`` at the root). ``flat_fields`` turns marshmallow's nested
messages (or any nesting a service builds) into that shape; every ``AppError`` applies it.
"""

import logging

from flask import has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.extensions import db

log = logging.getLogger(__name__)


ROOT_FIELD = "_schema"


def _child(path: str, key) -> str:
    if key == ROOT_FIELD:
        return path
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def flat_fields(fields) -> dict[str, list[str]]:
    """``fields`` with every nested mapping flattened into one path per key and every value a list of
    strings (see the module docstring for the path syntax). Idempotent: flat input comes back as it was."""
    out: dict[str, list[str]] = {}
    stack = [("", fields or {})]
    while stack:
        path, node = stack.pop(0)
        if isinstance(node, dict):
            stack[:0] = [(_child(path, k), v) for k, v in node.items()]
        elif isinstance(node, list | tuple):
            nested = [v for v in node if isinstance(v, dict | list | tuple)]
            out.setdefault(path or ROOT_FIELD, []).extend(str(v) for v in node if v not in nested)
            stack[:0] = [(path, v) for v in nested]
        else:
            out.setdefault(path or ROOT_FIELD, []).append(str(node))
    return {k: v for k, v in out.items() if v}


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "Bad request."

    detail: dict = {}
    """Extra keys for the error object (beside code, message and fields), e.g. what could be built instead."""
    headers: dict = {}
    """HTTP headers of the answer, e.g. ``Retry-After``."""

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.fields = flat_fields(fields)


class MalformedInput(AppError):
    status, code, message = 400, "malformed_request", "The request could not be read."


class InvalidInput(AppError):
    status, code, message = 422, "invalid_values", "Some values are not valid."


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "Log in first."


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "You may not do this."


class NotFound(AppError):
    status, code, message = 404, "not_found", "Not found."


class Conflict(AppError):
    status, code, message = 409, "conflict", "This clashes with the current state."


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "Too many attempts; wait a moment and try again."


def error_body(code: str, message: str, fields: dict | None = None, detail: dict | None = None) -> dict:
    return {"error": {**(detail or {}), "code": code, "message": message, "fields": flat_fields(fields)}}


def error_response(status: int, code: str, message: str, fields: dict | None = None, detail: dict | None = None):
    response = jsonify(error_body(code, message, fields, detail))
    response.status_code = status
    return response


def _snake(name: str) -> str:
    return name.lower().replace(" ", "_").replace("-", "_").replace("'", "")


def init_app(app) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(err: AppError):
        response = error_response(err.status, err.code, err.message, err.fields, err.detail)
        response.headers.update(err.headers)
        return response

    @app.errorhandler(429)
    def handle_rate_limited(err: HTTPException):
        return error_response(429, "rate_limited", RateLimited.message)

    @app.errorhandler(RequestEntityTooLarge)
    def handle_too_large(err: RequestEntityTooLarge):
        limit = request.max_content_length if has_request_context() else None
        message = f"The request body is larger than {limit:,} bytes." if limit else "The request is too large."
        return error_response(413, _snake(err.name), message, detail={"max_bytes": limit} if limit else None)

    @app.errorhandler(HTTPException)
    def handle_http_exception(err: HTTPException):
        """werkzeug's errors in the error shape, keeping their headers (a 405's ``Allow`` lists the methods the
        path answers, as RFC 9110 requires)."""
        response = error_response(err.code or 500, _snake(err.name), err.description or err.name)
        for name, value in err.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(RecursionError)
    def handle_too_deep(err: RecursionError):
        """A parser that recursed on nested input (YAML, or JSON read outside ``read_json``): the input is
        unreadable, not our failure."""
        db.session.rollback()
        log.warning("input nested too deep: %s", err)
        return error_response(400, MalformedInput.code, "The input is nested too deep to read.")

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
