"""Fixtures: a fresh demo database per test (copied from one built through the migrations), clients, helpers."""

import os
import shutil
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.extensions import db, socketio
from config import TestConfig

REQUIRE_SERVICES = os.environ.get("BATTLEMAP_REQUIRE_SERVICES") == "1"
DEMO_PASSWORD = "demo-password"


def need_service(name: str, reason: str) -> None:
    """Skip when a real service is missing — or fail, in CI, where BATTLEMAP_REQUIRE_SERVICES=1."""
    message = f"{name} not available: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (BATTLEMAP_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(message)


def make_config(database_uri: str, **overrides) -> type[TestConfig]:
    return type("PerTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_uri,
                                                  "STATE_POLL_S": 0.0, **overrides})


def build_demo_database(app) -> None:
    from app.demo.loader import load_demo

    with app.app_context():
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
        load_demo()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "demo.db"
    build_demo_database(create_app(make_config(f"sqlite:///{path}")))
    return path


@pytest.fixture
def config_overrides():
    """Override per test module/function to change settings (e.g. the fence cooldown)."""
    return {}


@pytest.fixture
def app(demo_template, tmp_path, config_overrides):
    path = tmp_path / "battlemap.db"
    shutil.copy(demo_template, path)
    app = create_app(make_config(f"sqlite:///{path}", **config_overrides))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str = "rep@demo.battlemap", password: str = DEMO_PASSWORD):
        return self._client.post("/api/v1/auth/login", json={"email": email, "password": password})

    def token(self, email: str = "rep@demo.battlemap") -> str:
        response = self.login(email)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["token"]

    def headers(self, email: str = "rep@demo.battlemap") -> dict:
        return {"Authorization": f"Bearer {self.token(email)}"}


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def field(app, auth):
    """Open /field socket connections: ``field("rep2@demo.battlemap")``; all closed after the test."""
    opened = []

    def connect(email: str = "rep@demo.battlemap", token: str | None = None):
        sock = socketio.test_client(app, namespace="/field", auth={"token": token or auth.token(email)})
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        if sock.is_connected("/field"):
            sock.disconnect("/field")


@pytest.fixture
def no_rules(app):
    """Start without the demo's trigger rules, for tests that reason about exactly the rules they add."""
    from app.models import TriggerRule
    from app.services.pack_queries import packs_changed

    with app.app_context():
        db.session.query(TriggerRule).delete()
        packs_changed()
        db.session.commit()


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_admin():
    """An autocommit connection to PostgreSQL's test database (skips, or fails in CI, when there is none)."""
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as err:
        need_service("PostgreSQL", f"{POSTGRES_URL}: {err}")


@pytest.fixture(scope="module")
def pg_app():
    """The demo on a PostgreSQL database of its own (created per module, built through the migrations)."""
    name = f"battlemap_test_{uuid.uuid4().hex[:10]}"
    with postgres_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    app = create_app(make_config(url.replace("postgresql://", "postgresql+psycopg://", 1)))
    try:
        build_demo_database(app)
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with postgres_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def place_by_category(app, category: str):
    from app.models import Place

    with app.app_context():
        place = db.session.scalars(select(Place).where(Place.category == category).order_by(Place.id)).first()
        db.session.expunge(place)
        return place


from tests.browser_kit import browser, laptop, phone, site  # noqa: E402, F401  (browser fixtures for every module)
