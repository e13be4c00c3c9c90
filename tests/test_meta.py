"""Health, OpenAPI, the served PWA shell, errors for unknown routes."""

import re

from tests.test_auth import assert_error_shape

CONTRACT_PATHS = {
    "/healthz": "get",
    "/api/v1/auth/login": "post",
    "/api/v1/places": "get",
    "/api/v1/places/{place_id}": "get",
    "/api/v1/solutions/compare": "post",
}


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_openapi_describes_the_contract(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path, method in CONTRACT_PATHS.items():
        assert method in spec["paths"][path], path
    schemas = spec["components"]["schemas"]
    assert "Error" in schemas
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "401" in login["responses"]
    compare = spec["paths"]["/api/v1/solutions/compare"]["post"]
    assert "422" in compare["responses"]


def test_openapi_is_a_valid_openapi_3_document(client):
    from openapi_spec_validator import validate

    validate(client.get("/openapi.json").get_json())


def test_openapi_routes_exist_in_the_app(app):
    """Every documented operation is a real route, and every API route is documented."""
    from app.api.openapi import build_spec

    with app.app_context():
        documented = {(path, method) for path, ops in build_spec()["paths"].items() for method in ops}
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule == "/healthz"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == documented


def test_pwa_shell_is_served_in_chinese(client):
    with client.get("/") as response:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "/static/vendor/socket.io.min.js" in html
    with client.get("/static/vendor/socket.io.min.js") as response:
        assert response.status_code == 200
    with client.get("/sw.js") as response:
        assert response.headers["Cache-Control"] == "no-cache"


def test_unknown_api_route_is_json_404(client):
    assert_error_shape(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_json_405(client):
    assert_error_shape(client.get("/api/v1/auth/login"), 405, "method_not_allowed")
