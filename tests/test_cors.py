"""CORS: one allow-list (``CORS_ORIGINS``) for HTTP preflights, HTTP answers and Socket.IO handshakes; the app's own
origin always works; scripts without an ``Origin`` are not affected (docs/security.md "CORS")."""

import shutil

import pytest
import requests
import socketio

from config import _origins
from tests.conftest import DEMO_PASSWORD
from tests.servers import running_server

ALLOWED = "https://crm.example.cn"
REFUSED = "https://evil.example"


@pytest.fixture
def config_overrides():
    return {"CORS_ORIGINS": (ALLOWED,)}


def preflight(client, origin: str, method: str = "POST", headers: str = "content-type, authorization"):
    return client.options("/api/v1/auth/login", headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


def test_origins_setting_is_read_like_browsers_send_origin():
    assert _origins("") == ()
    assert _origins(" https://A.example.cn/ ,http://localhost:5173") == ("https://a.example.cn", "http://localhost:5173")


def test_preflight_from_an_allowed_origin_is_204_with_the_allowed_headers(client):
    r = preflight(client, ALLOWED, headers="content-type, authorization, x-something-else")
    assert r.status_code == 204
    assert r.data == b""
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"content-type", "authorization"}, "a header we do not take is not allowed"
    assert "Origin" in r.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in r.headers, "bearer tokens, never cookies"


def test_preflight_from_another_origin_is_403_in_the_error_shape(client):
    r = preflight(client, REFUSED)
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in r.headers


def test_preflight_from_the_apps_own_origin_is_allowed(client):
    r = preflight(client, "http://localhost")
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "http://localhost"


def test_answers_name_only_allowed_origins(client):
    ok = client.post("/api/v1/auth/login", json={"email": "rep@demo.battlemap", "password": DEMO_PASSWORD},
                     headers={"Origin": ALLOWED})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Retry-After" in ok.headers["Access-Control-Expose-Headers"]
    other = client.get("/healthz", headers={"Origin": REFUSED})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers.get_all("Vary")
    plain = client.get("/healthz")
    assert "Access-Control-Allow-Origin" not in plain.headers


def test_empty_allow_list_means_same_origin_only(app):
    app.config["CORS_ORIGINS"] = ()
    client = app.test_client()
    assert preflight(client, ALLOWED).status_code == 403
    assert preflight(client, "http://localhost").status_code == 204


@pytest.fixture
def server(demo_template, tmp_path):
    db_path = tmp_path / "cors.db"
    shutil.copy(demo_template, db_path)
    with running_server(db_path, CORS_ORIGINS=f"{ALLOWED}, https://other.example.cn") as srv:
        token = requests.post(f"{srv['base']}/api/v1/auth/login", timeout=10,
                              json={"email": "rep@demo.battlemap", "password": DEMO_PASSWORD}).json()["token"]
        yield srv["base"], token


def connect(base: str, token: str, origin: str | None, transport: str) -> socketio.Client:
    """A real python-socketio client sending ``origin`` (or none) and extra headers. Over WebSocket the
    websocket-client library writes the ``Origin`` itself (its own host unless told otherwise)."""
    headers = {"User-Agent": "cors-test", "X-Requested-With": "cors-test"}
    if transport == "websocket":
        options = {"origin": origin} if origin else {"suppress_origin": True}
        client = socketio.Client(reconnection=False, websocket_extra_options=options)
    else:
        client = socketio.Client(reconnection=False)
        headers.update({"Origin": origin} if origin else {})
    client.connect(base, namespaces=["/field"], auth={"token": token}, headers=headers, transports=[transport],
                   wait_timeout=10)
    return client


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_socketio_takes_the_same_allow_list(server, transport):
    base, token = server
    for origin in (ALLOWED, base, None):  # an allowed site, the app itself, a script with no Origin
        client = connect(base, token, origin, transport)
        assert client.connected and "/field" in client.namespaces, origin
        client.disconnect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(base, token, REFUSED, transport)


def test_http_preflight_on_a_real_server(server):
    base, _ = server
    ok = requests.options(f"{base}/api/v1/sync/bundle", timeout=10, headers={
        "Origin": "https://other.example.cn", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "https://other.example.cn"
    refused = requests.options(f"{base}/api/v1/sync/bundle", timeout=10, headers={
        "Origin": REFUSED, "Access-Control-Request-Method": "GET"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
