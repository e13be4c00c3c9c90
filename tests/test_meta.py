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


def test_pwa_shell_is_served_in_chinese_with_hashed_assets_cached_for_good(client):
    """Is the built shell served in Chinese, its worker always revalidated and its hashed bundles immutable?"""
    with client.get("/") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "max-age=0, must-revalidate"
        html = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    assert assets, "the shell links its hashed bundles"
    for path in assets:
        with client.get(path) as response:
            assert response.status_code == 200
            assert "immutable" in response.headers["Cache-Control"]
    with client.get("/sw.js") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "max-age=0, must-revalidate"
        assert "precache" in response.get_data(as_text=True).lower()
    with client.get("/manifest.webmanifest") as response:
        manifest = response.get_json(force=True)
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert manifest["short_name"] == "作战地图"
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as response:
            assert response.status_code == 200 and response.mimetype == "image/png"
    with client.get("/icons/apple-touch-icon.png") as response:
        assert response.status_code == 200


def test_unknown_api_route_is_json_404(client):
    assert_error_shape(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_json_405(client):
    assert_error_shape(client.get("/api/v1/auth/login"), 405, "method_not_allowed")


def test_the_built_client_loads_nothing_from_a_cdn():
    """No CDN: no font, style or script in pwa/dist points at another host (Vant's CDN woff fallback is cut)."""
    import pathlib

    dist = pathlib.Path(__file__).resolve().parent.parent / "pwa" / "dist" / "assets"
    if not dist.exists():
        from tests.conftest import need_service

        need_service("the built PWA", "pwa/dist is built by make test before pytest runs")
    css = "".join(p.read_text(encoding="utf-8") for p in dist.glob("*.css"))
    assert css, "the build has CSS"
    assert not re.findall(r"url\((['\"]?)(https?:)?//", css), "a stylesheet loads from another host"
    js = "".join(p.read_text(encoding="utf-8") for p in dist.glob("*.js"))
    assert "alicdn" not in js and "alicdn" not in css
